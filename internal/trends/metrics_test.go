package trends

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWeeklyMeanStddevShareHigh(t *testing.T) {
	obs := votes("c", "a", "p", 0, "proqol5", "burnout", 40, 42, 44, 50)
	rows := Compute(cfgK(3), obs)
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want the team's and the clinic total's", len(rows))
	}
	for _, team := range []string{"a", ClinicTotal} {
		r := find(t, rows, "c", team, 0, "burnout")
		if r.Suppressed || respondents(r) != 4 {
			t.Fatalf("%s: suppressed %v, respondents %d; want published, 4", team, r.Suppressed, respondents(r))
		}
		near(t, team+" mean", r.Mean, 44)                  // (40+42+44+50)/4 = 176/4
		near(t, team+" stddev", r.Stddev, math.Sqrt(14))   // deviations −4 −2 0 6: (16+4+0+36)/4 = 14 (population)
		near(t, team+" share_high", r.ShareHigh, 0.75)     // 42, 44, 50 are ≥ 42: 3/4
		near(t, team+" rolling", r.RollingMean4w, 44)      // one week
		near(t, team+" participation", r.Participation, 1) // 4 active / roster 4
		isNil(t, team+" slope", r.Slope8w)                 // 1 week < 4
		isNil(t, team+" ewma", r.EWMA)                     // no baseline
	}
}

func TestClinicTotalPoolsTeams(t *testing.T) {
	// a: 10, 20, 30 (mean 20, m2 = 100+0+100 = 200); b: 40, 50, 60 (mean 50, m2 = 200).
	// Pooled: mean (60+150)/6 = 35; m2 = 200 + 200 + 3·(20−35)² + 3·(50−35)² = 400 + 675 + 675 = 1750;
	// stddev = √(1750/6). Directly: deviations −25 −15 −5 5 15 25: 2·(625+225+25) = 1750.
	obs := append(votes("c", "a", "a", 0, "proqol5", "burnout", 10, 20, 30),
		votes("c", "b", "b", 0, "proqol5", "burnout", 40, 50, 60)...)
	r := find(t, Compute(cfgK(3), obs), "c", ClinicTotal, 0, "burnout")
	if respondents(r) != 6 {
		t.Fatalf("respondents %d, want 6", respondents(r))
	}
	near(t, "mean", r.Mean, 35)
	near(t, "stddev", r.Stddev, math.Sqrt(1750.0/6))
	near(t, "share_high", r.ShareHigh, 2.0/6) // 50 and 60
}

func TestSuppression(t *testing.T) {
	bo := func(team string, n int) []Observation {
		return votes("c", team, team, 0, "proqol5", "burnout", repeat(30, n)...)
	}
	tests := []struct {
		name       string
		obs        []Observation
		suppressed []string // teams suppressed, ClinicTotal included
	}{
		{"all large", slices.Concat(bo("a", 3), bo("b", 4)), nil},
		{"team below k, clinic too", bo("a", 2), []string{ClinicTotal, "a"}},
		// a (2) alone could be recovered as total − b − c: the clinic total is
		// suppressed, the published teams stay.
		{"complementary", slices.Concat(bo("a", 2), bo("b", 5), bo("c", 6)), []string{ClinicTotal, "a"}},
		// S = {a (1), b (2)} already covers 3 clinicians: nothing more to hide.
		{"suppressed teams cover k", slices.Concat(bo("a", 1), bo("b", 2), bo("c", 5)), []string{"a", "b"}},
		// S = {a, b}, whose only clinicians x and y vote in both: 2 people < 3, so the
		// clinic total is suppressed.
		{"distinct people", slices.Concat(
			votes("c", "a", "x", 0, "proqol5", "burnout", 30, 31),
			votes("c", "b", "x", 0, "proqol5", "burnout", 32, 33),
			bo("c", 5)), []string{ClinicTotal, "a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range Compute(cfgK(3), tt.obs) {
				if r.Suppressed {
					got = append(got, r.Team)
					if r.Respondents != nil || r.Mean != nil || r.Participation != nil {
						t.Errorf("%s suppressed but has values", r.Team)
					}
				}
			}
			if !slices.Equal(got, tt.suppressed) {
				t.Errorf("suppressed %v, want %v", got, tt.suppressed)
			}
		})
	}
}

func TestClinicTotalCountsVotes(t *testing.T) {
	// x1…x3 vote for a and b: 6 votes by 3 people, plus c's 5. The total is the union
	// of the team rows: 11 votes.
	obs := slices.Concat(
		votes("c", "a", "x", 0, "proqol5", "burnout", 30, 31, 32),
		votes("c", "b", "x", 0, "proqol5", "burnout", 33, 34, 35),
		votes("c", "c", "c", 0, "proqol5", "burnout", repeat(30, 5)...))
	r := find(t, Compute(cfgK(3), obs), "c", ClinicTotal, 0, "burnout")
	if r.Suppressed || respondents(r) != 11 {
		t.Fatalf("total: suppressed %v, respondents %d; want published, 11", r.Suppressed, respondents(r))
	}
	near(t, "participation", r.Participation, 1) // 8 distinct people active / 8 on the roster
}

// series builds a team's weeks: each week's n clinicians (named p1…pn) all score v.
func series(team string, weeks map[int][2]float64) []Observation {
	var obs []Observation
	for w, nv := range weeks {
		obs = append(obs, votes("c", team, "p", w, "proqol5", "burnout", repeat(nv[1], int(nv[0]))...)...)
	}
	return obs
}

func TestRollingSlopeAndEWMASkipSuppressedWeeks(t *testing.T) {
	cfg := cfgK(3)
	cfg.BaselineWeeks = 2
	// week: {respondents, value}; week 2 has 2 < 3 respondents and is suppressed.
	rows := Compute(cfg, series("a", map[int][2]float64{0: {3, 20}, 1: {4, 30}, 2: {2, 50}, 3: {3, 40}, 4: {5, 10}}))
	get := func(w int) Row { return find(t, rows, "c", "a", w, "burnout") }
	if !get(2).Suppressed {
		t.Fatal("week 2 published")
	}

	// Rolling, published weeks of w−3…w, weighted by respondents:
	near(t, "rolling w1", get(1).RollingMean4w, 180.0/7)  // weeks 0,1: (60+120)/(3+4)
	near(t, "rolling w3", get(3).RollingMean4w, 30)       // weeks 0,1,3: (60+120+120)/(3+4+3) = 300/10
	near(t, "rolling w4", get(4).RollingMean4w, 290.0/12) // weeks 1,3,4: (120+120+50)/(4+3+5)

	// Slope over the published weekly means of w−7…w, x in weeks:
	isNil(t, "slope w3", get(3).Slope8w) // weeks 0, 1, 3: 3 < 4
	// weeks 0,1,3,4: x −4 −3 −1 0 (mean −2), y 20 30 40 10 (mean 25);
	// Σdx·dy = (−2)(−5) + (−1)(5) + (1)(15) + (2)(−15) = −10; Σdx² = 4+1+1+4 = 10.
	near(t, "slope w4", get(4).Slope8w, -1)

	// EWMA, baseline = first 2 published weeks: μ0 = 25, σ = 5 (deviations ±5).
	// t counts published weeks: week 3 is t = 3, week 4 is t = 4.
	// z1 = 0.3·20 + 0.7·25 = 23.5; z2 = 0.3·30 + 0.7·23.5 = 25.45;
	// z3 = 0.3·40 + 0.7·25.45 = 29.815; z4 = 0.3·10 + 0.7·29.815 = 23.8705.
	// Limits: 3·5·√(0.3/1.7·(1−0.7^(2t))): t=3 → 15·√(0.17647·0.882351) = 5.918997;
	// t=4 → 15·√(0.17647·0.942352) = 6.116937.
	isNil(t, "ewma w1", get(1).EWMA)
	near(t, "ewma w3", get(3).EWMA, 29.815)
	near(t, "ucl w3", get(3).UCL, 30.918996958944987)
	near(t, "lcl w3", get(3).LCL, 19.081003041055013)
	near(t, "ewma w4", get(4).EWMA, 23.8705)
	near(t, "ucl w4", get(4).UCL, 31.116936917281393)
	near(t, "lcl w4", get(4).LCL, 18.883063082718607)
}

func TestEWMAChart(t *testing.T) {
	cfg := cfgK(3)
	cfg.BaselineWeeks = 4
	// Weekly means 20 22 18 20 | 30: μ0 = 20, σ = √((0+4+4+0)/4) = √2.
	// z: 20 → 20 → 20.6 → 19.82 → 19.874 → 0.3·30 + 0.7·19.874 = 22.9118 at t = 5.
	// Limit half-width at t = 5: 3·√2·√(0.3/1.7·(1−0.7^10)) = 3·1.414214·0.414108 = 1.756913.
	rows := Compute(cfg, series("a", map[int][2]float64{0: {3, 20}, 1: {3, 22}, 2: {3, 18}, 3: {3, 20}, 4: {3, 30}}))
	for w := range 4 {
		isNil(t, "ewma in baseline", find(t, rows, "c", "a", w, "burnout").EWMA)
	}
	r := find(t, rows, "c", "a", 4, "burnout")
	near(t, "ewma", r.EWMA, 22.9118)
	near(t, "ucl", r.UCL, 21.756912962044506)
	near(t, "lcl", r.LCL, 18.243087037955494)
	// Slope at week 3: x −3…0 (mean −1.5), y 20 22 18 20 (mean 20):
	// Σdx·dy = (−0.5)(2) + (0.5)(−2) = −2; Σdx² = 2.25+0.25+0.25+2.25 = 5 → −0.4.
	near(t, "slope w3", find(t, rows, "c", "a", 3, "burnout").Slope8w, -0.4)

	// A flat baseline has σ = 0, floored at 1 % of burnout's range 10–50: 0.4.
	// Half-width at t = 5: 3·0.4·0.414108 = 0.496930.
	rows = Compute(cfg, series("a", map[int][2]float64{0: {3, 20}, 1: {3, 20}, 2: {3, 20}, 3: {3, 20}, 4: {3, 20}}))
	r = find(t, rows, "c", "a", 4, "burnout")
	near(t, "flat ewma", r.EWMA, 20)
	near(t, "flat ucl", r.UCL, 20.496930027766485)
}

func TestSlopeWindow(t *testing.T) {
	// Week 0 (50) is 8 weeks before week 8, outside w−7…w: the slope over the flat
	// weeks 1–8 is 0. At week 7 it is inside: x −7…0 (mean −3.5), y 50 then seven 20s
	// (mean 23.75, dy 26.25 then −3.75); the other weeks' dx sum to +3.5, so
	// Σdx·dy = (−3.5)(26.25) + (3.5)(−3.75) = −91.875 − 13.125 = −105;
	// Σdx² = 2·(12.25+6.25+2.25+0.25) = 42 → −105/42 = −2.5.
	weeks := map[int][2]float64{0: {3, 50}}
	for w := 1; w <= 8; w++ {
		weeks[w] = [2]float64{3, 20}
	}
	rows := Compute(cfgK(3), series("a", weeks))
	near(t, "slope w7", find(t, rows, "c", "a", 7, "burnout").Slope8w, -2.5)
	near(t, "slope w8", find(t, rows, "c", "a", 8, "burnout").Slope8w, 0)
}

func TestEWMALimitsWidenWithT(t *testing.T) {
	ch := ewmaChart{lambda: 0.3, mu0: 0, sigma: 1}
	// t = 1: 3·√(0.3/1.7·(1−0.49)) = 3·√0.09 = 0.9 exactly.
	if _, ucl := ch.limits(1); math.Abs(ucl-0.9) > 1e-12 {
		t.Errorf("ucl(1) = %v, want 0.9", ucl)
	}
	// Asymptote: 3·√(0.3/1.7) = 1.260252.
	if _, ucl := ch.limits(1000); math.Abs(ucl-3*math.Sqrt(0.3/1.7)) > 1e-12 {
		t.Errorf("ucl(1000) = %v, want %v", ucl, 3*math.Sqrt(0.3/1.7))
	}
}

func TestParticipationRoster(t *testing.T) {
	// Week 0: A B C D; week 5: A B C; week 11: A B C, and E with only an SCS-SF;
	// week 12: A B C.
	var obs []Observation
	add := func(w int, instr, score string, clins ...string) {
		for _, c := range clins {
			obs = append(obs, Observation{Clinic: "c", Team: "a", Clinician: c, Week: wk(w), Instrument: instr,
				Scores: map[string]float64{score: 3}})
		}
	}
	add(0, "proqol5", "burnout", "A", "B", "C", "D")
	add(5, "proqol5", "burnout", "A", "B", "C")
	add(11, "proqol5", "burnout", "A", "B", "C")
	add(11, "scssf", "self_compassion", "E")
	add(12, "proqol5", "burnout", "A", "B", "C")
	rows := Compute(cfgK(3), obs)
	// Week 5: roster of weeks −6…5 = {A B C D}: 3/4.
	near(t, "week 5", find(t, rows, "c", "a", 5, "burnout").Participation, 0.75)
	// Week 11: active A B C E (any instrument); roster of weeks 0…11 = {A B C D E}: 4/5.
	near(t, "week 11", find(t, rows, "c", "a", 11, "burnout").Participation, 0.8)
	// Week 12: roster of weeks 1…12 = {A B C E}, D's week 0 has left the window: 3/4.
	near(t, "week 12", find(t, rows, "c", "a", 12, "burnout").Participation, 0.75)
	// E's self_compassion row of week 11 has 1 respondent: suppressed, no participation.
	if r := find(t, rows, "c", "a", 11, "self_compassion"); !r.Suppressed || r.Participation != nil {
		t.Errorf("week 11 self_compassion: suppressed %v, participation %v", r.Suppressed, r.Participation)
	}
}

func TestWeekNormalisedToMonday(t *testing.T) {
	// A Wednesday afternoon in another zone belongs to the week of Monday 2026-01-05.
	wed := time.Date(2026, 1, 7, 15, 30, 0, 0, time.FixedZone("X", 5*3600))
	obs := votes("c", "a", "p", 0, "proqol5", "burnout", 30, 30, 30)
	obs[1].Week = wed
	rows := Compute(cfgK(3), obs)
	if len(rows) != 2 || respondents(rows[0]) != 3 || rows[0].Week != week0 {
		t.Fatalf("rows %+v", rows)
	}
	for _, n := range []int64{-1, 0, 1, 2943} {
		if got := weekNumber(weekStart(n)); got != n {
			t.Errorf("weekNumber(weekStart(%d)) = %d", n, got)
		}
		if d := weekStart(n).Weekday(); d != time.Monday {
			t.Errorf("weekStart(%d) is a %v", n, d)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.MinGroupSize, c.Lambda, c.SlopeMinWeeks = 2, 0, 9
	err := c.Validate()
	for _, want := range []string{"MinGroupSize must be at least 3, got 2", "Lambda", "SlopeMinWeeks"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Compute with k = 2 did not panic")
		}
	}()
	Compute(c, nil)
}

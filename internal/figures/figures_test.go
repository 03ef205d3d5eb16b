package figures

import (
	"math"
	"strings"
	"testing"
	"time"
)

var (
	november = utc("2026-11-01T00:00:00Z") // a month start
	monday   = utc("2026-11-16T00:00:00Z") // a week start
)

// pq builds ProQOL 5 scores, compassion_fatigue derived as the key does.
func pq(cs, bo, sts float64) map[string]float64 {
	return map[string]float64{
		"compassion_satisfaction": cs, "burnout": bo, "secondary_traumatic_stress": sts,
		"compassion_fatigue": (bo + sts - 20) / 80 * 100,
	}
}

func mz(v float64) map[string]float64 { return map[string]float64{"burnout_level": v} }

// miniTeam gives one Mini-Z response per value, clinicians named team-0, team-1, ….
func miniTeam(team string, values ...float64) []Response {
	var rs []Response
	for i, v := range values {
		rs = append(rs, Response{Team: team, Clinician: team + "-" + string(rune('a'+i)), Scores: mz(v)})
	}
	return rs
}

func miniPeriod(teams ...[]Response) Period {
	p := Period{Clinic: "northside", Instrument: "miniz", Start: monday, Length: Week}
	for _, t := range teams {
		p.Responses = append(p.Responses, t...)
	}
	return p
}

func mustCompute(t *testing.T, k int, p Period) []Figure {
	t.Helper()
	figs, err := Compute(k, p)
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

func row(t *testing.T, figs []Figure, team, score string) Figure {
	t.Helper()
	for _, f := range figs {
		if f.Team == team && f.Score == score {
			return f
		}
	}
	t.Fatalf("no row %s/%s", team, score)
	return Figure{}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// wantRow checks a published row against hand-worked values; share or part < 0
// means nil.
func wantRow(t *testing.T, f Figure, n uint32, mean, sd, share, part float64) {
	t.Helper()
	if f.Suppressed || f.Respondents == nil || f.Mean == nil || f.Stddev == nil {
		t.Fatalf("%s/%s: suppressed or incomplete: %+v", f.Team, f.Score, f)
	}
	if *f.Respondents != n || !near(*f.Mean, mean) || !near(*f.Stddev, sd) {
		t.Errorf("%s/%s: n %d mean %v sd %v; want %d, %v, %v", f.Team, f.Score, *f.Respondents, *f.Mean, *f.Stddev, n, mean, sd)
	}
	checkOpt := func(what string, got *float64, want float64) {
		switch {
		case want < 0 && got != nil:
			t.Errorf("%s/%s: %s = %v, want nil", f.Team, f.Score, what, *got)
		case want >= 0 && (got == nil || !near(*got, want)):
			t.Errorf("%s/%s: %s = %v, want %v", f.Team, f.Score, what, deref(got), want)
		}
	}
	checkOpt("share_high", f.ShareHigh, share)
	checkOpt("participation", f.Participation, part)
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func wantSuppressed(t *testing.T, figs []Figure, team string) {
	t.Helper()
	found := false
	for _, f := range figs {
		if f.Team != team {
			continue
		}
		found = true
		if !f.Suppressed || f.Respondents != nil || f.Mean != nil || f.Stddev != nil || f.ShareHigh != nil || f.Participation != nil {
			t.Errorf("%s/%s: want suppressed with every value nil, got %+v", team, f.Score, f)
		}
	}
	if !found {
		t.Errorf("no rows for %s", team)
	}
}

// TestHandWorkedTeamOfSix: one team of six, ProQOL 5, worked by hand.
//
//	burnout      20 25 30 35 42 46: mean 198/6 = 33, squared deviations
//	             169+64+9+4+81+169 = 496, population stddev √(496/6) ≈ 9.0921;
//	             2 of 6 ≥ 42 → share 0.333 → bucket ⌊5·2/6⌋ = 1 → 0.2
//	STS          15 20 25 30 35 40: mean 27.5, stddev √(437.5/6) ≈ 8.5391; none high → 0
//	CS           40 42 44 30 35 38: mean 229/6, 2 high → 0.2
//	comp. fat.   1.25·(BO+STS−20): 18.75 31.25 43.75 56.25 71.25 82.5, mean 50.625, no share
//	roster       team 8 → participation 0.75; clinic 8+4 → 0.5
func TestHandWorkedTeamOfSix(t *testing.T) {
	bo := []float64{20, 25, 30, 35, 42, 46}
	sts := []float64{15, 20, 25, 30, 35, 40}
	cs := []float64{40, 42, 44, 30, 35, 38}
	p := Period{Clinic: "northside", Instrument: "proqol5", Start: november, Length: Month,
		Roster: map[string]int{"trauma": 8, "intake": 4}}
	for i := range bo {
		p.Responses = append(p.Responses, Response{Team: "trauma", Clinician: string(rune('p' + i)), Scores: pq(cs[i], bo[i], sts[i])})
	}
	figs := mustCompute(t, 5, p)
	if len(figs) != 8 {
		t.Fatalf("%d rows, want 4 scores × (1 team + total)", len(figs))
	}
	cf := []float64{18.75, 31.25, 43.75, 56.25, 71.25, 82.5}
	for _, team := range []string{"trauma", ClinicTotal} {
		part := 0.75
		if team == ClinicTotal {
			part = 0.5
		}
		wantRow(t, row(t, figs, team, "burnout"), 6, 33, math.Sqrt(496.0/6), 0.2, part)
		wantRow(t, row(t, figs, team, "secondary_traumatic_stress"), 6, 27.5, math.Sqrt(437.5/6), 0, part)
		wantRow(t, row(t, figs, team, "compassion_satisfaction"), 6, 229.0/6, popSD(cs), 0.2, part)
		wantRow(t, row(t, figs, team, "compassion_fatigue"), 6, 50.625, popSD(cf), -1, part)
	}
	f := row(t, figs, "trauma", "burnout")
	if f.Clinic != "northside" || f.Instrument != "proqol5" || !f.Start.Equal(november) || f.Length != Month {
		t.Errorf("labels: %+v", f)
	}
}

func popSD(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)))
}

// TestShareBuckets: the bucket of c of n is ⌊5c/n⌋·0.2, with 100 % folded into 0.8,
// and for every n ≥ 5 the bucket of n also holds n − 1.
func TestShareBuckets(t *testing.T) {
	for _, c := range []struct {
		c, n int64
		want float64
	}{{0, 5, 0}, {1, 5, 0.2}, {2, 5, 0.4}, {3, 5, 0.6}, {4, 5, 0.8}, {5, 5, 0.8}, {1, 6, 0}, {2, 6, 0.2}, {5, 6, 0.8}, {6, 6, 0.8}, {7, 9, 0.6}, {8, 10, 0.8}, {79, 100, 0.6}} {
		if got := shareValue(bucket(c.c, c.n)); got != c.want {
			t.Errorf("bucket(%d of %d) = %v, want %v", c.c, c.n, got, c.want)
		}
	}
	for n := int64(5); n < 500; n++ {
		top := bucket(n, n)
		if bucket(n-1, n) != top || bucketFloor(top, n) > n-1 {
			t.Fatalf("n = %d: the top bucket does not hold n−1", n)
		}
		for c := int64(0); c <= n; c++ {
			b := bucket(c, n)
			if bucketFloor(b, n) > c || (c > 0 && bucket(bucketFloor(b, n)-1, n) == b && bucketFloor(b, n) > 0) {
				t.Fatalf("bucketFloor(%d, %d) wrong", b, n)
			}
		}
	}
	for n := int64(1); n < 5; n++ {
		if bucket(n-1, n) == bucket(n, n) {
			t.Errorf("n = %d: expected the top bucket to pin everyone (why k ≥ 5)", n)
		}
	}
}

func TestValidateK(t *testing.T) {
	for k := -1; k < 5; k++ {
		err := ValidateK(k)
		if err == nil || !strings.Contains(err.Error(), "at least 5") {
			t.Errorf("ValidateK(%d) = %v", k, err)
		}
		if _, err := Compute(k, miniPeriod(miniTeam("a", 1, 2, 3, 4, 5))); err == nil {
			t.Errorf("Compute accepted k = %d", k)
		}
	}
	for _, k := range []int{5, 6, 50} {
		if err := ValidateK(k); err != nil {
			t.Errorf("ValidateK(%d) = %v", k, err)
		}
	}
}

// TestTopBucket: a team entirely at the high side is published as "at least 80 %"
// when a group with one member below has the same count, mean and stddev.
func TestTopBucket(t *testing.T) {
	p := Period{Clinic: "northside", Instrument: "proqol5", Start: november, Length: Month}
	bo := []float64{42, 44, 46, 48, 50} // same n, mean, stddev as 41 45 47 48 49
	for i, b := range bo {
		p.Responses = append(p.Responses, Response{Team: "t", Clinician: string(rune('a' + i)), Scores: pq(30+float64(i), b, 20+2*float64(i))})
	}
	figs := mustCompute(t, 5, p)
	wantRow(t, row(t, figs, "t", "burnout"), 5, 46, math.Sqrt(8), 0.8, -1)
	wantRow(t, row(t, figs, ClinicTotal, "burnout"), 5, 46, math.Sqrt(8), 0.8, -1)

	// Mini-Z {3,3,3,4,5}: mean 3.6, stddev 0.8, like {2,4,4,4,4}: published.
	figs = mustCompute(t, 5, miniPeriod(miniTeam("t", 3, 3, 3, 4, 5)))
	wantRow(t, row(t, figs, "t", "burnout_level"), 5, 3.6, 0.8, 0.8, -1)
}

// TestBandPinnedByMoments: mean and stddev that only an all-high group has are not
// published.
func TestBandPinnedByMoments(t *testing.T) {
	for _, values := range [][]float64{
		{3, 3, 4, 4, 5}, // mean 3.8, stddev ≈ 0.75: no group with an answer below 3 has both
		{5, 5, 5, 5, 4}, // mean 4.8: the lowest any member can have is 24 − 4·5 = 4
		{4, 4, 4, 4, 3, 5},
	} {
		figs := mustCompute(t, 5, miniPeriod(miniTeam("t", values...)))
		wantSuppressed(t, figs, "t")
		wantSuppressed(t, figs, ClinicTotal)
	}
	// ProQOL burnout 42…46: mean 44, stddev √2 bound every value to 44 ± 2√2 > 41.
	p := Period{Clinic: "northside", Instrument: "proqol5", Start: november, Length: Month}
	for i, b := range []float64{42, 43, 44, 45, 46} {
		p.Responses = append(p.Responses, Response{Team: "t", Clinician: string(rune('a' + i)), Scores: pq(30+float64(i), b, 20+2*float64(i))})
	}
	wantSuppressed(t, mustCompute(t, 5, p), "t")
	// SCS-SF total entirely below 2.5 (the risk side) with a tight spread.
	q := Period{Clinic: "northside", Instrument: "scssf", Start: november, Length: Month}
	for i, total := range []float64{2, 25.0 / 12, 26.0 / 12, 2, 25.0 / 12} {
		s := map[string]float64{"self_compassion": total}
		for j, c := range []string{"self_kindness", "self_judgment", "common_humanity", "isolation", "mindfulness", "over_identification"} {
			s[c] = 1 + 0.5*float64((i+j)%5)
		}
		q.Responses = append(q.Responses, Response{Team: "t", Clinician: string(rune('a' + i)), Scores: s})
	}
	wantSuppressed(t, mustCompute(t, 5, q), "t")
}

// TestZeroSpread: identical answers are never published, and the clinic total is
// suppressed rather than let them be recovered by subtraction.
func TestZeroSpread(t *testing.T) {
	figs := mustCompute(t, 5, miniPeriod(miniTeam("a", 1, 2, 3, 1, 2, 2), miniTeam("b", 2, 2, 2, 2, 2, 2)))
	wantRow(t, row(t, figs, "a", "burnout_level"), 6, 11.0/6, popSD([]float64{1, 2, 3, 1, 2, 2}), 0, -1)
	wantSuppressed(t, figs, "b")
	wantSuppressed(t, figs, ClinicTotal) // total − a = b, six 2s

	// A ProQOL team identical on one score only is suppressed on every score:
	// compassion_fatigue = 1.25·(burnout + STS − 20) would give the burnout mean back.
	p := Period{Clinic: "northside", Instrument: "proqol5", Start: november, Length: Month}
	for i := range 6 {
		p.Responses = append(p.Responses, Response{Team: "t", Clinician: string(rune('a' + i)), Scores: pq(20+float64(i), 30, 20+float64(i))})
	}
	wantSuppressed(t, mustCompute(t, 5, p), "t")
}

// TestComplementarySuppression: the clinic total is published only when the
// respondents of suppressed teams number 0 or at least k and are not disclosive.
func TestComplementarySuppression(t *testing.T) {
	big := miniTeam("a", 1, 2, 3, 1, 2, 2)
	// b has 3 < k: suppressed; total − a would be b: total suppressed.
	figs := mustCompute(t, 5, miniPeriod(big, miniTeam("b", 1, 2, 1)))
	wantRow(t, row(t, figs, "a", "burnout_level"), 6, 11.0/6, popSD([]float64{1, 2, 3, 1, 2, 2}), 0, -1)
	wantSuppressed(t, figs, "b")
	wantSuppressed(t, figs, ClinicTotal)
	// b (2) and c (3) suppressed, together 5 ≥ k and not alike: the total is published.
	figs = mustCompute(t, 5, miniPeriod(big, miniTeam("b", 1, 2), miniTeam("c", 1, 3, 2)))
	wantSuppressed(t, figs, "b")
	wantSuppressed(t, figs, "c")
	all := []float64{1, 2, 3, 1, 2, 2, 1, 2, 1, 3, 2}
	wantRow(t, row(t, figs, ClinicTotal, "burnout_level"), 11, 20.0/11, popSD(all), 0, -1) // 2 of 11 high
	// A clinic of one small team: nothing at all.
	figs = mustCompute(t, 5, miniPeriod(miniTeam("a", 1, 2, 3, 4)))
	wantSuppressed(t, figs, "a")
	wantSuppressed(t, figs, ClinicTotal)
	// k = 6 suppresses a team of five.
	figs = mustCompute(t, 6, miniPeriod(miniTeam("a", 1, 2, 3, 4, 5, 1), miniTeam("b", 1, 2, 3, 4, 5)))
	wantRow(t, row(t, figs, "a", "burnout_level"), 6, 16.0/6, popSD([]float64{1, 2, 3, 4, 5, 1}), 0.4, -1)
	wantSuppressed(t, figs, "b")
	wantSuppressed(t, figs, ClinicTotal)
}

// TestShareCoupling: a team entirely high (published as "at least 80 %") next to a
// team whose bucket gives its count exactly; if the total's bucket could not hold one
// fewer, total minus the other team would prove the first team all high.
func TestShareCoupling(t *testing.T) {
	a := miniTeam("a", 3, 3, 3, 4, 5) // all high, bucket 0.8: 4 or 5 of 5
	// b: 1 of 5 high, bucket 0.2 holds only 1. The total, 6 of 10, is in bucket
	// ⌊30/10⌋ = 3, which holds 6–7: a would be at least 6 − 1 = 5 of 5. Suppressed.
	figs := mustCompute(t, 5, miniPeriod(a, miniTeam("b", 1, 2, 3, 1, 2)))
	wantRow(t, row(t, figs, "a", "burnout_level"), 5, 3.6, 0.8, 0.8, -1)
	wantRow(t, row(t, figs, "b", "burnout_level"), 5, 1.8, popSD([]float64{1, 2, 3, 1, 2}), 0.2, -1)
	wantSuppressed(t, figs, ClinicTotal)
	// b with 1 of 6 high: the total, 6 of 11, is in bucket 2, which holds 5–6, so a
	// could be 4 of 5. Published.
	figs = mustCompute(t, 5, miniPeriod(a, miniTeam("b", 1, 1, 2, 2, 1, 3)))
	f := row(t, figs, ClinicTotal, "burnout_level")
	if f.Suppressed || *f.ShareHigh != 0.4 {
		t.Errorf("total: %+v", f)
	}
	// The rule is sufficient, not necessary: with b at 0 of 6 (bucket 0 holds 0–1) the
	// total, 5 of 11, sits at the bottom of its bucket and is suppressed, although b's
	// bucket alone would leave the attacker a 4-of-5 world.
	wantSuppressed(t, mustCompute(t, 5, miniPeriod(a, miniTeam("b", 1, 1, 2, 2, 1, 2))), ClinicTotal)
}

// TestParticipation: respondents over roster, nil when the roster is unknown or
// smaller than the respondents; the total needs every responding team on the roster.
func TestParticipation(t *testing.T) {
	p := miniPeriod(miniTeam("a", 1, 2, 3, 1, 2, 2), miniTeam("b", 1, 2, 3, 1, 2))
	for _, c := range []struct {
		roster      map[string]int
		a, b, total float64
	}{
		{nil, -1, -1, -1},
		{map[string]int{"a": 12, "b": 5, "c": 3}, 0.5, 1, 11.0 / 20},
		{map[string]int{"a": 12}, 0.5, -1, -1},
		{map[string]int{"a": 4, "b": 10}, -1, 0.5, 11.0 / 14},
		{map[string]int{"a": 0, "b": 10}, -1, 0.5, -1},
	} {
		p.Roster = c.roster
		figs := mustCompute(t, 5, p)
		sd := popSD([]float64{1, 2, 3, 1, 2, 2})
		wantRow(t, row(t, figs, "a", "burnout_level"), 6, 11.0/6, sd, 0, c.a)
		wantRow(t, row(t, figs, "b", "burnout_level"), 5, 9.0/5, popSD([]float64{1, 2, 3, 1, 2}), 0.2, c.b)
		wantRow(t, row(t, figs, ClinicTotal, "burnout_level"), 11, 20.0/11, popSD([]float64{1, 2, 3, 1, 2, 2, 1, 2, 3, 1, 2}), 0, c.total)
	}
}

func TestRowOrderAndLabels(t *testing.T) {
	p := Period{Clinic: "northside", Instrument: "cbi", Start: november, Length: Month}
	for i, team := range []string{"b", "a", "10", "b", "a"} {
		p.Responses = append(p.Responses, Response{Team: team, Clinician: string(rune('a' + i)),
			Scores: map[string]float64{"personal_burnout": 50, "work_burnout": 25.0 / 7, "client_burnout": 100, "burnout_level": 3}})
	}
	figs := mustCompute(t, 5, p)
	var got []string
	for _, f := range figs {
		got = append(got, f.Team+"/"+f.Score)
		if !f.Suppressed {
			t.Errorf("%s/%s published", f.Team, f.Score)
		}
	}
	want := "10/personal_burnout 10/work_burnout 10/client_burnout a/personal_burnout a/work_burnout a/client_burnout " +
		"b/personal_burnout b/work_burnout b/client_burnout _all/personal_burnout _all/work_burnout _all/client_burnout"
	if strings.Join(got, " ") != want {
		t.Errorf("order:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	// No response at all: the clinic total's rows, suppressed.
	figs = mustCompute(t, 5, Period{Clinic: "northside", Instrument: "cbi", Start: november, Length: Month})
	if len(figs) != 3 || figs[0].Team != ClinicTotal {
		t.Errorf("empty period: %+v", figs)
	}
	wantSuppressed(t, figs, ClinicTotal)
}

func TestDuplicates(t *testing.T) {
	a := miniTeam("a", 1, 2, 3, 1, 2, 2)
	// An identical repeat is the same vote.
	figs := mustCompute(t, 5, miniPeriod(a, a[:2]))
	wantRow(t, row(t, figs, "a", "burnout_level"), 6, 11.0/6, popSD([]float64{1, 2, 3, 1, 2, 2}), 0, -1)
	// Two different votes of one clinician are refused.
	other := []Response{{Team: "a", Clinician: a[0].Clinician, Scores: mz(5)}}
	if _, err := Compute(5, miniPeriod(a, other)); err == nil || !strings.Contains(err.Error(), "two different responses") {
		t.Errorf("conflicting votes: %v", err)
	}
	moved := []Response{{Team: "b", Clinician: a[0].Clinician, Scores: mz(1)}}
	if _, err := Compute(5, miniPeriod(a, moved)); err == nil {
		t.Error("one clinician in two teams accepted")
	}
}

func TestComputeRefuses(t *testing.T) {
	ok := miniPeriod(miniTeam("a", 1, 2, 3, 4, 5))
	cases := map[string]func(p *Period){
		"clinic is required":      func(p *Period) { p.Clinic = "" },
		"unknown instrument":      func(p *Period) { p.Instrument = "phq9" },
		"invalid period length":   func(p *Period) { p.Length = 0 },
		"not the start of a week": func(p *Period) { p.Start = monday.Add(time.Hour) },
		"not the start of a month": func(p *Period) {
			p.Length = Month
		},
		"team is required":      func(p *Period) { p.Responses[0].Team = "" },
		"reserved":              func(p *Period) { p.Responses[0].Team = ClinicTotal },
		"clinician is required": func(p *Period) { p.Responses[0].Clinician = "" },
		"is missing":            func(p *Period) { p.Responses[0].Scores = map[string]float64{"burnout": 3} },
		"not a value":           func(p *Period) { p.Responses[0].Scores = mz(2.5) },
		"negative":              func(p *Period) { p.Roster = map[string]int{"a": -1} },
	}
	for want, mutate := range cases {
		p := ok
		p.Responses = append([]Response(nil), ok.Responses...)
		mutate(&p)
		_, err := Compute(5, p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), 0, 6} {
		p := miniPeriod(miniTeam("a", 1, 2, 3, 4), []Response{{Team: "a", Clinician: "z", Scores: mz(v)}})
		if _, err := Compute(5, p); err == nil {
			t.Errorf("burnout_level %v accepted", v)
		}
	}
	// Scores of other instruments are ignored.
	p := miniPeriod(miniTeam("a", 1, 2, 3, 4, 5))
	p.Responses[0].Scores = map[string]float64{"burnout_level": 1, "burnout": math.NaN()}
	if _, err := Compute(5, p); err != nil {
		t.Errorf("extra score refused: %v", err)
	}
}

// TestWitness exercises the witness search directly on Mini-Z and ProQOL lattices.
func TestWitness(t *testing.T) {
	mini := scoreLattices["miniz"][0]
	hist := func(l *lattice, values ...float64) []int32 {
		h := make([]int32, l.steps+1)
		for _, v := range values {
			j, ok := l.index(v)
			if !ok {
				t.Fatalf("%v off lattice", v)
			}
			h[j]++
		}
		return h
	}
	for _, c := range []struct {
		l      *lattice
		values []float64
		want   bool
	}{
		{mini, []float64{3, 3, 3, 4, 5}, true},
		{mini, []float64{3, 3, 4, 4, 5}, false},
		// Σ 24, Σ² 100: with one answer of 1 or 2 the other five would need Σ² 96 or
		// 99, which no five answers of 3–5 with that sum have.
		{mini, []float64{3, 4, 5, 3, 4, 5}, false},
		{mini, []float64{3, 3, 4, 5, 5, 5, 3}, true},
		{mini, []float64{5, 5, 5, 5, 4}, false},
		{scoreLattices["proqol5"][1], []float64{42, 44, 46, 48, 50}, true},
		{scoreLattices["proqol5"][1], []float64{42, 43, 44, 45, 46}, false},
	} {
		if got := hasWitness(hist(c.l, c.values...), c.l.high); got != c.want {
			t.Errorf("%s %v: witness %v, want %v", c.l.name, c.values, got, c.want)
		}
	}
}

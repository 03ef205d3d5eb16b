package trends

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// weekOf is the test week number of t.
func weekOf(tr Transition) int { return int(tr.Week.Sub(week0).Hours() / (7 * 24)) }

// states lists the transitions of one rule as "firing@w" strings.
func states(ts []Transition, rule string) []string {
	var out []string
	for _, tr := range ts {
		if tr.Rule == rule {
			out = append(out, fmt.Sprintf("%s@%d", tr.State, weekOf(tr)))
		}
	}
	return out
}

func only(r Rules, rule string) Rules {
	r.BurnoutShareHigh.Enabled = rule == RuleBurnoutShareHigh
	r.BurnoutRising.Enabled = rule == RuleBurnoutRising
	r.CompassionFatigueHigh.Enabled = rule == RuleCompassionFatigueHigh
	r.SelfCompassionFalling.Enabled = rule == RuleSelfCompassionFalling
	r.ParticipationDrop.Enabled = rule == RuleParticipationDrop
	return r
}

func evaluate(t *testing.T, cfg Config, rule string, obs []Observation) []Transition {
	t.Helper()
	ts := Evaluate(only(DefaultRules(), rule), cfg, Compute(cfg, obs), obs)
	checkTransitions(t, ts)
	return ts
}

// checkTransitions checks that each (clinic, team, rule) alternates firing, resolved,
// firing… in week order, that no clinic total alerts, and the order of ts.
func checkTransitions(t *testing.T, ts []Transition) {
	t.Helper()
	last := map[AlertKey]Transition{}
	for _, tr := range ts {
		k := AlertKey{tr.Clinic, tr.Team, tr.Rule}
		if tr.Team == ClinicTotal {
			t.Fatalf("clinic total alerted: %+v", tr)
		}
		want := StateFiring
		if prev, ok := last[k]; ok {
			if !tr.Week.After(prev.Week) {
				t.Fatalf("%v: transitions not in week order", k)
			}
			if prev.State == StateFiring {
				want = StateResolved
			}
		}
		if tr.State != want {
			t.Fatalf("%v: %s at %v, want %s", k, tr.State, tr.Week, want)
		}
		if len(tr.ID) != 32 || tr.ID != transitionID(tr.Clinic, tr.Team, tr.Rule, tr.Week, tr.State) {
			t.Fatalf("bad ID %q", tr.ID)
		}
		last[k] = tr
	}
	if !slices.IsSortedFunc(ts, func(a, b Transition) int {
		return strings.Compare(a.Clinic+"\x00"+a.Team+"\x00"+a.Rule+"\x00"+a.Week.Format("2006-01-02"),
			b.Clinic+"\x00"+b.Team+"\x00"+b.Rule+"\x00"+b.Week.Format("2006-01-02"))
	}) {
		t.Fatal("transitions not sorted")
	}
}

func TestBurnoutShareHigh(t *testing.T) {
	// 10 clinicians; ProQOL burnout 30 (low) unless listed as 45 (high).
	var obs []Observation
	for w := range 8 {
		vals := repeat(30, 10)
		if w >= 3 && w <= 5 {
			copy(vals, []float64{45, 45, 45, 45}) // 4 high each week
		}
		obs = append(obs, votes("c", "a", "p", w, "proqol5", "burnout", vals...)...)
	}
	// Week 6: p1–p5 also answer the CBI. p1 and p2 are high on it only, p3 on both
	// instruments: 3 high clinician-weeks out of 10, each clinician counted once.
	obs = append(obs, votes("c", "a", "p", 6, "cbi", "work_burnout", 50, 50, 50, 25, 25)...)
	obs[6*10+2].Scores["burnout"] = 45 // p3, week 6
	// Week 7 also has 3 Mini-Z answers of 5, in a suppressed row (3 < 5): they don't count.
	obs = append(obs, votes("c", "a", "p", 7, "miniz", "burnout_level", 5, 5, 5)...)

	ts := evaluate(t, DefaultConfig(), RuleBurnoutShareHigh, obs)
	// Trailing 4 weeks, 40 clinician-weeks each from week 3 on:
	//   week 3: 4/40 = 0.1; week 4: 8/40 = 0.2; week 5: 12/40 = 0.3 ≥ 0.30 → fires;
	//   week 6: weeks 3–6: 4+4+4 + {p1, p2, p3} = 15/40 = 0.375;
	//   week 7: weeks 4–7: 4+4+3+0 = 11/40 = 0.275 < 0.30 → resolves.
	if got, want := states(ts, RuleBurnoutShareHigh), []string{"firing@5", "resolved@7"}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	if v := ts[0].Values; v["share"] != 0.3 || v["threshold"] != 0.3 || v["clinician_weeks"] != 40 {
		t.Errorf("firing values %v", v)
	}
	if v := ts[1].Values; v["share"] != 11.0/40 {
		t.Errorf("resolved values %v", v)
	}
}

func TestCompassionFatigueHigh(t *testing.T) {
	// 5 clinicians, 2 with STS ≥ 42 in week 1: weeks 0–1 give 2/10 = 0.2; week 2 adds
	// 2 more: 4/15 ≈ 0.27; week 3: 6/20 = 0.3 → fires.
	var obs []Observation
	for w := range 4 {
		vals := []float64{30, 30, 30, 30, 30}
		if w >= 1 {
			vals[0], vals[1] = 42, 44
		}
		obs = append(obs, votes("c", "a", "p", w, "proqol5", "secondary_traumatic_stress", vals...)...)
	}
	if got, want := states(evaluate(t, DefaultConfig(), RuleCompassionFatigueHigh, obs), RuleCompassionFatigueHigh), []string{"firing@3"}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
}

func TestBurnoutRisingOnSlope(t *testing.T) {
	// Weekly means 20 21 22 23: slope 1.0 at week 3 (the 4th week) fires. Week 4 at 23:
	// x −4…0, y 20 21 22 23 23 (mean 21.8): Σdx·dy = 3.6+0.8+0+1.2+2.4 = 8, Σdx² = 10
	// → 0.8 < 1 → resolves.
	var obs []Observation
	for w, v := range []float64{20, 21, 22, 23, 23} {
		obs = append(obs, votes("c", "a", "p", w, "proqol5", "burnout", repeat(v, 5)...)...)
	}
	ts := evaluate(t, DefaultConfig(), RuleBurnoutRising, obs)
	if got, want := states(ts, RuleBurnoutRising), []string{"firing@3", "resolved@4"}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	if v := ts[0].Values; v["slope"] != 1 || v["slope_threshold"] != 1 || len(v) != 2 {
		t.Errorf("values %v", v)
	}
}

func TestSelfCompassionFalling(t *testing.T) {
	// 8 flat baseline weeks at 3.5 (σ floored at 1 % of 1–5 = 0.04), then 3.0:
	// z9 = 0.3·3.0 + 0.7·3.5 = 3.35 < LCL = 3.5 − 3·0.04·0.4195 ≈ 3.4497 → fires at week 8.
	var obs []Observation
	for w := range 10 {
		v := 3.5
		if w >= 8 {
			v = 3.0
		}
		obs = append(obs, votes("c", "a", "p", w, "scssf", "self_compassion", repeat(v, 5)...)...)
	}
	ts := evaluate(t, DefaultConfig(), RuleSelfCompassionFalling, obs)
	if got, want := states(ts, RuleSelfCompassionFalling), []string{"firing@8"}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	if v := ts[0].Values; v["ewma"] > 3.3500001 || v["lcl"] < 3.449 || v["lcl"] > 3.45 {
		t.Errorf("values %v", v)
	}
}

func TestParticipationDrop(t *testing.T) {
	// 20 clinicians answer weeks 0–9 (baseline participation 1.0); weeks 10–11 only 8
	// (8/20 = 0.4, published with k = 5); from week 12 all again.
	answering := func(w int) int {
		if w == 10 || w == 11 {
			return 8
		}
		return 20
	}
	obs := teamSim{Clinic: "c", Team: "a", Clinicians: 20, Weeks: 14, Mean: 25, Answering: answering, Seed: 1}.observations()
	ts := evaluate(t, DefaultConfig(), RuleParticipationDrop, obs)
	if got, want := states(ts, RuleParticipationDrop), []string{"firing@11", "resolved@12"}; !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	if v := ts[0].Values; v["participation"] != 0.4 || v["baseline"] != 1 || v["threshold"] != 0.5 {
		t.Errorf("values %v", v)
	}

	// A team that never reached 70 % participation has no baseline to drop from: the
	// first 8 weeks average (2·1.0 + 6·0.5)/8 = 0.625.
	answering = func(w int) int {
		switch {
		case w < 2:
			return 20
		case w < 10:
			return 10
		}
		return 8
	}
	obs = teamSim{Clinic: "c", Team: "a", Clinicians: 20, Weeks: 14, Mean: 25, Answering: answering, Seed: 1}.observations()
	if ts := evaluate(t, DefaultConfig(), RuleParticipationDrop, obs); len(ts) != 0 {
		t.Fatalf("transitions %v, want none", ts)
	}
}

// stepUp is a team mean shift of 1.5 between-clinician SDs (1.5·6 = 9) from week 10.
func stepUp(w int) float64 {
	if w >= 10 {
		return 9
	}
	return 0
}

func TestScenarioStepFiresBurnoutRising(t *testing.T) {
	for seed := range uint64(20) {
		sim := teamSim{Clinic: "c", Team: "a", Clinicians: 10, Weeks: 16, Mean: 25, Shift: stepUp, Seed: seed}
		ts := evaluate(t, DefaultConfig(), RuleBurnoutRising, sim.observations())
		if len(ts) == 0 || ts[0].State != StateFiring || weekOf(ts[0]) < 10 || weekOf(ts[0]) > 12 {
			t.Errorf("seed %d: transitions %v, want a first firing in weeks 10–12", seed, states(ts, RuleBurnoutRising))
		}
	}
}

// TestScenarioStableTeams checks stable teams over 26 weeks: none of 200
// 10-clinician teams fires anything, nor does a steady 25-clinician team (the σ
// floor binding). Charted on the spread of 8 baseline means alone, about 14 % of
// these teams fired burnout_rising; newEWMAChart's within-week estimate is what
// keeps a stable team quiet.
func TestScenarioStableTeams(t *testing.T) {
	for seed := range uint64(200) {
		sim := teamSim{Clinic: "c", Team: "a", Clinicians: 10, Weeks: 26, Mean: 25, Seed: seed}
		obs := sim.observations()
		if ts := Evaluate(DefaultRules(), DefaultConfig(), Compute(DefaultConfig(), obs), obs); len(ts) > 0 {
			t.Errorf("seed %d: stable team fired %+v", seed, ts)
		}
	}

	for seed := range uint64(20) {
		sim := teamSim{Clinic: "c", Team: "a", Clinicians: 25, Weeks: 26, Mean: 25, WithinSD: 1, Seed: seed}
		obs := sim.observations()
		if ts := Evaluate(DefaultRules(), DefaultConfig(), Compute(DefaultConfig(), obs), obs); len(ts) > 0 {
			t.Errorf("seed %d: steady team fired %v", seed, states(ts, RuleBurnoutRising))
		}
	}
}

func TestScenarioSmallTeamNeverPublishes(t *testing.T) {
	sim := teamSim{Clinic: "c", Team: "a", Clinicians: 4, Weeks: 26, Mean: 40, Shift: stepUp, Seed: 3}
	obs := sim.observations()
	rows := Compute(DefaultConfig(), obs)
	if len(rows) != 2*26 {
		t.Fatalf("%d rows, want 52", len(rows))
	}
	for _, r := range rows {
		if !r.Suppressed {
			t.Fatalf("published: %+v", r)
		}
	}
	if ts := Evaluate(DefaultRules(), DefaultConfig(), rows, obs); len(ts) != 0 {
		t.Fatalf("transitions %+v", ts)
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	// A clinic with a team that worsens and recovers, a team whose participation
	// drops, and a stable team.
	worsens := func(w int) float64 {
		if w >= 10 && w < 18 {
			return 12
		}
		return 0
	}
	answering := func(w int) int {
		if w >= 12 && w < 15 {
			return 7
		}
		return 16
	}
	obs := slices.Concat(
		teamSim{Clinic: "north", Team: "trauma", Clinicians: 12, Weeks: 30, Mean: 30, Shift: worsens, Seed: 1}.observations(),
		teamSim{Clinic: "north", Team: "intake", Clinicians: 16, Weeks: 30, Mean: 22, Answering: answering, Seed: 2}.observations(),
		teamSim{Clinic: "north", Team: "family", Clinicians: 8, Weeks: 30, Mean: 20, WithinSD: 1, Seed: 3}.observations(),
	)
	cfg := DefaultConfig()
	rows := Compute(cfg, obs)
	ts := Evaluate(DefaultRules(), cfg, rows, obs)
	checkTransitions(t, ts)
	for _, rule := range []string{RuleBurnoutRising, RuleBurnoutShareHigh, RuleParticipationDrop} {
		if len(states(ts, rule)) < 2 {
			t.Errorf("%s: transitions %v, want it to fire and resolve", rule, states(ts, rule))
		}
	}

	if again := Evaluate(DefaultRules(), cfg, rows, obs); !reflect.DeepEqual(ts, again) {
		t.Error("Evaluate is not idempotent")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	rng.Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
	shuffledRows := slices.Clone(rows)
	rng.Shuffle(len(shuffledRows), func(i, j int) { shuffledRows[i], shuffledRows[j] = shuffledRows[j], shuffledRows[i] })
	if again := Evaluate(DefaultRules(), cfg, shuffledRows, obs); !reflect.DeepEqual(ts, again) {
		t.Error("shuffled rows and observations give different transitions")
	}

	active := Active(ts)
	for k, firing := range active {
		var latest Transition
		for _, tr := range ts {
			if (AlertKey{tr.Clinic, tr.Team, tr.Rule}) == k {
				latest = tr
			}
		}
		if firing != (latest.State == StateFiring) {
			t.Errorf("Active[%v] = %v, latest %s", k, firing, latest.State)
		}
	}
	slices.Reverse(ts)
	if !reflect.DeepEqual(Active(ts), active) {
		t.Error("Active depends on the order of transitions")
	}
}

package alarm

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

// handParams are small round numbers for hand-worked cases: k = 3, no warm-up, the
// reference is the latest answer (RefWeight 1), no discounting, no persistence
// correction (PhiMax 0).
func handParams() Params {
	return Params{
		Direction: 1, MinRespondents: 3, MinHistory: 0, RefWeight: 1, ForgetAfter: 3, MaxClinicians: 100,
		WithinSD: 1, WithinWeight: 2, ShockSD: 1, ShockWeight: 1, ShockFloor: 0.5,
		Discount: 1, PhiWeight: 1, PhiMax: 0, Slack: 0.5, Fire: 1, Resolve: 0.8, ResolvePeriods: 2,
		Clip: 4, ShockClip: 10,
	}
}

func resp(kv ...any) []Response {
	var rs []Response
	for i := 0; i < len(kv); i += 2 {
		rs = append(rs, Response{Clinician: kv[i].(string), Value: float64(kv[i+1].(int))})
	}
	return rs
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func TestChartHandWorked(t *testing.T) {
	p := handParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	var s State
	// Period 1: nobody has a reference yet; recorded, not evaluated.
	d := s.Close(p, resp("a", 10, "b", 20, "c", 30))
	if d.Evaluated || d.Respondents != 0 || s.Evaluated != 0 || len(s.Clinicians) != 3 {
		t.Fatalf("period 1: %+v, state %+v", d, s)
	}
	// Period 2: changes 2, 1, 3 → D = 2, spread Σ(d−D)² = 0 + 1 + 1 = 2 on 2 df.
	// s² = (2·1² + 2) / (2 + 2) = 1; τ² = prior 1² (weight 1, no history) = 1.
	// SE = √(1/3 + 1) = √(4/3); Z = 2/√(4/3) = √3; CUSUM = √3 − 0.5 ≥ 1 → fires.
	d = s.Close(p, resp("c", 33, "a", 12, "b", 21))
	near(t, "change", d.Change, 2)
	near(t, "se", d.SE, math.Sqrt(4.0/3))
	near(t, "z", d.Z, math.Sqrt(3))
	near(t, "cusum", d.Statistic, math.Sqrt(3)-0.5)
	if !d.Evaluated || d.Respondents != 3 || !d.Firing || d.Transition != Firing {
		t.Fatalf("period 2: %+v", d)
	}
	// τ² learns the excess D² − s²/m = 4 − 1/3 = 11/3: τ² = (1 + 11/3) / (1 + 1) = 7/3.
	if w, sh := s.Variances(p); math.Abs(w-1) > 1e-12 || math.Abs(sh-7.0/3) > 1e-12 {
		t.Fatalf("variances %g %g, want 1, 7/3", w, sh)
	}
	// Period 3: no change → Z = 0, CUSUM = √3 − 1 < 0.8: one calm period, still firing.
	d = s.Close(p, resp("a", 12, "b", 21, "c", 33))
	near(t, "cusum 3", d.Statistic, math.Sqrt(3)-1)
	if !d.Firing || d.Transition != "" || s.Calm != 1 {
		t.Fatalf("period 3: %+v calm %d", d, s.Calm)
	}
	// s² = (2 + 2 + 0) / (2 + 4) = 2/3 now.
	if w, _ := s.Variances(p); math.Abs(w-2.0/3) > 1e-12 {
		t.Fatalf("within %g, want 2/3", w)
	}
	// Period 4: second calm period → resolves.
	d = s.Close(p, resp("a", 12, "b", 21, "c", 33))
	if d.Firing || d.Transition != Resolved {
		t.Fatalf("period 4: %+v", d)
	}
}

func TestChartDirectionFalling(t *testing.T) {
	p := handParams()
	p.Direction = -1
	var s State
	s.Close(p, resp("a", 10, "b", 20, "c", 30))
	if d := s.Close(p, resp("a", 12, "b", 21, "c", 33)); d.Firing || d.Z >= 0 {
		t.Fatalf("a rise fired a falling chart: %+v", d)
	}
	var f State
	f.Close(p, resp("a", 10, "b", 20, "c", 30))
	if d := f.Close(p, resp("a", 8, "b", 19, "c", 27)); !d.Firing || d.Z <= 0 || d.Change != -2 {
		t.Fatalf("a fall did not fire a falling chart: %+v", d)
	}
}

func TestChartDeviationsAndPersistence(t *testing.T) {
	p := handParams()
	p.PhiMax = 0.9
	var s State
	s.Close(p, resp("a", 10, "b", 20, "c", 30))
	// Period 2: raw deviations 2, 0, 1 (mean 1, spread 2 on 2 df): raw variance
	// (2·1 + 2)/(2 + 2) = 1; τ² = 1 (prior); m = 3 → w = (1/3)/(1/3 + 1) = 1/4:
	// Dev = raw − (1 − w)·mean = 2 − 0.75, 0 − 0.75, 1 − 0.75.
	s.Close(p, resp("a", 12, "b", 20, "c", 31))
	want := map[string]float64{"a": 1.25, "b": -0.75, "c": 0.25}
	for _, c := range s.Clinicians {
		near(t, "dev "+c.ID, c.Dev, want[c.ID])
	}
	// Period 2's pairs had no earlier deviation (0): nothing learnt about φ yet.
	if s.PhiXX != 0 || s.PhiXY != 0 {
		t.Fatalf("phi sums %g %g", s.PhiXY, s.PhiXX)
	}
	// Period 3: a keeps deviating; the pairs (Dev before, Dev now) accumulate.
	s.Close(p, resp("a", 14, "b", 20, "c", 31))
	if !(s.PhiXY > 0 && s.PhiXX > 0) {
		t.Fatalf("phi sums %g %g", s.PhiXY, s.PhiXX)
	}
	near(t, "phi_xx", s.PhiXX, 1.25*1.25+0.75*0.75+0.25*0.25)
}

func TestChartSuppressedPeriodChangesNothing(t *testing.T) {
	p, _ := DefaultParams("burnout")
	var s State
	for i := range 6 {
		s.Close(p, resp("a", 20+i, "b", 25, "c", 30, "d", 22, "e", 27))
	}
	before := s
	before.Clinicians = append([]Clinician(nil), s.Clinicians...)
	d := s.Close(p, resp("a", 50, "b", 50, "c", 50, "d", 50)) // 4 < k = 5
	if d.Evaluated || d.Firing || d.Respondents != 0 {
		t.Fatalf("suppressed period decided: %+v", d)
	}
	before.Periods++
	if !reflect.DeepEqual(before, s) {
		t.Fatalf("suppressed period changed the state:\n%+v\n%+v", before, s)
	}
}

func TestNormalize(t *testing.T) {
	got := normalize([]Response{
		{"b", 3}, {"a", 1}, {"", 7}, {"c", math.NaN()}, {"b", 5}, {"d", math.Inf(1)},
	})
	want := []Response{{"a", 1}, {"b", 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("normalize = %v, want %v", got, want)
	}
}

// periodsOf simulates a team's responses (monthly, AR wobble, shocks, turnover) with
// a +6 step at period 30, for the determinism and size tests.
func periodsOf(seed uint64, n int) [][]Response {
	rng := rand.New(rand.NewPCG(seed, 1))
	level := map[string]float64{}
	next := 0
	var team []string
	add := func() {
		next++
		id := fmt.Sprintf("clinician-%03d", next)
		team = append(team, id)
		level[id] = 24 + 6*rng.NormFloat64()
	}
	for range 12 {
		add()
	}
	var out [][]Response
	for per := range n {
		if rng.Float64() < 0.3 { // turnover
			team = append(team[:0:0], team[1:]...)
			add()
		}
		shock := 1.5 * rng.NormFloat64()
		var rs []Response
		for _, id := range team {
			if rng.Float64() < 0.7 {
				v := level[id] + shock + 3*rng.NormFloat64()
				if per >= 30 {
					v += 6
				}
				rs = append(rs, Response{id, min(50, max(10, math.Round(v)))})
			}
		}
		out = append(out, rs)
	}
	return out
}

func TestChartDeterministicUnderShuffleAndDuplicates(t *testing.T) {
	p, _ := DefaultParams("burnout")
	periods := periodsOf(3, 60)
	var a, b State
	rng := rand.New(rand.NewPCG(9, 9))
	fired := false
	for _, rs := range periods {
		da := a.Close(p, rs)
		shuffled := append([]Response(nil), rs...)
		if len(rs) > 0 {
			shuffled = append(shuffled, rs[0]) // a duplicate of the same value counts once
		}
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		db := b.Close(p, shuffled)
		if da != db {
			t.Fatalf("decisions differ: %+v vs %+v", da, db)
		}
		fired = fired || da.Transition == Firing
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("states differ:\n%s\n%s", ja, jb)
	}
	if !fired {
		t.Error("the +6 step at period 30 never fired")
	}
}

func TestChartJSONRoundTrip(t *testing.T) {
	p, _ := DefaultParams("burnout")
	periods := periodsOf(4, 60)
	var live State
	var persisted []byte
	for i, rs := range periods {
		// The reporter's way: load the state, close the period, store the state.
		var s State
		if persisted != nil {
			if err := json.Unmarshal(persisted, &s); err != nil {
				t.Fatal(err)
			}
		}
		ds := s.Close(p, rs)
		dl := live.Close(p, rs)
		if ds != dl {
			t.Fatalf("period %d: decisions differ after a JSON round trip: %+v vs %+v", i, ds, dl)
		}
		var err error
		if persisted, err = json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	}
	if jl, _ := json.Marshal(live); string(jl) != string(persisted) {
		t.Fatalf("states differ:\n%s\n%s", jl, persisted)
	}
}

func TestChartStateBounded(t *testing.T) {
	p, _ := DefaultParams("burnout")
	var s State
	// 600 periods (50 years) of a team of 12 with 30 % turnover a period: hundreds of
	// clinicians pass through; the state keeps only those seen in the last
	// ForgetAfter periods.
	maxLen, maxJSON := 0, 0
	for _, rs := range periodsOf(5, 600) {
		s.Close(p, rs)
		j, _ := json.Marshal(s)
		maxLen, maxJSON = max(maxLen, len(s.Clinicians)), max(maxJSON, len(j))
		for _, c := range s.Clinicians {
			if s.Periods-c.Last >= p.ForgetAfter {
				t.Fatalf("clinician %s last seen at %d kept at %d", c.ID, c.Last, s.Periods)
			}
		}
	}
	if maxLen > 12+p.ForgetAfter {
		t.Errorf("state held %d clinicians for a team of 12", maxLen)
	}
	t.Logf("600 periods: at most %d clinicians, %d bytes of JSON", maxLen, maxJSON)
	// A clinician who leaves is dropped ForgetAfter periods after their last answer.
	var q State
	five := resp("a", 20, "b", 21, "c", 22, "d", 23, "e", 24)
	q.Close(p, append(five, Response{"leaver", 30}))
	for i := 1; i < p.ForgetAfter; i++ {
		q.Close(p, five)
		if _, ok := q.find("leaver"); !ok {
			t.Fatalf("leaver dropped after %d periods", i)
		}
	}
	q.Close(p, five)
	if _, ok := q.find("leaver"); ok {
		t.Fatalf("leaver kept after %d periods", p.ForgetAfter)
	}
	// MaxClinicians bounds the state whatever the turnover.
	p.MaxClinicians = 7
	var r State
	r.Close(p, resp("a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8, "i", 9))
	if len(r.Clinicians) != 7 {
		t.Fatalf("%d clinicians kept, want 7", len(r.Clinicians))
	}
}

// TestDefaultsMatchInstrument checks the score table against package instrument, the
// authority for risk sides and bands.
func TestDefaultsMatchInstrument(t *testing.T) {
	for _, score := range instrument.ScoreNames() {
		info, _ := instrument.Info(score)
		p, ok := DefaultParams(score)
		if !ok {
			t.Errorf("%s: no default parameters", score)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", score, err)
		}
		want := map[string]int{instrument.LevelHigh: 1, instrument.LevelLow: -1}[info.RiskSide]
		if p.Direction != want {
			t.Errorf("%s: direction %d, risk side %s", score, p.Direction, info.RiskSide)
		}
		if c, _ := CadenceOf(score); (c == Weekly) != (info.Instrument == "miniz") {
			t.Errorf("%s: cadence %v", score, c)
		}
		sp, ok := DefaultShareParams(score)
		if !ok {
			continue
		}
		if err := sp.Validate(); err != nil {
			t.Errorf("%s share: %v", score, err)
		}
		// The risk band must be instrument.High's (for a score whose high band is
		// the risk side) on a fine grid of the range.
		for v := info.Min; v <= info.Max; v += (info.Max - info.Min) / 480 {
			if sp.atRisk(v) != instrument.High(score, v) {
				t.Errorf("%s share: at %g atRisk %v, instrument.High %v", score, v, sp.atRisk(v), instrument.High(score, v))
				break
			}
		}
	}
	if _, ok := DefaultParams("nope"); ok {
		t.Error("unknown score has defaults")
	}
	if _, ok := DefaultShareParams("compassion_satisfaction"); ok {
		t.Error("compassion_satisfaction has a share rule, but its high band is the good side")
	}
}

// TestErase: an erased clinician's reference leaves the state; the others
// stay, in order.
func TestErase(t *testing.T) {
	p, _ := DefaultParams("burnout")
	var s State
	s.Close(p, []Response{{"a", 20}, {"b", 30}, {"c", 25}, {"d", 22}, {"e", 28}})
	if !s.Erase("c") || s.Erase("c") || s.Erase("zz") {
		t.Fatal("Erase reported the wrong presence")
	}
	var ids []string
	for _, c := range s.Clinicians {
		ids = append(ids, c.ID)
	}
	if want := []string{"a", "b", "d", "e"}; !slices.Equal(ids, want) {
		t.Fatalf("clinicians after erasure = %v, want %v", ids, want)
	}
}

package figures

import (
	"math/rand/v2"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

// TestLattices checks the lattice read off the instrument package: its size per
// score, that random answer vectors score onto it and that both ends are reached.
func TestLattices(t *testing.T) {
	wantSteps := map[string]int{
		"compassion_satisfaction": 40, "burnout": 40, "secondary_traumatic_stress": 40, "compassion_fatigue": 80,
		"self_compassion": 48, "self_kindness": 8, "self_judgment": 8, "common_humanity": 8, "isolation": 8, "mindfulness": 8, "over_identification": 8,
		"personal_burnout": 24, "work_burnout": 28, "client_burnout": 24,
		"burnout_level": 4,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range instrument.Names() {
		in, _ := instrument.Lookup(name)
		lats := scoreLattices[name]
		if len(lats) != len(in.Scores) {
			t.Fatalf("%s: %d lattices for %d scores", name, len(lats), len(in.Scores))
		}
		seen := make([]map[int]bool, len(lats))
		for s := range seen {
			seen[s] = map[int]bool{}
		}
		record := func(answers []int) {
			res, err := instrument.Score(name, answers)
			if err != nil {
				t.Fatal(err)
			}
			for s, l := range lats {
				j, ok := l.index(res.Scores[l.name])
				if !ok {
					t.Fatalf("%s = %v is off its lattice", l.name, res.Scores[l.name])
				}
				if instrument.High(l.name, res.Scores[l.name]) != l.high[j] {
					t.Fatalf("%s = %v: High differs from the lattice's", l.name, res.Scores[l.name])
				}
				seen[s][j] = true
			}
		}
		for range 20000 {
			answers := make([]int, in.Items)
			for j := range answers {
				answers[j] = in.Allowed[rng.IntN(len(in.Allowed))]
			}
			record(answers)
		}
		// Each score is separable by item: choosing, item by item, the answer that
		// lowers (raises) it most reaches its minimum (maximum).
		for _, score := range in.Scores {
			for _, sign := range []float64{1, -1} {
				answers := make([]int, in.Items)
				for j := range answers {
					answers[j] = in.Allowed[0]
				}
				for j := range answers {
					best, bestV := answers[j], 0.0
					for ai, a := range in.Allowed {
						answers[j] = a
						res, _ := instrument.Score(name, answers)
						if v := sign * res.Scores[score]; ai == 0 || v < bestV {
							best, bestV = a, v
						}
					}
					answers[j] = best
				}
				record(answers)
			}
		}
		for s, l := range lats {
			if l.name != in.Scores[s] || l.steps != wantSteps[l.name] {
				t.Errorf("%s: steps %d, want %d", l.name, l.steps, wantSteps[l.name])
			}
			if !seen[s][0] || !seen[s][l.steps] {
				t.Errorf("%s: ends not reached (min %v, max %v)", l.name, seen[s][0], seen[s][l.steps])
			}
		}
	}
	// Band cut-offs fall on exact lattice values: the SCS-SF total 2.5 is not low.
	sc := scoreLattices["scssf"][0]
	if j, _ := sc.index(2.5); sc.value[j] != 2.5 || sc.high[j] || !sc.high[j-1] {
		t.Errorf("self_compassion 2.5: index %d, value %v, high %v", j, sc.value[j], sc.high[j])
	}
	for _, v := range []float64{2.45, 51, -1, 1e300} {
		if _, ok := sc.index(v); ok {
			t.Errorf("self_compassion %v accepted", v)
		}
	}
}

package simulate

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/tendhq/tend/internal/instrument"
)

// effect is how raising one item's answer moves its instrument's scores:
// toward strain (up on a score whose risk side is high, down on one whose
// risk side is low) or away from it.
type effect struct{ strains bool }

var (
	effectsOnce sync.Once
	effects     map[string][]effect
)

// itemEffects probes each instrument through instrument.Score — raise one
// item from the middle answer, see which way the scores move — so that test
// data follows the published keys without restating them.
func itemEffects() map[string][]effect {
	effectsOnce.Do(func() {
		effects = map[string][]effect{}
		for _, name := range instrument.Names() {
			in, _ := instrument.Lookup(name)
			mid := len(in.Allowed) / 2
			base := make([]int, in.Items)
			for i := range base {
				base[i] = in.Allowed[mid]
			}
			before, _ := instrument.Score(name, base)
			for i := range base {
				probe := append([]int(nil), base...)
				probe[i] = in.Allowed[mid+1]
				after, _ := instrument.Score(name, probe)
				strain := 0.0
				for _, s := range in.Scores {
					info, _ := instrument.Info(s)
					if info.Derived {
						continue
					}
					d := after.Scores[s] - before.Scores[s]
					if info.RiskSide == instrument.LevelLow {
						d = -d
					}
					strain += d
				}
				effects[name] = append(effects[name], effect{strains: strain > 0})
			}
		}
	})
	return effects
}

// Answers draws answers to instrument name for a clinician under strain
// (0 calm … 1 strained): every score leans to its risk side as strain
// rises, with item-level noise.
func Answers(rng *rand.Rand, name string, strain float64) []int {
	in, _ := instrument.Lookup(name)
	top := float64(len(in.Allowed) - 1)
	out := make([]int, in.Items)
	for i, e := range itemEffects()[name] {
		pos := strain
		if !e.strains {
			pos = 1 - strain
		}
		idx := math.Round(min(max(pos*top+rng.NormFloat64()*0.7, 0), top))
		out[i] = in.Allowed[int(idx)]
	}
	return out
}

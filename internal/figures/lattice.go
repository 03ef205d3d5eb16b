package figures

import (
	"fmt"
	"math"
	"slices"

	"github.com/tendhq/tend/internal/instrument"
)

// Every score of every instrument is an affine function of item answers that move in
// equal steps, so its achievable values are a lattice: Min, Min+δ, …, Max. Computing
// on the lattice index j = (v − Min)/δ makes every sum an exact integer (results then
// cannot depend on the order of responses), makes zero spread an exact test, and lets
// the disclosure checks reason about the values an attacker knows are possible.
//
// The step δ is read off the instrument package rather than copied: scoring the
// all-lowest answer vector and every one-item change of it, δ is the smallest change a
// single answer makes to the score (lattice_test.go checks that random answer vectors
// land on the lattice and that both ends are reached).

// lattice describes one score.
type lattice struct {
	name     string
	min, max float64
	steps    int // the lattice has steps+1 values: index 0 … steps
	// value[j] is the canonical value of index j: min + (max−min)·j/steps, one
	// correctly rounded division, so that band cut-offs such as the SCS-SF's 2.5 are
	// hit exactly.
	value []float64
	// high[j] is instrument.High at value[j]: the side share_high counts. hasHigh is
	// false for scores without such a rule (no share_high is published for them).
	high    []bool
	hasHigh bool
	// protected are the index sets whose membership no published figure may prove
	// for a respondent: the share_high side and the band on the risk side (they
	// differ only for compassion_satisfaction, whose counted side is the good one).
	protected [][]bool
}

// scoreLattices maps an instrument name to the lattices of its scores, in the
// instrument's score order.
var scoreLattices = buildLattices()

func buildLattices() map[string][]*lattice {
	out := make(map[string][]*lattice)
	for _, name := range instrument.Names() {
		in, _ := instrument.Lookup(name)
		base := make([]int, in.Items)
		for i := range base {
			base[i] = in.Allowed[0]
		}
		r0, err := instrument.Score(name, base)
		if err != nil {
			panic(fmt.Sprintf("figures: scoring %s: %v", name, err))
		}
		// step[s] is the smallest non-zero change of score s under a one-item change.
		step := make(map[string]float64)
		for i := range base {
			for _, a := range in.Allowed[1:] {
				ans := slices.Clone(base)
				ans[i] = a
				r, err := instrument.Score(name, ans)
				if err != nil {
					panic(fmt.Sprintf("figures: scoring %s: %v", name, err))
				}
				for s, v := range r.Scores {
					if d := math.Abs(v - r0.Scores[s]); d > 1e-9 && (step[s] == 0 || d < step[s]) {
						step[s] = d
					}
				}
			}
		}
		for _, s := range in.Scores {
			info, ok := instrument.Info(s)
			if !ok || step[s] == 0 {
				panic(fmt.Sprintf("figures: no lattice for score %s", s))
			}
			steps := int(math.Round((info.Max - info.Min) / step[s]))
			if steps < 1 || math.Abs(float64(steps)*step[s]-(info.Max-info.Min)) > 1e-6 {
				panic(fmt.Sprintf("figures: score %s: range %g–%g is not a whole number of steps of %g", s, info.Min, info.Max, step[s]))
			}
			l := &lattice{name: s, min: info.Min, max: info.Max, steps: steps}
			l.value = make([]float64, steps+1)
			l.high = make([]bool, steps+1)
			risk := make([]bool, steps+1)
			anyRisk := false
			for j := range l.value {
				v := info.Min + (info.Max-info.Min)*float64(j)/float64(steps)
				l.value[j] = v
				l.high[j] = instrument.High(s, v)
				l.hasHigh = l.hasHigh || l.high[j]
				if b, ok := instrument.BandOf(s, v); ok && b.AtRisk {
					risk[j] = true
					anyRisk = true
				}
			}
			if l.hasHigh {
				l.protected = append(l.protected, l.high)
			}
			if anyRisk && !slices.Equal(risk, l.high) {
				l.protected = append(l.protected, risk)
			}
			out[name] = append(out[name], l)
		}
	}
	return out
}

// index maps a score value to its lattice index; ok is false for a value that is not
// finite, out of range or not on the lattice (not a value the instrument's key
// produces).
func (l *lattice) index(v float64) (j int, ok bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	x := (v - l.min) / (l.max - l.min) * float64(l.steps)
	j = int(math.Round(x))
	if j < 0 || j > l.steps || math.Abs(v-l.value[j]) > 1e-9*(l.max-l.min) {
		return 0, false
	}
	return j, true
}

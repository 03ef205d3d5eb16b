package trends

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// benchObs is the benchmark case: 100 clinics × 20 teams (2,000 teams) × 25
// clinicians × 26 weeks × 2 instruments (ProQOL 5 and SCS-SF) = 2.6 M observations.
var benchObs = sync.OnceValue(func() []Observation {
	const clinics, teams, clinicians, weeks = 100, 20, 25, 26
	rng := rand.New(rand.NewPCG(1, 2))
	obs := make([]Observation, 0, clinics*teams*clinicians*weeks*2)
	clamp := func(v, lo, hi float64) float64 { return min(hi, max(lo, v)) }
	for c := range clinics {
		for t := range teams {
			mean := 20 + 10*rng.Float64()
			for p := range clinicians {
				level := mean + 6*rng.NormFloat64()
				for w := range weeks {
					base := Observation{
						Clinic: fmt.Sprintf("clinic-%03d", c), Team: fmt.Sprintf("team-%02d", t),
						Clinician: fmt.Sprintf("c%03d-%02d-%02d", c, t, p), Week: wk(w),
					}
					bo := clamp(math.Round(level+2*rng.NormFloat64()), 10, 50)
					sts := clamp(math.Round(level-3+3*rng.NormFloat64()), 10, 50)
					proqol := base
					proqol.Instrument = "proqol5"
					proqol.Scores = map[string]float64{
						"compassion_satisfaction":    clamp(math.Round(60-level+3*rng.NormFloat64()), 10, 50),
						"burnout":                    bo,
						"secondary_traumatic_stress": sts,
						"compassion_fatigue":         (bo + sts - 20) / 80 * 100,
					}
					scs := base
					scs.Instrument = "scssf"
					scs.Scores = map[string]float64{}
					for _, s := range []string{"self_compassion", "self_kindness", "self_judgment", "common_humanity", "isolation", "mindfulness", "over_identification"} {
						scs.Scores[s] = clamp(math.Round((3+0.6*rng.NormFloat64())*12)/12, 1, 5)
					}
					obs = append(obs, proqol, scs)
				}
			}
		}
	}
	return obs
})

// BenchmarkCompute times Compute followed by Evaluate on the benchmark case; ns/op is
// both together, compute-ms and evaluate-ms their means.
func BenchmarkCompute(b *testing.B) {
	obs := benchObs()
	cfg, rules := DefaultConfig(), DefaultRules()
	b.Logf("%d observations: 100 clinics × 20 teams × 25 clinicians × 26 weeks × 2 instruments", len(obs))
	var rows []Row
	var ts []Transition
	var compute, evaluate time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rows = Compute(cfg, obs)
		mid := time.Now()
		ts = Evaluate(rules, cfg, rows, obs)
		compute += mid.Sub(start)
		evaluate += time.Since(mid)
	}
	b.ReportMetric(float64(compute.Milliseconds())/float64(b.N), "compute-ms")
	b.ReportMetric(float64(evaluate.Milliseconds())/float64(b.N), "evaluate-ms")
	b.Logf("%d rows, %d transitions", len(rows), len(ts))
}

package alarm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// long runs ten times as many simulated teams: ALARM_LONG=1 go test -run FalseAlarms.
var long = os.Getenv("ALARM_LONG") != ""

// targets says which of the three targets a scenario is asserted to meet at a cadence
// (fixed seeds: the run is deterministic). The targets not asserted are missed (or,
// for weekly "all", met with no margin: 1.000), and this is what bounds them, measured:
//
//   - A shock of SD 1.5 that hits every respondent of a period alike (monthly
//     "shock1.5/month"; weekly "shock1.5" and "all", where a week is the period) puts
//     a floor of 1.5 under the standard error of any period statistic, however many
//     respond. A +0.5 SD step (+3) is then worth 1.66 standard errors a period at best
//     (a typical m = 9 team): a CUSUM that knew every clinician's level and every
//     variance, tuned for one false alert per 50 team-years, needs a median of 4
//     periods monthly and 5 weekly (the "bound" lines the test prints). Weekly, +0.5
//     SD within 4 is out of reach of any such chart; the chart here, which must learn
//     the variances, needs 9–10.
//   - False alerts where that shock dominates (monthly "shock1.5/month" 2.1 and "all"
//     1.35 per 50 team-years; 1.9 and 1.0 over 20,000 team-years with ALARM_LONG=1): the monthly CUSUM (slack 0.6, h 3.5) would run about 370
//     periods between false alerts on exactly standard normal statistics (Siegmund's
//     approximation), 1.6 per 50 team-years. It meets the target in the listed
//     scenarios because the prior and floor of τ keep Z conservative there (variance
//     0.7–0.9); where τ is large and learnt from about 20 months of history, Z's
//     variance is 1.0–1.2. A larger τ prior (u/4, 1.5 points) brings every scenario to
//     ≤ 0.9 per 50 team-years but the +0.5 SD medians to 3–6 months (measured), missing
//     the listed "shock1.5" scenario instead; the defaults favour the listed scenarios.
type targets struct{ fa, up1, upHalf bool }

var asserted = map[string]map[string]targets{
	"monthly": {
		"full": {true, true, true}, "partial": {true, true, true}, "ar0.8": {true, true, true},
		"shock1.5": {true, true, true}, "dropout": {true, true, true},
		"all": {false, true, false}, "shock1.5/month": {false, true, false},
	},
	"weekly": {
		"full": {true, true, true}, "partial": {true, true, true}, "ar0.8": {true, true, true},
		"shock1.5": {true, true, false}, "dropout": {true, true, true},
		"all": {false, false, false}, "shock1.5/month": {true, true, false},
	},
}

// TestFalseAlarmsAndDetection runs the simulator (sim_test.go) over every scenario at
// both cadences with the default ProQOL burnout parameters and prints, per scenario,
// the false alerts of stable teams per 50 team-years and the median delay (periods; a
// firing in the step's own period is 1, never within the horizon is +Inf) of a +1 SD
// (+6) and a +0.5 SD (+3) step of every member's burnout. Targets: ≤ 1 false alert
// per 50 team-years, medians ≤ 2 and ≤ 4 periods.
func TestFalseAlarmsAndDetection(t *testing.T) {
	teams, detect := 800, 500 // 800 teams × 2.5 counted years = 2,000 team-years
	if long {
		teams, detect = 8000, 5000
	}
	if testing.Short() {
		teams, detect = 100, 100
	}
	for _, cad := range []cadence{monthly, weekly} {
		c := map[string]Cadence{"monthly": Monthly, "weekly": Weekly}[cad.name]
		p, _ := DefaultParamsFor("burnout", c)
		var b strings.Builder
		fmt.Fprintf(&b, "\n%s ProQOL burnout chart (%d periods a team-year; %d stable teams × 3 years, the first half-year not counted; %d teams per step, stepped after %d periods)\n",
			cad.name, cad.perYear, teams, detect, max(cad.perYear/2, 12))
		fmt.Fprintf(&b, "%-15s %10s %6s %10s | %9s %6s | %9s %6s | %s\n",
			"scenario", "team-years", "false", "per 50 ty", "+1SD med", "never", "+.5SD med", "never", "targets (FA, +1SD, +0.5SD)")
		for i, sc := range append(slices.Clone(scenarios), monthShockScenario) {
			r := runScenario(sc, cad, p, teams, 3, detect, uint64(i+1)<<40)
			per50 := 50 * float64(r.falseAlerts) / r.teamYears
			met := targets{per50 <= 1, r.medianUp1 <= 2, r.medianUpHalf <= 4}
			mark := func(ok bool) string {
				if ok {
					return "ok"
				}
				return "MISS"
			}
			fmt.Fprintf(&b, "%-15s %10.0f %6d %10.3f | %9v %6.2f | %9v %6.2f | %s %s %s   %s\n",
				sc.name, r.teamYears, r.falseAlerts, per50, r.medianUp1, r.neverUp1, r.medianUpHalf, r.neverUpHalf,
				mark(met.fa), mark(met.up1), mark(met.upHalf), sc.doc)
			if testing.Short() {
				continue
			}
			want := asserted[cad.name][sc.name]
			if want.fa && !met.fa {
				t.Errorf("%s %s: %.3f false alerts per 50 team-years, want ≤ 1", cad.name, sc.name, per50)
			}
			if want.up1 && !met.up1 {
				t.Errorf("%s %s: +1 SD median delay %v, want ≤ 2", cad.name, sc.name, r.medianUp1)
			}
			if want.upHalf && !met.upHalf {
				t.Errorf("%s %s: +0.5 SD median delay %v, want ≤ 4", cad.name, sc.name, r.medianUpHalf)
			}
		}
		// The bound where a shock of SD 1.5 hits every respondent of a period alike:
		// a CUSUM that knew every clinician's level and every variance exactly, on a
		// typical team (m = 9 respondents, within SD 3), sees a step δ as independent
		// N(δ/SE, 1) statistics with SE = √(9/9 + 1.5²) ≈ 1.8. Its best slack is half
		// that shift; h is set for one false alert per 50 team-years (Siegmund's
		// approximation of the in-control run length), and its median delay follows.
		arl0 := 50 * float64(cad.perYear)
		se := math.Sqrt(9.0/9 + 1.5*1.5)
		for _, step := range []float64{6, 3} {
			shift := step / se
			h := siegmundH(shift/2, arl0)
			fmt.Fprintf(&b, "bound, shock SD 1.5 per period: known-variance CUSUM (k %.2f, h %.2f for %g periods between false alerts) on a +%g step (%.2f SE): median delay %v periods\n",
				shift/2, h, arl0, step, shift, oracleMedianDelay(shift, shift/2, h, 20000))
		}
		t.Log(b.String())
	}
}

// siegmundARL0 is Siegmund's approximation of a standard normal one-sided CUSUM's
// in-control average run length for slack k and decision level h.
func siegmundARL0(k, h float64) float64 {
	b := 2 * k * (h + 1.166)
	return (math.Exp(b) - b - 1) / (2 * k * k)
}

// siegmundH returns the h giving an in-control run length of arl0.
func siegmundH(k, arl0 float64) float64 {
	lo, hi := 0.0, 50.0
	for range 100 {
		mid := (lo + hi) / 2
		if siegmundARL0(k, mid) < arl0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// oracleMedianDelay simulates a CUSUM (slack k, level h, from 0) on N(shift, 1)
// statistics and returns the median number of periods to the first signal.
func oracleMedianDelay(shift, k, h float64, runs int) float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	delays := make([]float64, runs)
	for i := range delays {
		s := 0.0
		for n := 1; ; n++ {
			s = max(0, s+shift+rng.NormFloat64()-k)
			if s >= h {
				delays[i] = float64(n)
				break
			}
		}
	}
	slices.Sort(delays)
	return delays[runs/2]
}

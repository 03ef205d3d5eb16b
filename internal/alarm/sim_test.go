package alarm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// The simulator: synthetic teams of clinicians answering the ProQOL 5 burnout scale,
// used to measure the chart's false alerts on stable teams and its delay on teams whose
// burnout steps up. Every number here is an assumption, documented with its reason; the
// scenarios are meant to be realistic or harsher, never tuned to make the chart pass.
//
// A clinician i has a lasting level μᵢ ~ N(24, 6) (tend's benchmark team mean and the
// between-clinician SD the issue measured with) and, each week w, a latent burnout
//
//	μᵢ + aᵢ(w) + c(w) + step(w)
//
// where aᵢ is their own week-to-week wobble, marginal SD 3 (about the scale's standard
// error of measurement: SD 5.5 × √(1 − α 0.75) ≈ 2.75, rounded up), independent from
// week to week, or AR(1) with φ = 0.8 per week in the "ar" scenarios (a person's
// burnout drifts slowly: answers a month apart still correlate 0.8⁴ ≈ 0.41); c is a
// common team shock (a bad week for everybody: a death on the ward, a staffing gap),
// N(0, 1.5) each week, independent across weeks, in the "shock" scenarios; step is the
// change to detect. An answer is that latent value rounded and clamped to the scale,
// 10–50.
//
// Periods: monthly (ProQOL: a 30-day recall window, so at most one answer per clinician
// per month) are blocks of 4, 4, 5 weeks (12 a year, 52 weeks); a clinician who answers
// in a month does so in a uniformly random week of it (their own check-in day), so a
// month's respondents meet different weekly shocks. Weekly periods are weeks.
type scenario struct {
	name string
	doc  string
	// rate returns a team's answer probability per clinician and period.
	rate func(*rand.Rand) float64
	// ar is the weekly AR(1) coefficient of a clinician's own wobble.
	ar float64
	// shock is the SD of the weekly common shock; monthShock, when true, holds one
	// shock for a whole month (every respondent of the month meets the same one).
	shock      float64
	monthShock bool
	// dropout: 16 clinicians, answering with probability 0.95, of whom 10 stop
	// answering for good, one by one over 12 months starting at month 6 (weekly:
	// week 26), the least burned-out first (so a plain team mean would rise), leaving
	// about 6 respondents — burnout itself unchanged.
	dropout bool
	// turnover: each clinician leaves with probability 1/36 per month (about 30 % a
	// year) and is replaced by a newcomer with a fresh level.
	turnover bool
}

func uniform(lo, hi float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return lo + (hi-lo)*r.Float64() }
}

var scenarios = []scenario{
	{name: "full", doc: "everyone answers every period", rate: uniform(1, 1)},
	{name: "partial", doc: "answer rate U(0.4, 1) per team", rate: uniform(0.4, 1)},
	{name: "ar0.8", doc: "partial + own wobble AR(1) φ 0.8/week", rate: uniform(0.4, 1), ar: 0.8},
	{name: "shock1.5", doc: "partial + weekly team shock SD 1.5", rate: uniform(0.4, 1), shock: 1.5},
	{name: "dropout", doc: "16 clinicians, respondents 15 → 6, least burned-out leave first", rate: uniform(0.95, 0.95), dropout: true},
	{name: "all", doc: "partial + AR 0.8 + shock 1.5 + 30 %/yr turnover", rate: uniform(0.4, 1), ar: 0.8, shock: 1.5, turnover: true},
}

// monthShockScenario is a stress variant for monthly periods: one shock of SD 1.5 per
// month shared by every respondent of the month (as if the whole team answered in the
// same week).
var monthShockScenario = scenario{name: "shock1.5/month", doc: "partial + one team shock SD 1.5 per month", rate: uniform(0.4, 1), shock: 1.5, monthShock: true}

// cadence is a period length pattern in weeks.
type cadence struct {
	name    string
	weeks   []int // period lengths, repeated
	perYear int
}

var (
	monthly = cadence{name: "monthly", weeks: []int{4, 4, 5}, perYear: 12}
	weekly  = cadence{name: "weekly", weeks: []int{1}, perYear: 52}
)

// member is one simulated clinician.
type member struct {
	level, wobble float64
	id            string
	gone          bool
	order         int // dropout order
}

// simTeam simulates one team for periods periods and runs a chart over it. The step of
// size step starts at period stepAt (never when stepAt < 0). It returns the decisions.
func simTeam(sc scenario, cad cadence, p Params, seed uint64, periods, stepAt int, step float64) []Decision {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	size := 6 + rng.IntN(15) // 6–20
	if sc.dropout {
		size = 16
	}
	rate := sc.rate(rng)
	next := 0
	newMember := func() member {
		next++
		m := member{level: 24 + 6*rng.NormFloat64(), id: fmt.Sprintf("c%04d", next)}
		m.wobble = 3 * rng.NormFloat64()
		return m
	}
	team := make([]member, size)
	for i := range team {
		team[i] = newMember()
	}
	if sc.dropout {
		order := make([]int, size)
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmpF(team[a].level, team[b].level) })
		for rank, i := range order {
			team[i].order = rank
		}
	}
	innov := 3 * math.Sqrt(1-sc.ar*sc.ar)
	var st State
	decs := make([]Decision, 0, periods)
	var shocks []float64
	for per := range periods {
		n := cad.weeks[per%len(cad.weeks)]
		// weekly shocks of this period
		shocks = shocks[:0]
		monthShock := sc.shock * rng.NormFloat64()
		for range n {
			if sc.monthShock {
				shocks = append(shocks, monthShock)
			} else {
				shocks = append(shocks, sc.shock*rng.NormFloat64())
			}
		}
		shift := 0.0
		if stepAt >= 0 && per >= stepAt {
			shift = step
		}
		if sc.dropout {
			// 10 leave, one every 1.2 months (scaled to the cadence), from month 6.
			start := cad.perYear / 2
			for i := range team {
				if team[i].order < 10 && float64(per-start) >= (float64(team[i].order)+1)*1.2*float64(cad.perYear)/12 {
					team[i].gone = true
				}
			}
		}
		if sc.turnover {
			pLeave := 1.0 / 36 * 12 / float64(cad.perYear)
			for i := range team {
				if rng.Float64() < pLeave {
					team[i] = newMember()
				}
			}
		}
		var rs []Response
		for i := range team {
			m := &team[i]
			answers := rng.Float64() < rate
			at := rng.IntN(n)
			for w := range n {
				if sc.ar > 0 {
					m.wobble = sc.ar*m.wobble + innov*rng.NormFloat64()
				} else {
					m.wobble = 3 * rng.NormFloat64()
				}
				if answers && !m.gone && w == at {
					v := math.Round(m.level + m.wobble + shocks[w] + shift)
					rs = append(rs, Response{Clinician: m.id, Value: min(50, max(10, v))})
				}
			}
		}
		decs = append(decs, st.Close(p, rs))
	}
	return decs
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// simResult is one scenario's measurement.
type simResult struct {
	teamYears               float64
	falseAlerts             int
	medianUp1, medianUpHalf float64 // periods, +Inf when more than half never detect
	neverUp1, neverUpHalf   float64 // share never detected within the horizon
}

// runScenario measures false alerts over teams stable teams of years years each (the
// first half-year of each team counts in the alerts but not in the team-years: the
// chart is still warming up) and detection delays of +6 and +3 steps on detect teams,
// stepped after one year (monthly) or half a year (weekly) of stable history and
// followed for the same time.
func runScenario(sc scenario, cad cadence, p Params, teams, years, detect int, seed uint64) simResult {
	var res simResult
	periods := years * cad.perYear
	fa := make([]int, teams)
	parallelFor(teams, func(i int) {
		for _, d := range simTeam(sc, cad, p, seed+uint64(i), periods, -1, 0) {
			if d.Transition == Firing {
				fa[i]++
			}
		}
	})
	for _, n := range fa {
		res.falseAlerts += n
	}
	res.teamYears = float64(teams) * (float64(years) - 0.5)
	stepAt := cad.perYear
	if cad.perYear > 12 {
		stepAt = cad.perYear / 2
	}
	horizon := stepAt
	for k, step := range []float64{6, 3} {
		delays := make([]float64, detect)
		parallelFor(detect, func(i int) {
			decs := simTeam(sc, cad, p, seed+1_000_000*uint64(k+1)+uint64(i), stepAt+horizon, stepAt, step)
			delays[i] = math.Inf(1)
			for j, d := range decs[stepAt:] {
				if d.Firing {
					delays[i] = float64(j + 1)
					break
				}
			}
		})
		slices.Sort(delays)
		med := delays[len(delays)/2] // the upper median: conservative
		never := 0
		for _, d := range delays {
			if math.IsInf(d, 1) {
				never++
			}
		}
		if k == 0 {
			res.medianUp1, res.neverUp1 = med, float64(never)/float64(detect)
		} else {
			res.medianUpHalf, res.neverUpHalf = med, float64(never)/float64(detect)
		}
	}
	return res
}

func parallelFor(n int, f func(i int)) {
	const workers = 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}

package trends

import (
	"math"
	"slices"
	"strings"
)

// participation sets each of a group's active weeks' participation: its distinct
// clinicians over the distinct clinicians of the trailing RosterWeeks calendar weeks.
// The roster includes the week itself, so it is never smaller than the numerator.
func (c *clinic) participation(aws []activeWeek) {
	lo := 0
	for i := range aws {
		for aws[lo].week <= aws[i].week-int64(c.cfg.RosterWeeks) {
			lo++
		}
		c.newGeneration()
		roster := 0
		for _, a := range aws[lo : i+1] {
			for _, clin := range c.clinBuf[a.lo:a.hi] {
				if c.firstSeen(clin) {
					roster++
				}
			}
		}
		aws[i].participation = float64(aws[i].hi-aws[i].lo) / float64(roster)
	}
}

// derived holds the values of a published point that depend on other weeks.
type derived struct {
	rolling        float64
	slope          float64
	ewma, ucl, lcl float64
	hasSlope       bool
	hasEWMA        bool
}

// derive computes the derived values of every published point of a series (see
// Compute), reading published points only. sigmaFloor is the least σ of the EWMA
// baseline.
func (c *clinic) derive(pts []point, sigmaFloor float64) []derived {
	cfg := c.cfg
	out := make([]derived, len(pts))
	pub := c.pub[:0]
	for i := range pts {
		if pts[i].published {
			pub = append(pub, i)
		}
	}
	c.pub = pub

	var chart ewmaChart
	var z float64
	hasChart := len(pub) > cfg.BaselineWeeks
	if hasChart {
		base := c.base[:0]
		for _, i := range pub[:cfg.BaselineWeeks] {
			base = append(base, pts[i])
		}
		c.base = base
		chart = newEWMAChart(cfg.Lambda, base, sigmaFloor)
		z = chart.mu0
	}
	rollFrom, slopeFrom := 0, 0
	for t, i := range pub {
		w := pts[i].week
		d := &out[i]

		for pts[pub[rollFrom]].week <= w-int64(cfg.RollingWeeks) {
			rollFrom++
		}
		var sum float64
		var n int32
		for _, j := range pub[rollFrom : t+1] {
			sum += pts[j].sum
			n += pts[j].n
		}
		d.rolling = sum / float64(n)

		for pts[pub[slopeFrom]].week <= w-int64(cfg.SlopeWeeks) {
			slopeFrom++
		}
		if win := pub[slopeFrom : t+1]; len(win) >= cfg.SlopeMinWeeks {
			xs, ys := c.xs[:0], c.ys[:0]
			for _, j := range win {
				xs = append(xs, float64(pts[j].week-w))
				ys = append(ys, pts[j].mean())
			}
			c.xs, c.ys = xs, ys
			d.slope, d.hasSlope = slope(xs, ys), true
		}

		if hasChart {
			z = chart.next(z, pts[i].mean())
			if t+1 > cfg.BaselineWeeks {
				d.ewma, d.hasEWMA = z, true
				d.lcl, d.ucl = chart.limits(t + 1)
			}
		}
	}
	return out
}

// slope is the least-squares slope of ys over xs, from sums centred on the means (for
// accuracy), taken in index order. xs must hold at least two distinct values.
func slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= n
	my /= n
	var sxy, sxx float64
	for i := range xs {
		dx := xs[i] - mx
		sxy += dx * (ys[i] - my)
		sxx += dx * dx
	}
	return sxy / sxx
}

// ewmaChart is an EWMA control chart: smoothing weight lambda, centre mu0 and the
// standard deviation sigma of the charted weekly means, both from the baseline.
type ewmaChart struct{ lambda, mu0, sigma float64 }

// newEWMAChart builds a chart from the baseline weeks (in week order). mu0 is the
// mean of their weekly means. sigma, the standard deviation of a weekly mean, is the
// largest of three estimates:
//
//   - the spread of the baseline's weekly means (population standard deviation);
//   - the textbook x̄-chart estimate from within the weeks: the pooled within-week
//     standard deviation over √(mean respondents), which eight weekly means alone
//     often underestimate — charted on them alone, about one stable team in seven
//     would alarm within 26 weeks;
//   - sigmaFloor, so that an exactly flat baseline (σ = 0) cannot put both limits on
//     mu0 and turn a rounding difference into an alarm.
//
// All three derive from published weekly aggregates (n, mean, stddev).
func newEWMAChart(lambda float64, baseline []point, sigmaFloor float64) ewmaChart {
	weeks := float64(len(baseline))
	var sum, m2Within float64
	var votes int32
	for _, p := range baseline {
		sum += p.mean()
		m2Within += p.m2
		votes += p.n
	}
	mu0 := sum / weeks
	var m2 float64
	for _, p := range baseline {
		d := p.mean() - mu0
		m2 += d * d
	}
	between := math.Sqrt(m2 / weeks)
	within := math.Sqrt(m2Within/float64(votes)) / math.Sqrt(float64(votes)/weeks)
	return ewmaChart{lambda: lambda, mu0: mu0, sigma: max(between, within, sigmaFloor)}
}

// next is z_t = λ·x_t + (1−λ)·z_{t−1}.
func (ch ewmaChart) next(z, x float64) float64 {
	return ch.lambda*x + (1-ch.lambda)*z
}

// limits are the control limits at the t-th published week (1-based):
// μ0 ± 3σ·√(λ/(2−λ)·(1−(1−λ)^(2t))), the exact standard deviation of z_t, which
// widens towards its asymptote as t grows.
func (ch ewmaChart) limits(t int) (lcl, ucl float64) {
	l := ch.lambda
	w := 3 * ch.sigma * math.Sqrt(l/(2-l)*(1-math.Pow(1-l, float64(2*t))))
	return ch.mu0 - w, ch.mu0 + w
}

// rows writes the clinic's rowCount rows into out: groups in name order (the clinic
// total as ClinicTotal), then weeks, then scores in name order.
func (c *clinic) rows(out []Row) {
	nScores := len(scoreDefs)
	names := append(slices.Clone(c.teams), ClinicTotal)
	order := make([]int, len(names))
	for g := range order {
		order[g] = g
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })

	published := 0
	for _, ser := range c.series {
		for _, p := range ser {
			if p.published {
				published++
			}
		}
	}
	c.slab = make([]rowValues, 0, published)
	ders := make([][]derived, nScores)
	cursor := make([]int, nScores)
	n := 0
	for _, g := range order {
		for s := range nScores {
			ders[s] = c.derive(c.series[g*nScores+s], scoreDefs[s].sigmaFloor)
			cursor[s] = 0
		}
		for _, aw := range c.active[g] {
			for s := range nScores {
				ser := c.series[g*nScores+s]
				if i := cursor[s]; i < len(ser) && ser[i].week == aw.week {
					out[n] = c.row(names[g], aw.participation, s, ser[i], ders[s][i])
					n++
					cursor[s]++
				}
			}
		}
	}
}

// row builds one row; a published row's values live in the next rowValues of the slab.
func (c *clinic) row(team string, participation float64, s int, p point, d derived) Row {
	r := Row{Clinic: c.name, Team: team, Week: weekStart(p.week), Score: scoreDefs[s].name, Suppressed: !p.published}
	if !p.published {
		return r
	}
	c.slab = append(c.slab, rowValues{})
	v := &c.slab[len(c.slab)-1]
	n := float64(p.n)
	v.respondents = uint32(p.n)
	v.f = [9]float64{p.mean(), math.Sqrt(p.m2 / n), float64(p.high) / n, d.rolling, d.slope, d.ewma, d.ucl, d.lcl, participation}
	r.Respondents = &v.respondents
	r.Mean, r.Stddev, r.ShareHigh, r.RollingMean4w, r.Participation = &v.f[0], &v.f[1], &v.f[2], &v.f[3], &v.f[8]
	if d.hasSlope {
		r.Slope8w = &v.f[4]
	}
	if d.hasEWMA {
		r.EWMA, r.UCL, r.LCL = &v.f[5], &v.f[6], &v.f[7]
	}
	return r
}

// Package alarm decides team alerts from closed periods of check-in scores: a
// within-clinician change chart (State.Close: "burnout rising", "self-compassion
// falling"), a share-at-risk rule (ShareState.Close) and a participation-drop rule
// (ParticipationState.Close). Each fires once when its condition starts and resolves
// once, with hysteresis, when it has ended.
//
// It is pure: no I/O, no clock, no randomness, standard library only. The caller (the
// reporter) closes one period at a time for one (clinic, team, score), passes that
// period's responses, and persists the returned state, JSON-serialised, until the next
// period closes. Every state is bounded by the team's size, never by its history.
//
// # Why a within-clinician chart
//
// A team mean moves when a different subset of a heterogeneous team answers (the spread
// between clinicians, SD about 6 on the ProQOL burnout sum, dwarfs real changes), so a
// chart of team means raises false alarms whenever participation varies. Chart compares
// each respondent with their own earlier answers instead; the between-clinician spread
// cancels, and the period's statistic is the mean of those changes. Its standard error
// comes from the period's own respondent count and two variances the chart estimates
// from the team's history (self-starting, shrunk towards priors early on): the
// within-clinician change variance (from the spread of changes inside each period,
// which common shocks and real steps do not inflate) and the common-shock variance of a
// period's mean change (what the period means vary beyond their sampling error: weeks
// that are hard for everybody). A one-sided CUSUM of the standardised statistic lets
// small sustained changes accumulate; hysteresis turns it into an alert that fires once
// and resolves once.
//
// A clinician's own burnout drifts (a bad month tends to follow a bad month), and the
// mean of such drifts over the same respondents would otherwise build up in the CUSUM
// like a real change. The chart therefore learns, from the team's history, how much of
// each clinician's own deviation persists to the next period (φ) and expects that much
// of it again; "own" excludes the share of the period's mean deviation that is likely a
// team-wide shock or a real step (judged from the two variances), so a real step is not
// explained away.
//
// The references move (a running mean, then an exponentially weighted mean, of each
// clinician's answers), so after a real change the chart settles at the new level and
// the alert resolves: the chart says "has risen", the share rule "is high".
//
// Measured on the simulator in the tests (TestFalseAlarmsAndDetection prints the table)
// the monthly ProQOL burnout defaults raise at most about 0.5 false alerts per 50
// stable team-years in every scenario listed there except two harsher combinations
// (documented with the table), and flag a +1 SD step in a median of 2 months, +0.5 SD
// in 2–4.
//
// # Determinism
//
// Results depend only on the set of responses of each period: Close sorts them by
// clinician and sums in that order, and the state keeps clinicians sorted, so a replay of
// the same periods yields bit-identical states and decisions (floating-point addition
// is not associative, so a different order could change the last bits, and a
// threshold comparison with them). The arithmetic is + − × ÷ and √ only.
package alarm

import (
	"cmp"
	"math"
	"slices"
)

// Transition values of Decision.Transition.
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// Response is one respondent's score in the closed period: Clinician is their
// pseudonym, Value their score (the latest check-in of the period: one vote each).
type Response struct {
	Clinician string  `json:"clinician"`
	Value     float64 `json:"value"`
}

// Decision is what closing one period decided.
type Decision struct {
	// Evaluated is false when the period decided nothing: fewer than MinRespondents
	// respondents had an earlier answer to compare with, or the chart is still
	// warming up (fewer than MinHistory evaluated periods before this one). The alert
	// state then carries over unchanged.
	Evaluated bool `json:"evaluated"`
	// Respondents are the period's respondents with an earlier answer (the m the
	// statistic averages over).
	Respondents int `json:"respondents"`
	// Change is the mean change of those respondents against their own references, in
	// score units and the score's own direction (not multiplied by Direction).
	Change float64 `json:"change"`
	// SE is Change's standard error: √(s²/m + τ²).
	SE float64 `json:"se"`
	// Z is Direction × Change / SE: positive means towards the risk side.
	Z float64 `json:"z"`
	// Statistic is the CUSUM after this period, in standard errors; the alert fires
	// at Params.Fire.
	Statistic float64 `json:"statistic"`
	// Firing is the alert state after this period.
	Firing bool `json:"firing"`
	// Transition is Firing or Resolved when the state changed in this period, else "".
	Transition string `json:"transition,omitempty"`
}

// Clinician is one clinician's reference in a Chart state.
type Clinician struct {
	ID string `json:"id"`
	// Ref is the reference their next answer is compared with: the running mean of
	// their recorded answers until they have 1/RefWeight of them, then an exponentially
	// weighted mean giving the newest answer the weight RefWeight. A reference that
	// moves lets the chart follow a team that has settled at a new level, so an alert
	// resolves, and keeps old answers from weighing for ever.
	Ref float64 `json:"ref"`
	// N is the number of answers recorded, capped at 1/RefWeight (beyond that the
	// weights no longer change).
	N int `json:"n"`
	// Last is the period (State.Periods at that close) of their latest recorded answer;
	// a clinician with no answer for Params.ForgetAfter periods is dropped.
	Last int `json:"last"`
	// Dev is their own deviation at their latest answer compared with a reference:
	// value − Ref minus the mean of that over the period's respondents, so it holds
	// nothing the whole team shared (no shock, no real step). A clinician's wobble
	// persists (a bad month tends to follow a bad month), so the chart expects
	// φ^gap × Dev of it again, gap periods later (see State.PhiXY).
	Dev float64 `json:"dev"`
}

// State is one chart's memory between periods, for one (clinic, team, score). The zero
// value is a new chart. It is bounded: one Clinician per clinician who answered in the
// last ForgetAfter periods (at most MaxClinicians), and a fixed set of numbers — never
// anything that grows with the history.
type State struct {
	// Periods counts the periods closed, recorded or not.
	Periods int `json:"periods"`
	// Evaluated counts the periods evaluated, warm-up included.
	Evaluated int `json:"evaluated"`
	// Clinicians are the references, sorted by ID.
	Clinicians []Clinician `json:"clinicians"`
	// WithinSS and WithinDF accumulate the within-period spread of changes (the sum of
	// squared deviations from the period's mean change, and its degrees of freedom),
	// discounted by Params.Discount per evaluated period:
	// s² = (WithinWeight·WithinSD² + WithinSS) / (WithinWeight + WithinDF).
	WithinSS float64 `json:"within_ss"`
	WithinDF float64 `json:"within_df"`
	// RawSS and RawDF do the same for the deviations before the persistence
	// correction (value − Ref); they size how much of a period's mean deviation is the
	// respondents' own wobble (see Clinician.Dev).
	RawSS float64 `json:"raw_ss"`
	RawDF float64 `json:"raw_df"`
	// ShockSS and ShockN accumulate the excess of each evaluated period's squared mean
	// change over its sampling variance s²/m (and the count of periods), discounted
	// likewise: τ² = max(ShockFloor², (ShockWeight·ShockSD² + ShockSS) / (ShockWeight +
	// ShockN)).
	ShockSS float64 `json:"shock_ss"`
	ShockN  float64 `json:"shock_n"`
	// PhiXY and PhiXX accumulate, over clinicians recorded in two consecutive
	// periods, Dev(before) × Dev(now) and Dev(before)², discounted per recorded period:
	// φ = PhiXY / (PhiXX + PhiWeight·s²), clamped to [0, PhiMax], is how much of a
	// clinician's own deviation persists from one period to the next.
	PhiXY float64 `json:"phi_xy"`
	PhiXX float64 `json:"phi_xx"`
	// CUSUM is the one-sided CUSUM of the standardised change towards the risk side.
	CUSUM float64 `json:"cusum"`
	// Hysteresis is the alert state; its Calm counts the evaluated periods, while
	// firing, whose CUSUM was below Params.Resolve.
	Hysteresis
}

// Params configures a Chart. DefaultParams gives documented defaults per score.
type Params struct {
	// Direction is +1 when a rise is the risk (burnout, STS, CBI, Mini-Z), −1 when a
	// fall is (self-compassion, compassion satisfaction).
	Direction int `json:"direction"`
	// MinRespondents is k: a period is recorded only with at least k respondents
	// (below that it is suppressed everywhere, so it changes nothing here either) and
	// evaluated only when at least k of them have a reference.
	MinRespondents int `json:"min_respondents"`
	// MinHistory is the number of evaluated periods before the first decision: they
	// build the variance estimates while the CUSUM stays at 0.
	MinHistory int `json:"min_history"`
	// RefWeight is the weight of a clinician's newest answer in their reference once
	// they have 1/RefWeight answers (a running mean before).
	RefWeight float64 `json:"ref_weight"`
	// ForgetAfter drops a clinician without a recorded answer for this many periods.
	ForgetAfter int `json:"forget_after"`
	// MaxClinicians bounds the state whatever the turnover: beyond it the clinicians
	// seen least recently (then by ID) are dropped.
	MaxClinicians int `json:"max_clinicians"`
	// WithinSD is the prior SD of one clinician's change against their reference, in
	// score units, worth WithinWeight degrees of freedom.
	WithinSD     float64 `json:"within_sd"`
	WithinWeight float64 `json:"within_weight"`
	// ShockSD is the prior SD of the common shock of a period's mean change, worth
	// ShockWeight periods; ShockFloor is the least τ ever used (the shock variance is
	// estimated from few periods; the floor keeps a lucky calm stretch from making the
	// chart trigger-happy).
	ShockSD     float64 `json:"shock_sd"`
	ShockWeight float64 `json:"shock_weight"`
	ShockFloor  float64 `json:"shock_floor"`
	// Discount multiplies the accumulated history of both variance estimates at each
	// evaluated period (1: never forget), so that they follow a team that changes.
	Discount float64 `json:"discount"`
	// PhiWeight is the prior (φ = 0) in pairs of consecutive answers; PhiMax bounds φ.
	PhiWeight float64 `json:"phi_weight"`
	PhiMax    float64 `json:"phi_max"`
	// Slack is the CUSUM's reference value k and Fire its decision level h, both in
	// standard errors: CUSUM = max(0, CUSUM + Z − Slack), firing from CUSUM ≥ Fire.
	Slack float64 `json:"slack"`
	Fire  float64 `json:"fire"`
	// Resolve and ResolvePeriods: a firing alert resolves once the CUSUM has been
	// below Resolve for ResolvePeriods consecutive evaluated periods.
	Resolve        float64 `json:"resolve"`
	ResolvePeriods int     `json:"resolve_periods"`
	// Clip bounds |Z| where it enters the CUSUM, so that one wild period cannot carry
	// the CUSUM far beyond Fire (and keep the alert firing long after).
	Clip float64 `json:"clip"`
	// ShockClip bounds |mean change|, in standard errors, where it feeds the shock
	// variance: a real step must not teach the chart, before it is detected, that
	// such steps are noise.
	ShockClip float64 `json:"shock_clip"`
}

// Close records one closed period's responses and decides on it. It sorts the
// responses by clinician itself (a clinician listed more than once counts once, with the
// mean of their values; responses without a clinician or with a non-finite value are
// ignored), so the result depends only on the set of responses.
//
// Steps: a period with fewer than MinRespondents respondents changes nothing but the
// period count (it is suppressed everywhere else too). Otherwise each respondent with
// a reference contributes their change d = value − Ref − φ^gap·Dev (Dev: the part of
// their own deviation last time that was theirs alone, expected to persist with φ per
// period); with m ≥ MinRespondents of them the period is evaluated: D = mean d,
// SE² = s²/m + τ², Z = Direction·D/SE, and after the warm-up
// CUSUM = max(0, CUSUM + clip(Z) − Slack), firing at Fire and resolving after
// ResolvePeriods evaluated periods below Resolve. Then s², τ² and φ learn from the
// period, every respondent's reference takes in their value, and clinicians not seen
// for ForgetAfter periods are dropped.
//
// p must pass Validate (the defaults do) and must stay the same for a state's life;
// Close does not check it, so as to stay cheap.
func (s *State) Close(p Params, responses []Response) Decision {
	s.Periods++
	rs := normalize(responses)
	dec := Decision{Firing: s.Firing}
	if len(rs) >= p.MinRespondents {
		dec = s.update(p, rs)
	}
	s.forget(p)
	return dec
}

// normalize returns the valid responses sorted by clinician, one per clinician (the
// mean of their values, summed in sorted order).
func normalize(in []Response) []Response {
	rs := make([]Response, 0, len(in))
	for _, r := range in {
		if r.Clinician != "" && !math.IsNaN(r.Value) && !math.IsInf(r.Value, 0) {
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b Response) int {
		return cmp.Or(cmp.Compare(a.Clinician, b.Clinician), cmp.Compare(a.Value, b.Value))
	})
	out := rs[:0]
	for i := 0; i < len(rs); {
		j, sum := i, 0.0
		for ; j < len(rs) && rs[j].Clinician == rs[i].Clinician; j++ {
			sum += rs[j].Value
		}
		out = append(out, Response{Clinician: rs[i].Clinician, Value: sum / float64(j-i)})
		i = j
	}
	return out
}

// find returns the index of id in s.Clinicians, or where it would go.
func (s *State) find(id string) (int, bool) {
	return slices.BinarySearchFunc(s.Clinicians, id, func(c Clinician, id string) int {
		return cmp.Compare(c.ID, id)
	})
}

// Erase drops one clinician's reference (the right to erasure) and reports
// whether the state held one. What the state has learnt from the team as a
// whole (variances, the CUSUM) is an aggregate and stays.
func (s *State) Erase(id string) bool {
	i, ok := s.find(id)
	if ok {
		s.Clinicians = slices.Delete(s.Clinicians, i, i+1)
	}
	return ok
}

// Variances returns the current estimates s² (within-clinician change variance) and
// τ² (common-shock variance of a period's mean change), priors included.
func (s *State) Variances(p Params) (within, shock float64) {
	within = (p.WithinWeight*p.WithinSD*p.WithinSD + s.WithinSS) / (p.WithinWeight + s.WithinDF)
	shock = (p.ShockWeight*p.ShockSD*p.ShockSD + s.ShockSS) / (p.ShockWeight + s.ShockN)
	return within, max(shock, p.ShockFloor*p.ShockFloor)
}

// phi returns the current persistence estimate φ of a clinician's own deviation.
func (s *State) phi(p Params, within float64) float64 {
	den := s.PhiXX + p.PhiWeight*within
	if den <= 0 {
		return 0
	}
	return min(max(s.PhiXY/den, 0), p.PhiMax)
}

// update is Close for a period with at least MinRespondents respondents.
func (s *State) update(p Params, rs []Response) Decision {
	dec := Decision{Firing: s.Firing, Statistic: s.CUSUM}
	within, _ := s.Variances(p)
	phi := s.phi(p, within)
	// Respondents with a reference: their index in s.Clinicians, raw deviation
	// value − Ref, and change d = raw − φ^gap·Dev (what is left after the part of their
	// own earlier deviation expected to persist).
	type ref struct {
		i      int
		raw, d float64
	}
	var refs []ref
	rawMean := 0.0
	for _, r := range rs {
		if i, ok := s.find(r.Clinician); ok {
			c := s.Clinicians[i]
			raw := r.Value - c.Ref
			keep := c.Dev
			for range s.Periods - c.Last {
				keep *= phi
			}
			refs = append(refs, ref{i: i, raw: raw, d: raw - keep})
			rawMean += raw
		}
	}
	m := len(refs)
	dec.Respondents = m
	devs := make([]float64, m)
	s.PhiXY *= p.Discount
	s.PhiXX *= p.Discount
	if m >= 2 {
		rawMean /= float64(m)
		rawSS := 0.0
		for _, r := range refs {
			rawSS += (r.raw - rawMean) * (r.raw - rawMean)
		}
		s.RawSS = s.RawSS*p.Discount + rawSS
		s.RawDF = s.RawDF*p.Discount + float64(m-1)
		// A clinician's own deviation is their raw deviation less the part of the
		// period's mean raw deviation that is common to the team: of that mean, the
		// share w = (σ²raw/m) / (σ²raw/m + τ²) is expected to be the respondents'
		// own wobbles averaged (which persist), the rest a shock or a real change
		// (which must not be carried forward, or a step would be explained away).
		raw := (p.WithinWeight*p.WithinSD*p.WithinSD + s.RawSS) / (p.WithinWeight + s.RawDF)
		_, shock := s.Variances(p)
		w := raw / float64(m) / (raw/float64(m) + shock)
		for j, r := range refs {
			c := s.Clinicians[r.i]
			devs[j] = r.raw - (1-w)*rawMean
			if s.Periods-c.Last == 1 {
				s.PhiXY += c.Dev * devs[j]
				s.PhiXX += c.Dev * c.Dev
			}
		}
	}
	if m >= p.MinRespondents {
		d := make([]float64, m)
		for j, r := range refs {
			d[j] = r.d
		}
		dec = s.evaluate(p, d)
	}
	// Record: references take in the values, deviations are remembered.
	for j, r := range refs {
		s.Clinicians[r.i].Dev = devs[j]
	}
	s.record(p, rs)
	return dec
}

// evaluate decides on an evaluated period's changes d (at least MinRespondents).
func (s *State) evaluate(p Params, d []float64) Decision {
	dec := Decision{Firing: s.Firing, Statistic: s.CUSUM}
	m := len(d)
	dec.Respondents = m
	mean := 0.0
	for _, x := range d {
		mean += x
	}
	mean /= float64(m)
	ss := 0.0
	for _, x := range d {
		ss += (x - mean) * (x - mean)
	}
	// The period's own spread joins s² before it is used: it is independent of the
	// period's mean (for normal changes), and early on it is most of what is known.
	s.WithinSS = s.WithinSS*p.Discount + ss
	s.WithinDF = s.WithinDF*p.Discount + float64(m-1)
	within, shock := s.Variances(p)
	sampling := within / float64(m)
	se := math.Sqrt(sampling + shock)
	z := float64(p.Direction) * mean / se
	dec.Change, dec.SE, dec.Z = mean, se, z
	// τ² learns from this period only after the decision (a self-starting chart
	// standardises by the past), and from at most Clip standard errors of it.
	excess := min(mean*mean, p.ShockClip*p.ShockClip*se*se) - sampling
	s.ShockSS = s.ShockSS*p.Discount + excess
	s.ShockN = s.ShockN*p.Discount + 1
	s.Evaluated++
	if s.Evaluated <= p.MinHistory {
		return dec
	}
	dec.Evaluated = true
	s.CUSUM = max(0, s.CUSUM+min(max(z, -p.Clip), p.Clip)-p.Slack)
	dec.Statistic = s.CUSUM
	dec.Transition = s.step(s.CUSUM >= p.Fire, s.CUSUM < p.Resolve, p.ResolvePeriods)
	dec.Firing = s.Firing
	return dec
}

// record takes each respondent's value into their reference (adding new clinicians).
func (s *State) record(p Params, rs []Response) {
	capN := max(1, int(math.Round(1/p.RefWeight)))
	for _, r := range rs {
		i, ok := s.find(r.Clinician)
		if !ok {
			s.Clinicians = slices.Insert(s.Clinicians, i, Clinician{ID: r.Clinician, Ref: r.Value, N: 1, Last: s.Periods})
			continue
		}
		c := &s.Clinicians[i]
		if c.N < capN {
			c.N++
		}
		c.Ref += (r.Value - c.Ref) / float64(c.N)
		c.Last = s.Periods
	}
}

// forget drops clinicians not seen for ForgetAfter periods, then the least recently
// seen beyond MaxClinicians.
func (s *State) forget(p Params) {
	s.Clinicians = slices.DeleteFunc(s.Clinicians, func(c Clinician) bool {
		return s.Periods-c.Last >= p.ForgetAfter
	})
	if p.MaxClinicians > 0 && len(s.Clinicians) > p.MaxClinicians {
		byAge := slices.Clone(s.Clinicians)
		slices.SortFunc(byAge, func(a, b Clinician) int {
			return cmp.Or(cmp.Compare(b.Last, a.Last), cmp.Compare(a.ID, b.ID))
		})
		keep := byAge[:p.MaxClinicians]
		slices.SortFunc(keep, func(a, b Clinician) int { return cmp.Compare(a.ID, b.ID) })
		s.Clinicians = keep
	}
}

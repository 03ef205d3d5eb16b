package trends

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"
)

// Rule names, as in Transition.Rule and the alert-rules YAML.
const (
	RuleBurnoutShareHigh      = "burnout_share_high"
	RuleBurnoutRising         = "burnout_rising"
	RuleCompassionFatigueHigh = "compassion_fatigue_high"
	RuleSelfCompassionFalling = "self_compassion_falling"
	RuleParticipationDrop     = "participation_drop"
)

// Transition states.
const (
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Transition is a change of one team's alert state in one week.
type Transition struct {
	// ID is deterministic, so recomputing the same data yields the same events: the
	// first 32 hex digits of the SHA-256 of clinic, team, rule, week (2006-01-02) and
	// state joined by "\n".
	ID                 string
	Clinic, Team, Rule string
	Week               time.Time // Monday 00:00 UTC
	State              string    // StateFiring or StateResolved
	// Values are the numbers the decision was made on, by rule:
	//   - share rules: share, threshold, clinician_weeks;
	//   - burnout_rising: ewma and ucl, slope and slope_threshold (those defined);
	//   - self_compassion_falling: ewma, lcl;
	//   - participation_drop: participation, threshold, baseline.
	Values map[string]float64
}

// AlertKey names one alert state.
type AlertKey struct{ Clinic, Team, Rule string }

// Evaluate runs the enabled rules over every team's published weeks in order (never
// the clinic total's) and returns every transition, sorted by clinic, team, rule and
// week. rows are Compute's output for the clinics concerned, obs the observations it
// was computed from (the share rules count clinician-weeks across instruments, which
// rows cannot tell). Each (clinic, team, rule) fires when its condition starts and
// resolves when it ends; a week on which the rule cannot be evaluated (its rows are
// suppressed, or its metric is not yet defined) leaves the state unchanged.
//
// Rules (see Rules for their parameters):
//
//   - burnout_share_high, compassion_fatigue_high: on each week where a row of one of
//     the rule's cut-off scores is published, take the clinician-weeks of the published
//     weeks among the trailing Weeks calendar weeks that have a value of a cut-off
//     score in a published row; the condition is that the share of them with any such
//     value at or above its cut-off is at least Share. Only published rows' data count.
//   - burnout_rising: on each published week of Score where its EWMA or slope_8w is
//     defined, EWMA > UCL or slope_8w ≥ SlopePerWeek.
//   - self_compassion_falling: on each published week of Score with an EWMA, EWMA < LCL.
//   - participation_drop: a team-week is published when any of its rows is. With
//     baseline = the mean participation of the first cfg.BaselineWeeks published
//     weeks, and only if it is at least Baseline, the condition on each later published
//     week is that this week and the ConsecutiveWeeks−1 published weeks before it, all
//     after the baseline, have participation below Below.
func Evaluate(rules Rules, cfg Config, rows []Row, obs []Observation) []Transition {
	ev := newEvaluator(rules, cfg, obs)
	clinics := teamsByClinic(rows)
	outs := make([][]Transition, len(clinics))
	parallel(len(clinics), func(i int) { outs[i] = ev.clinic(clinics[i]) })
	out := slices.Concat(outs...)
	slices.SortFunc(out, func(a, b Transition) int {
		if c := strings.Compare(a.Clinic, b.Clinic); c != 0 {
			return c
		}
		if c := strings.Compare(a.Team, b.Team); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return a.Week.Compare(b.Week)
	})
	return out
}

// evaluator holds what Evaluate shares between clinics, which it evaluates in parallel.
type evaluator struct {
	rules  Rules
	cfg    Config
	obs    []Observation
	shares []shareRule // the enabled share rules
	// The observations the share rules read, by clinic: obsOf[i] are obsClinics[i]'s.
	obsClinics []string
	obsOf      [][]int
}

func newEvaluator(rules Rules, cfg Config, obs []Observation) *evaluator {
	ev := &evaluator{rules: rules, cfg: cfg, obs: obs}
	var instruments []string
	for _, r := range []shareRule{
		{name: RuleBurnoutShareHigh, ShareRule: rules.BurnoutShareHigh},
		{name: RuleCompassionFatigueHigh, ShareRule: rules.CompassionFatigueHigh},
	} {
		if r.Enabled {
			r = r.compile()
			ev.shares = append(ev.shares, r)
			instruments = append(instruments, r.instruments...)
		}
	}
	var relevant []int
	for i := range obs {
		if slices.Contains(instruments, obs[i].Instrument) {
			relevant = append(relevant, i)
		}
	}
	ev.obsClinics, ev.obsOf = groupBy(relevant, func(i int) string { return obs[i].Clinic })
	return ev
}

// clinic evaluates the enabled rules for one clinic's teams.
func (ev *evaluator) clinic(teams []*teamEval) []Transition {
	var teamNames []string
	var teamObs [][]int
	if c, ok := slices.BinarySearch(ev.obsClinics, teams[0].clinic); ok {
		teamNames, teamObs = groupBy(ev.obsOf[c], func(i int) string { return ev.obs[i].Team })
	}
	var out []Transition
	for _, e := range teams {
		if len(ev.shares) > 0 {
			var idx []int
			if t, ok := slices.BinarySearch(teamNames, e.team); ok {
				idx = teamObs[t]
			}
			for _, r := range ev.shares {
				e.share(r, ev.obs, idx)
			}
		}
		if r := ev.rules.BurnoutRising; r.Enabled {
			e.rising(r)
		}
		if r := ev.rules.SelfCompassionFalling; r.Enabled {
			e.falling(r)
		}
		if r := ev.rules.ParticipationDrop; r.Enabled {
			e.participation(r, ev.cfg.BaselineWeeks)
		}
		out = append(out, e.out...)
	}
	return out
}

// Active returns, for each (clinic, team, rule) with a transition in ts, whether its
// latest transition is a firing.
func Active(ts []Transition) map[AlertKey]bool {
	latest := make(map[AlertKey]time.Time)
	active := make(map[AlertKey]bool)
	for _, t := range ts {
		k := AlertKey{t.Clinic, t.Team, t.Rule}
		if w, ok := latest[k]; ok && !t.Week.After(w) {
			continue
		}
		latest[k] = t.Week
		active[k] = t.State == StateFiring
	}
	return active
}

// shareRule is an enabled share rule, its cut-offs as parallel slices in score-name
// order (scores Compute does not report are dropped: they have no rows). As in
// Compute, only an observation's own instrument's scores count.
type shareRule struct {
	name string
	ShareRule
	scores      []string
	cutoffs     []float64
	producers   []string // producers[i] is the instrument producing scores[i]
	instruments []string // the distinct producers
}

func (r shareRule) compile() shareRule {
	for _, s := range slices.Sorted(maps.Keys(r.Cutoffs)) {
		if i, ok := scoreIndex[s]; ok {
			r.scores = append(r.scores, s)
			r.cutoffs = append(r.cutoffs, r.Cutoffs[s])
			in := scoreDefs[i].instrument
			r.producers = append(r.producers, in)
			if !slices.Contains(r.instruments, in) {
				r.instruments = append(r.instruments, in)
			}
		}
	}
	return r
}

// teamEval evaluates one team's rules over its rows, sorted by week and score.
type teamEval struct {
	clinic, team string
	rows         []*Row
	out          []Transition
}

// teamsByClinic groups the team rows (not the clinic totals) by team and the teams
// by clinic, in order.
func teamsByClinic(rows []Row) [][]*teamEval {
	var ptrs []*Row
	for i := range rows {
		if rows[i].Team != ClinicTotal {
			ptrs = append(ptrs, &rows[i])
		}
	}
	// Compute's output is already in this order, which the sort detects cheaply.
	slices.SortFunc(ptrs, func(a, b *Row) int {
		if c := strings.Compare(a.Clinic, b.Clinic); c != 0 {
			return c
		}
		if c := strings.Compare(a.Team, b.Team); c != 0 {
			return c
		}
		if c := a.Week.Compare(b.Week); c != 0 {
			return c
		}
		return strings.Compare(a.Score, b.Score)
	})
	var clinics [][]*teamEval
	for i := 0; i < len(ptrs); {
		j := i + 1
		for j < len(ptrs) && ptrs[j].Clinic == ptrs[i].Clinic && ptrs[j].Team == ptrs[i].Team {
			j++
		}
		e := &teamEval{clinic: ptrs[i].Clinic, team: ptrs[i].Team, rows: ptrs[i:j]}
		if n := len(clinics); n > 0 && clinics[n-1][0].clinic == e.clinic {
			clinics[n-1] = append(clinics[n-1], e)
		} else {
			clinics = append(clinics, []*teamEval{e})
		}
		i = j
	}
	return clinics
}

// state is one alert's state machine; step records a transition when the condition
// changes, building its values only then.
type state struct {
	e      *teamEval
	rule   string
	firing bool
}

func (s *state) step(week time.Time, cond bool, values func() map[string]float64) {
	if cond == s.firing {
		return
	}
	s.firing = cond
	st := StateResolved
	if cond {
		st = StateFiring
	}
	s.e.out = append(s.e.out, Transition{
		ID:     transitionID(s.e.clinic, s.e.team, s.rule, week, st),
		Clinic: s.e.clinic, Team: s.e.team, Rule: s.rule,
		Week: week, State: st, Values: values(),
	})
}

func transitionID(clinic, team, rule string, week time.Time, state string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{clinic, team, rule, week.Format(time.DateOnly), state}, "\n")))
	return hex.EncodeToString(sum[:16])
}

// share evaluates a share rule from the team's observations idx, counting only values
// whose row is published.
func (e *teamEval) share(r shareRule, obs []Observation, idx []int) {
	published := make(map[int64]uint64) // week -> bit i set when r.scores[i]'s row is published
	var weeks []int64                   // weeks with a published row of a cut-off score, ascending
	for _, row := range e.rows {
		if i := slices.Index(r.scores, row.Score); i >= 0 && !row.Suppressed {
			w := weekNumber(row.Week)
			published[w] |= 1 << i
			if len(weeks) == 0 || weeks[len(weeks)-1] != w {
				weeks = append(weeks, w)
			}
		}
	}
	if len(weeks) == 0 {
		return
	}

	// Count each week's clinician-weeks, and the high ones, over the published values.
	type weekObs struct {
		week int64
		obs  int
	}
	byWeek := make([]weekObs, 0, len(idx))
	for _, i := range idx {
		if !slices.Contains(r.instruments, obs[i].Instrument) {
			continue
		}
		if w := weekNumber(obs[i].Week); published[w] != 0 {
			byWeek = append(byWeek, weekObs{w, i})
		}
	}
	slices.SortFunc(byWeek, func(a, b weekObs) int { return cmp.Compare(a.week, b.week) })
	const counted, high = 1, 2
	type tally struct{ clinicianWeeks, high int }
	tallies := make(map[int64]tally)
	flags := make(map[string]uint8) // clinician -> counted | high, this week
	for i := 0; i < len(byWeek); {
		w := byWeek[i].week
		mask := published[w]
		clear(flags)
		for ; i < len(byWeek) && byWeek[i].week == w; i++ {
			o := &obs[byWeek[i].obs]
			var f uint8
			for j, s := range r.scores {
				if r.producers[j] != o.Instrument || mask&(1<<j) == 0 {
					continue
				}
				if v, ok := o.Scores[s]; ok && finite(v) {
					f |= counted
					if v >= r.cutoffs[j] {
						f |= high
					}
				}
			}
			if f != 0 {
				flags[o.Clinician] |= f
			}
		}
		var t tally
		for _, f := range flags {
			t.clinicianWeeks++
			if f&high != 0 {
				t.high++
			}
		}
		tallies[w] = t
	}

	st := &state{e: e, rule: r.name}
	from := 0
	for i, w := range weeks {
		for weeks[from] <= w-int64(r.Weeks) {
			from++
		}
		var sum tally
		for _, v := range weeks[from : i+1] {
			sum.clinicianWeeks += tallies[v].clinicianWeeks
			sum.high += tallies[v].high
		}
		if sum.clinicianWeeks == 0 {
			continue // rows without their observations: nothing to decide on
		}
		share := float64(sum.high) / float64(sum.clinicianWeeks)
		st.step(weekStart(w), share >= r.Share, func() map[string]float64 {
			return map[string]float64{"share": share, "threshold": r.Share, "clinician_weeks": float64(sum.clinicianWeeks)}
		})
	}
}

// rising evaluates burnout_rising.
func (e *teamEval) rising(r RisingRule) {
	st := &state{e: e, rule: RuleBurnoutRising}
	for _, row := range e.rows {
		if row.Score != r.Score || row.Suppressed || (row.EWMA == nil && row.Slope8w == nil) {
			continue
		}
		above := row.EWMA != nil && *row.EWMA > *row.UCL
		steep := row.Slope8w != nil && *row.Slope8w >= r.SlopePerWeek
		st.step(row.Week, above || steep, func() map[string]float64 {
			v := make(map[string]float64)
			if row.EWMA != nil {
				v["ewma"], v["ucl"] = *row.EWMA, *row.UCL
			}
			if row.Slope8w != nil {
				v["slope"], v["slope_threshold"] = *row.Slope8w, r.SlopePerWeek
			}
			return v
		})
	}
}

// falling evaluates self_compassion_falling.
func (e *teamEval) falling(r FallingRule) {
	st := &state{e: e, rule: RuleSelfCompassionFalling}
	for _, row := range e.rows {
		if row.Score != r.Score || row.Suppressed || row.EWMA == nil {
			continue
		}
		st.step(row.Week, *row.EWMA < *row.LCL, func() map[string]float64 {
			return map[string]float64{"ewma": *row.EWMA, "lcl": *row.LCL}
		})
	}
}

// participation evaluates participation_drop over the team's published weeks.
func (e *teamEval) participation(r ParticipationRule, baselineWeeks int) {
	type weekValue struct {
		week time.Time
		p    float64
	}
	var weeks []weekValue
	for _, row := range e.rows {
		if row.Suppressed || row.Participation == nil {
			continue
		}
		if n := len(weeks); n == 0 || !weeks[n-1].week.Equal(row.Week) {
			weeks = append(weeks, weekValue{row.Week, *row.Participation})
		}
	}
	if len(weeks) <= baselineWeeks {
		return
	}
	var sum float64
	for _, w := range weeks[:baselineWeeks] {
		sum += w.p
	}
	baseline := sum / float64(baselineWeeks)
	if baseline < r.Baseline {
		return
	}
	st := &state{e: e, rule: RuleParticipationDrop}
	run := 0 // published weeks in a row below the threshold
	for _, w := range weeks[baselineWeeks:] {
		if w.p < r.Below {
			run++
		} else {
			run = 0
		}
		st.step(w.week, run >= r.ConsecutiveWeeks, func() map[string]float64 {
			return map[string]float64{"participation": w.p, "threshold": r.Below, "baseline": baseline}
		})
	}
}

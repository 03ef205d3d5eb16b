package reporting

import (
	"maps"
	"slices"

	"github.com/tendhq/tend/internal/alarm"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/figures"
)

// teamState is one team's alert memory for one instrument, carried from
// period to period in the publication claims. It holds pseudonyms (each
// clinician's own reference): it lives in the private claims bucket only.
type teamState struct {
	Charts        map[string]*alarm.State      `json:"charts,omitempty"` // by rule
	Shares        map[string]*alarm.ShareState `json:"shares,omitempty"` // by rule
	Participation alarm.ParticipationState     `json:"participation"`
}

// scoreRule names the alert rule that watches one score.
type scoreRule struct{ rule, score string }

// rules are the alert rules of each instrument: a within-clinician trend
// chart on its burnout (or self-compassion) score, a share-at-risk rule per
// instrument with its own calibrated threshold, and participation.
var rules = map[string]struct{ charts, shares []scoreRule }{
	"proqol5": {
		charts: []scoreRule{{"burnout_rising", "burnout"}},
		shares: []scoreRule{{"burnout_share_high", "burnout"}, {"compassion_fatigue_high", "secondary_traumatic_stress"}},
	},
	"cbi": {
		charts: []scoreRule{{"burnout_rising", "work_burnout"}},
		shares: []scoreRule{{"burnout_share_high", "work_burnout"}},
	},
	"miniz": {
		charts: []scoreRule{{"burnout_rising", "burnout_level"}},
		shares: []scoreRule{{"burnout_share_high", "burnout_level"}},
	},
	"scssf": {
		charts: []scoreRule{{"self_compassion_falling", "self_compassion"}},
		shares: []scoreRule{{"self_compassion_low", "self_compassion"}},
	},
}

// ParticipationRule is the alert rule on respondents ÷ roster.
const ParticipationRule = "participation_drop"

func cadence(l figures.Length) alarm.Cadence {
	if l == figures.Week {
		return alarm.Weekly
	}
	return alarm.Monthly
}

// decide closes the period for every team of the clinic that has a state or
// respondents: it updates each team's alert rules and returns the new
// states, the transitions, and the roster each team was measured against:
// enrolled, the clinic's roster per team when it has one, else the
// clinicians the charts know. Teams are visited in name order and each rule
// in a fixed order, so the same check-ins always give the same decisions.
func decide(c candidate, k int, prior map[string]*teamState, responses []figures.Response, enrolled map[string]int) (map[string]*teamState, []clickhouse.AlertRow, map[string]int) {
	byTeam := map[string][]figures.Response{}
	for _, r := range responses {
		byTeam[r.Team] = append(byTeam[r.Team], r)
	}
	teams := slices.Sorted(maps.Keys(prior))
	for t := range byTeam {
		if _, ok := prior[t]; !ok {
			teams = append(teams, t)
		}
	}
	for t := range enrolled {
		if _, ok := prior[t]; !ok && byTeam[t] == nil {
			teams = append(teams, t)
		}
	}
	slices.Sort(teams)

	ir := rules[c.instrument]
	charts := make([]alarm.Params, len(ir.charts))
	for i, sr := range ir.charts {
		charts[i], _ = alarm.DefaultParamsFor(sr.score, cadence(c.length)) // every rule's score has defaults (TestRulesHaveDefaults)
		charts[i].MinRespondents = k
	}
	shares := make([]alarm.ShareParams, len(ir.shares))
	for i, sr := range ir.shares {
		shares[i], _ = alarm.DefaultShareParams(sr.score)
		shares[i].MinRespondents = k
	}
	participation := alarm.DefaultParticipationParams()

	states := make(map[string]*teamState, len(teams))
	rosters := make(map[string]int, len(teams))
	var alerts []clickhouse.AlertRow
	transition := func(team, rule, state string) {
		if state == "" {
			return
		}
		a := clickhouse.AlertRow{Clinic: c.clinic, Team: team, Instrument: c.instrument, Rule: rule, Length: c.length, Start: c.start, State: state}
		a.ID = alertID(a)
		alerts = append(alerts, a)
	}
	for _, team := range teams {
		st := prior[team]
		if st == nil {
			st = &teamState{}
		}
		rs := byTeam[team]
		rosters[team] = rosterSize(st, rs)
		if enrolled != nil {
			rosters[team] = enrolled[team]
		}
		for i, sr := range ir.charts {
			transition(team, sr.rule, ruleState(&st.Charts, sr.rule).Close(charts[i], values(rs, sr.score)).Transition)
		}
		for i, sr := range ir.shares {
			transition(team, sr.rule, ruleState(&st.Shares, sr.rule).Close(shares[i], values(rs, sr.score)).Transition)
		}
		transition(team, ParticipationRule, st.Participation.Close(participation, len(rs), rosters[team]).Transition)
		states[team] = st
	}
	return states, alerts, rosters
}

// ruleState is the state of rule in *m, created on first use.
func ruleState[S any](m *map[string]*S, rule string) *S {
	if *m == nil {
		*m = map[string]*S{}
	}
	s := (*m)[rule]
	if s == nil {
		s = new(S)
		(*m)[rule] = s
	}
	return s
}

func values(rs []figures.Response, score string) []alarm.Response {
	out := make([]alarm.Response, 0, len(rs))
	for _, r := range rs {
		if v, ok := r.Scores[score]; ok {
			out = append(out, alarm.Response{Clinician: r.Clinician, Value: v})
		}
	}
	return out
}

// rosterSize is the team's roster as tend knows it without enrolment: the
// clinicians its charts remember (those who answered in their recent
// periods) and this period's respondents.
func rosterSize(st *teamState, rs []figures.Response) int {
	known := map[string]bool{}
	for _, cs := range st.Charts {
		for _, cl := range cs.Clinicians {
			known[cl.ID] = true
		}
	}
	for _, r := range rs {
		known[r.Clinician] = true
	}
	return len(known)
}

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
// respondents: it updates each team's alert charts and returns the new
// states and the transitions. Teams are visited in name order and each rule
// in a fixed order, so the same check-ins always give the same decisions.
func decide(c candidate, k int, prior map[string]*teamState, responses []figures.Response) (map[string]*teamState, []clickhouse.AlertRow) {
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
	slices.Sort(teams)
	out := make(map[string]*teamState, len(teams))
	var alerts []clickhouse.AlertRow
	transition := func(team, rule, state string) {
		if state == "" {
			return
		}
		a := clickhouse.AlertRow{Clinic: c.clinic, Team: team, Instrument: c.instrument, Rule: rule, Length: c.length, Start: c.start, State: state}
		a.ID = alertID(a)
		alerts = append(alerts, a)
	}
	ir := rules[c.instrument]
	for _, team := range teams {
		st := prior[team]
		if st == nil {
			st = &teamState{}
		}
		if st.Charts == nil {
			st.Charts = map[string]*alarm.State{}
		}
		if st.Shares == nil {
			st.Shares = map[string]*alarm.ShareState{}
		}
		rs := byTeam[team]
		roster := rosterSize(st, rs)
		for _, sr := range ir.charts {
			p, ok := alarm.DefaultParamsFor(sr.score, cadence(c.length))
			if !ok {
				continue
			}
			p.MinRespondents = k
			cs := st.Charts[sr.rule]
			if cs == nil {
				cs = &alarm.State{}
				st.Charts[sr.rule] = cs
			}
			transition(team, sr.rule, cs.Close(p, values(rs, sr.score)).Transition)
		}
		for _, sr := range ir.shares {
			p, ok := alarm.DefaultShareParams(sr.score)
			if !ok {
				continue
			}
			p.MinRespondents = k
			ss := st.Shares[sr.rule]
			if ss == nil {
				ss = &alarm.ShareState{}
				st.Shares[sr.rule] = ss
			}
			transition(team, sr.rule, ss.Close(p, values(rs, sr.score)).Transition)
		}
		transition(team, ParticipationRule, st.Participation.Close(alarm.DefaultParticipationParams(), len(rs), roster).Transition)
		out[team] = st
	}
	return out, alerts
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

// rosterOf is rosterSize of every team, for the figures' participation.
func rosterOf(states map[string]*teamState, responses []figures.Response) map[string]int {
	byTeam := map[string][]figures.Response{}
	for _, r := range responses {
		byTeam[r.Team] = append(byTeam[r.Team], r)
	}
	out := make(map[string]int, len(states))
	for team, st := range states {
		out[team] = rosterSize(st, byTeam[team])
	}
	return out
}

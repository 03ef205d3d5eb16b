package dashboards

import (
	"fmt"
	"maps"
)

// RuleGroupTitle names the Grafana alert rule group tend provisions in its
// folder (a URL path segment: [A-Za-z0-9_-] only).
const RuleGroupTitle = "tend-team-alerts"

// RuleGroup is a Grafana alert rule group as tend provisions it. Grafana
// replaces a group whole, which makes provisioning it idempotent.
type RuleGroup struct {
	Title           string
	IntervalSeconds int64
	Rules           []AlertRule
}

// AlertRule is one Grafana alert rule: a SQL query on the datasource whose
// rows are series — its string columns become labels — and which fires for
// every series whose last value is above zero.
type AlertRule struct {
	UID, Title  string
	SQL         string
	Labels      map[string]string
	Annotations map[string]string
}

// alertRuleGroup is the rule group that lets Grafana notify whoever leadership
// names (contact points, policies) of tend's team alerts: one series per
// (clinic, team, instrument, rule), 1 while the alert fires. Whether it fires
// is decided by tend (tend_reporting.alerts, from its own charts); Grafana
// only routes it. Teams only: the clinic total never alerts here, and no row
// is ever about one clinician.
func alertRuleGroup(cfg Config) RuleGroup {
	q := queries{db: cfg.ReportingDatabase}
	return RuleGroup{
		Title:           RuleGroupTitle,
		IntervalSeconds: 300,
		Rules: []AlertRule{{
			UID:   "tend-team-alert",
			Title: "tend team alert",
			SQL:   q.firingAlerts(),
			Labels: map[string]string{
				"source": "tend",
			},
			Annotations: map[string]string{
				"summary":     "{{ $labels.rule }} ({{ $labels.instrument }}) for team {{ $labels.team }} at {{ $labels.clinic }}",
				"description": "A team-level trend alert from tend (never about one clinician). See the tend — team wellbeing dashboard.",
			},
		}},
	}
}

// firingAlerts is one row per (clinic, team, instrument, rule) that ever
// transitioned, with firing = 1 while its latest transition (by period) is a
// firing one and 0 once resolved, so that Grafana resolves it too. alerts is
// a plain MergeTree written once per transition: no FINAL.
func (q queries) firingAlerts() string {
	return fmt.Sprintf("SELECT clinic, team, instrument, rule, toFloat64(argMax(state, period_start) = 'firing') AS firing\n"+
		"FROM %s.alerts\nWHERE team != '_all'\nGROUP BY clinic, team, instrument, rule\nORDER BY clinic, team, instrument, rule", q.db)
}

// sameRuleGroup reports whether Grafana's group a is tend's b.
func sameRuleGroup(a, b RuleGroup) bool {
	if a.Title != b.Title || a.IntervalSeconds != b.IntervalSeconds || len(a.Rules) != len(b.Rules) {
		return false
	}
	for i := range a.Rules {
		x, y := a.Rules[i], b.Rules[i]
		if x.UID != y.UID || x.Title != y.Title || x.SQL != y.SQL || !maps.Equal(x.Labels, y.Labels) || !maps.Equal(x.Annotations, y.Annotations) {
			return false
		}
	}
	return true
}

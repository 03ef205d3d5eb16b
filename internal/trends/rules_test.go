package trends

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestExampleRulesAreTheDefaults(t *testing.T) {
	data, err := os.ReadFile("../../deploy/alert-rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRules(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, DefaultRules()) {
		t.Errorf("example file:\n%+v\ndefaults:\n%+v", r, DefaultRules())
	}
	if err := DefaultRules().Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseRulesMergesOverDefaults(t *testing.T) {
	for _, empty := range []string{"", "# nothing\n", "burnout_rising:\n", "burnout_rising: ~\n"} {
		r, err := ParseRules([]byte(empty))
		if err != nil || !reflect.DeepEqual(r, DefaultRules()) {
			t.Errorf("ParseRules(%q) = %+v, %v; want the defaults", empty, r, err)
		}
	}

	r, err := ParseRules([]byte(`
burnout_share_high:
  share: 0.25
  cutoffs:
    burnout_level: 4
    client_burnout: 60
    work_burnout: ~
participation_drop:
  enabled: false
`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultRules()
	want.BurnoutShareHigh.Share = 0.25
	want.BurnoutShareHigh.Cutoffs["burnout_level"] = 4
	want.BurnoutShareHigh.Cutoffs["client_burnout"] = 60 // work_burnout: ~ kept its default
	want.ParticipationDrop.Enabled = false
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got\n%+v\nwant\n%+v", r, want)
	}
	if DefaultRules().BurnoutShareHigh.Cutoffs["burnout_level"] != 3 {
		t.Error("parsing changed the defaults")
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"burnout_risin:\n  enabled: true\n", "line 1: burnout_risin: unknown key (want one of burnout_share_high, burnout_rising,"},
		{"burnout_rising:\n  slope: 2\n", "line 2: burnout_rising.slope: unknown key (want one of enabled, score, slope_per_week)"},
		{"burnout_rising:\n  enabled: maybe\n", "line 2: burnout_rising.enabled: must be true or false"},
		{"burnout_share_high:\n  weeks: four\n", "line 2: burnout_share_high.weeks: must be a whole number"},
		{"burnout_share_high:\n  share: [1]\n", "line 2: burnout_share_high.share: must be a number"},
		{"burnout_share_high: 3\n", "line 1: burnout_share_high: must be a mapping"},
		{"- 1\n", "line 1: (top level): must be a mapping"},
		{"participation_drop:\n  below: 0.4\n  below: 0.3\n", "line 3: participation_drop.below: duplicate key"},
		{"burnout_share_high:\n  share: 1.5\n", "line 2: burnout_share_high.share: must be greater than 0 and at most 1, got 1.5"},
		{"compassion_fatigue_high:\n  weeks: 0\n", "line 2: compassion_fatigue_high.weeks: must be between 1 and 52, got 0"},
		{"burnout_share_high:\n  cutoffs:\n    burnot: 42\n", "burnout_share_high.cutoffs.burnot: unknown score"},
		{"burnout_share_high:\n  cutoffs:\n    self_compassion: 2\n", "burnout_share_high.cutoffs.self_compassion: counts values at or above the cut-off, but a high self_compassion is not the risk side"},
		{"burnout_share_high:\n  cutoffs:\n    burnout: 60\n", "burnout_share_high.cutoffs.burnout: must be within the score's range 10–50, got 60"},
		{"burnout_share_high:\n  cutoffs: 42\n", "line 2: burnout_share_high.cutoffs: must be a mapping"},
		{"burnout_rising:\n  slope_per_week: 0\n", "line 2: burnout_rising.slope_per_week: must be greater than 0, got 0"},
		{"burnout_rising:\n  score: burnuot\n", `line 2: burnout_rising.score: unknown score "burnuot"`},
		{"self_compassion_falling:\n  score: ''\n", `self_compassion_falling.score: unknown score ""`},
		{"self_compassion_falling:\n  score: isolation\n", "line 2: self_compassion_falling.score: the risk side of isolation is high, so this rule cannot watch it"},
		{"burnout_rising:\n  score: compassion_satisfaction\n", "burnout_rising.score: the risk side of compassion_satisfaction is low"},
		{"participation_drop:\n  below: 0\n", "participation_drop.below: must be greater than 0 and at most 1, got 0"},
		{"participation_drop:\n  consecutive_weeks: 0\n", "participation_drop.consecutive_weeks: must be at least 1, got 0"},
		{"participation_drop:\n  baseline: 1.2\n", "participation_drop.baseline: must be between 0 and 1, got 1.2"},
		{"burnout_rising: [\n", "yaml:"},
	}
	for _, tt := range tests {
		_, err := ParseRules([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRules(%q) = %v, want an error containing %q", tt.yaml, err, tt.want)
		}
	}

	// Every problem is reported, not just the first.
	_, err := ParseRules([]byte("burnout_share_high:\n  share: 2\n  weeks: 0\nfoo: 1\n"))
	for _, want := range []string{"share", "weeks", "foo"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

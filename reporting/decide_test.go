package reporting

import (
	"slices"
	"testing"

	"github.com/tendhq/tend/internal/alarm"
	"github.com/tendhq/tend/internal/instrument"
)

// TestRulesHaveDefaults: every score an alert rule watches is one the
// instrument produces and one alarm has default parameters for, so decide
// never runs a rule with zero parameters.
func TestRulesHaveDefaults(t *testing.T) {
	for name, ir := range rules {
		in, ok := instrument.Lookup(name)
		if !ok {
			t.Fatalf("rules name unknown instrument %q", name)
		}
		for _, sr := range ir.charts {
			if _, ok := alarm.DefaultParams(sr.score); !ok || !slices.Contains(in.Scores, sr.score) {
				t.Errorf("%s: chart rule %s watches %q, which has no defaults or is not a score of the instrument", name, sr.rule, sr.score)
			}
		}
		for _, sr := range ir.shares {
			if _, ok := alarm.DefaultShareParams(sr.score); !ok || !slices.Contains(in.Scores, sr.score) {
				t.Errorf("%s: share rule %s watches %q, which has no defaults or is not a score of the instrument", name, sr.rule, sr.score)
			}
		}
	}
}

package trends

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/yamlconf"
)

// Rules configures the alert rules (instruments.md, "Alert rules"). The YAML keys are
// the rule names and the yaml tags below; deploy/alert-rules.example.yaml documents
// each one.
type Rules struct {
	BurnoutShareHigh      ShareRule         `yaml:"burnout_share_high"`
	BurnoutRising         RisingRule        `yaml:"burnout_rising"`
	CompassionFatigueHigh ShareRule         `yaml:"compassion_fatigue_high"`
	SelfCompassionFalling FallingRule       `yaml:"self_compassion_falling"`
	ParticipationDrop     ParticipationRule `yaml:"participation_drop"`
}

// ShareRule fires while at least Share of a team's clinician-weeks in the trailing
// Weeks calendar weeks are high: a clinician-week is high when any of its values of a
// score in Cutoffs is at or above that score's cut-off. Only values in published rows
// count (see Evaluate).
type ShareRule struct {
	Enabled bool               `yaml:"enabled"`
	Share   float64            `yaml:"share"`
	Weeks   int                `yaml:"weeks"`
	Cutoffs map[string]float64 `yaml:"cutoffs"`
}

// RisingRule fires while Score's EWMA is above its upper control limit, or its
// slope_8w is at least SlopePerWeek points per week. Score's risk side must be high.
type RisingRule struct {
	Enabled      bool    `yaml:"enabled"`
	Score        string  `yaml:"score"`
	SlopePerWeek float64 `yaml:"slope_per_week"`
}

// FallingRule fires while Score's EWMA is below its lower control limit. Score's risk
// side must be low.
type FallingRule struct {
	Enabled bool   `yaml:"enabled"`
	Score   string `yaml:"score"`
}

// ParticipationRule fires while participation has been below Below for
// ConsecutiveWeeks consecutive published weeks after the baseline, provided the
// baseline's mean participation was at least Baseline.
type ParticipationRule struct {
	Enabled          bool    `yaml:"enabled"`
	Below            float64 `yaml:"below"`
	ConsecutiveWeeks int     `yaml:"consecutive_weeks"`
	Baseline         float64 `yaml:"baseline"`
}

// DefaultRules returns the rules instruments.md specifies, all enabled.
func DefaultRules() Rules {
	return Rules{
		BurnoutShareHigh: ShareRule{
			Enabled: true, Share: 0.30, Weeks: 4,
			Cutoffs: map[string]float64{"burnout": 42, "work_burnout": 50, "burnout_level": 3},
		},
		BurnoutRising: RisingRule{Enabled: true, Score: "burnout", SlopePerWeek: 1.0},
		CompassionFatigueHigh: ShareRule{
			Enabled: true, Share: 0.30, Weeks: 4,
			Cutoffs: map[string]float64{"secondary_traumatic_stress": 42},
		},
		SelfCompassionFalling: FallingRule{Enabled: true, Score: "self_compassion"},
		ParticipationDrop:     ParticipationRule{Enabled: true, Below: 0.50, ConsecutiveWeeks: 2, Baseline: 0.70},
	}
}

// ParseRules reads alert rules from YAML over DefaultRules: a missing or empty key
// keeps its default, and cutoffs merge into the default cut-offs by score. Unknown and
// duplicate keys, values of the wrong type and values out of range are errors, each
// naming its line and key, e.g. "line 3: burnout_rising.slope_per_week: must be
// greater than 0". The caller names the file.
func ParseRules(data []byte) (Rules, error) {
	r := DefaultRules()
	lines, err := yamlconf.Decode(data, &r)
	// A value that failed to decode kept its valid default, so validating the rest
	// adds only real problems.
	if err = errors.Join(err, r.validate(lines)); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// Validate reports every parameter out of range, naming its YAML key.
func (r Rules) Validate() error { return r.validate(nil) }

func (r Rules) validate(lines yamlconf.Lines) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, lines.Errorf(path, format, args...))
	}
	share := func(name string, s ShareRule) {
		if !(s.Share > 0 && s.Share <= 1) {
			bad(name+".share", "must be greater than 0 and at most 1, got %g", s.Share)
		}
		if s.Weeks < 1 || s.Weeks > 52 {
			bad(name+".weeks", "must be between 1 and 52, got %d", s.Weeks)
		}
		if len(s.Cutoffs) == 0 {
			bad(name+".cutoffs", "must name at least one score")
		}
		for _, score := range slices.Sorted(maps.Keys(s.Cutoffs)) {
			path := name + ".cutoffs." + score
			info, ok := instrument.Info(score)
			switch {
			case !ok:
				bad(path, "unknown score (want one of %s)", strings.Join(instrument.ScoreNames(), ", "))
			case info.RiskSide != instrument.LevelHigh:
				bad(path, "counts values at or above the cut-off, but a high %s is not the risk side", score)
			case !(s.Cutoffs[score] >= info.Min && s.Cutoffs[score] <= info.Max):
				bad(path, "must be within the score's range %g–%g, got %g", info.Min, info.Max, s.Cutoffs[score])
			}
		}
	}
	// A rising alert only makes sense on a score whose high side is the risk side, a
	// falling one on a score whose low side is.
	charted := func(path, score, riskSide string) {
		info, ok := instrument.Info(score)
		switch {
		case !ok:
			bad(path, "unknown score %q (want one of %s)", score, strings.Join(instrument.ScoreNames(), ", "))
		case info.RiskSide != riskSide:
			bad(path, "the risk side of %s is %s, so this rule cannot watch it", score, info.RiskSide)
		}
	}
	share("burnout_share_high", r.BurnoutShareHigh)
	share("compassion_fatigue_high", r.CompassionFatigueHigh)
	charted("burnout_rising.score", r.BurnoutRising.Score, instrument.LevelHigh)
	if s := r.BurnoutRising.SlopePerWeek; !(s > 0) || math.IsInf(s, 0) {
		bad("burnout_rising.slope_per_week", "must be greater than 0, got %g", s)
	}
	charted("self_compassion_falling.score", r.SelfCompassionFalling.Score, instrument.LevelLow)
	p := r.ParticipationDrop
	if !(p.Below > 0 && p.Below <= 1) {
		bad("participation_drop.below", "must be greater than 0 and at most 1, got %g", p.Below)
	}
	if p.ConsecutiveWeeks < 1 {
		bad("participation_drop.consecutive_weeks", "must be at least 1, got %d", p.ConsecutiveWeeks)
	}
	if !(p.Baseline >= 0 && p.Baseline <= 1) {
		bad("participation_drop.baseline", "must be between 0 and 1, got %g", p.Baseline)
	}
	return errors.Join(errs...)
}

// Package feedback chooses the clinician's own, private feedback for a scored check-in:
// one to three kind, concrete suggestions drawn from the self-compassion practice
// literature, led by the clinic's support contacts when the answers call for them.
// Nothing here is sent to anyone but the clinician who answered.
package feedback

import (
	"cmp"
	"slices"

	"github.com/tendhq/tend/internal/instrument"
)

// Suggestion kinds. Each kind has one text, built in and overridable per clinic.
const (
	KindSupport                  = "support"
	KindBurnout                  = "burnout"
	KindSecondaryTraumaticStress = "secondary_traumatic_stress"
	KindSelfKindness             = "self_kindness"
	KindCommonHumanity           = "common_humanity"
	KindMindfulness              = "mindfulness"
	KindCompassionSatisfaction   = "compassion_satisfaction"
	KindMaintenance              = "maintenance"
)

// maxSuggestions keeps the feedback short enough to be read and acted on.
const maxSuggestions = 3

// Suggestion is one practice offered to the clinician.
type Suggestion struct {
	Kind string `json:"kind" yaml:"kind"`
	Text string `json:"text" yaml:"text"`
}

// Contact is a support resource the clinic offers its clinicians.
type Contact struct {
	Name  string `json:"name" yaml:"name"`
	Phone string `json:"phone,omitempty" yaml:"phone"`
	URL   string `json:"url,omitempty" yaml:"url"`
	Hours string `json:"hours,omitempty" yaml:"hours"`
}

// Feedback is what the clinician gets back for one check-in.
type Feedback struct {
	Suggestions []Suggestion `json:"suggestions"`       // 1..3, never empty
	Support     []Contact    `json:"support,omitempty"` // only when the answers call for it
}

// signals maps each practice kind to the scores that call for it. Equal leans keep
// this order, which puts burnout and traumatic stress — the strain itself — before
// the self-compassion practices that help carry it.
//
// instruments.md pairs each self-compassion practice with both poles of its Neff
// component (high self-judgment / low self-kindness → self-kindness, and so on).
// Low compassion satisfaction has no practice there; tend offers a gentle one of its
// own rather than a "doing well" message to someone who is not.
var signals = []struct {
	kind   string
	scores []string
}{
	{KindBurnout, []string{"burnout", "personal_burnout", "work_burnout", "client_burnout", "burnout_level"}},
	{KindSecondaryTraumaticStress, []string{"secondary_traumatic_stress"}},
	{KindSelfKindness, []string{"self_judgment", "self_kindness"}},
	{KindCommonHumanity, []string{"isolation", "common_humanity"}},
	{KindMindfulness, []string{"over_identification", "mindfulness"}},
	{KindCompassionSatisfaction, []string{"compassion_satisfaction"}},
}

// For returns the feedback for one clinician's scored check-in at clinic. The output
// depends only on the configuration, the clinic and the scores; For only reads the
// Config, so one Config serves concurrent requests.
func (c *Config) For(clinic string, r instrument.Result) Feedback {
	var fb Feedback
	if needsSupport(r.Scores) {
		fb.Suggestions = append(fb.Suggestions, Suggestion{Kind: KindSupport, Text: c.text(clinic, KindSupport)})
		fb.Support = c.contacts(clinic)
	}
	for _, kind := range ranked(r.Scores) {
		if len(fb.Suggestions) == maxSuggestions {
			break
		}
		fb.Suggestions = append(fb.Suggestions, Suggestion{Kind: kind, Text: c.text(clinic, kind)})
	}
	if len(fb.Suggestions) == 0 {
		fb.Suggestions = []Suggestion{{Kind: KindMaintenance, Text: c.text(clinic, KindMaintenance)}}
	}
	return fb
}

// needsSupport applies the rule of instruments.md: Mini-Z answer 5 ("I feel
// completely burned out …"), or ProQOL secondary traumatic stress high together with
// burnout high, put the clinic's support contacts first.
func needsSupport(scores map[string]float64) bool {
	if v, ok := scores["burnout_level"]; ok && v >= 5 {
		return true
	}
	sts, okS := scores["secondary_traumatic_stress"]
	bo, okB := scores["burnout"]
	return okS && okB && instrument.High("secondary_traumatic_stress", sts) && instrument.High("burnout", bo)
}

// ranked returns the kinds whose scores lean to the risk side, strongest lean first.
func ranked(scores map[string]float64) []string {
	type candidate struct {
		kind string
		lean float64
	}
	var cands []candidate
	for _, s := range signals {
		best, found := 0.0, false
		for _, score := range s.scores {
			v, ok := scores[score]
			if !ok {
				continue
			}
			if l, risk := lean(score, v); risk && (!found || l > best) {
				best, found = l, true
			}
		}
		if found {
			cands = append(cands, candidate{s.kind, best})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.lean, a.lean) })
	kinds := make([]string, len(cands))
	for i, c := range cands {
		kinds[i] = c.kind
	}
	return kinds
}

// lean is how far v sits toward the score's risk side, 0 at the healthy end of its
// range and 1 at the risk end, so that scores on different scales rank together. A
// banded score is at risk when its band is on the risk side (ProQOL ≥ 42 or CS ≤ 22,
// CBI ≥ 50, Mini-Z ≥ 3). The SCS-SF components have no bands: one is at risk past the
// midpoint of its 1–5 range toward its uncompassionate pole (self-judgment above 3,
// self-kindness below 3, …).
func lean(score string, v float64) (float64, bool) {
	info, ok := instrument.Info(score)
	if !ok {
		return 0, false
	}
	l := (v - info.Min) / (info.Max - info.Min)
	if info.RiskSide == instrument.LevelLow {
		l = 1 - l
	}
	if info.Banded {
		b, ok := instrument.BandOf(score, v)
		return l, ok && b.AtRisk
	}
	return l, l > 0.5
}

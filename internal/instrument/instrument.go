// Package instrument scores the four validated check-in instruments tend accepts —
// ProQOL 5, SCS-SF, CBI and the Mini-Z burnout item — exactly as their published keys
// say, from one table (table.go), so that ingest (the clinician's own feedback), the
// processor (stored scores, team metrics) and the alert rules can never disagree about
// what an answer vector means.
package instrument

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Band levels. A score's risk side (Band.RiskSide, ScoreInfo.RiskSide) is LevelHigh or
// LevelLow.
const (
	LevelLow      = "low"
	LevelModerate = "moderate"
	LevelHigh     = "high"
)

// Instrument is one validated questionnaire and its published scoring key.
type Instrument struct {
	Name     string // "proqol5"
	Title    string // human title
	Citation string // credit line or citation the terms of use ask for
	Items    int    // number of answers
	Allowed  []int  // allowed answer values, ascending
	// Anchors are the response labels of the published form, by answer value;
	// values the form leaves unlabelled have none. Item wording itself is
	// not reproduced: the forms' terms forbid changing it, so tend shows item
	// numbers with these anchors and the citation.
	Anchors map[int]string
	Scores  []string // names of the scores it produces, in stable order

	// reverseFrom turns an answer a into its reverse-scored value reverseFrom − a:
	// 6 on the 1–5 scales (1↔5, 2↔4, 3 stays), 100 on the CBI's 0–100 item scores.
	reverseFrom int
	defs        []scoreDef
}

// scoreDef is one score of an instrument: how it is computed, its documented range and
// how it is banded.
type scoreDef struct {
	name    string
	items   []int // 1-based item numbers as printed on the form
	reverse []int // the subset of items reverse-scored before aggregating
	mean    bool  // mean of the items; otherwise their sum
	// derive computes a score from the instrument's other scores instead of from items.
	derive   func(score func(name string) float64) float64
	min, max float64 // documented range (instruments.md, "Scores stored per check-in")
	riskSide string  // which side of the score is the risk side
	cut      *cutoffs
	// highLevel is the band level the team metric share_high counts; empty when the
	// score has no such rule.
	highLevel string
}

// cutoffs bands a score: low below moderateFrom, high from highFrom on, moderate
// between. Both are the published lower bounds of the moderate and high bands, so a
// value in a gap the published table leaves (SCS-SF 2.49…2.5, 3.5…3.51) belongs to
// the band whose lower bound it has not yet reached. A scale with no moderate band
// has moderateFrom == highFrom. source says, per level, where that band comes from
// (Source*): a clinician must be able to tell a published cut-off from one of
// tend's own.
type cutoffs struct {
	moderateFrom, highFrom float64
	source                 map[string]string
}

func (c cutoffs) level(v float64) string {
	switch {
	case v < c.moderateFrom:
		return LevelLow
	case v >= c.highFrom:
		return LevelHigh
	default:
		return LevelModerate
	}
}

// Result is one check-in's scores.
type Result struct {
	Instrument string
	Scores     map[string]float64 // score name -> value; compassion_fatigue included for proqol5
	Bands      map[string]Band    // one per score that has a band
}

// Band places a score in its published band.
type Band struct {
	Level    string `json:"level"`     // "low" | "moderate" | "high"
	RiskSide string `json:"risk_side"` // "high" or "low": which side of this score is the risk side
	AtRisk   bool   `json:"at_risk"`   // Level is on the risk side
	// Source says whose band Level is (Source*): a CBI "moderate" is tend's
	// own, not a published cut-off, and must read as such.
	Source string `json:"source"`
}

// ScoreInfo describes one score for consumers that store, chart or interpret it.
type ScoreInfo struct {
	Name       string
	Instrument string
	Min, Max   float64 // documented range
	RiskSide   string  // "high" or "low": the side that signals strain
	Banded     bool    // BandOf gives a band for it
	Derived    bool    // computed from other scores; not a validated score itself
	Bands      []BandInfo
}

// Names lists the instrument names in a stable order: proqol5, scssf, cbi, miniz.
func Names() []string {
	names := make([]string, len(instruments))
	for i, in := range instruments {
		names[i] = in.Name
	}
	return names
}

// Lookup returns the instrument definition. The result is a copy: changing it does not
// change how answers are scored.
func Lookup(name string) (*Instrument, bool) {
	in := find(name)
	if in == nil {
		return nil, false
	}
	c := *in
	c.Allowed = slices.Clone(in.Allowed)
	c.Scores = slices.Clone(in.Scores)
	c.Anchors = maps.Clone(in.Anchors)
	return &c, true
}

// ScoreOrder is the named instrument's Scores, in order, without a copy (nil for an
// unknown instrument): the store writes it once per row. Callers must not change it.
func ScoreOrder(name string) []string {
	if in := find(name); in != nil {
		return in.Scores
	}
	return nil
}

// ScoreNames lists every score name any instrument produces, in stable order (instrument
// order, then each instrument's Scores order), compassion_fatigue included.
func ScoreNames() []string {
	var names []string
	for _, in := range instruments {
		names = append(names, in.Scores...)
	}
	return names
}

// Info describes the named score.
func Info(score string) (ScoreInfo, bool) {
	in, d := findScore(score)
	if d == nil {
		return ScoreInfo{}, false
	}
	return ScoreInfo{
		Name:       d.name,
		Instrument: in.Name,
		Min:        d.min,
		Max:        d.max,
		RiskSide:   d.riskSide,
		Banded:     d.cut != nil,
		Derived:    d.derive != nil,
		Bands:      d.bands(),
	}, true
}

// BandOf places value in the named score's band. ok is false for scores without
// published bands (the SCS-SF component profile, compassion_fatigue), for unknown
// scores and for NaN.
func BandOf(score string, value float64) (b Band, ok bool) {
	_, d := findScore(score)
	if d == nil {
		return Band{}, false
	}
	return d.band(value)
}

// band places value in d's band (see BandOf).
func (d *scoreDef) band(value float64) (Band, bool) {
	if d.cut == nil || math.IsNaN(value) {
		return Band{}, false
	}
	level := d.cut.level(value)
	return Band{Level: level, RiskSide: d.riskSide, AtRisk: level == d.riskSide, Source: d.cut.source[level]}, true
}

// High reports whether value is on the side the team metric share_high counts, per the
// table "Scores stored per check-in" in instruments.md:
//
//   - compassion_satisfaction, burnout, secondary_traumatic_stress: value ≥ 42 (the
//     ProQOL "high" band). For compassion_satisfaction high is the good side, so
//     share_high there is the share doing well.
//   - self_compassion: value < 2.5, the SCS-SF "low" band, which is the risk side.
//     Every achievable total is k/12, so this equals the published "≤ 2.49".
//   - personal_burnout, work_burnout, client_burnout: value ≥ 50 (a convention).
//   - burnout_level: value ≥ 3 (the Mini-Z burnout rule).
//
// Every other score (the SCS-SF components, compassion_fatigue) has no such rule and
// reports false.
func High(score string, value float64) bool {
	_, d := findScore(score)
	if d == nil || d.highLevel == "" {
		return false
	}
	b, ok := BandOf(score, value)
	return ok && b.Level == d.highLevel
}

// Score validates answers for the named instrument and computes its scores. The error,
// if any, is a FieldErrors naming each offending field; Score never panics.
func Score(name string, answers []int) (Result, error) {
	in, err := checked(name, answers)
	if err != nil {
		return Result{}, err
	}
	values := in.values(answers)
	r := Result{
		Instrument: in.Name,
		Scores:     make(map[string]float64, len(in.defs)),
		Bands:      make(map[string]Band, len(in.defs)),
	}
	for i, d := range in.defs {
		r.Scores[d.name] = values[i]
		if b, ok := d.band(values[i]); ok {
			r.Bands[d.name] = b
		}
	}
	return r, nil
}

// Values is Score without the bands and maps: the scores in ScoreOrder(name),
// what is stored per check-in. The processor computes them for every event.
func Values(name string, answers []int) ([]float64, error) {
	in, err := checked(name, answers)
	if err != nil {
		return nil, err
	}
	return in.values(answers), nil
}

// checked is the named instrument, when answers are valid for it.
func checked(name string, answers []int) (*Instrument, error) {
	in := find(name)
	if in == nil {
		return nil, FieldErrors{"instrument": instrumentMessage(name)}
	}
	if fe := in.validate(answers); fe != nil {
		return nil, fe
	}
	return in, nil
}

// values computes the scores of valid answers, in defs (= Scores) order.
func (in *Instrument) values(answers []int) []float64 {
	values := make([]float64, len(in.defs))
	for i, d := range in.defs {
		if d.derive != nil {
			// Derived scores come last in every table, after their inputs.
			values[i] = d.derive(func(name string) float64 {
				return values[slices.IndexFunc(in.defs[:i], func(d scoreDef) bool { return d.name == name })]
			})
		} else {
			values[i] = in.aggregate(d, answers)
		}
	}
	return values
}

// aggregate sums the scale's items after reversal, in integers so that results are
// exact; a mean divides that sum once.
func (in *Instrument) aggregate(d scoreDef, answers []int) float64 {
	sum := 0
	for _, item := range d.items {
		a := answers[item-1]
		if slices.Contains(d.reverse, item) {
			a = in.reverseFrom - a
		}
		sum += a
	}
	if d.mean {
		return float64(sum) / float64(len(d.items))
	}
	return float64(sum)
}

func (in *Instrument) validate(answers []int) FieldErrors {
	if len(answers) == in.Items && !slices.ContainsFunc(answers, func(a int) bool { return !slices.Contains(in.Allowed, a) }) {
		return nil // the usual case, without a map
	}
	fe := FieldErrors{}
	if len(answers) != in.Items {
		noun := "answers"
		if in.Items == 1 {
			noun = "answer"
		}
		fe["answers"] = fmt.Sprintf("%s needs %d %s, got %d", in.Name, in.Items, noun, len(answers))
	}
	for i, a := range answers {
		if !slices.Contains(in.Allowed, a) {
			fe[fmt.Sprintf("answers[%d]", i)] = allowedMessage(in.Allowed)
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// allowedMessage says "must be between 1 and 5" for a contiguous range and lists the
// values otherwise.
func allowedMessage(allowed []int) string {
	lo, hi := allowed[0], allowed[len(allowed)-1]
	if hi-lo+1 == len(allowed) {
		return fmt.Sprintf("must be between %d and %d", lo, hi)
	}
	return "must be one of " + joinInts(allowed)
}

func instrumentMessage(name string) string {
	if name == "" {
		return "is required: one of " + strings.Join(Names(), ", ")
	}
	return "must be one of " + strings.Join(Names(), ", ")
}

func find(name string) *Instrument {
	for i := range instruments {
		if instruments[i].Name == name {
			return &instruments[i]
		}
	}
	return nil
}

func findScore(score string) (*Instrument, *scoreDef) {
	for i := range instruments {
		for j := range instruments[i].defs {
			if instruments[i].defs[j].name == score {
				return &instruments[i], &instruments[i].defs[j]
			}
		}
	}
	return nil, nil
}

package alarm

import (
	"errors"
	"fmt"
	"math"
)

// Cadence is how often a score's periods close.
type Cadence int

const (
	// Monthly periods: the ProQOL 5 asks about the last 30 days, so a clinician
	// answers it at most once a month; the SCS-SF and the CBI, without a short recall
	// window of their own, follow the same rhythm (tend's choice).
	Monthly Cadence = iota + 1
	// Weekly periods: the Mini-Z burnout item.
	Weekly
)

func (c Cadence) String() string {
	switch c {
	case Monthly:
		return "monthly"
	case Weekly:
		return "weekly"
	}
	return fmt.Sprintf("Cadence(%d)", int(c))
}

// scoreInfo is what the defaults need to know of a score: its risk direction, its
// cadence and its unit — the typical SD between clinicians, which scales every
// default given in score units. The units are assumptions, stated once here: ProQOL
// sums 6 (the between-clinician SD tend's simulations and the issue use), the derived
// compassion_fatigue 12.5 (BO + STS rescaled by 100/80, the two sums correlating), CBI
// scales 18, SCS-SF total 0.7 and its two-item components 0.9, Mini-Z 0.9. The
// instrument package is the authority for ranges and risk sides; a test checks this
// table against it.
type scoreInfo struct {
	instrument string
	direction  int
	unit       float64
}

var scores = map[string]scoreInfo{
	"compassion_satisfaction":    {"proqol5", -1, 6},
	"burnout":                    {"proqol5", +1, 6},
	"secondary_traumatic_stress": {"proqol5", +1, 6},
	"compassion_fatigue":         {"proqol5", +1, 12.5},
	"self_compassion":            {"scssf", -1, 0.7},
	"self_kindness":              {"scssf", -1, 0.9},
	"self_judgment":              {"scssf", +1, 0.9},
	"common_humanity":            {"scssf", -1, 0.9},
	"isolation":                  {"scssf", +1, 0.9},
	"mindfulness":                {"scssf", -1, 0.9},
	"over_identification":        {"scssf", +1, 0.9},
	"personal_burnout":           {"cbi", +1, 18},
	"work_burnout":               {"cbi", +1, 18},
	"client_burnout":             {"cbi", +1, 18},
	"burnout_level":              {"miniz", +1, 0.9},
}

// CadenceOf returns the cadence of the named score's instrument: weekly for the Mini-Z,
// monthly for the others.
func CadenceOf(score string) (Cadence, bool) {
	info, ok := scores[score]
	if !ok {
		return 0, false
	}
	if info.instrument == "miniz" {
		return Weekly, true
	}
	return Monthly, true
}

// DefaultParams returns the chart defaults for the named score at its own cadence
// (CadenceOf); ok is false for an unknown score.
func DefaultParams(score string) (Params, bool) {
	c, ok := CadenceOf(score)
	if !ok {
		return Params{}, false
	}
	return DefaultParamsFor(score, c)
}

// DefaultParamsFor returns the chart defaults for the named score at cadence c.
//
// They were chosen with the simulator in this package's tests (ProQOL burnout, teams
// of 6–20, answer rates 0.4–1, AR(0.8) wobble, weekly shocks SD 1.5, falling
// participation; see TestFalseAlarmsAndDetection) for at most one false alert per 50
// stable team-years with the quickest detection of +0.5 and +1 SD steps. In units u
// of the score's between-clinician SD (6 ProQOL points):
//
//	                          monthly       weekly
//	MinRespondents k          5             5
//	MinHistory                3 periods     6 periods
//	RefWeight                 1/8           1/20      (a reference spans ~2 months … ~5 months)
//	ForgetAfter               6 periods     13 periods
//	MaxClinicians             200           200
//	WithinSD, weight          u/2, 20 df    u/2, 20 df
//	ShockSD, weight, floor    u/6, 4, u/12  u/6, 4, u/12
//	Discount                  0.95          0.98      (memory ~20 months … ~50 weeks)
//	PhiWeight, PhiMax         20, 0.9       20, 0.9
//	Slack k, Fire h           0.6, 3.5      1, 3.75
//	Resolve, ResolvePeriods   1, 2          1, 2
//	Clip, ShockClip           4, 2.5        4, 2.5
//
// Weekly charts need a higher bar: a year has 52 chances to go wrong instead of 12.
func DefaultParamsFor(score string, c Cadence) (Params, bool) {
	info, ok := scores[score]
	if !ok || (c != Monthly && c != Weekly) {
		return Params{}, false
	}
	u := info.unit
	p := Params{
		Direction: info.direction, MinRespondents: 5, MinHistory: 3,
		RefWeight: 1.0 / 8, ForgetAfter: 6, MaxClinicians: 200,
		WithinSD: u / 2, WithinWeight: 20,
		ShockSD: u / 6, ShockWeight: 4, ShockFloor: u / 12,
		Discount: 0.95, PhiWeight: 20, PhiMax: 0.9,
		Slack: 0.6, Fire: 3.5, Resolve: 1, ResolvePeriods: 2,
		Clip: 4, ShockClip: 2.5,
	}
	if c == Weekly {
		p.MinHistory, p.RefWeight, p.ForgetAfter, p.Discount = 6, 1.0/20, 13, 0.98
		p.Slack, p.Fire = 1, 3.75
	}
	return p, true
}

// Validate reports every parameter out of range.
func (p Params) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	pos := func(name string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad(name, "must be greater than 0, got %g", v)
		}
	}
	if p.Direction != 1 && p.Direction != -1 {
		bad("direction", "must be 1 or -1, got %d", p.Direction)
	}
	if p.MinRespondents < 3 {
		bad("min_respondents", "must be at least 3, got %d", p.MinRespondents)
	}
	if p.MinHistory < 0 {
		bad("min_history", "must be at least 0, got %d", p.MinHistory)
	}
	if !(p.RefWeight > 0 && p.RefWeight <= 1) {
		bad("ref_weight", "must be greater than 0 and at most 1, got %g", p.RefWeight)
	}
	if p.ForgetAfter < 1 {
		bad("forget_after", "must be at least 1, got %d", p.ForgetAfter)
	}
	if p.MaxClinicians < p.MinRespondents {
		bad("max_clinicians", "must be at least min_respondents, got %d", p.MaxClinicians)
	}
	pos("within_sd", p.WithinSD)
	pos("within_weight", p.WithinWeight)
	pos("shock_sd", p.ShockSD)
	pos("shock_weight", p.ShockWeight)
	pos("shock_floor", p.ShockFloor)
	if !(p.Discount > 0 && p.Discount <= 1) {
		bad("discount", "must be greater than 0 and at most 1, got %g", p.Discount)
	}
	pos("phi_weight", p.PhiWeight)
	if !(p.PhiMax >= 0 && p.PhiMax < 1) {
		bad("phi_max", "must be at least 0 and less than 1, got %g", p.PhiMax)
	}
	if !(p.Slack >= 0) || math.IsInf(p.Slack, 0) {
		bad("slack", "must be at least 0, got %g", p.Slack)
	}
	pos("fire", p.Fire)
	if !(p.Resolve >= 0 && p.Resolve < p.Fire) {
		bad("resolve", "must be at least 0 and below fire, got %g", p.Resolve)
	}
	if p.ResolvePeriods < 1 {
		bad("resolve_periods", "must be at least 1, got %d", p.ResolvePeriods)
	}
	pos("clip", p.Clip)
	pos("shock_clip", p.ShockClip)
	return errors.Join(errs...)
}

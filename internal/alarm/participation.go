package alarm

import (
	"errors"
	"fmt"
)

// ParticipationParams configures the participation-drop rule: participation is a
// period's respondents / roster (the clinicians enrolled in the team).
//
// The rule fires when participation has been below Below for LowPeriods consecutive
// periods while the team's baseline — the running mean of its participation over
// periods that were not low, the last BaselinePeriods of them at most — was at least
// Baseline; it resolves after ResolvePeriods consecutive periods at or above
// ResolveAbove. The gap between Below and ResolveAbove is the hysteresis: a team
// hovering around one level does not flap.
//
// Participation is evaluated on every period with a roster of at least MinRoster,
// whatever the number of respondents: a period with fewer than k respondents has no
// published score, but its falling participation is exactly what this rule is for, and
// a count of respondents reveals nobody's answers.
type ParticipationParams struct {
	Below           float64 `json:"below"`
	LowPeriods      int     `json:"low_periods"`
	Baseline        float64 `json:"baseline"`
	BaselinePeriods int     `json:"baseline_periods"`
	ResolveAbove    float64 `json:"resolve_above"`
	ResolvePeriods  int     `json:"resolve_periods"`
	MinRoster       int     `json:"min_roster"`
}

// DefaultParticipationParams: below 50 % for 2 periods after a baseline of at least
// 70 % (instruments.md's rule), baseline over the last 6 periods that were not low,
// resolved after 2 periods at 60 % or more, rosters of at least 5.
func DefaultParticipationParams() ParticipationParams {
	return ParticipationParams{
		Below: 0.5, LowPeriods: 2, Baseline: 0.7, BaselinePeriods: 6,
		ResolveAbove: 0.6, ResolvePeriods: 2, MinRoster: 5,
	}
}

// Validate reports every parameter out of range.
func (p ParticipationParams) Validate() error {
	var errs []error
	if !(p.Below > 0 && p.Below <= p.ResolveAbove && p.ResolveAbove <= 1) {
		errs = append(errs, fmt.Errorf("below, resolve_above: need 0 < below ≤ resolve_above ≤ 1, got %g, %g", p.Below, p.ResolveAbove))
	}
	if !(p.Baseline >= 0 && p.Baseline <= 1) {
		errs = append(errs, fmt.Errorf("baseline: must be between 0 and 1, got %g", p.Baseline))
	}
	for name, v := range map[string]int{"low_periods": p.LowPeriods, "baseline_periods": p.BaselinePeriods, "resolve_periods": p.ResolvePeriods, "min_roster": p.MinRoster} {
		if v < 1 {
			errs = append(errs, fmt.Errorf("%s: must be at least 1, got %d", name, v))
		}
	}
	return errors.Join(errs...)
}

// ParticipationState is the rule's memory between periods; the zero value is a new
// rule.
type ParticipationState struct {
	// Baseline is the mean participation of the last BaselineN periods that were not
	// low (a running mean, then an exponentially weighted one with weight
	// 1/BaselinePeriods).
	Baseline  float64 `json:"baseline"`
	BaselineN int     `json:"baseline_n"`
	// Low counts consecutive low periods; Hysteresis.Calm consecutive periods at
	// or above ResolveAbove while firing.
	Low int `json:"low"`
	Hysteresis
}

// ParticipationDecision is what closing one period decided.
type ParticipationDecision struct {
	Evaluated     bool    `json:"evaluated"`
	Participation float64 `json:"participation"`
	Baseline      float64 `json:"baseline"`
	Firing        bool    `json:"firing"`
	Transition    string  `json:"transition,omitempty"`
}

// Close decides on one closed period with respondents distinct respondents out of a
// roster of roster clinicians (respondents above roster count as roster).
func (s *ParticipationState) Close(p ParticipationParams, respondents, roster int) ParticipationDecision {
	dec := ParticipationDecision{Firing: s.Firing, Baseline: s.Baseline}
	if roster < p.MinRoster || respondents < 0 {
		return dec
	}
	part := float64(min(respondents, roster)) / float64(roster)
	dec.Evaluated, dec.Participation = true, part
	if part < p.Below {
		s.Low++
	} else {
		s.Low = 0
	}
	dec.Transition = s.step(s.Low >= p.LowPeriods && s.BaselineN > 0 && s.Baseline >= p.Baseline, part >= p.ResolveAbove, p.ResolvePeriods)
	// The baseline learns only from periods that are not low and not firing, so a
	// drop cannot drag down the level it is compared with.
	if s.Low == 0 && !s.Firing {
		if s.BaselineN < p.BaselinePeriods {
			s.BaselineN++
		}
		s.Baseline += (part - s.Baseline) / float64(s.BaselineN)
	}
	dec.Firing = s.Firing
	return dec
}

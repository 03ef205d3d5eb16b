package alarm

import (
	"errors"
	"fmt"
	"math"
)

// ShareParams configures a share-at-risk rule for one score: the share of a period's
// respondents in the score's risk band, tested against the share typical of clinicians
// on that instrument.
//
// A fixed share threshold means different things on different instruments: ProQOL
// burnout sums of 42 or more are rare among clinicians (a few per cent), while a third
// of them typically answer the Mini-Z at 3 or more. So the rule asks one question of
// every instrument instead — is this period's count of respondents at risk improbably
// high for a team at the typical prevalence? — with the same error rate everywhere:
// it fires when the binomial tail P(X ≥ atRisk | m, Typical) is at most Alpha, and
// resolves after ResolvePeriods consecutive evaluated periods whose tail exceeds
// ResolveAlpha (the share is no longer remarkable). The tail is exact, so small teams
// are treated fairly (5 respondents need a large share to fire, 20 a smaller one).
type ShareParams struct {
	// Cut and Side define the risk band: Side "high" counts values ≥ Cut, "low"
	// values < Cut.
	Cut  float64 `json:"cut"`
	Side string  `json:"side"`
	// Typical is the prevalence of the risk band among clinicians, the null
	// hypothesis.
	Typical float64 `json:"typical"`
	// MinRespondents is k: a period with fewer respondents decides nothing.
	MinRespondents int `json:"min_respondents"`
	// Alpha is the per-period false-alert probability of a team at the typical
	// prevalence whose members' bands were drawn afresh each period (the worst case:
	// real bands persist, so a stable team has fewer independent chances).
	Alpha float64 `json:"alpha"`
	// ResolveAlpha and ResolvePeriods: a firing rule resolves after ResolvePeriods
	// consecutive evaluated periods with a tail above ResolveAlpha.
	ResolveAlpha   float64 `json:"resolve_alpha"`
	ResolvePeriods int     `json:"resolve_periods"`
}

// ShareState is a share rule's memory between periods; the zero value is a new rule.
type ShareState struct {
	Hysteresis
}

// ShareDecision is what closing one period decided.
type ShareDecision struct {
	Evaluated   bool    `json:"evaluated"`
	Respondents int     `json:"respondents"`
	AtRisk      int     `json:"at_risk"`
	Share       float64 `json:"share"`
	// Tail is P(X ≥ AtRisk) for X ~ Binomial(Respondents, Typical).
	Tail       float64 `json:"tail"`
	Firing     bool    `json:"firing"`
	Transition string  `json:"transition,omitempty"`
}

// typicalShare holds the default risk bands and typical prevalences. Cut-offs are
// instruments.md's; prevalences are assumptions from the instruments' literature, to
// be revisited with tend's own data: ProQOL burnout and STS sums ≥ 42 are rare in
// clinicians (3 %); CBI ≥ 50 is common for personal (35 %) and work-related (30 %)
// burnout, rarer for client-related (15 %); Mini-Z ≥ 3 about 35 % (the 30–40 % of
// published clinician surveys); SCS-SF total < 2.5 about 20 %.
var typicalShare = map[string]struct {
	cut     float64
	side    string
	typical float64
}{
	"burnout":                    {42, "high", 0.03},
	"secondary_traumatic_stress": {42, "high", 0.03},
	"personal_burnout":           {50, "high", 0.35},
	"work_burnout":               {50, "high", 0.30},
	"client_burnout":             {50, "high", 0.15},
	"burnout_level":              {3, "high", 0.35},
	"self_compassion":            {2.5, "low", 0.20},
}

// DefaultShareParams returns the share rule for the named score at its own cadence;
// ok is false for scores without a risk band (compassion_satisfaction, whose high
// band is the good side; the SCS-SF components; compassion_fatigue).
//
// Alpha is 0.02 per team-year spread over the cadence's periods (0.02/12 monthly,
// 0.02/52 weekly), so that even the worst case stays within one false alert per 50
// team-years; ResolveAlpha 0.2; ResolvePeriods 2; MinRespondents 5.
func DefaultShareParams(score string) (ShareParams, bool) {
	t, ok := typicalShare[score]
	c, _ := CadenceOf(score)
	if !ok {
		return ShareParams{}, false
	}
	perYear := 12.0
	if c == Weekly {
		perYear = 52
	}
	return ShareParams{
		Cut: t.cut, Side: t.side, Typical: t.typical, MinRespondents: 5,
		Alpha: 0.02 / perYear, ResolveAlpha: 0.2, ResolvePeriods: 2,
	}, true
}

// Validate reports every parameter out of range.
func (p ShareParams) Validate() error {
	var errs []error
	if p.Side != "high" && p.Side != "low" {
		errs = append(errs, fmt.Errorf("side: must be high or low, got %q", p.Side))
	}
	if math.IsNaN(p.Cut) || math.IsInf(p.Cut, 0) {
		errs = append(errs, fmt.Errorf("cut: must be a number, got %g", p.Cut))
	}
	if !(p.Typical > 0 && p.Typical < 1) {
		errs = append(errs, fmt.Errorf("typical: must be between 0 and 1, got %g", p.Typical))
	}
	if p.MinRespondents < 3 {
		errs = append(errs, fmt.Errorf("min_respondents: must be at least 3, got %d", p.MinRespondents))
	}
	if !(p.Alpha > 0 && p.Alpha < p.ResolveAlpha && p.ResolveAlpha < 1) {
		errs = append(errs, fmt.Errorf("alpha, resolve_alpha: need 0 < alpha < resolve_alpha < 1, got %g, %g", p.Alpha, p.ResolveAlpha))
	}
	if p.ResolvePeriods < 1 {
		errs = append(errs, fmt.Errorf("resolve_periods: must be at least 1, got %d", p.ResolvePeriods))
	}
	return errors.Join(errs...)
}

// atRisk reports whether v is in the risk band.
func (p ShareParams) atRisk(v float64) bool {
	if p.Side == "low" {
		return v < p.Cut
	}
	return v >= p.Cut
}

// Close decides on one closed period. Like State.Close it counts each clinician once
// (the mean of their values if listed more than once) and ignores responses without a
// clinician or with a non-finite value; the result depends only on the set.
func (s *ShareState) Close(p ShareParams, responses []Response) ShareDecision {
	rs := normalize(responses)
	dec := ShareDecision{Respondents: len(rs), Firing: s.Firing}
	if len(rs) < p.MinRespondents {
		return dec
	}
	for _, r := range rs {
		if p.atRisk(r.Value) {
			dec.AtRisk++
		}
	}
	dec.Evaluated = true
	dec.Share = float64(dec.AtRisk) / float64(len(rs))
	dec.Tail = binomialTail(len(rs), dec.AtRisk, p.Typical)
	dec.Transition = s.step(dec.Tail <= p.Alpha, dec.Tail > p.ResolveAlpha, p.ResolvePeriods)
	dec.Firing = s.Firing
	return dec
}

// binomialTail returns P(X ≥ a) for X ~ Binomial(n, p), 0 < p < 1, summing the
// probability mass function from its recursion (exact up to rounding; n is a team's
// size, so (1−p)^n does not underflow).
func binomialTail(n, a int, p float64) float64 {
	if a <= 0 {
		return 1
	}
	if a > n {
		return 0
	}
	pmf := 1.0
	for range n {
		pmf *= 1 - p
	}
	odds := p / (1 - p)
	tail := 0.0
	for k := 0; k <= n; k++ {
		if k >= a {
			tail += pmf
		}
		pmf *= float64(n-k) / float64(k+1) * odds
	}
	return min(tail, 1)
}

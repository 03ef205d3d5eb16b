package alarm

// Hysteresis is the alert state every rule keeps: an alert fires once when its
// condition starts and resolves once, after its condition has been clear for a
// number of consecutive evaluated periods — so that a team hovering at the
// threshold does not flap.
type Hysteresis struct {
	Firing bool `json:"firing"`
	// Calm counts the consecutive evaluated periods, while firing, whose
	// condition was clear.
	Calm int `json:"calm"`
}

// step advances the state by one evaluated period. fire is whether the
// condition to fire holds, clear whether it has cleared; it returns Firing
// or Resolved on a transition, else "".
func (h *Hysteresis) step(fire, clear bool, resolvePeriods int) string {
	switch {
	case !h.Firing && fire:
		h.Firing, h.Calm = true, 0
		return Firing
	case h.Firing && clear:
		h.Calm++
		if h.Calm >= resolvePeriods {
			h.Firing, h.Calm = false, 0
			return Resolved
		}
	case h.Firing:
		h.Calm = 0
	}
	return ""
}

package bench

import "testing"

// TestPhaseMedian: a phase's figures are the medians of its rounds, and it
// prints the range of their rates.
func TestPhaseMedian(t *testing.T) {
	p := phase{{perSecond: 300, self: 9}, {perSecond: 100, self: 30}, {perSecond: 200, self: 12}}
	if got := p.median(perSecond); got != 200 {
		t.Errorf("median rate = %v, want 200", got)
	}
	if got := p.median(selfCPU); got != 12 {
		t.Errorf("median CPU = %v, want 12", got)
	}
	if got := p.String(); got != "3 rounds: 100–300/s" {
		t.Errorf("String = %q", got)
	}
	p = append(p, round{perSecond: 250, peakRSS: 7 << 20})
	if got := p.median(perSecond); got != 225 {
		t.Errorf("median of 4 rates = %v, want 225", got)
	}
	if got := p.peakRSS(); got != 7<<20 {
		t.Errorf("peakRSS = %d, want the highest round's", got)
	}
}

package alarm

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestBinomialTail(t *testing.T) {
	q := 0.97
	// P(X ≥ 2 | 5, 0.03) = 1 − 0.97⁵ − 5·0.03·0.97⁴.
	near(t, "tail(5,2)", binomialTail(5, 2, 0.03), 1-math.Pow(q, 5)-5*0.03*math.Pow(q, 4))
	near(t, "tail(5,0)", binomialTail(5, 0, 0.03), 1)
	near(t, "tail(5,6)", binomialTail(5, 6, 0.03), 0)
	near(t, "tail(4,4)", binomialTail(4, 4, 0.5), 1.0/16)
	near(t, "tail(4,2)", binomialTail(4, 2, 0.5), 11.0/16) // (6 + 4 + 1)/16
}

func TestShareRule(t *testing.T) {
	p, _ := DefaultShareParams("burnout") // ≥ 42, typical 3 %, alpha 0.02/12
	var s ShareState
	low := func(n int) []Response {
		var rs []Response
		for i := range n {
			rs = append(rs, Response{fmt.Sprint("c", i), 30})
		}
		return rs
	}
	high := func(rs []Response, n int) []Response {
		for i := range n {
			rs[i].Value = 45
		}
		return rs
	}
	if d := s.Close(p, high(low(4), 4)); d.Evaluated || d.Firing {
		t.Fatalf("4 respondents decided: %+v", d)
	}
	// 10 respondents: 3 high has P(X ≥ 3) ≈ 0.0028 > 0.00167, 4 high ≈ 0.00020.
	if d := s.Close(p, high(low(10), 3)); !d.Evaluated || d.Firing || d.AtRisk != 3 || d.Share != 0.3 {
		t.Fatalf("3 of 10: %+v", d)
	}
	if d := s.Close(p, high(low(10), 4)); !d.Firing || d.Transition != Firing {
		t.Fatalf("4 of 10: %+v", d)
	}
	// Hysteresis: 2 of 10 (P ≈ 0.035) is no longer firing material, but not calm
	// either (≤ 0.2); 1 of 10 (P ≈ 0.26) is calm, twice in a row to resolve.
	for i, c := range []struct {
		high       int
		firing     bool
		transition string
	}{{2, true, ""}, {1, true, ""}, {2, true, ""}, {1, true, ""}, {0, false, Resolved}} {
		if d := s.Close(p, high(low(10), c.high)); d.Firing != c.firing || d.Transition != c.transition {
			t.Fatalf("step %d (%d high): %+v", i, c.high, d)
		}
	}
	// The low side: self-compassion below 2.5 is at risk.
	sp, _ := DefaultShareParams("self_compassion")
	if !sp.atRisk(29.0/12) || sp.atRisk(2.5) {
		t.Fatal("self_compassion band")
	}
}

// TestShareThresholds prints, per instrument, how many of m respondents must be in the
// risk band for the share rule to fire — the same false-alert rate against each
// instrument's typical prevalence gives very different shares.
func TestShareThresholds(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-28s %8s %8s  %s\n", "score", "typical", "alpha", "at risk needed to fire, of m = 5 / 10 / 15 / 20")
	for _, score := range []string{"burnout", "secondary_traumatic_stress", "personal_burnout", "work_burnout", "client_burnout", "burnout_level", "self_compassion"} {
		p, _ := DefaultShareParams(score)
		fmt.Fprintf(&b, "%-28s %8.2f %8.5f ", score, p.Typical, p.Alpha)
		for _, m := range []int{5, 10, 15, 20} {
			need := "never"
			for a := 0; a <= m; a++ {
				if binomialTail(m, a, p.Typical) <= p.Alpha {
					need = fmt.Sprintf("%d (%.0f%%)", a, 100*float64(a)/float64(m))
					break
				}
			}
			fmt.Fprintf(&b, " %10s", need)
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
}

func TestParticipationRule(t *testing.T) {
	p := DefaultParticipationParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	var s ParticipationState
	steps := []struct {
		respondents, roster int
		firing              bool
		transition          string
	}{
		{8, 10, false, ""}, {9, 10, false, ""}, {8, 10, false, ""}, // baseline ≈ 0.83
		{4, 10, false, ""},       // low 1
		{3, 10, true, Firing},    // low 2 → fires
		{2, 3, true, ""},         // roster below 5: not evaluated
		{5, 10, true, ""},        // 0.5: not low, not yet ≥ 0.6
		{6, 10, true, ""},        // calm 1
		{4, 10, true, ""},        // calm broken
		{6, 10, true, ""},        // calm 1
		{7, 10, false, Resolved}, // calm 2 → resolves
		{4, 10, false, ""},       // low 1
	}
	for i, c := range steps {
		d := s.Close(p, c.respondents, c.roster)
		if d.Firing != c.firing || d.Transition != c.transition {
			t.Fatalf("step %d %+v: %+v (state %+v)", i, c, d, s)
		}
	}
	// A team that never reached the 70 % baseline does not fire on a drop.
	var q ParticipationState
	for _, r := range []int{6, 6, 6, 3, 3, 3} {
		if d := q.Close(p, r, 10); d.Firing {
			t.Fatalf("fired without a baseline: %+v", d)
		}
	}
}

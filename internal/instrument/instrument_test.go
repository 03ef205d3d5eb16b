package instrument

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
)

// byItem builds an answer vector of n answers, all fill, with the answers to the given
// 1-based item numbers set, so that golden vectors read like the scoring key.
func byItem(n, fill int, set map[int]int) []int {
	a := make([]int, n)
	for i := range a {
		a[i] = fill
	}
	for item, v := range set {
		a[item-1] = v
	}
	return a
}

type golden struct {
	name    string
	answers []int
	scores  map[string]float64
	levels  map[string]string // band level per banded score
}

func runGolden(t *testing.T, instrument string, cases []golden) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Score(instrument, tc.answers)
			if err != nil {
				t.Fatalf("Score: %v", err)
			}
			if r.Instrument != instrument {
				t.Errorf("Instrument = %q", r.Instrument)
			}
			if !maps.Equal(r.Scores, tc.scores) {
				t.Errorf("scores\n got %v\nwant %v", r.Scores, tc.scores)
			}
			if len(r.Bands) != len(tc.levels) {
				t.Errorf("bands %v, want levels %v", r.Bands, tc.levels)
			}
			for score, level := range tc.levels {
				b, ok := r.Bands[score]
				info, _ := Info(score)
				want := Band{Level: level, RiskSide: info.RiskSide, AtRisk: level == info.RiskSide, Source: b.Source}
				if !ok || b != want {
					t.Errorf("band %s = %+v, want %+v", score, b, want)
				}
			}
		})
	}
}

// ProQOL 5 key: CS = items 3, 6, 12, 16, 18, 20, 22, 24, 27, 30; BO = items 1, 4, 8,
// 10, 15, 17, 19, 21, 26, 29 with 1, 4, 15, 17, 29 reversed (6 − a); STS = items 2, 5,
// 7, 9, 11, 13, 14, 23, 25, 28. CF = (BO + STS − 20) / 80 × 100.
func TestScoreProQOL5Golden(t *testing.T) {
	runGolden(t, "proqol5", []golden{
		{
			// CS 10×1 = 10. BO: 5 plain items ×1 = 5, 5 reversed 6−1 = 5 each = 25,
			// BO = 30. STS 10. CF = (30+10−20)/80×100 = 25.
			name:    "all 1",
			answers: byItem(30, 1, nil),
			scores:  map[string]float64{"compassion_satisfaction": 10, "burnout": 30, "secondary_traumatic_stress": 10, "compassion_fatigue": 25},
			levels:  map[string]string{"compassion_satisfaction": "low", "burnout": "moderate", "secondary_traumatic_stress": "low"},
		},
		{
			// CS 50. BO: plain 5×5 = 25, reversed 6−5 = 1 each = 5, BO = 30. STS 50.
			// CF = (30+50−20)/80×100 = 75.
			name:    "all 5",
			answers: byItem(30, 5, nil),
			scores:  map[string]float64{"compassion_satisfaction": 50, "burnout": 30, "secondary_traumatic_stress": 50, "compassion_fatigue": 75},
			levels:  map[string]string{"compassion_satisfaction": "high", "burnout": "moderate", "secondary_traumatic_stress": "high"},
		},
		{
			// Lowest BO: plain items 1, reversed items 5 (→1): BO = 10.
			// Highest BO: plain items 5, reversed items 1 (→5): BO = 50.
			name:    "burnout minimum",
			answers: byItem(30, 3, map[int]int{1: 5, 4: 5, 15: 5, 17: 5, 29: 5, 8: 1, 10: 1, 19: 1, 21: 1, 26: 1}),
			// CS 30, STS 30, CF = (10+30−20)/80×100 = 25.
			scores: map[string]float64{"compassion_satisfaction": 30, "burnout": 10, "secondary_traumatic_stress": 30, "compassion_fatigue": 25},
			levels: map[string]string{"compassion_satisfaction": "moderate", "burnout": "low", "secondary_traumatic_stress": "moderate"},
		},
		{
			name:    "burnout maximum",
			answers: byItem(30, 3, map[int]int{1: 1, 4: 1, 15: 1, 17: 1, 29: 1, 8: 5, 10: 5, 19: 5, 21: 5, 26: 5}),
			// CF = (50+30−20)/80×100 = 75.
			scores: map[string]float64{"compassion_satisfaction": 30, "burnout": 50, "secondary_traumatic_stress": 30, "compassion_fatigue": 75},
			levels: map[string]string{"compassion_satisfaction": "moderate", "burnout": "high", "secondary_traumatic_stress": "moderate"},
		},
		{
			// CS: 3, 6 = 3; the other eight 2 → 6 + 16 = 22 (low, the risk side).
			// BO reversed 1:1→5, 4:2→4, 15:3→3, 17:1→5, 29:1→5 = 22; plain 8, 10, 19,
			// 21, 26 = 4 each = 20 → BO 42 (high).
			// STS: 2 = 5, the other nine 2 → 5 + 18 = 23 (moderate).
			// CF = (42+23−20)/80×100 = 45×1.25 = 56.25.
			name: "CS 22, BO 42, STS 23",
			answers: byItem(30, 2, map[int]int{
				3: 3, 6: 3,
				1: 1, 4: 2, 15: 3, 17: 1, 29: 1, 8: 4, 10: 4, 19: 4, 21: 4, 26: 4,
				2: 5,
			}),
			scores: map[string]float64{"compassion_satisfaction": 22, "burnout": 42, "secondary_traumatic_stress": 23, "compassion_fatigue": 56.25},
			levels: map[string]string{"compassion_satisfaction": "low", "burnout": "high", "secondary_traumatic_stress": "moderate"},
		},
		{
			// CS: 3 = 5, the other nine 2 → 5 + 18 = 23 (moderate).
			// BO reversed 1:4→2, 4:4→2, 15:3→3, 17:2→4, 29:1→5 = 16; plain items 5
			// each = 25 → BO 41 (moderate).
			// STS: 2, 5, 7, 9, 11, 13 = 5 → 30; 14, 23, 25, 28 = 3 → 12; STS 42 (high).
			// CF = (41+42−20)/80×100 = 63×1.25 = 78.75.
			name: "CS 23, BO 41, STS 42",
			answers: byItem(30, 2, map[int]int{
				3: 5,
				1: 4, 4: 4, 15: 3, 17: 2, 29: 1, 8: 5, 10: 5, 19: 5, 21: 5, 26: 5,
				2: 5, 5: 5, 7: 5, 9: 5, 11: 5, 13: 5, 14: 3, 23: 3, 25: 3, 28: 3,
			}),
			scores: map[string]float64{"compassion_satisfaction": 23, "burnout": 41, "secondary_traumatic_stress": 42, "compassion_fatigue": 78.75},
			levels: map[string]string{"compassion_satisfaction": "moderate", "burnout": "moderate", "secondary_traumatic_stress": "high"},
		},
		{
			// CS: 3 = 5, the other nine 4 → 5 + 36 = 41 (moderate).
			// BO reversed items all 5 → 1 each = 5; plain 8:4, 10:4, 19:3, 21:3,
			// 26:3 = 17 → BO 22 (low).
			// STS: 2, 5, 7, 9, 11, 13 = 5 → 30; 14:3, 23:3, 25:3, 28:2 → 11; STS 41.
			// CF = (22+41−20)/80×100 = 43×1.25 = 53.75.
			name: "CS 41, BO 22, STS 41",
			answers: byItem(30, 4, map[int]int{
				3: 5,
				1: 5, 4: 5, 15: 5, 17: 5, 29: 5, 8: 4, 10: 4, 19: 3, 21: 3, 26: 3,
				2: 5, 5: 5, 7: 5, 9: 5, 11: 5, 13: 5, 14: 3, 23: 3, 25: 3, 28: 2,
			}),
			scores: map[string]float64{"compassion_satisfaction": 41, "burnout": 22, "secondary_traumatic_stress": 41, "compassion_fatigue": 53.75},
			levels: map[string]string{"compassion_satisfaction": "moderate", "burnout": "low", "secondary_traumatic_stress": "moderate"},
		},
		{
			// CS: 3, 6 = 5, the other eight 4 → 10 + 32 = 42 (high, not at risk).
			// BO reversed 1:5→1, 4:5→1, 15:4→2, 17:4→2, 29:5→1 = 7; plain 8:4, 10:3,
			// 19:3, 21:3, 26:3 = 16 → BO 23 (moderate).
			// STS: 2, 5 = 3, the other eight 2 → 6 + 16 = 22 (low).
			// CF = (23+22−20)/80×100 = 25×1.25 = 31.25.
			name: "CS 42, BO 23, STS 22",
			answers: byItem(30, 4, map[int]int{
				3: 5, 6: 5,
				1: 5, 4: 5, 15: 4, 17: 4, 29: 5, 8: 4, 10: 3, 19: 3, 21: 3, 26: 3,
				2: 3, 5: 3, 7: 2, 9: 2, 11: 2, 13: 2, 14: 2, 23: 2, 25: 2, 28: 2,
			}),
			scores: map[string]float64{"compassion_satisfaction": 42, "burnout": 23, "secondary_traumatic_stress": 22, "compassion_fatigue": 31.25},
			levels: map[string]string{"compassion_satisfaction": "high", "burnout": "moderate", "secondary_traumatic_stress": "low"},
		},
		{
			// The example check-in of design.md.
			// CS: 3:2 6:3 12:4 16:3 18:2 20:4 22:4 24:4 27:4 30:4 = 34.
			// BO: 1:3→3 4:5→1 8:4 10:3 15:4→2 17:4→2 19:3 21:2 26:2 29:3→3 = 25.
			// STS: 2:4 5:1 7:4 9:2 11:2 13:1 14:2 23:2 25:1 28:2 = 21.
			// CF = (25+21−20)/80×100 = 26×1.25 = 32.5.
			name:    "design.md example",
			answers: []int{3, 4, 2, 5, 1, 3, 4, 4, 2, 3, 2, 4, 1, 2, 4, 3, 4, 2, 3, 4, 2, 4, 2, 4, 1, 2, 4, 2, 3, 4},
			scores:  map[string]float64{"compassion_satisfaction": 34, "burnout": 25, "secondary_traumatic_stress": 21, "compassion_fatigue": 32.5},
			levels:  map[string]string{"compassion_satisfaction": "moderate", "burnout": "moderate", "secondary_traumatic_stress": "low"},
		},
	})
}

// SCS-SF key: components (raw means, no reversal) SK 2,6; SJ 11,12; CH 5,10; IS 4,8;
// MI 3,7; OI 1,9. Total: items 1, 4, 8, 9, 11, 12 reversed (6 − a), mean of all 12.
func TestScoreSCSSFGolden(t *testing.T) {
	comps := func(sk, sj, ch, is, mi, oi, total float64) map[string]float64 {
		return map[string]float64{
			"self_compassion": total, "self_kindness": sk, "self_judgment": sj, "common_humanity": ch,
			"isolation": is, "mindfulness": mi, "over_identification": oi,
		}
	}
	runGolden(t, "scssf", []golden{
		{
			// Components all 1. Total: six reversed items 6−1 = 5 → 30, six plain 1 → 6;
			// 36/12 = 3.0 (moderate).
			name:    "all 1",
			answers: byItem(12, 1, nil),
			scores:  comps(1, 1, 1, 1, 1, 1, 3),
			levels:  map[string]string{"self_compassion": "moderate"},
		},
		{
			// Components all 5. Total: reversed 6×1 = 6, plain 6×5 = 30; 36/12 = 3.0.
			name:    "all 5",
			answers: byItem(12, 5, nil),
			scores:  comps(5, 5, 5, 5, 5, 5, 3),
			levels:  map[string]string{"self_compassion": "moderate"},
		},
		{
			// Plain (compassionate-pole) items 1, reversed items 5 → 1: total 12/12 = 1.
			name:    "total minimum",
			answers: byItem(12, 1, map[int]int{1: 5, 4: 5, 8: 5, 9: 5, 11: 5, 12: 5}),
			scores:  comps(1, 5, 1, 5, 1, 5, 1),
			levels:  map[string]string{"self_compassion": "low"},
		},
		{
			// Plain items 5, reversed items 1 → 5: total 60/12 = 5.
			name:    "total maximum",
			answers: byItem(12, 5, map[int]int{1: 1, 4: 1, 8: 1, 9: 1, 11: 1, 12: 1}),
			scores:  comps(5, 1, 5, 1, 5, 1, 5),
			levels:  map[string]string{"self_compassion": "high"},
		},
		{
			// Plain 2:3 6:2 5:2 10:2 3:3 7:3 = 15. Reversed 11:4→2 12:4→2 4:3→3 8:4→2
			// 1:4→2 9:3→3 = 14. Total 29/12 ≈ 2.417: low, the highest low total.
			// SK (3+2)/2 = 2.5, SJ (4+4)/2 = 4, CH (2+2)/2 = 2, IS (3+4)/2 = 3.5,
			// MI (3+3)/2 = 3, OI (4+3)/2 = 3.5.
			name:    "total 29/12",
			answers: byItem(12, 0, map[int]int{2: 3, 6: 2, 5: 2, 10: 2, 3: 3, 7: 3, 11: 4, 12: 4, 4: 3, 8: 4, 1: 4, 9: 3}),
			scores:  comps(2.5, 4, 2, 3.5, 3, 3.5, 29.0/12),
			levels:  map[string]string{"self_compassion": "low"},
		},
		{
			// As above with 9:2→4: reversed sum 15, total 30/12 = 2.5, the lowest
			// moderate total. OI (4+2)/2 = 3.
			name:    "total 30/12",
			answers: byItem(12, 0, map[int]int{2: 3, 6: 2, 5: 2, 10: 2, 3: 3, 7: 3, 11: 4, 12: 4, 4: 3, 8: 4, 1: 4, 9: 2}),
			scores:  comps(2.5, 4, 2, 3.5, 3, 3, 2.5),
			levels:  map[string]string{"self_compassion": "moderate"},
		},
		{
			// Plain 2:5 6:4 5:4 10:3 3:4 7:4 = 24. Reversed 11:1→5 12:5→1 4:3→3 8:3→3
			// 1:2→4 9:4→2 = 18. Total 42/12 = 3.5, the highest moderate total.
			// SK 4.5, SJ 3, CH 3.5, IS 3, MI 4, OI 3.
			name:    "total 42/12",
			answers: byItem(12, 0, map[int]int{2: 5, 6: 4, 5: 4, 10: 3, 3: 4, 7: 4, 11: 1, 12: 5, 4: 3, 8: 3, 1: 2, 9: 4}),
			scores:  comps(4.5, 3, 3.5, 3, 4, 3, 3.5),
			levels:  map[string]string{"self_compassion": "moderate"},
		},
		{
			// As above with 10:3→4: total 43/12 ≈ 3.583, the lowest high total. CH 4.
			name:    "total 43/12",
			answers: byItem(12, 0, map[int]int{2: 5, 6: 4, 5: 4, 10: 4, 3: 4, 7: 4, 11: 1, 12: 5, 4: 3, 8: 3, 1: 2, 9: 4}),
			scores:  comps(4.5, 3, 4, 3, 4, 3, 43.0/12),
			levels:  map[string]string{"self_compassion": "high"},
		},
	})
}

// CBI key: personal items 1–6, work items 7–13 with 13 reversed (100 − a), client
// items 14–19; each the mean of its items.
func TestScoreCBIGolden(t *testing.T) {
	scores := func(p, w, c float64) map[string]float64 {
		return map[string]float64{"personal_burnout": p, "work_burnout": w, "client_burnout": c}
	}
	runGolden(t, "cbi", []golden{
		{
			// Personal 0. Work: 7–12 = 0, item 13 100−0 = 100 → 100/7 ≈ 14.29. Client 0.
			name:    "all 0",
			answers: byItem(19, 0, nil),
			scores:  scores(0, 100.0/7, 0),
			levels:  map[string]string{"personal_burnout": "low", "work_burnout": "low", "client_burnout": "low"},
		},
		{
			// Personal 100. Work: 6×100 + (100−100) = 600/7 ≈ 85.71. Client 100.
			name:    "all 100",
			answers: byItem(19, 100, nil),
			scores:  scores(100, 600.0/7, 100),
			levels:  map[string]string{"personal_burnout": "high", "work_burnout": "high", "client_burnout": "high"},
		},
		{
			// Work minimum 0 (13 = 100 → 0) and maximum 100 (13 = 0 → 100).
			name:    "work extremes",
			answers: byItem(19, 0, map[int]int{13: 100, 1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 100}),
			scores:  scores(100, 0, 0),
			levels:  map[string]string{"personal_burnout": "high", "work_burnout": "low", "client_burnout": "low"},
		},
		{
			name:    "work maximum",
			answers: byItem(19, 100, map[int]int{13: 0}),
			scores:  scores(100, 100, 100),
			levels:  map[string]string{"personal_burnout": "high", "work_burnout": "high", "client_burnout": "high"},
		},
		{
			// Personal 6×25 = 150/6 = 25 (moderate, its lowest value).
			// Work 7:75 8:75 9–12:50 → 350, 13:100→0; 350/7 = 50 (high, the cut-off).
			// Client 14–18:50, 19:25 → 275/6 ≈ 45.83 (moderate).
			name: "personal 25, work 50, client 275/6",
			answers: byItem(19, 50, map[int]int{
				1: 25, 2: 25, 3: 25, 4: 25, 5: 25, 6: 25,
				7: 75, 8: 75, 13: 100,
				19: 25,
			}),
			scores: scores(25, 50, 275.0/6),
			levels: map[string]string{"personal_burnout": "moderate", "work_burnout": "high", "client_burnout": "moderate"},
		},
		{
			// Personal 1–5:25, 6:0 → 125/6 ≈ 20.83 (low).
			// Work 7:75 8–12:50 → 325, 13:100→0; 325/7 ≈ 46.43 (moderate; the highest
			// work score below 50 — 49.x is not achievable).
			// Client 14–16:100, 17–19:0 → 300/6 = 50 (high).
			name: "personal 125/6, work 325/7, client 50",
			answers: byItem(19, 50, map[int]int{
				1: 25, 2: 25, 3: 25, 4: 25, 5: 25, 6: 0,
				7: 75, 13: 100,
				14: 100, 15: 100, 16: 100, 17: 0, 18: 0, 19: 0,
			}),
			scores: scores(125.0/6, 325.0/7, 50),
			levels: map[string]string{"personal_burnout": "low", "work_burnout": "moderate", "client_burnout": "high"},
		},
		{
			// Personal 50,50,50,50,50,25 → 275/6 ≈ 45.83 (moderate, highest below 50).
			// Work 7–12:50 → 300, 13:25→75; 375/7 ≈ 53.57 (high).
			// Client 14–19:50 with 19:75 → 325/6 ≈ 54.17 (high).
			name:    "reversed 25, personal 275/6",
			answers: byItem(19, 50, map[int]int{6: 25, 13: 25, 19: 75}),
			scores:  scores(275.0/6, 375.0/7, 325.0/6),
			levels:  map[string]string{"personal_burnout": "moderate", "work_burnout": "high", "client_burnout": "high"},
		},
		{
			// Work 7–12:0, 13:75→25 → 25/7 ≈ 3.57 (low).
			name:    "reversed 75",
			answers: byItem(19, 0, map[int]int{13: 75}),
			scores:  scores(0, 25.0/7, 0),
			levels:  map[string]string{"personal_burnout": "low", "work_burnout": "low", "client_burnout": "low"},
		},
	})
}

// Mini-Z: burnout_level is the answer; burnout (at risk) when it is ≥ 3.
func TestScoreMiniZGolden(t *testing.T) {
	levels := []string{1: "low", 2: "low", 3: "high", 4: "high", 5: "high"}
	var cases []golden
	for a := 1; a <= 5; a++ {
		cases = append(cases, golden{
			name:    fmt.Sprintf("answer %d", a),
			answers: []int{a},
			scores:  map[string]float64{"burnout_level": float64(a)},
			levels:  map[string]string{"burnout_level": levels[a]},
		})
	}
	runGolden(t, "miniz", cases)
}

func TestHigh(t *testing.T) {
	tests := []struct {
		score string
		value float64
		want  bool
	}{
		{"compassion_satisfaction", 41, false},
		{"compassion_satisfaction", 42, true},
		{"burnout", 41, false},
		{"burnout", 42, true},
		{"secondary_traumatic_stress", 41, false},
		{"secondary_traumatic_stress", 42, true},
		{"compassion_fatigue", 100, false},
		{"self_compassion", 29.0 / 12, true},
		{"self_compassion", 2.49, true},
		{"self_compassion", 2.5, false},
		{"self_compassion", 5, false},
		{"self_judgment", 5, false},
		{"personal_burnout", 49.99, false},
		{"personal_burnout", 50, true},
		{"work_burnout", 350.0 / 7, true},
		{"client_burnout", 275.0 / 6, false},
		{"burnout_level", 2, false},
		{"burnout_level", 3, true},
		{"burnout_level", 5, true},
		{"no_such_score", 100, false},
	}
	for _, tt := range tests {
		if got := High(tt.score, tt.value); got != tt.want {
			t.Errorf("High(%q, %v) = %v, want %v", tt.score, tt.value, got, tt.want)
		}
	}
}

func TestBandOfGaps(t *testing.T) {
	// Values no answer vector produces still get a deterministic band.
	tests := []struct {
		score string
		value float64
		want  string
	}{
		{"burnout", 22.5, "low"},
		{"burnout", 41.5, "moderate"},
		{"self_compassion", 2.495, "low"},
		{"self_compassion", 3.505, "moderate"},
		{"self_compassion", 3.51, "high"},
		{"personal_burnout", 24.99, "low"},
		{"personal_burnout", 49.99, "moderate"},
	}
	for _, tt := range tests {
		if b, ok := BandOf(tt.score, tt.value); !ok || b.Level != tt.want {
			t.Errorf("BandOf(%q, %v) = %+v, %v; want level %q", tt.score, tt.value, b, ok, tt.want)
		}
	}
	for _, score := range []string{"self_kindness", "compassion_fatigue", "nope"} {
		if b, ok := BandOf(score, 3); ok {
			t.Errorf("BandOf(%q) = %+v, want no band", score, b)
		}
	}
}

func TestCatalogue(t *testing.T) {
	if got, want := Names(), []string{"proqol5", "scssf", "cbi", "miniz"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	want := []string{
		"compassion_satisfaction", "burnout", "secondary_traumatic_stress", "compassion_fatigue",
		"self_compassion", "self_kindness", "self_judgment", "common_humanity", "isolation", "mindfulness", "over_identification",
		"personal_burnout", "work_burnout", "client_burnout",
		"burnout_level",
	}
	if got := ScoreNames(); !slices.Equal(got, want) {
		t.Errorf("ScoreNames() = %v, want %v", got, want)
	}
	for _, name := range Names() {
		in, ok := Lookup(name)
		if !ok || in.Name != name || in.Title == "" || in.Citation == "" || in.Items == 0 || len(in.Allowed) == 0 || len(in.Scores) == 0 {
			t.Errorf("Lookup(%q) = %+v, %v", name, in, ok)
		}
		// Lookup hands out copies.
		in.Allowed[0] = 99
	}
	if in, _ := Lookup("proqol5"); in.Allowed[0] != 1 {
		t.Error("changing a Lookup result changed the table")
	}
	if _, ok := Lookup("PROQOL5"); ok {
		t.Error("Lookup is case-sensitive")
	}
	if info, _ := Info("compassion_fatigue"); !info.Derived || info.Banded || info.Min != 0 || info.Max != 100 {
		t.Errorf("Info(compassion_fatigue) = %+v", info)
	}
}

func TestScoreValidation(t *testing.T) {
	tests := []struct {
		name       string
		instrument string
		answers    []int
		want       FieldErrors
	}{
		{
			name: "unknown instrument", instrument: "proqol4", answers: []int{1},
			want: FieldErrors{"instrument": "must be one of proqol5, scssf, cbi, miniz"},
		},
		{
			name: "missing instrument", instrument: "", answers: []int{1},
			want: FieldErrors{"instrument": "is required: one of proqol5, scssf, cbi, miniz"},
		},
		{
			name: "nil answers", instrument: "proqol5", answers: nil,
			want: FieldErrors{"answers": "proqol5 needs 30 answers, got 0"},
		},
		{
			name: "empty answers", instrument: "miniz", answers: []int{},
			want: FieldErrors{"answers": "miniz needs 1 answer, got 0"},
		},
		{
			name: "one short", instrument: "proqol5", answers: byItem(29, 3, nil),
			want: FieldErrors{"answers": "proqol5 needs 30 answers, got 29"},
		},
		{
			name: "one too many", instrument: "scssf", answers: byItem(13, 3, nil),
			want: FieldErrors{"answers": "scssf needs 12 answers, got 13"},
		},
		{
			name: "out of range 1..5", instrument: "scssf", answers: byItem(12, 3, map[int]int{1: 0, 4: 6, 12: -1}),
			want: FieldErrors{
				"answers[0]":  "must be between 1 and 5",
				"answers[3]":  "must be between 1 and 5",
				"answers[11]": "must be between 1 and 5",
			},
		},
		{
			name: "cbi off the item scores", instrument: "cbi", answers: byItem(19, 50, map[int]int{14: 3, 19: 101}),
			want: FieldErrors{
				"answers[13]": "must be one of 0, 25, 50, 75, 100",
				"answers[18]": "must be one of 0, 25, 50, 75, 100",
			},
		},
		{
			name: "count and values", instrument: "miniz", answers: []int{3, 9},
			want: FieldErrors{
				"answers":    "miniz needs 1 answer, got 2",
				"answers[1]": "must be between 1 and 5",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Score(tt.instrument, tt.answers)
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Score = %+v, %v; want FieldErrors", r, err)
			}
			if !maps.Equal(fe, tt.want) {
				t.Errorf("fields = %v, want %v", fe, tt.want)
			}
		})
	}
}

func TestFieldErrorsError(t *testing.T) {
	fe := FieldErrors{
		"instrument":  "x",
		"answers[10]": "c",
		"answers[2]":  "b",
		"answers":     "a",
	}
	want := "answers: a; answers[2]: b; answers[10]: c; instrument: x"
	if got := fe.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestEveryAnswerHasItsAnchor: the forms that label every option — all but
// the SCS-SF, whose form labels only its two ends — have an anchor for every
// answer they allow, so a clinician never meets an unlabelled option (the
// Mini-Z's five statements among them).
func TestEveryAnswerHasItsAnchor(t *testing.T) {
	for _, name := range []string{"proqol5", "cbi", "miniz"} {
		in, _ := Lookup(name)
		for _, v := range in.Allowed {
			if in.Anchors[v] == "" {
				t.Errorf("%s: answer %d has no anchor", name, v)
			}
		}
	}
}

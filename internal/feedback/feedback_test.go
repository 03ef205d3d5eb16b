package feedback

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

func mustScore(t *testing.T, name string, answers []int) instrument.Result {
	t.Helper()
	r, err := instrument.Score(name, answers)
	if err != nil {
		t.Fatalf("Score(%s): %v", name, err)
	}
	return r
}

// proqol answers every item of a scale with one value; burnout's reverse-scored items
// (1, 4, 15, 17, 29) get 6 − bo so that CS = 10·cs, BO = 10·bo, STS = 10·sts.
func proqol(t *testing.T, cs, bo, sts int) instrument.Result {
	a := make([]int, 30)
	for _, i := range []int{3, 6, 12, 16, 18, 20, 22, 24, 27, 30} {
		a[i-1] = cs
	}
	for _, i := range []int{8, 10, 19, 21, 26} {
		a[i-1] = bo
	}
	for _, i := range []int{1, 4, 15, 17, 29} {
		a[i-1] = 6 - bo
	}
	for _, i := range []int{2, 5, 7, 9, 11, 13, 14, 23, 25, 28} {
		a[i-1] = sts
	}
	return mustScore(t, "proqol5", a)
}

// fill returns n answers of v with the given 1-based items set.
func fill(n, v int, set map[int]int) []int {
	a := make([]int, n)
	for i := range a {
		a[i] = v
	}
	for item, x := range set {
		a[item-1] = x
	}
	return a
}

func kinds(fb Feedback) []string {
	var ks []string
	for _, s := range fb.Suggestions {
		ks = append(ks, s.Kind)
	}
	return ks
}

func TestFor(t *testing.T) {
	tests := []struct {
		name    string
		result  instrument.Result
		kinds   []string
		support bool
	}{
		// ProQOL 5: CS, BO, STS = 10 × the group's answer.
		{"proqol all moderate", proqol(t, 3, 3, 3), []string{KindMaintenance}, false},
		{"proqol burnout 50", proqol(t, 3, 5, 3), []string{KindBurnout}, false},
		{"proqol STS 50 alone needs no support", proqol(t, 3, 3, 5), []string{KindSecondaryTraumaticStress}, false},
		{"proqol CS 20 low", proqol(t, 2, 3, 3), []string{KindCompassionSatisfaction}, false},
		{"proqol CS high, BO and STS low", proqol(t, 5, 1, 1), []string{KindMaintenance}, false},
		{
			// BO 50 and STS 50 both high → support first; CS 10 is at risk too, but
			// three suggestions is the limit and ties keep table order.
			"proqol STS and burnout high", proqol(t, 1, 5, 5),
			[]string{KindSupport, KindBurnout, KindSecondaryTraumaticStress}, true,
		},
		{
			// CS 10 leans (50−10)/40 = 1 to its risk side, BO 45 only (45−10)/40 = 0.875.
			"proqol ranked by lean",
			instrument.Result{Scores: map[string]float64{"compassion_satisfaction": 10, "burnout": 45, "secondary_traumatic_stress": 30}},
			[]string{KindCompassionSatisfaction, KindBurnout}, false,
		},
		{
			// BO 42 with STS 41: not both high.
			"proqol STS 41 with burnout 42",
			instrument.Result{Scores: map[string]float64{"compassion_satisfaction": 30, "burnout": 42, "secondary_traumatic_stress": 41}},
			[]string{KindBurnout}, false,
		},

		// SCS-SF components are raw means; a pole is at risk past 3 toward it.
		{"scssf all 3", mustScore(t, "scssf", fill(12, 3, nil)), []string{KindMaintenance}, false},
		{
			"scssf high self-compassion",
			mustScore(t, "scssf", fill(12, 5, map[int]int{1: 1, 4: 1, 8: 1, 9: 1, 11: 1, 12: 1})),
			[]string{KindMaintenance}, false,
		},
		{
			// Isolation (items 4, 8) = 5 alone.
			"scssf isolation", mustScore(t, "scssf", fill(12, 3, map[int]int{4: 5, 8: 5})),
			[]string{KindCommonHumanity}, false,
		},
		{
			// Isolation 5 leans 1, self-judgment (items 11, 12) 4 leans 0.75.
			"scssf isolation before self-judgment",
			mustScore(t, "scssf", fill(12, 3, map[int]int{4: 5, 8: 5, 11: 4, 12: 4})),
			[]string{KindCommonHumanity, KindSelfKindness}, false,
		},
		{
			// Low self-kindness (items 2, 6) = 1 and low mindfulness (3, 7) = 2.
			"scssf low poles",
			mustScore(t, "scssf", fill(12, 3, map[int]int{2: 1, 6: 1, 3: 2, 7: 2})),
			[]string{KindSelfKindness, KindMindfulness}, false,
		},
		{
			// The low total 29/12 of the instrument golden tests: SK 2.5, SJ 4 → 0.75;
			// CH 2 → 0.75, IS 3.5; MI 3, OI 3.5 → 0.625.
			"scssf low total",
			mustScore(t, "scssf", fill(12, 0, map[int]int{2: 3, 6: 2, 5: 2, 10: 2, 3: 3, 7: 3, 11: 4, 12: 4, 4: 3, 8: 4, 1: 4, 9: 3})),
			[]string{KindSelfKindness, KindCommonHumanity, KindMindfulness}, false,
		},

		// CBI: ≥ 50 on any scale.
		{"cbi all 0", mustScore(t, "cbi", fill(19, 0, nil)), []string{KindMaintenance}, false},
		{"cbi all 25", mustScore(t, "cbi", fill(19, 25, nil)), []string{KindMaintenance}, false},
		{
			// Work: 7:75 8:75 9–12:50, 13:100 → 0; 350/7 = 50.
			"cbi work 50", mustScore(t, "cbi", fill(19, 25, map[int]int{7: 75, 8: 75, 9: 50, 10: 50, 11: 50, 12: 50, 13: 100})),
			[]string{KindBurnout}, false,
		},
		{"cbi all 100 brings no support", mustScore(t, "cbi", fill(19, 100, nil)), []string{KindBurnout}, false},

		// Mini-Z: burnout from 3, support at 5.
		{"miniz 1", mustScore(t, "miniz", []int{1}), []string{KindMaintenance}, false},
		{"miniz 2", mustScore(t, "miniz", []int{2}), []string{KindMaintenance}, false},
		{"miniz 3", mustScore(t, "miniz", []int{3}), []string{KindBurnout}, false},
		{"miniz 4", mustScore(t, "miniz", []int{4}), []string{KindBurnout}, false},
		{"miniz 5", mustScore(t, "miniz", []int{5}), []string{KindSupport, KindBurnout}, true},

		{"no scores", instrument.Result{}, []string{KindMaintenance}, false},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := c.For("northside", tt.result)
			if got := kinds(fb); !slices.Equal(got, tt.kinds) {
				t.Errorf("kinds = %v, want %v", got, tt.kinds)
			}
			for _, s := range fb.Suggestions {
				if s.Text != builtinTexts[s.Kind] {
					t.Errorf("%s text = %q, want the built-in text", s.Kind, s.Text)
				}
			}
			if want := []Contact(nil); !tt.support && !slices.Equal(fb.Support, want) {
				t.Errorf("support = %v, want none", fb.Support)
			}
			if tt.support && !slices.Equal(fb.Support, builtinSupport) {
				t.Errorf("support = %v, want %v", fb.Support, builtinSupport)
			}
		})
	}
}

func TestForClinicConfig(t *testing.T) {
	c := parseExample(t)
	miniz5 := mustScore(t, "miniz", []int{5})

	fb := c.For("northside", miniz5)
	if len(fb.Support) != 2 || fb.Support[0].Name != "Northside staff wellbeing service" || fb.Support[1].Name != "Your clinical supervisor" {
		t.Errorf("northside support = %+v", fb.Support)
	}
	if fb.Suggestions[0].Text != builtinTexts[KindSupport] {
		t.Errorf("support text = %q, want the built-in one", fb.Suggestions[0].Text)
	}
	// A clinic with no contacts of its own, and an unknown clinic, get the defaults.
	for _, clinic := range []string{"riverside", "elsewhere"} {
		want := []Contact{{Name: "Your clinic's employee assistance programme", Hours: "Around the clock"}}
		if got := c.For(clinic, miniz5).Support; !slices.Equal(got, want) {
			t.Errorf("%s support = %+v, want %+v", clinic, got, want)
		}
	}
	// Texts: clinic override, else defaults section, else built in.
	sts := proqol(t, 3, 3, 5)
	if got := c.For("northside", sts).Suggestions[0].Text; got != c.Clinics["northside"].Suggestions[KindSecondaryTraumaticStress] {
		t.Errorf("northside STS text = %q", got)
	}
	if got := c.For("riverside", sts).Suggestions[0].Text; got != builtinTexts[KindSecondaryTraumaticStress] {
		t.Errorf("riverside STS text = %q", got)
	}
	calm := mustScore(t, "miniz", []int{1})
	wantCalm := "Thank you for checking in. Whatever is helping you right now is worth keeping up, especially in busy weeks."
	if got := c.For("northside", calm).Suggestions[0].Text; got != wantCalm {
		t.Errorf("maintenance text = %q, want %q", got, wantCalm)
	}

	// Contacts returned belong to the caller.
	c.For("northside", miniz5).Support[0].Name = "changed"
	if c.For("northside", miniz5).Support[0].Name == "changed" {
		t.Error("For returned the configuration's own contacts")
	}
}

func TestZeroConfig(t *testing.T) {
	var c Config
	fb := c.For("any", mustScore(t, "miniz", []int{5}))
	if kinds(fb)[0] != KindSupport || fb.Suggestions[0].Text == "" || !slices.Equal(fb.Support, builtinSupport) {
		t.Errorf("zero Config feedback = %+v", fb)
	}
}

func TestFeedbackJSON(t *testing.T) {
	b, err := json.Marshal(Default().For("x", mustScore(t, "miniz", []int{1})))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"suggestions":[{"kind":"maintenance","text":"` + builtinTexts[KindMaintenance] + `"}]}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}

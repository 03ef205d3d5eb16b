package instrument

// The scoring keys, transcribed from the sources cited on each instrument (summarised
// in /work/shared/instruments.md). Item numbers are 1-based as printed on the forms;
// answers[i] in a check-in is item i+1. Score order within an instrument is the column
// order of ScoreNames; a derived score follows the scores it is derived from.
var instruments = []Instrument{proqol5, scssf, cbi, miniz}

// proqolBands are the raw-sum bands of the ProQOL 5 self-score sheet: ≤ 22 low, 23–41
// moderate, ≥ 42 high. The manual's t-scores are not used. Sums are integers, so the
// cut-offs below reproduce the sheet exactly.
var proqolBands = &cutoffs{moderateFrom: 23, highFrom: 42, source: published()}

// proqol5 is the Professional Quality of Life Scale, version 5: 30 items answered
// 1 (Never) … 5 (Very Often) about the last 30 days; three 10-item sums of 10–50.
//
// Source: Stamm, B.H. (2010). The Concise ProQOL Manual, 2nd ed. — ProQOL 5,
// www.proqol.org. Free to copy and use unmodified, not sold, with that credit line.
// A Rasch analysis (Heritage et al., 2018) found weak measurement properties for the
// burnout and secondary traumatic stress scales: treat them as indicators, not
// diagnoses.
var proqol5 = Instrument{
	Name:        "proqol5",
	Title:       "Professional Quality of Life Scale, version 5 (ProQOL 5)",
	Citation:    "Stamm, B.H. (2010). The Concise ProQOL Manual, 2nd ed. — ProQOL 5, www.proqol.org",
	Items:       30,
	Allowed:     []int{1, 2, 3, 4, 5},
	Anchors:     map[int]string{1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Often", 5: "Very Often"},
	reverseFrom: 6,
	defs: []scoreDef{
		{
			name:  "compassion_satisfaction",
			items: []int{3, 6, 12, 16, 18, 20, 22, 24, 27, 30},
			min:   10, max: 50, riskSide: LevelLow, cut: proqolBands, highLevel: LevelHigh,
		},
		{
			name:    "burnout",
			items:   []int{1, 4, 8, 10, 15, 17, 19, 21, 26, 29},
			reverse: []int{1, 4, 15, 17, 29},
			min:     10, max: 50, riskSide: LevelHigh, cut: proqolBands, highLevel: LevelHigh,
		},
		{
			name:  "secondary_traumatic_stress",
			items: []int{2, 5, 7, 9, 11, 13, 14, 23, 25, 28},
			min:   10, max: 50, riskSide: LevelHigh, cut: proqolBands, highLevel: LevelHigh,
		},
		{
			// Derived by tend, not a validated score: the ProQOL model calls burnout
			// plus secondary traumatic stress compassion fatigue; tend rescales that
			// sum (20–100) to 0–100. It has no published bands, so it gets none, and
			// no share_high rule (the compassion_fatigue_high alert counts STS ≥ 42).
			name:   "compassion_fatigue",
			derive: compassionFatigue,
			min:    0, max: 100, riskSide: LevelHigh,
		},
	},
}

// compassionFatigue = (BO + STS − 20) / 80 × 100. BO + STS − 20 is an integer, and
// multiples of 100/80 = 1.25 are exact in float64.
func compassionFatigue(score func(name string) float64) float64 {
	return (score("burnout") + score("secondary_traumatic_stress") - 20) / 80 * 100
}

// scssf is the Self-Compassion Scale – Short Form: 12 items answered 1 (Almost never)
// … 5 (Almost always).
//
// The total, self_compassion, is the mean of all 12 items after reversing items 1, 4,
// 8, 9, 11 and 12 (6 − answer); it is the primary score. The author's rough bands are
// 1.0–2.49 low, 2.5–3.5 moderate, 3.51–5.0 high; a total is k/12 for an integer k, so
// no achievable total lies in the gaps (29/12 ≈ 2.417 is low, 30/12 = 2.5 and
// 42/12 = 3.5 are moderate, 43/12 ≈ 3.583 is high).
//
// The six components are Neff's poles, each the raw mean of its two items with no
// reversal, so self_judgment, isolation and over_identification are high when the
// uncompassionate pole is strong (their risk side is high). The author advises that
// short-form components are less reliable than the total: they are a profile, without
// bands.
//
// Source: Raes, F., Pommier, E., Neff, K.D., & Van Gucht, D. (2011). Construction and
// factorial validation of a short form of the Self-Compassion Scale. Clinical
// Psychology & Psychotherapy, 18, 250–255. Free to use with that citation.
var scssf = Instrument{
	Name:        "scssf",
	Title:       "Self-Compassion Scale – Short Form (SCS-SF)",
	Citation:    "Raes, F., Pommier, E., Neff, K.D., & Van Gucht, D. (2011). Construction and factorial validation of a short form of the Self-Compassion Scale. Clinical Psychology & Psychotherapy, 18, 250–255.",
	Items:       12,
	Allowed:     []int{1, 2, 3, 4, 5},
	Anchors:     map[int]string{1: "Almost never", 5: "Almost always"},
	reverseFrom: 6,
	defs: []scoreDef{
		{
			name:    "self_compassion",
			items:   []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
			reverse: []int{1, 4, 8, 9, 11, 12},
			mean:    true, min: 1, max: 5, riskSide: LevelLow,
			cut: &cutoffs{moderateFrom: 2.5, highFrom: 3.51, source: published()}, highLevel: LevelLow,
		},
		{name: "self_kindness", items: []int{2, 6}, mean: true, min: 1, max: 5, riskSide: LevelLow},
		{name: "self_judgment", items: []int{11, 12}, mean: true, min: 1, max: 5, riskSide: LevelHigh},
		{name: "common_humanity", items: []int{5, 10}, mean: true, min: 1, max: 5, riskSide: LevelLow},
		{name: "isolation", items: []int{4, 8}, mean: true, min: 1, max: 5, riskSide: LevelHigh},
		{name: "mindfulness", items: []int{3, 7}, mean: true, min: 1, max: 5, riskSide: LevelLow},
		{name: "over_identification", items: []int{1, 9}, mean: true, min: 1, max: 5, riskSide: LevelHigh},
	},
}

// cbiBands: ≥ 50 high is a widely used convention whose primary source is weak — tend
// labels it a convention. The split of the rest at 25 (a mean below "Seldom" / "To a
// low degree") into low and moderate is tend's own, not published: both of those
// bands are tend's.
var cbiBands = &cutoffs{moderateFrom: 25, highFrom: 50, source: map[string]string{
	LevelLow: SourceTend, LevelModerate: SourceTend, LevelHigh: SourceConvention,
}}

// cbi is the Copenhagen Burnout Inventory: 19 items answered with the published item
// scores 0, 25, 50, 75, 100 ("Never/almost never" or "To a very low degree" = 0 …
// "Always" or "To a very high degree" = 100). Each scale is the mean of its items,
// 0–100: personal burnout items 1–6, work-related burnout items 7–13, client-related
// burnout items 14–19 (the clients are the clinician's patients). Item 13 ("enough
// energy for family and friends during leisure time?") is reversed: 100 − answer.
//
// Source: Kristensen, T.S., Borritz, M., Villadsen, E., & Christensen, K.B. (2005). The
// Copenhagen Burnout Inventory: A new tool for the assessment of burnout. Work &
// Stress, 19(3), 192–207. Free to use with that citation.
var cbi = Instrument{
	Name:     "cbi",
	Title:    "Copenhagen Burnout Inventory (CBI)",
	Citation: "Kristensen, T.S., Borritz, M., Villadsen, E., & Christensen, K.B. (2005). The Copenhagen Burnout Inventory: A new tool for the assessment of burnout. Work & Stress, 19(3), 192–207.",
	Items:    19,
	Allowed:  []int{0, 25, 50, 75, 100},
	Anchors: map[int]string{
		100: "Always / To a very high degree", 75: "Often / To a high degree", 50: "Sometimes / Somewhat",
		25: "Seldom / To a low degree", 0: "Never, almost never / To a very low degree",
	},
	reverseFrom: 100,
	defs: []scoreDef{
		{
			name: "personal_burnout", items: []int{1, 2, 3, 4, 5, 6},
			mean: true, min: 0, max: 100, riskSide: LevelHigh, cut: cbiBands, highLevel: LevelHigh,
		},
		{
			name: "work_burnout", items: []int{7, 8, 9, 10, 11, 12, 13}, reverse: []int{13},
			mean: true, min: 0, max: 100, riskSide: LevelHigh, cut: cbiBands, highLevel: LevelHigh,
		},
		{
			name: "client_burnout", items: []int{14, 15, 16, 17, 18, 19},
			mean: true, min: 0, max: 100, riskSide: LevelHigh, cut: cbiBands, highLevel: LevelHigh,
		},
	},
}

// miniz is the single burnout item of the Mini-Z survey, answered 1 ("I enjoy my
// work. I have no symptoms of burnout.") … 5 ("I feel completely burned out …").
// burnout_level is the answer itself. The published rule is dichotomous — burnout
// when the answer is ≥ 3 — so its band has no moderate level: 1–2 low, 3–5 high (at
// risk). An answer of 5 brings the clinician support contacts in their own feedback
// (package feedback) and never alerts anyone about that individual.
//
// Source: the Mini-Z survey (Linzer, Hennepin Healthcare). Free for research,
// programme evaluation and education; commercial use needs the authors' permission.
var miniz = Instrument{
	Name:     "miniz",
	Title:    "Mini-Z single-item burnout measure",
	Citation: "Mini-Z burnout item, M. Linzer, Hennepin Healthcare. Free for research, programme evaluation and education; commercial use requires the authors' permission.",
	Items:    1,
	Allowed:  []int{1, 2, 3, 4, 5},
	Anchors: map[int]string{
		1: "I enjoy my work. I have no symptoms of burnout.",
		2: "Occasionally I am under stress, and I don't always have as much energy as I once did, but I don't feel burned out.",
		3: "I am definitely burning out and have one or more symptoms of burnout, such as physical and emotional exhaustion.",
		4: "The symptoms of burnout that I'm experiencing won't go away. I think about frustration at work a lot.",
		5: "I feel completely burned out and often wonder if I can go on. I am at the point where I may need some changes or may need to seek some sort of help.",
	},
	defs: []scoreDef{
		{
			name: "burnout_level", items: []int{1},
			min: 1, max: 5, riskSide: LevelHigh, cut: &cutoffs{moderateFrom: 3, highFrom: 3, source: published()}, highLevel: LevelHigh,
		},
	},
}

// Scores lists each instrument's score names in table order; set once here so the
// exported field cannot drift from the table. maxItems is the most Items of any.
func init() {
	for i := range instruments {
		for _, d := range instruments[i].defs {
			instruments[i].Scores = append(instruments[i].Scores, d.name)
		}
		maxItems = max(maxItems, instruments[i].Items)
	}
}

var maxItems int

// MaxItems is the most answers any instrument takes.
func MaxItems() int { return maxItems }

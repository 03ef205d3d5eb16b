package figures

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

// This file attacks Compute's output. The attacker is written from the package's
// promises and the instrument definitions only — never from its suppression code:
// it is given the published rows and the true respondent sets and reports every
// published aggregate, or combination of them, that breaks a rule.

// attackerSteps are the lattice steps of the scores, from instruments.md (sums of
// 1–5 items; compassion fatigue in steps of 100/80; SCS-SF total a mean of 12 items,
// components of 2; CBI means of 6 or 7 items scored in steps of 25).
var attackerSteps = map[string]float64{
	"compassion_satisfaction": 1, "burnout": 1, "secondary_traumatic_stress": 1, "compassion_fatigue": 1.25,
	"self_compassion": 1.0 / 12, "self_kindness": 0.5, "self_judgment": 0.5, "common_humanity": 0.5,
	"isolation": 0.5, "mindfulness": 0.5, "over_identification": 0.5,
	"personal_burnout": 25.0 / 6, "work_burnout": 25.0 / 7, "client_burnout": 25.0 / 6,
	"burnout_level": 1,
}

// protectedSides are the statements about one respondent that must never follow from
// the published figures: on the share_high side, or in the band on the risk side.
func protectedSides(score string) []func(float64) bool {
	var sides []func(float64) bool
	if info, _ := instrument.Info(score); info.Banded {
		sides = append(sides,
			func(v float64) bool { return instrument.High(score, v) },
			func(v float64) bool { b, _ := instrument.BandOf(score, v); return b.AtRisk })
	}
	return sides
}

// shareCounts is the range of counts c of n that a published share_high value
// allows, per the documented semantics: [b, b+0.2), or [0.8, 1] for 0.8.
func shareCounts(share float64, n int) (lo, hi int) {
	b := int(math.Round(share * 5))
	lo, hi = -1, -1
	for c := 0; c <= n; c++ {
		if 5*c >= b*n && (5*c < (b+1)*n || b == 4) {
			if lo < 0 {
				lo = c
			}
			hi = c
		}
	}
	return lo, hi
}

type pubGroup struct {
	name            string
	members         []int // respondent indices
	n               int
	mean, sd, share float64
	hasShare        bool
}

// attack returns every leak it finds in figs, the published figures of p.
func attack(k int, p Period, figs []Figure) []string {
	var findings []string
	report := func(format string, args ...any) { findings = append(findings, fmt.Sprintf(format, args...)) }

	in, _ := instrument.Lookup(p.Instrument)
	// True respondent sets (one vote per clinician) and values.
	index := map[string]int{}
	var values []map[string]float64
	members := map[string][]int{}
	for _, r := range p.Responses {
		i, seen := index[r.Clinician]
		if !seen {
			i = len(values)
			index[r.Clinician] = i
			values = append(values, r.Scores)
			members[r.Team] = append(members[r.Team], i)
		}
	}
	all := make([]int, len(values))
	for i := range all {
		all[i] = i
	}
	members[ClinicTotal] = all

	rows := map[[2]string]Figure{}
	for _, f := range figs {
		key := [2]string{f.Team, f.Score}
		if _, dup := rows[key]; dup {
			report("duplicate row %v", key)
		}
		rows[key] = f
	}
	if want := len(members) * len(in.Scores); len(rows) != want {
		report("%d rows, want %d", len(rows), want)
	}

	for _, score := range in.Scores {
		info, _ := instrument.Info(score)
		var pub []pubGroup
		for _, team := range slices.Sorted(maps.Keys(members)) {
			f, ok := rows[[2]string{team, score}]
			if !ok {
				report("%s/%s: no row", team, score)
				continue
			}
			set := members[team]
			if f.Suppressed {
				if f.Respondents != nil || f.Mean != nil || f.Stddev != nil || f.ShareHigh != nil || f.Participation != nil {
					report("%s/%s: suppressed row with a value", team, score)
				}
				continue
			}
			if f.Respondents == nil || f.Mean == nil || f.Stddev == nil {
				report("%s/%s: published row without values", team, score)
				continue
			}
			n := len(set)
			// Rule 1, and the published values are the true ones.
			if int(*f.Respondents) != n {
				report("%s/%s: respondents %d, true %d", team, score, *f.Respondents, n)
			}
			if n < k {
				report("%s/%s: published with %d < k respondents", team, score, n)
			}
			var sum, high float64
			for _, i := range set {
				sum += values[i][score]
				if instrument.High(score, values[i][score]) {
					high++
				}
			}
			mean := sum / float64(n)
			var ss float64
			for _, i := range set {
				ss += (values[i][score] - mean) * (values[i][score] - mean)
			}
			tol := 1e-9 * (info.Max - info.Min)
			if math.Abs(*f.Mean-mean) > tol || math.Abs(*f.Stddev-math.Sqrt(ss/float64(n))) > tol {
				report("%s/%s: mean %v sd %v, true %v %v", team, score, *f.Mean, *f.Stddev, mean, math.Sqrt(ss/float64(n)))
			}
			// (c) no published zero spread.
			if !(*f.Stddev > 0) {
				report("%s/%s: published stddev 0: the mean is everyone's score", team, score)
			}
			g := pubGroup{name: team, members: set, n: n, mean: *f.Mean, sd: *f.Stddev}
			// (d) the share bucket holds the truth and a count below n.
			if f.ShareHigh != nil {
				lo, hi := shareCounts(*f.ShareHigh, n)
				if lo < 0 || int(high) < lo || int(high) > hi {
					report("%s/%s: share %v does not hold the true count %v of %d", team, score, *f.ShareHigh, high, n)
				}
				if lo >= n {
					report("%s/%s: share %v is consistent only with everyone high", team, score, *f.ShareHigh)
				}
				g.share, g.hasShare = *f.ShareHigh, true
			} else if slices.ContainsFunc(set, func(i int) bool { return instrument.High(score, values[i][score]) }) || hasHighRule(score) {
				report("%s/%s: published without share_high", team, score)
			}
			// Rule 4.
			if f.Participation != nil {
				size, known := p.Roster[team], false
				if team == ClinicTotal {
					size, known = 0, true
					for t := range members {
						if _, ok := p.Roster[t]; t != ClinicTotal && !ok {
							known = false
						}
					}
					for _, r := range p.Roster {
						size += r
					}
				} else {
					_, known = p.Roster[team]
				}
				if !known || size < n || math.Abs(*f.Participation-float64(n)/float64(size)) > 1e-12 {
					report("%s/%s: participation %v with roster %d (known %v) and %d respondents", team, score, *f.Participation, size, known, n)
				}
			}
			pub = append(pub, g)
		}

		// (a) pairs of published aggregates.
		for i := range pub {
			for j := i + 1; j < len(pub); j++ {
				if d := symDiff(pub[i].members, pub[j].members); d > 0 && d < k {
					report("%s: %s and %s differ by %d < k respondents", score, pub[i].name, pub[j].name, d)
				}
			}
		}
		findings = append(findings, combinations(k, score, pub, values)...)
		findings = append(findings, countPins(score, pub, members)...)
	}
	return findings
}

func hasHighRule(score string) bool {
	info, _ := instrument.Info(score)
	for v := info.Min; v <= info.Max; v += attackerSteps[score] / 2 {
		if instrument.High(score, v) {
			return true
		}
	}
	return false
}

func symDiff(a, b []int) int {
	in := map[int]int{}
	for _, x := range a {
		in[x]++
	}
	for _, x := range b {
		in[x]--
	}
	d := 0
	for _, c := range in {
		if c != 0 {
			d++
		}
	}
	return d
}

// combinations tries every Σ c_g·(group g) with c_g ∈ {−1, 0, 1} over the published
// groups of one score. Where every respondent it touches gets the same weight w ≠ 0,
// it isolates that set T: the attacker learns |T|, ΣT and ΣT² (from n, mean and
// stddev). (b) T must have 0 or at least k members; (c) its derived spread must not
// be 0; and its derived n, mean and stddev must not pin anyone's protected band.
func combinations(k int, score string, pub []pubGroup, values []map[string]float64) []string {
	var findings []string
	if len(pub) == 0 {
		return nil
	}
	// Respondents with the same memberships form one atom.
	sig := map[int]uint32{}
	for g, grp := range pub {
		for _, i := range grp.members {
			sig[i] |= 1 << g
		}
	}
	atomSize := map[uint32]int{}
	for _, s := range sig {
		atomSize[s]++
	}
	atoms := slices.Sorted(maps.Keys(atomSize))
	checked := map[uint64]bool{}
	coef := make([]int, len(pub))
	total := 1
	for range pub {
		total *= 3
	}
	for code := 1; code < total; code++ {
		x := code
		for g := range coef {
			coef[g] = x%3 - 1
			x /= 3
		}
		w0, size, ok := 0, 0, true
		var tmask uint64
		for ai, a := range atoms {
			w := 0
			for g := range pub {
				if a&(1<<g) != 0 {
					w += coef[g]
				}
			}
			if w == 0 {
				continue
			}
			if w0 == 0 {
				w0 = w
			} else if w != w0 {
				ok = false
				break
			}
			size += atomSize[a]
			tmask |= 1 << ai
		}
		if !ok || size == 0 || checked[tmask] {
			continue
		}
		checked[tmask] = true
		if size < k {
			findings = append(findings, fmt.Sprintf("%s: combination %v isolates %d < k respondents", score, coef, size))
			continue
		}
		var n, s, q float64
		for g, grp := range pub {
			c := float64(coef[g]) / float64(w0)
			n += c * float64(grp.n)
			s += c * float64(grp.n) * grp.mean
			q += c * float64(grp.n) * (grp.sd*grp.sd + grp.mean*grp.mean)
		}
		info, _ := instrument.Info(score)
		mean := s / n
		variance := q/n - mean*mean
		if math.Abs(n-float64(size)) > 1e-6 {
			findings = append(findings, fmt.Sprintf("%s: combination %v: derived n %v, true %d", score, coef, n, size))
		}
		if variance < 1e-7*(info.Max-info.Min)*(info.Max-info.Min) {
			findings = append(findings, fmt.Sprintf("%s: combination %v isolates %d respondents with zero spread (mean %v is each one's score)", score, coef, size, mean))
			continue
		}
		if why := pinned(score, size, s, q); why != "" {
			findings = append(findings, fmt.Sprintf("%s: combination %v isolates %d respondents: %s", score, coef, size, why))
		}
	}
	return findings
}

// pinned reports how n values with sum s and sum of squares q prove that every one
// of them is on a protected side, or "". It bounds every value by
// mean ± stddev·√(n−1) and by what the others can make up within the range, and reads
// the lattice values left; for the Mini-Z (five values) it enumerates every multiset
// exactly instead (n ≤ 200).
func pinned(score string, n int, s, q float64) string {
	info, _ := instrument.Info(score)
	step := attackerSteps[score]
	sides := protectedSides(score)
	if len(sides) == 0 {
		return ""
	}
	if score == "burnout_level" && n <= 200 {
		S, Q := int(math.Round(s)), int(math.Round(q))
		outside := make([]bool, len(sides)) // some solution puts a value outside side i
		any := false
		for c1 := 0; c1 <= n; c1++ {
			for c2 := 0; c1+c2 <= n; c2++ {
				for c3 := 0; c1+c2+c3 <= n; c3++ {
					// The rest are 4s and 5s: their count and sum fix both.
					rest := n - c1 - c2 - c3
					c5 := S - c1 - 2*c2 - 3*c3 - 4*rest
					if c5 < 0 || c5 > rest {
						continue
					}
					{
						c := [5]int{c1, c2, c3, rest - c5, c5}
						sum, sq := 0, 0
						for v, cv := range c {
							sum += (v + 1) * cv
							sq += (v + 1) * (v + 1) * cv
						}
						if sum != S || sq != Q {
							continue
						}
						any = true
						for i, side := range sides {
							for v, cv := range c {
								if cv > 0 && !side(float64(v+1)) {
									outside[i] = true
								}
							}
						}
					}
				}
			}
		}
		for i := range sides {
			if any && !outside[i] {
				return fmt.Sprintf("every multiset with n %d, Σ %d, Σ² %d is on protected side %d", n, S, Q, i)
			}
		}
		return ""
	}
	mean := s / float64(n)
	sd := math.Sqrt(math.Max(0, q/float64(n)-mean*mean))
	reach := sd * math.Sqrt(float64(n-1))
	lo := math.Max(math.Max(info.Min, mean-reach), s-float64(n-1)*info.Max)
	hi := math.Min(math.Min(info.Max, mean+reach), s-float64(n-1)*info.Min)
	eps := 1e-7 * (info.Max - info.Min)
	for i, side := range sides {
		possible, allIn := 0, true
		for j := 0; ; j++ {
			v := info.Min + float64(j)*step
			if v > info.Max+eps {
				break
			}
			if v < lo-eps || v > hi+eps {
				continue
			}
			possible++
			allIn = allIn && side(v)
		}
		if possible > 0 && allIn {
			return fmt.Sprintf("n %d, mean %v, stddev %v bound every value to [%v, %v], all on protected side %d", n, mean, sd, lo, hi, i)
		}
	}
	return ""
}

// countPins solves the share buckets as an integer problem: each published team's
// count lies in its bucket, the count of R (total minus the published teams) in
// [0, |R|], and their sum in the total's bucket. (d) No team and not R may be forced
// to have every member high.
func countPins(score string, pub []pubGroup, members map[string][]int) []string {
	type variable struct {
		name      string
		lo, hi, n int
	}
	var vars []variable
	var total *pubGroup
	covered := 0
	for i := range pub {
		g := &pub[i]
		if !g.hasShare {
			return nil
		}
		if g.name == ClinicTotal {
			total = g
			continue
		}
		lo, hi := shareCounts(g.share, g.n)
		vars = append(vars, variable{g.name, lo, hi, g.n})
		covered += g.n
	}
	if total == nil {
		return nil // each team stands alone: covered by (d)
	}
	if r := total.n - covered; r > 0 {
		vars = append(vars, variable{"R", 0, r, r})
	}
	tlo, thi := shareCounts(total.share, total.n)
	var findings []string
	for i, v := range vars {
		if v.hi < v.n {
			continue
		}
		sumLo, sumHi := 0, 0
		for j, w := range vars {
			hi := w.hi
			if j == i {
				hi = w.n - 1
			}
			if w.lo > hi {
				sumLo = math.MaxInt / 2
			}
			sumLo += w.lo
			sumHi += hi
		}
		if sumLo > thi || sumHi < tlo {
			findings = append(findings, fmt.Sprintf("%s: share buckets force all %d of %s high", score, v.n, v.name))
		}
	}
	return findings
}

// randomPeriod is one clinic's period: 1–8 teams of 1–20 clinicians, each team
// answering in one of several ways so that every rule gets exercised: at random,
// all identically, close to one random answer vector, or close to the answers that
// maximise or minimise one score.
func randomPeriod(rng *rand.Rand, name string, c int) Period {
	in, _ := instrument.Lookup(name)
	length, _ := DefaultLength(name)
	p := Period{Clinic: fmt.Sprintf("clinic%04d", c), Instrument: name, Length: length, Start: length.Start(utc("2026-11-20T17:05:00Z"))}
	random := func() []int {
		a := make([]int, in.Items)
		for i := range a {
			a[i] = in.Allowed[rng.IntN(len(in.Allowed))]
		}
		return a
	}
	teams := 1 + rng.IntN(8)
	clin := 0
	rosterMode := rng.IntN(3)
	if rosterMode > 0 {
		p.Roster = map[string]int{}
	}
	for t := range teams {
		team := fmt.Sprintf("t%d", t)
		size := 1 + rng.IntN(20)
		mode := rng.IntN(6)
		var template []int
		switch mode {
		case 2, 3:
			template = random()
		case 4, 5:
			template = extremeAnswers(in, in.Scores[rng.IntN(len(in.Scores))], rng.IntN(2) == 0)
		}
		for range size {
			var answers []int
			switch mode {
			case 0, 1:
				answers = random()
			case 2:
				answers = template
			default:
				answers = slices.Clone(template)
				for i := range answers {
					if rng.IntN(8) == 0 {
						answers[i] = in.Allowed[rng.IntN(len(in.Allowed))]
					}
				}
			}
			res, err := instrument.Score(name, answers)
			if err != nil {
				panic(err)
			}
			p.Responses = append(p.Responses, Response{Team: team, Clinician: fmt.Sprintf("c%03d", clin), Scores: res.Scores})
			clin++
		}
		switch {
		case rosterMode == 1:
			p.Roster[team] = size + rng.IntN(6)
		case rosterMode == 2 && rng.IntN(3) > 0:
			p.Roster[team] = max(0, size-2+rng.IntN(6)) // sometimes below the respondents
		}
	}
	if rosterMode > 0 {
		p.Roster["unanswered"] = rng.IntN(5)
	}
	return p
}

// extremeAnswers are the answers that maximise (or minimise) one score, item by item
// (scores are separable by item).
func extremeAnswers(in *instrument.Instrument, score string, maximise bool) []int {
	answers := make([]int, in.Items)
	for i := range answers {
		answers[i] = in.Allowed[0]
	}
	for i := range answers {
		best, bestV := answers[i], math.Inf(1)
		for _, a := range in.Allowed {
			answers[i] = a
			res, _ := instrument.Score(in.Name, answers)
			v := res.Scores[score]
			if maximise {
				v = -v
			}
			if v < bestV {
				best, bestV = a, v
			}
		}
		answers[i] = best
	}
	return answers
}

func sameFigures(a, b []Figure) bool {
	if len(a) != len(b) {
		return false
	}
	bits := func(p *float64) uint64 {
		if p == nil {
			return 1<<64 - 1
		}
		return math.Float64bits(*p)
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Clinic != y.Clinic || x.Team != y.Team || x.Instrument != y.Instrument || x.Score != y.Score ||
			!x.Start.Equal(y.Start) || x.Length != y.Length || x.Suppressed != y.Suppressed ||
			(x.Respondents == nil) != (y.Respondents == nil) || (x.Respondents != nil && *x.Respondents != *y.Respondents) ||
			bits(x.Mean) != bits(y.Mean) || bits(x.Stddev) != bits(y.Stddev) ||
			bits(x.ShareHigh) != bits(y.ShareHigh) || bits(x.Participation) != bits(y.Participation) {
			return false
		}
	}
	return true
}

// TestAttacker runs the attacker over many random clinics per instrument and k.
func TestAttacker(t *testing.T) {
	clinics := 250
	if testing.Short() {
		clinics = 40
	}
	for _, k := range []int{5, 6, 7} {
		for _, name := range instrument.Names() {
			t.Run(fmt.Sprintf("k=%d/%s", k, name), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(k), uint64(len(name))))
				var rowsPublished, topBuckets, teamsHeldBack, totalsHeldBack, totalsPublishedWithR int
				for c := range clinics {
					p := randomPeriod(rng, name, c)
					figs, err := Compute(k, p)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range attack(k, p, figs) {
						t.Errorf("clinic %d: %s", c, f)
					}
					// (e) the set, not the order or repeats, decides: shuffle, repeat some.
					q := p
					q.Responses = slices.Clone(p.Responses)
					rng.Shuffle(len(q.Responses), func(i, j int) { q.Responses[i], q.Responses[j] = q.Responses[j], q.Responses[i] })
					q.Responses = append(q.Responses, q.Responses[:rng.IntN(min(3, len(q.Responses)+1))]...)
					again, err := Compute(k, q)
					if err != nil || !sameFigures(figs, again) {
						t.Fatalf("clinic %d: shuffled input gives different figures (%v)", c, err)
					}
					// Tally what the clinic exercised (true sizes, not the implementation's reasons).
					sizes := map[string]int{}
					for _, r := range p.Responses {
						sizes[r.Team]++
						sizes[ClinicTotal]++
					}
					published := 0
					for _, f := range figs {
						if f.Score != in0(name) {
							continue
						}
						switch {
						case !f.Suppressed:
							rowsPublished++
							if f.Team != ClinicTotal {
								published += sizes[f.Team]
							}
							if f.ShareHigh != nil && *f.ShareHigh == 0.8 {
								topBuckets++
							}
						case f.Team == ClinicTotal && sizes[f.Team] >= k:
							totalsHeldBack++
						case sizes[f.Team] >= k:
							teamsHeldBack++
						}
					}
					if f := figs[len(figs)-1]; !f.Suppressed && published < sizes[ClinicTotal] {
						totalsPublishedWithR++
					}
				}
				t.Logf("rows published %d (top bucket %d); suppressed with n ≥ k: teams %d, totals %d; totals published over suppressed teams %d",
					rowsPublished, topBuckets, teamsHeldBack, totalsHeldBack, totalsPublishedWithR)
				if testing.Short() {
					return
				}
				if rowsPublished == 0 || teamsHeldBack == 0 || totalsHeldBack == 0 || totalsPublishedWithR == 0 {
					t.Errorf("the random clinics did not exercise every rule")
				}
			})
		}
	}
}

func in0(name string) string {
	in, _ := instrument.Lookup(name)
	return in.Scores[0]
}

// TestAttackerFindsLeaks shows the attacker is not vacuous: doctored outputs that
// break each rule are caught.
func TestAttackerFindsLeaks(t *testing.T) {
	val := func(v float64) *float64 { return &v }
	cnt := func(n uint32) *uint32 { return &n }
	p := miniPeriod(miniTeam("a", 1, 2, 3, 1, 2, 2), miniTeam("b", 1, 2, 1), miniTeam("c", 3, 3, 4, 4, 5), miniTeam("d", 2, 2, 2, 2, 2))
	honest := mustCompute(t, 5, p)
	if f := attack(5, p, honest); len(f) != 0 {
		t.Fatalf("honest output attacked: %v", f)
	}
	set := func(figs []Figure, team string, f Figure) []Figure {
		out := slices.Clone(figs)
		for i := range out {
			if out[i].Team == team {
				f.Clinic, f.Team, f.Instrument, f.Score, f.Start, f.Length = out[i].Clinic, team, out[i].Instrument, out[i].Score, out[i].Start, out[i].Length
				out[i] = f
			}
		}
		return out
	}
	cases := map[string][]Figure{
		// b (3 respondents) published.
		"< k respondents": set(honest, "b", Figure{Respondents: cnt(3), Mean: val(4.0 / 3), Stddev: val(math.Sqrt(2.0 / 9)), ShareHigh: val(0)}),
		// d (five 2s) published.
		"stddev 0": set(honest, "d", Figure{Respondents: cnt(5), Mean: val(2), Stddev: val(0), ShareHigh: val(0)}),
		// c {3,3,4,4,5} published: mean and stddev pin everyone ≥ 3.
		"protected side": set(honest, "c", Figure{Respondents: cnt(5), Mean: val(3.8), Stddev: val(math.Sqrt(0.56)), ShareHigh: val(0.8)}),
		// c's share reported as 100 %.
		"only with everyone high": set(honest, "c", Figure{Respondents: cnt(5), Mean: val(3.8), Stddev: val(math.Sqrt(0.56)), ShareHigh: val(1)}),
	}
	caught := func(p Period, figs []Figure, want string) {
		t.Helper()
		findings := attack(5, p, figs)
		for _, f := range findings {
			if strings.Contains(f, want) {
				return
			}
		}
		t.Errorf("doctored %q not caught: %v", want, findings)
	}
	for want, figs := range cases {
		caught(p, figs, want)
	}

	// The total published next to a when only b (3) is suppressed: total − a = b.
	q := miniPeriod(miniTeam("a", 1, 2, 3, 1, 2, 2), miniTeam("b", 1, 2, 1))
	honest = mustCompute(t, 5, q)
	if f := attack(5, q, honest); len(f) != 0 {
		t.Fatalf("honest output attacked: %v", f)
	}
	all := []float64{1, 2, 3, 1, 2, 2, 1, 2, 1}
	caught(q, set(honest, ClinicTotal, Figure{Respondents: cnt(9), Mean: val(15.0 / 9), Stddev: val(popSD(all)), ShareHigh: val(0)}), "isolates 3 < k")

	// The coupling of TestShareCoupling: the total at 6 of 10 (bucket 0.6: 6–7) and
	// b at exactly 1 of 5 force team a (bucket 0.8) to be 5 of 5.
	q = miniPeriod(miniTeam("a", 3, 3, 3, 4, 5), miniTeam("b", 1, 2, 3, 1, 2))
	honest = mustCompute(t, 5, q)
	all = []float64{3, 3, 3, 4, 5, 1, 2, 3, 1, 2}
	caught(q, set(honest, ClinicTotal, Figure{Respondents: cnt(10), Mean: val(27.0 / 10), Stddev: val(popSD(all)), ShareHigh: val(0.6)}), "force all 5 of a high")

	// A zero-spread team hidden but the total published: total − a = d, five 2s.
	q = miniPeriod(miniTeam("a", 1, 2, 3, 1, 2, 2), miniTeam("d", 2, 2, 2, 2, 2))
	honest = mustCompute(t, 5, q)
	all = []float64{1, 2, 3, 1, 2, 2, 2, 2, 2, 2, 2}
	caught(q, set(honest, ClinicTotal, Figure{Respondents: cnt(11), Mean: val(21.0 / 11), Stddev: val(popSD(all)), ShareHigh: val(0)}), "zero spread")
}

// Package figures computes the published figures of one closed reporting period of
// one clinic and one instrument: per team and for the clinic total, and per score,
// the respondent count, mean, population standard deviation, share on the high side
// (in coarse buckets) and participation — or, where publishing any of them could
// expose a clinician, a suppressed row with every value nil. It is pure computation:
// no I/O, no clock, standard library and the instrument package only.
//
// The caller publishes a period's figures exactly once, after the period has closed,
// and never republishes them: late check-ins, resubmissions and erasures do not
// change a published figure (design principle 3). Nothing here enforces that; it is
// the caller's job. Figures of different periods, instruments or clinics are separate
// publications; the rules below hold within one Compute call.
//
// # Periods
//
// ProQOL 5, CBI and SCS-SF are reported per calendar month (UTC), the Mini-Z per ISO
// week (Monday 00:00 UTC); see Length, DefaultLength and Lengths for the per-instrument
// override.
//
// # Privacy rules
//
// The attacker is anyone who reads the reporting database: they see every row of the
// period, know the teams, the roster, each score's range and the values its key can
// produce (its lattice), and may know who answered. Every published statistic of a
// group is a symmetric function of its members' values, so the attacker can add and
// subtract groups but can never tell members of one group apart by the published
// values alone; each rule below closes one way of doing so. k is the minimum group
// size (ValidateK: at least 5).
//
//  1. Size. A team with fewer than k respondents is suppressed: every value nil,
//     the respondent count included.
//
//  2. Differencing. All scores of one group are published or suppressed together, so
//     every score sees the same published groups: teams (disjoint: one response per
//     clinician) and possibly the clinic total. Two published teams then differ by at
//     least 2k respondents. A team and the total differ by the other teams and R, the
//     respondents of suppressed teams, which is also what "total minus every published
//     team" isolates. Any combination Σ c_g·sum_g with c_g ∈ {−1, 0, 1} weighs a
//     respondent by c_team + c_total; the sets it isolates (equal non-zero weights)
//     are unions of published teams, or R plus published teams. So the total is
//     published only when it has at least k respondents and R is empty or has at
//     least k respondents (complementary suppression). The total is what gets
//     suppressed, never a second team: team trends are what leadership acts on.
//
//  3. Nothing pins a score or a band. A group is suppressed on every score (a
//     suppressed score could otherwise be recomputed from published ones:
//     compassion_fatigue = 1.25·(burnout + STS − 20), and the SCS-SF total is
//     3 + (kindness + humanity + mindfulness − judgment − isolation −
//     over-identification)/6) when, on any score:
//
//     - its spread is zero: the mean would be every member's value;
//     - every member lies in a protected band — the share_high side, or the band on
//     the risk side (they differ only for compassion_satisfaction) — and no nearby
//     witness shows that the same count, mean, stddev and share bucket also fit a
//     group with one member outside it (see hasWitness). Mean and stddev bound
//     every value to mean ± stddev·√(n−1), and the lattice narrows that further:
//     a Mini-Z team answering {3, 3, 4, 4, 5} has mean 3.8 and stddev ≈ 0.75, which
//     no group containing an answer below 3 has, so publishing it would tell that
//     every member is burning out. {3, 3, 3, 4, 5} is published: {2, 4, 4, 4, 4}
//     has the same n, mean and stddev.
//
//     The same checks apply to R when the total is published (R's count, sum and
//     sum of squares are the total's minus the published teams'); if R fails, the
//     total is suppressed.
//
//     share_high is published in buckets: the bucket of c counted out of n is
//     b = ⌊5c/n⌋, published as b·0.2, and c = n joins the top bucket, published as 0.8
//     and meaning "at least 80 %". The top bucket is the only one that contains
//     c = n, and it contains c = n − 1 too exactly when n − 1 ≥ 0.8n, i.e. n ≥ 5:
//     this is why k must be at least 5. Every other bucket lies below n, so no
//     bucket says "everyone is high". Counts couple through the total: R's count,
//     or a team's, could be pinned at its maximum when the total's bucket admits
//     nothing lower. So when a published team or R is entirely on the high side of a
//     score, the total is published only if its own count can drop by one without
//     leaving its bucket — that, with the group's witness, is a world the attacker
//     cannot tell apart in which a given member is not high. (Sufficient, not
//     necessary: the attacker might also have found room in another team's bucket;
//     tend suppresses the total rather than search for it.)
//
//     Not protected: that nobody in a group is high (a bucket of 0 says so), and the
//     moderate band; the rule protects the statement "this clinician is on the high
//     or at-risk side".
//
//  4. Participation is respondents / enrolled clinicians of the team (the clinic
//     total divides by the whole clinic roster), only on published rows and only when
//     the roster is known and at least the respondent count. It reveals a head count
//     the respondent count already shows, never an answer.
//
//  5. Order. Results depend only on the set of responses: values are taken as exact
//     lattice indices (integers), summed exactly, and rows come in a fixed order, so
//     shuffled input gives bit-identical output.
//
// # What a suppressed row reveals
//
// A suppressed team row says only that the team had at least one response. Its
// respondent count is nil, but when the total is published the attacker can compute
// R, and when R is a single team, that team's count; a team with at least k
// respondents that is nevertheless suppressed was suppressed for its values (rule 3).
// That reveals that on some score either all members gave the same value or all lie
// in a protected band tightly — not which score, which of the two, which value or
// which band. Because "all equal" includes all equal at a value outside every
// protected band (for the Mini-Z: all answering 1, or all 2), a content suppression
// is consistent with any given member being outside every protected band: it shifts
// an attacker's odds but determines nobody's score or band. Had the rule been "suppress
// only when everyone is high", the suppression itself would have told. A suppressed
// clinic total with at least k respondents says the same of R, or that R is smaller
// than k, or that the share buckets coupled (rule 3).
//
// # Limits of the argument
//
//   - The witness moves values of one score at a time. The second moments of the two
//     derived scores (compassion_fatigue, self_compassion) carry cross products of
//     their inputs (for instance Σ burnout·STS), which a witness does not preserve;
//     an attacker combining them has one more equation than the witness accounts for.
//   - Inside R, the attacker sees R's aggregates and which teams are suppressed, not
//     why; a witness for R may move values between suppressed teams, which could
//     change why one of them was suppressed. Suppression reasons are treated as
//     carrying no values.
//   - The witness search is local (hasWitness), so it may suppress a group that a
//     distant witness would have covered: over-suppression, never a leak.
//   - Periods, instruments and clinics are independent publications: nothing here
//     stops differencing one period's figures against another's (different check-ins,
//     but for stable scores not unrelated ones).
package figures

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/instrument"
)

// ClinicTotal is the Team of the clinic-wide rows. It cannot clash with a real team:
// team tokens start with [a-z0-9].
const ClinicTotal = "_all"

// MinK is the smallest minimum group size ValidateK accepts.
const MinK = 5

// maxResponses bounds a period's responses so that exact integer sums (n·Σj² ≤
// n²·steps²) cannot overflow int64.
const maxResponses = 1 << 20

// Response is one vote: a clinician's latest check-in of the instrument in the
// period. The caller gives at most one per clinician per period; Compute treats
// identical repeats as one and refuses conflicting ones.
type Response struct {
	Team      string // the clinician's team token
	Clinician string // a pseudonym, never the raw identifier
	// Scores are that check-in's scores by instrument score name; every score of the
	// period's instrument must be present, finite and a value its key can produce.
	// Names of other scores are ignored.
	Scores map[string]float64
}

// Period is one closed reporting period of one clinic and one instrument.
type Period struct {
	Clinic     string
	Instrument string    // instrument.Names()
	Start      time.Time // must be a period start of Length (Length.Start(Start) == Start)
	Length     Length
	Responses  []Response
	// Roster is the number of enrolled clinicians per team, the denominator of
	// participation; it may be nil or miss teams (their participation is then nil).
	Roster map[string]int
}

// Figure is one published row: one score of one team (or of the clinic total,
// Team == ClinicTotal) in one period. When Suppressed, every pointer is nil.
// Otherwise Respondents, Mean and Stddev are set; ShareHigh is set for scores with a
// high-side rule (instrument.High); Participation when the roster allows.
type Figure struct {
	Clinic, Team, Instrument, Score string
	Start                           time.Time // the period start, UTC
	Length                          Length

	Suppressed  bool
	Respondents *uint32 // distinct clinicians
	// Mean and Stddev (the population standard deviation: the group is the whole
	// team that period, not a sample) of the score.
	Mean, Stddev *float64
	// ShareHigh is the bucket of the share of respondents on the high side: 0, 0.2,
	// 0.4 or 0.6 mean [b, b+0.2); 0.8 means at least 80 % (up to 100 %).
	ShareHigh *float64
	// Participation is respondents over the team's roster (the clinic's, for the
	// total).
	Participation *float64
}

// ValidateK checks a minimum group size. It refuses k < 5: the share_high buckets are
// multiples of 0.2 and the top one, [0.8, 1], must hold n − 1 as well as n so that it
// never says "everyone is high"; n − 1 ≥ 0.8·n needs n ≥ 5.
func ValidateK(k int) error {
	if k < MinK {
		return fmt.Errorf("minimum group size k = %d: must be at least %d (the top share_high bucket, at least 80 %%, must also hold a group with one respondent not high: n − 1 ≥ 0.8·n needs n ≥ 5)", k, MinK)
	}
	return nil
}

// Compute returns the figures of period p with minimum group size k (see the package
// documentation for the rules): for every team with at least one response and for
// the clinic total, one Figure per score of the instrument, in the instrument's score
// order. Teams come in name order, the clinic total last (it has rows even when the
// period has no response, suppressed). It errs, publishing nothing, for an invalid
// k or period, an unknown instrument, a response missing a score or carrying a value
// the instrument's key cannot produce, or one clinician with two different responses.
func Compute(k int, p Period) ([]Figure, error) {
	a, err := assess(k, p)
	if err != nil {
		return nil, err
	}
	return a.figures(p), nil
}

// reason is why a group is or is not published (internal: a published row never says
// why it was suppressed).
type reason uint8

const (
	published  reason = iota
	tooFew            // fewer than k respondents
	disclosing        // its values would pin a score or band (rule 3)
	complement        // the clinic total only: R or the share buckets (rules 2, 3)
)

// group is a team or the clinic total.
type group struct {
	team string
	n    int64
	hist [][]int32 // [score][lattice index] respondents
	why  reason
}

type assessment struct {
	start time.Time
	lats  []*lattice
	teams []*group // name order
	total *group
}

// record is a validated response.
type record struct {
	team, clin string
	idx        []int32 // lattice index per score
}

func assess(k int, p Period) (*assessment, error) {
	if err := ValidateK(k); err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("figures: clinic %q, %s: %s", p.Clinic, p.Instrument, fmt.Sprintf(format, args...))
	}
	if p.Clinic == "" {
		return nil, fail("clinic is required")
	}
	lats, ok := scoreLattices[p.Instrument]
	if !ok {
		return nil, fail("unknown instrument (one of %s)", strings.Join(instrument.Names(), ", "))
	}
	if !p.Length.Valid() {
		return nil, fail("invalid period length %d", p.Length)
	}
	if p.Start.IsZero() || !p.Length.Start(p.Start).Equal(p.Start) {
		return nil, fail("%s is not the start of a %s", p.Start.Format(time.RFC3339), p.Length)
	}
	if len(p.Responses) > maxResponses {
		return nil, fail("%d responses: at most %d", len(p.Responses), maxResponses)
	}
	for team, r := range p.Roster {
		if r < 0 {
			return nil, fail("roster of team %q is negative (%d)", team, r)
		}
	}

	recs := make([]record, 0, len(p.Responses))
	for i, r := range p.Responses {
		switch {
		case r.Team == "":
			return nil, fail("response %d: team is required", i)
		case r.Team == ClinicTotal:
			return nil, fail("response %d: team %q is reserved for the clinic total", i, ClinicTotal)
		case r.Clinician == "":
			return nil, fail("response %d: clinician is required", i)
		}
		rec := record{team: r.Team, clin: r.Clinician, idx: make([]int32, len(lats))}
		for s, l := range lats {
			v, ok := r.Scores[l.name]
			if !ok {
				return nil, fail("response %d (team %q): score %s is missing", i, r.Team, l.name)
			}
			j, ok := l.index(v)
			if !ok {
				return nil, fail("response %d (team %q): %s = %g is not a value the %s key produces (%g to %g in steps of %g)",
					i, r.Team, l.name, v, p.Instrument, l.min, l.max, (l.max-l.min)/float64(l.steps))
			}
			rec.idx[s] = int32(j)
		}
		recs = append(recs, rec)
	}
	// One vote per clinician: sort by clinician, drop identical repeats, refuse
	// conflicting ones. Then order by team for grouping.
	slices.SortFunc(recs, func(x, y record) int {
		if c := strings.Compare(x.clin, y.clin); c != 0 {
			return c
		}
		if c := strings.Compare(x.team, y.team); c != 0 {
			return c
		}
		return slices.Compare(x.idx, y.idx)
	})
	recs = slices.CompactFunc(recs, func(x, y record) bool {
		return x.clin == y.clin && x.team == y.team && slices.Equal(x.idx, y.idx)
	})
	for i := 1; i < len(recs); i++ {
		if recs[i].clin == recs[i-1].clin {
			return nil, fail("clinician %q has two different responses in the period (teams %q and %q): give one vote per clinician", recs[i].clin, recs[i-1].team, recs[i].team)
		}
	}
	slices.SortStableFunc(recs, func(x, y record) int { return strings.Compare(x.team, y.team) })

	a := &assessment{start: p.Length.Start(p.Start), lats: lats, total: newGroup(ClinicTotal, lats)}
	for _, r := range recs {
		if len(a.teams) == 0 || a.teams[len(a.teams)-1].team != r.team {
			a.teams = append(a.teams, newGroup(r.team, lats))
		}
		for _, g := range []*group{a.teams[len(a.teams)-1], a.total} {
			g.n++
			for s, j := range r.idx {
				g.hist[s][j]++
			}
		}
	}
	a.decide(int64(k))
	return a, nil
}

func newGroup(team string, lats []*lattice) *group {
	g := &group{team: team, hist: make([][]int32, len(lats))}
	for s, l := range lats {
		g.hist[s] = make([]int32, l.steps+1)
	}
	return g
}

// decide sets every group's reason: teams on their own (rules 1 and 3), then the
// clinic total against what the teams' decisions leave derivable (rules 2 and 3).
func (a *assessment) decide(k int64) {
	for _, g := range a.teams {
		switch {
		case g.n < k:
			g.why = tooFew
		case disclosive(g.hist, a.lats):
			g.why = disclosing
		default:
			g.why = published
		}
	}
	a.total.why = a.totalReason(k)
}

func (a *assessment) totalReason(k int64) reason {
	t := a.total
	if t.n < k {
		return tooFew
	}
	// R: the respondents of suppressed teams, which "total minus every published
	// team" isolates.
	rest := newGroup("", a.lats)
	for _, g := range a.teams {
		if g.why == published {
			continue
		}
		rest.n += g.n
		for s := range rest.hist {
			for j, c := range g.hist[s] {
				rest.hist[s][j] += c
			}
		}
	}
	if rest.n > 0 && (rest.n < k || disclosive(rest.hist, a.lats)) {
		return complement
	}
	// Share buckets couple through the total: a group entirely on the high side needs
	// the total's count to be able to drop by one inside the total's bucket.
	for s, l := range a.lats {
		if !l.hasHigh {
			continue
		}
		coupled := rest.n > 0 && allIn(rest.hist[s], l.high)
		for _, g := range a.teams {
			coupled = coupled || (g.why == published && allIn(g.hist[s], l.high))
		}
		if c := count(t.hist[s], l.high); coupled && c-1 < bucketFloor(bucket(c, t.n), t.n) {
			return complement
		}
	}
	// The total is the union of the parts checked above, so this cannot fire on its
	// own account; it is kept so that the total is never published on an argument
	// alone.
	if disclosive(t.hist, a.lats) {
		return disclosing
	}
	return published
}

// figures renders the rows.
func (a *assessment) figures(p Period) []Figure {
	groups := append(slices.Clone(a.teams), a.total)
	out := make([]Figure, 0, len(groups)*len(a.lats))
	for _, g := range groups {
		part := participation(g, a.teams, p.Roster)
		for s, l := range a.lats {
			f := Figure{
				Clinic: p.Clinic, Team: g.team, Instrument: p.Instrument, Score: l.name,
				Start: a.start, Length: p.Length,
				Suppressed: g.why != published,
			}
			if !f.Suppressed {
				n, sum, sq := sums(g.hist[s])
				width := l.max - l.min
				resp := uint32(n)
				mean := l.min + width*float64(sum)/float64(int64(l.steps)*n)
				sd := width * math.Sqrt(float64(n*sq-sum*sum)) / float64(int64(l.steps)*n)
				f.Respondents, f.Mean, f.Stddev = &resp, &mean, &sd
				if l.hasHigh {
					share := shareValue(bucket(count(g.hist[s], l.high), n))
					f.ShareHigh = &share
				}
				if part != nil {
					v := *part
					f.Participation = &v
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// participation is respondents over roster for a published group, or nil. A team's
// roster is Roster[team]; the clinic's is the sum over Roster, known only when every
// team with responses is in it.
func participation(g *group, teams []*group, roster map[string]int) *float64 {
	if g.why != published || len(roster) == 0 {
		return nil
	}
	var size int64
	if g.team == ClinicTotal {
		for _, t := range teams {
			if _, ok := roster[t.team]; !ok {
				return nil
			}
		}
		for _, r := range roster {
			size += int64(r)
		}
	} else {
		r, ok := roster[g.team]
		if !ok {
			return nil
		}
		size = int64(r)
	}
	if size <= 0 || size < g.n {
		return nil
	}
	v := float64(g.n) / float64(size)
	return &v
}

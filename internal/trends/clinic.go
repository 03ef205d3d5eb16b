package trends

import (
	"slices"

	"github.com/tendhq/tend/internal/instrument"
)

// clinic holds one clinic's working state. Teams and clinicians are numbered in name
// order; the clinic total is the extra team number len(teams).
type clinic struct {
	cfg     Config
	name    string
	obs     []Observation
	refs    []ref    // the clinic's observations, sorted by week, team, clinician
	teams   []string // sorted
	nClins  int
	series  [][]point      // [group*len(scoreDefs)+score]: the group's weeks of that score, in order
	active  [][]activeWeek // [group]: the group's weeks with any observation, in order
	clinBuf []int32        // the active clinicians of every activeWeek
	marks   []int          // clinician -> generation that last marked it (see mark)
	gen     int
	slab    []rowValues
	members []member  // scratch of suppress
	parts   []point   // scratch of suppress
	pub     []int     // scratch of derive
	xs, ys  []float64 // scratch of derive
}

// ref is one observation, numbered.
type ref struct {
	week       int64
	team, clin int32
	obs        int
}

// point is a group's aggregate of one score in one week.
type point struct {
	week      int64
	n, high   int32   // votes; votes that instrument.High counts
	sum, m2   float64 // sum of values; sum of squared deviations from the mean
	published bool
}

func (p point) mean() float64 { return p.sum / float64(p.n) }

// activeWeek is a week in which a group had observations: clinBuf[lo:hi] are its
// distinct clinicians.
type activeWeek struct {
	week          int64
	lo, hi        int32
	participation float64
}

// rowValues backs a published row's pointers; rows take them from a slab to keep
// allocations per row constant.
type rowValues struct {
	respondents uint32
	f           [9]float64
}

func computeClinic(cfg Config, name string, obs []Observation, idx []int) []Row {
	teams, teamOf := intern(len(idx), func(i int) string { return obs[idx[i]].Team })
	clins, clinOf := intern(len(idx), func(i int) string { return obs[idx[i]].Clinician })
	refs := make([]ref, len(idx))
	for i, o := range idx {
		refs[i] = ref{week: weekNumber(obs[o].Week), team: teamOf[i], clin: clinOf[i], obs: o}
	}
	slices.SortFunc(refs, func(a, b ref) int {
		switch {
		case a.week != b.week:
			return cmpInt(a.week, b.week)
		case a.team != b.team:
			return cmpInt(a.team, b.team)
		default:
			return cmpInt(a.clin, b.clin)
		}
	})
	groups := len(teams) + 1
	c := &clinic{
		cfg:    cfg,
		name:   name,
		obs:    obs,
		refs:   refs,
		teams:  teams,
		nClins: len(clins),
		series: make([][]point, groups*len(scoreDefs)),
		active: make([][]activeWeek, groups),
		marks:  make([]int, len(clins)),
	}
	c.aggregate()
	for g := range c.active {
		c.participation(c.active[g])
	}
	return c.rows()
}

func cmpInt[T int32 | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// intern numbers the distinct names of n items so that numbers follow name order:
// every later loop over numbers then runs in an order fixed by the set of names, not
// by the order of the input.
func intern(n int, name func(int) string) (names []string, ids []int32) {
	first := make(map[string]int32)
	ids = make([]int32, n)
	for i := range n {
		s := name(i)
		id, ok := first[s]
		if !ok {
			id = int32(len(names))
			first[s] = id
			names = append(names, s)
		}
		ids[i] = id
	}
	byName := make([]int32, len(names))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return cmpString(names[a], names[b]) })
	rank := make([]int32, len(names))
	sorted := make([]string, len(names))
	for r, id := range byName {
		rank[id] = int32(r)
		sorted[r] = names[id]
	}
	for i, id := range ids {
		ids[i] = rank[id]
	}
	return sorted, ids
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mark starts a new generation of clinician marks: the returned function reports
// whether a clinician is marked for the first time in this generation. It counts
// distinct clinicians in time linear in the votes, without clearing a set.
func (c *clinic) mark() func(clin int32) bool {
	c.gen++
	gen := c.gen
	return func(clin int32) bool {
		if c.marks[clin] == gen {
			return false
		}
		c.marks[clin] = gen
		return true
	}
}

// vote is one team-clinician value of a score in the week being aggregated.
type vote struct{ team, clin int32 }

// aggregate walks the observations week by week, team by team, clinician by clinician,
// building every group's weekly points and active weeks and deciding suppression.
func (c *clinic) aggregate() {
	nScores := len(scoreDefs)
	vals := make([][]float64, nScores) // the current team-week's values, in clinician order
	highs := make([]int32, nScores)
	votes := make([][]vote, nScores) // the current week's votes, in team then clinician order
	var touched []int
	total := int32(len(c.teams))
	for week, byWeek := range runs(c.refs, func(r ref) int64 { return r.week }) {
		c.addActive(total, week, byWeek)
		for team, byTeam := range runs(byWeek, func(r ref) int32 { return r.team }) {
			c.addActive(team, week, byTeam)
			for _, r := range byTeam {
				for name, v := range c.obs[r.obs].Scores {
					s, ok := scoreIndex[name]
					if !ok || !finite(v) {
						continue
					}
					if len(vals[s]) == 0 {
						touched = append(touched, s)
					}
					vals[s] = append(vals[s], v)
					if instrument.High(name, v) {
						highs[s]++
					}
					votes[s] = append(votes[s], vote{team, r.clin})
				}
			}
			for _, s := range touched {
				i := int(team)*nScores + s
				c.series[i] = append(c.series[i], summarize(week, vals[s], highs[s]))
				vals[s], highs[s] = vals[s][:0], 0
			}
			touched = touched[:0]
		}
		for s := range votes {
			if len(votes[s]) > 0 {
				c.suppress(week, s, votes[s])
				votes[s] = votes[s][:0]
			}
		}
	}
}

// runs yields the maximal runs of consecutive elements of xs sharing a key, with it.
func runs[K comparable](xs []ref, key func(ref) K) func(yield func(K, []ref) bool) {
	return func(yield func(K, []ref) bool) {
		for i := 0; i < len(xs); {
			k := key(xs[i])
			j := i + 1
			for j < len(xs) && key(xs[j]) == k {
				j++
			}
			if !yield(k, xs[i:j]) {
				return
			}
			i = j
		}
	}
}

// addActive records group g's distinct clinicians of week (refs of that week, sorted
// by team and clinician).
func (c *clinic) addActive(g int32, week int64, refs []ref) {
	lo := int32(len(c.clinBuf))
	first := c.mark()
	for _, r := range refs {
		if first(r.clin) {
			c.clinBuf = append(c.clinBuf, r.clin)
		}
	}
	c.active[g] = append(c.active[g], activeWeek{week: week, lo: lo, hi: int32(len(c.clinBuf))})
}

// summarize aggregates a team-week's values, given in clinician order: the sums run
// in that order, and the squared deviations are taken from the mean in a second pass
// for accuracy.
func summarize(week int64, vals []float64, high int32) point {
	p := point{week: week, n: int32(len(vals)), high: high}
	for _, v := range vals {
		p.sum += v
	}
	mean := p.mean()
	for _, v := range vals {
		d := v - mean
		p.m2 += d * d
	}
	return p
}

// pool combines team-weeks, given in team order, into the clinic total: counts and
// sums add up, and the squared deviations are each team's own plus its mean's
// deviation from the pooled mean, weighted by its votes.
func pool(week int64, parts []point) point {
	p := point{week: week}
	for _, q := range parts {
		p.n += q.n
		p.high += q.high
		p.sum += q.sum
	}
	mean := p.mean()
	for _, q := range parts {
		d := q.mean() - mean
		p.m2 += q.m2 + float64(q.n)*d*d
	}
	return p
}

// member is a team voting on the score being suppressed: its point and its votes.
type member struct {
	team   int32
	p      *point
	lo, hi int // votes[lo:hi]
}

// suppress decides which of score s's team-weeks of week are published, applying
// complementary suppression, and appends the clinic total's point. votes are the
// week's votes of s in team, clinician order; each voting team's point for the week is
// the last of its series.
func (c *clinic) suppress(week int64, s int, votes []vote) {
	k := c.cfg.MinGroupSize
	nScores := len(scoreDefs)
	members := c.members[:0]
	distinct := 0
	first := c.mark()
	for i, v := range votes {
		if first(v.clin) {
			distinct++
		}
		if i == 0 || v.team != votes[i-1].team {
			ser := c.series[int(v.team)*nScores+s]
			p := &ser[len(ser)-1]
			p.published = int(p.n) >= k
			members = append(members, member{team: v.team, p: p, lo: i})
		}
		members[len(members)-1].hi = i + 1
	}
	c.members = members

	// S is counted in distinct clinicians: one clinician voting in two suppressed teams
	// is still one person.
	inS := c.mark()
	sDistinct, nS := 0, 0
	add := func(m *member) {
		m.p.published = false
		nS++
		for _, v := range votes[m.lo:m.hi] {
			if inS(v.clin) {
				sDistinct++
			}
		}
	}
	for i := range members {
		if !members[i].p.published {
			add(&members[i])
		}
	}
	for nS > 0 && sDistinct < k {
		var smallest *member // members are in name order, so a tie goes to the first name
		for i := range members {
			if m := &members[i]; m.p.published && (smallest == nil || m.p.n < smallest.p.n) {
				smallest = m
			}
		}
		if smallest == nil {
			break
		}
		add(smallest)
	}

	parts := c.parts[:0]
	for _, m := range members {
		parts = append(parts, *m.p)
	}
	c.parts = parts
	total := pool(week, parts)
	total.published = distinct >= k
	i := len(c.teams)*nScores + s
	c.series[i] = append(c.series[i], total)
}

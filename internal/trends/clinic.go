package trends

import (
	"maps"
	"slices"

	"github.com/tendhq/tend/internal/instrument"
)

// clinic holds one clinic's working state. Teams and clinicians are numbered in name
// order; the clinic total is the extra team number len(teams).
type clinic struct {
	cfg     Config
	name    string
	obs     []Observation
	teams   []string       // sorted
	weeks   int            // distinct weeks: the most points a series can have
	series  [][]point      // [group*len(scoreDefs)+score]: the group's weeks of that score, in order
	active  [][]activeWeek // [group]: the group's weeks with any observation, in order
	clinBuf []int32        // the active clinicians of every activeWeek
	marks   []int          // clinician -> generation that last marked it (see firstSeen)
	gen     int
	slab    []rowValues
	members []member  // scratch of suppress
	parts   []point   // scratch of suppress
	pub     []int     // scratch of derive
	base    []point   // scratch of derive
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

// newClinic aggregates one clinic's observations idx: weekly points, suppression and
// participation, ready for rows.
func newClinic(cfg Config, name string, obs []Observation, idx []int) *clinic {
	teams, teamOf := intern(len(idx), func(i int) string { return obs[idx[i]].Team })
	clins, clinOf := intern(len(idx), func(i int) string { return obs[idx[i]].Clinician })
	refs := make([]ref, len(idx))
	weekSet := make(map[int64]bool)
	for i, o := range idx {
		refs[i] = ref{week: weekNumber(obs[o].Week), team: teamOf[i], clin: clinOf[i], obs: o}
		weekSet[refs[i].week] = true
	}
	weeks := slices.Sorted(maps.Keys(weekSet))
	refs = sortRefs(refs, len(weeks), len(teams), len(clins), func(w int64) int {
		i, _ := slices.BinarySearch(weeks, w)
		return i
	})
	groups := len(teams) + 1
	c := &clinic{
		cfg:    cfg,
		name:   name,
		obs:    obs,
		teams:  teams,
		weeks:  len(weeks),
		series: make([][]point, groups*len(scoreDefs)),
		active: make([][]activeWeek, groups),
		marks:  make([]int, len(clins)),
		// Each group-week lists at most its observations' clinicians, so this is enough.
		clinBuf: make([]int32, 0, 2*len(refs)),
	}
	c.aggregate(refs)
	for g := range c.active {
		c.participation(c.active[g])
	}
	return c
}

// sortRefs orders refs by week, team and clinician with three stable counting sorts,
// least significant key first: linear time, where a comparison sort dominated Compute.
// weekRank maps a week to its rank among the weeks.
func sortRefs(refs []ref, weeks, teams, clins int, weekRank func(int64) int) []ref {
	buf := make([]ref, len(refs))
	countingSort(refs, buf, clins, func(r ref) int { return int(r.clin) })
	countingSort(buf, refs, teams, func(r ref) int { return int(r.team) })
	countingSort(refs, buf, weeks, func(r ref) int { return weekRank(r.week) })
	return buf
}

// countingSort stably sorts src into dst by key, which is in [0, n).
func countingSort(src, dst []ref, n int, key func(ref) int) {
	next := make([]int, n+1)
	for _, r := range src {
		next[key(r)+1]++
	}
	for k := range n {
		next[k+1] += next[k]
	}
	for _, r := range src {
		k := key(r)
		dst[next[k]] = r
		next[k]++
	}
}

// rowCount is the number of rows the clinic has: one per point.
func (c *clinic) rowCount() int {
	n := 0
	for _, ser := range c.series {
		n += len(ser)
	}
	return n
}

// newGeneration starts counting distinct clinicians afresh: firstSeen then reports
// whether a clinician is seen for the first time since. Generations make each count
// linear in the votes, without clearing a set.
func (c *clinic) newGeneration() { c.gen++ }

func (c *clinic) firstSeen(clin int32) bool {
	if c.marks[clin] == c.gen {
		return false
	}
	c.marks[clin] = c.gen
	return true
}

// vote is one team-clinician value of a score in the week being aggregated.
type vote struct{ team, clin int32 }

// aggregate walks the observations week by week, team by team, clinician by clinician,
// building every group's weekly points and active weeks and deciding suppression.
func (c *clinic) aggregate(refs []ref) {
	nScores := len(scoreDefs)
	acc := weekAcc{vals: make([][]float64, nScores), highs: make([]int32, nScores), votes: make([][]vote, nScores)}
	total := int32(len(c.teams))
	for week, byWeek := range runs(refs, func(r ref) int64 { return r.week }) {
		c.addActive(total, week, byWeek)
		for team, byTeam := range runs(byWeek, func(r ref) int32 { return r.team }) {
			c.addActive(team, week, byTeam)
			for _, r := range byTeam {
				o := &c.obs[r.obs]
				// Looking up the instrument's own scores is cheaper than ranging over
				// the map, and each clinician then gives each score at most one value.
				for _, s := range instrumentScores[o.Instrument] {
					if v, ok := o.Scores[scoreDefs[s].name]; ok && finite(v) {
						acc.add(s, team, r.clin, v)
					}
				}
			}
			for _, s := range acc.touched {
				c.addPoint(int(team)*nScores+s, summarize(week, acc.vals[s], acc.highs[s]))
				acc.vals[s], acc.highs[s] = acc.vals[s][:0], 0
			}
			acc.touched = acc.touched[:0]
		}
		for s, votes := range acc.votes {
			if len(votes) > 0 {
				c.suppress(week, s, votes)
				acc.votes[s] = votes[:0]
			}
		}
	}
}

// weekAcc accumulates the week being aggregated.
type weekAcc struct {
	vals    [][]float64 // per score, the current team-week's values in clinician order
	highs   []int32     // per score, how many of vals instrument.High counts
	touched []int       // the scores with values in the current team-week
	votes   [][]vote    // per score, the week's votes in team, clinician order
}

func (a *weekAcc) add(s int, team, clin int32, v float64) {
	if len(a.vals[s]) == 0 {
		a.touched = append(a.touched, s)
	}
	a.vals[s] = append(a.vals[s], v)
	if instrument.High(scoreDefs[s].name, v) {
		a.highs[s]++
	}
	a.votes[s] = append(a.votes[s], vote{team, clin})
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
	c.newGeneration()
	for _, r := range refs {
		if c.firstSeen(r.clin) {
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
	p      *point
	lo, hi int // votes[lo:hi]
}

// suppress decides which of score s's team-weeks of week are published, and
// appends the clinic total's point, suppressed when subtraction could recover
// fewer than k people (complementary suppression). votes are the
// week's votes of s in team, clinician order; each voting team's point for the week is
// the last of its series.
func (c *clinic) suppress(week int64, s int, votes []vote) {
	k := c.cfg.MinGroupSize
	nScores := len(scoreDefs)
	members := c.members[:0]
	distinct := 0
	c.newGeneration()
	for i, v := range votes {
		if c.firstSeen(v.clin) {
			distinct++
		}
		if i == 0 || v.team != votes[i-1].team {
			ser := c.series[int(v.team)*nScores+s]
			p := &ser[len(ser)-1]
			p.published = int(p.n) >= k
			members = append(members, member{p: p, lo: i})
		}
		members[len(members)-1].hi = i + 1
	}
	c.members = members

	// S is counted in distinct clinicians: one clinician voting in two suppressed teams
	// is still one person.
	c.newGeneration()
	sDistinct, nS := 0, 0
	add := func(m *member) {
		m.p.published = false
		nS++
		for _, v := range votes[m.lo:m.hi] {
			if c.firstSeen(v.clin) {
				sDistinct++
			}
		}
	}
	for i := range members {
		if !members[i].p.published {
			add(&members[i])
		}
	}
	parts := c.parts[:0]
	for _, m := range members {
		parts = append(parts, *m.p)
	}
	c.parts = parts
	total := pool(week, parts)
	// The clinic total minus the published teams is S's aggregate: publish the
	// total only when S is empty or covers at least k people.
	total.published = distinct >= k && (nS == 0 || sDistinct >= k)
	c.addPoint(len(c.teams)*nScores+s, total)
}

// addPoint appends p to series i, sized on first use for every week of the clinic.
func (c *clinic) addPoint(i int, p point) {
	if c.series[i] == nil {
		c.series[i] = make([]point, 0, c.weeks)
	}
	c.series[i] = append(c.series[i], p)
}

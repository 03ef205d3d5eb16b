package figures

import (
	"math"
	"slices"
)

// The disclosure arithmetic of Compute, on lattice indices (see lattice.go). A
// histogram h of a group and score has h[j] respondents at index j.

// ShareStep is the width of a share_high bucket: ShareHigh is published as
// ShareStep·⌊share/ShareStep⌋, except that the top bucket [0.8, 1] is published as
// 0.8 and means "at least 80 %".
const ShareStep = 0.2

// shareBuckets is the number of buckets: [0, .2), [.2, .4), [.4, .6), [.6, .8), [.8, 1].
const shareBuckets = 5

// bucket is the share_high bucket of c counted respondents out of n, computed in
// integers: ⌊5c/n⌋, with c = n (100 %) folded into the top bucket.
func bucket(c, n int64) int64 { return min(shareBuckets*c/n, shareBuckets-1) }

// bucketFloor is the fewest counted respondents out of n that fall in bucket b:
// ⌈b·n/5⌉.
func bucketFloor(b, n int64) int64 { return (b*n + shareBuckets - 1) / shareBuckets }

// shareValue is what ShareHigh publishes for bucket b.
func shareValue(b int64) float64 { return float64(b) / shareBuckets }

// sums returns n, Σj and Σj² of a histogram.
func sums(h []int32) (n, a, b int64) {
	for j, c := range h {
		c, j := int64(c), int64(j)
		n += c
		a += c * j
		b += c * j * j
	}
	return n, a, b
}

// count is the number of respondents whose index is in set.
func count(h []int32, set []bool) int64 {
	var c int64
	for j, x := range h {
		if set[j] {
			c += int64(x)
		}
	}
	return c
}

// zeroSpread reports whether every respondent has the same value (and there is at
// least one).
func zeroSpread(h []int32) bool {
	distinct := 0
	for _, c := range h {
		if c > 0 {
			distinct++
		}
	}
	return distinct == 1
}

// allIn reports whether the group is non-empty and every respondent's index is in set.
func allIn(h []int32, set []bool) bool {
	any := false
	for j, c := range h {
		if c > 0 {
			if !set[j] {
				return false
			}
			any = true
		}
	}
	return any
}

// disclosive reports whether publishing the group's values (n, mean, stddev and the
// share bucket of every score; hs is indexed like lats) could tell anyone a
// respondent's score or protected band, read on its own:
//
//   - zero spread on any score: the mean is everyone's value;
//   - every respondent inside a protected band (lattice.protected) of a score, and no
//     witness (see hasWitness) shows that the group's count, mean, stddev and share
//     bucket are also those of a group in which one respondent is outside it.
//
// The group's size is the caller's concern (k ≥ 5 is what makes the top share bucket
// hold n−1 as well as n).
func disclosive(hs [][]int32, lats []*lattice) bool {
	for s, h := range hs {
		if zeroSpread(h) {
			return true
		}
		for _, set := range lats[s].protected {
			if allIn(h, set) && !hasWitness(h, set) {
				return true
			}
		}
	}
	return false
}

// hasWitness looks for a multiset of lattice indices with the same size, Σj and Σj²
// as h (so with the same mean and stddev) in which exactly one respondent lies
// outside set and all others inside it (so that, when set is the share_high side,
// the count drops by one and stays in the top bucket: n − 1 ≥ ⌈0.8n⌉ for n ≥ 5). h
// must be allIn set. Because every published statistic of a group is symmetric in
// its members, such a multiset, with its values dealt out in any order, is a world in
// which any given respondent is outside set, and the attacker cannot tell it from the
// real one: the band is not determined.
//
// The search is local, hence conservative: it moves one respondent from x ∈ set to y
// outside it (y among the three outside indices nearest to set) and changes at most
// three others, staying inside set, to restore Σj and Σj². (Two changes never suffice:
// a pair's sum and sum of squares fix the pair.) If no such witness exists nearby,
// disclosive says so and the group is suppressed even if a distant witness exists.
// Its cost is bounded by |set|⁵·3 ≤ 18⁵·3 elementary steps (18 is the widest protected
// band of any score), and it runs only for groups entirely inside a protected band.
func hasWitness(h0 []int32, set []bool) bool {
	h := append([]int32(nil), h0...)
	var vals, inside []int
	for j := range h {
		if h[j] > 0 {
			vals = append(vals, j)
		}
		if set[j] {
			inside = append(inside, j)
		}
	}
	// pair reports whether two indices inside set have sum su and sum of squares sq.
	pair := func(su, sq int) bool {
		d := 2*sq - su*su // (v−u)²
		if d < 0 {
			return false
		}
		t := isqrt(d)
		if t*t != d || (su+t)%2 != 0 {
			return false
		}
		u, v := (su-t)/2, (su+t)/2
		return u >= 0 && v < len(set) && set[u] && set[v]
	}
	ys := nearestOutside(set, 3)
	for _, x := range vals {
		h[x]--
		for _, y := range ys {
			d1, d2 := x-y, x*x-y*y // what the three others must add to Σj and Σj²
			for ai, a := range vals {
				if h[a] == 0 {
					continue
				}
				h[a]--
				for bi := ai; bi < len(vals); bi++ {
					b := vals[bi]
					if h[b] == 0 {
						continue
					}
					h[b]--
					for _, c := range vals[bi:] {
						if h[c] == 0 {
							continue
						}
						// a → a2 (a2 = a leaves a unchanged), then b, c → the pair.
						for _, a2 := range inside {
							if pair(a+b+c+d1-a2, a*a+b*b+c*c+d2-a2*a2) {
								return true
							}
						}
					}
					h[b]++
				}
				h[a]++
			}
		}
		h[x]++
	}
	return false
}

// nearestOutside returns up to n indices outside set, nearest to set first (ties:
// lower index first).
func nearestOutside(set []bool, n int) []int {
	dist := func(j int) int {
		best := math.MaxInt
		for i, in := range set {
			if in {
				best = min(best, abs(i-j))
			}
		}
		return best
	}
	var out []int
	for len(out) < n {
		pick, pd := -1, math.MaxInt
		for j, in := range set {
			if in || slices.Contains(out, j) {
				continue
			}
			if d := dist(j); d < pd {
				pick, pd = j, d
			}
		}
		if pick < 0 {
			break
		}
		out = append(out, pick)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// isqrt is ⌊√d⌋ for d ≥ 0.
func isqrt(d int) int {
	t := int(math.Sqrt(float64(d)))
	for t*t > d {
		t--
	}
	for (t+1)*(t+1) <= d {
		t++
	}
	return t
}

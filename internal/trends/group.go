package trends

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

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
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
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

// groupBy groups the items idx by name with a counting sort: names are the distinct
// names, sorted, and groups[i] the items named names[i], in the order of idx.
func groupBy(idx []int, name func(int) string) (names []string, groups [][]int) {
	names, ids := intern(len(idx), func(j int) string { return name(idx[j]) })
	start := make([]int, len(names)+1)
	for _, id := range ids {
		start[id+1]++
	}
	for i := range names {
		start[i+1] += start[i]
	}
	items := make([]int, len(idx))
	next := slices.Clone(start)
	for j, id := range ids {
		items[next[id]] = idx[j]
		next[id]++
	}
	groups = make([][]int, len(names))
	for i := range names {
		groups[i] = items[start[i]:start[i+1]:start[i+1]]
	}
	return names, groups
}

// identity is 0, 1, …, n−1.
func identity(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// parallel calls fn(0) … fn(n−1) from up to GOMAXPROCS goroutines and waits.
func parallel(n int, fn func(i int)) {
	var claimed atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(claimed.Add(1) - 1); i < n; i = int(claimed.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

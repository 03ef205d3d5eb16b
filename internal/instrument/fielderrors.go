package instrument

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// FieldErrors maps a JSON field path of the check-in to what is wrong with it, e.g.
// "answers[13]" -> "must be one of 0, 25, 50, 75, 100",
// "instrument" -> "must be one of proqol5, scssf, cbi, miniz",
// "answers" -> "proqol5 needs 30 answers, got 29".
// Indices are 0-based positions in the JSON array, so ingest can return the map as the
// "fields" of its 400 response unchanged.
type FieldErrors map[string]string

// Error renders every field as "path: message", joined by "; ", ordered by field name
// and then numerically by index (answers[2] before answers[10]) so that the text is
// deterministic and readable.
func (e FieldErrors) Error() string {
	paths := make([]string, 0, len(e))
	for p := range e {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, comparePaths)
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = p + ": " + e[p]
	}
	return strings.Join(parts, "; ")
}

// comparePaths orders by the name before "[", then by the index (a path without one
// first), then by the whole text, which makes it a total order for any strings.
func comparePaths(a, b string) int {
	na, ia := splitIndex(a)
	nb, ib := splitIndex(b)
	return cmp.Or(strings.Compare(na, nb), cmp.Compare(ia, ib), strings.Compare(a, b))
}

// splitIndex splits "answers[13]" into "answers", 13; a path without a numeric index
// gives the path itself and -1.
func splitIndex(p string) (string, int) {
	name, rest, ok := strings.Cut(p, "[")
	if !ok {
		return p, -1
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || !strings.HasSuffix(rest, "]") || i < 0 {
		return p, -1
	}
	return name, i
}

func joinInts(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

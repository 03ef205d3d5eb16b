package instrument

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"testing"
)

// oddValues are the answers fuzz bytes ≥ 0xF0 decode to: values just outside or
// between the allowed ones, and the extremes of int.
var oddValues = [16]int{math.MinInt, -1, 0, 1, 5, 6, 24, 26, 49, 51, 99, 100, 101, 255, 1 << 40, math.MaxInt}

// decodeAnswers turns fuzz bytes into answers. For a known instrument a byte below
// 0xF0 picks one of its allowed values, so valid vectors are common and the scoring
// code is exercised, not only validation; other bytes pick an odd value.
func decodeAnswers(name string, data []byte) []int {
	if data == nil {
		return nil
	}
	allowed := []int{1, 2, 3, 4, 5}
	if in, ok := Lookup(name); ok {
		allowed = in.Allowed
	}
	answers := make([]int, len(data))
	for i, b := range data {
		if b >= 0xF0 {
			answers[i] = oddValues[b-0xF0]
		} else {
			answers[i] = allowed[int(b)%len(allowed)]
		}
	}
	return answers
}

var fieldPath = regexp.MustCompile(`^(instrument|answers|answers\[(\d+)\])$`)

// FuzzScore: Score never panics, errs only with field-level errors, keeps
// every score in its documented range and bands it consistently; Values
// agrees with it.
func FuzzScore(f *testing.F) {
	f.Add("proqol5", make([]byte, 30))
	f.Add("proqol5", []byte{2, 3, 1, 4, 0, 2, 3, 3, 1, 2, 1, 3, 0, 1, 3, 2, 3, 1, 2, 3, 1, 3, 1, 3, 0, 1, 3, 1, 2, 3})
	f.Add("scssf", []byte{4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4})
	f.Add("cbi", []byte{0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3})
	f.Add("miniz", []byte{4})
	f.Add("miniz", []byte{0xFF})
	f.Add("proqol5", []byte{})
	f.Add("", []byte{1})
	f.Add("cbi", []byte{0xF0, 0xF5, 0xFB})

	f.Fuzz(func(t *testing.T, name string, data []byte) {
		answers := decodeAnswers(name, data)
		r, err := Score(name, answers)
		// Values, what the processor stores, agrees with Score: the same
		// error, or Score's values in ScoreOrder.
		values, verr := Values(name, answers)
		if (err == nil) != (verr == nil) || (err != nil && err.Error() != verr.Error()) {
			t.Fatalf("Values(%q, %v) error %v, Score's %v", name, answers, verr, err)
		}
		for i, score := range ScoreOrder(name) {
			if err == nil && values[i] != r.Scores[score] {
				t.Fatalf("Values(%q, %v)[%d] = %v, Score's %s = %v", name, answers, i, values[i], score, r.Scores[score])
			}
		}
		if err != nil {
			var fe FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("Score(%q, %v) error %v is not a non-empty FieldErrors", name, answers, err)
			}
			for path := range fe {
				m := fieldPath.FindStringSubmatch(path)
				if m == nil {
					t.Fatalf("unexpected field %q in %v", path, err)
				}
				if m[2] != "" {
					if i, _ := strconv.Atoi(m[2]); i >= len(answers) {
						t.Fatalf("field %q beyond %d answers", path, len(answers))
					}
				}
			}
			return
		}
		in, _ := Lookup(name)
		if r.Instrument != name || len(r.Scores) != len(in.Scores) {
			t.Fatalf("Score(%q, %v) = %+v", name, answers, r)
		}
		for _, score := range in.Scores {
			v, ok := r.Scores[score]
			info, _ := Info(score)
			if !ok || math.IsNaN(v) || v < info.Min || v > info.Max {
				t.Fatalf("%s = %v (present %v), documented range %v–%v", score, v, ok, info.Min, info.Max)
			}
			b, banded := r.Bands[score]
			if banded != info.Banded {
				t.Fatalf("%s banded = %v, want %v", score, banded, info.Banded)
			}
			if banded && b.AtRisk != (b.Level == info.RiskSide) {
				t.Fatalf("%s band %+v inconsistent with risk side %s", score, b, info.RiskSide)
			}
		}
	})
}

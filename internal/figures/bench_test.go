package figures

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

// benchPeriod is a clinic of 20 teams × 15 respondents. tight makes every team answer
// close to the answers that maximise one score, so that most groups lie entirely on
// its high side and the witness search runs.
func benchPeriod(name string, tight bool) Period {
	rng := rand.New(rand.NewPCG(7, 7))
	in, _ := instrument.Lookup(name)
	length, _ := DefaultLength(name)
	p := Period{Clinic: "bench", Instrument: name, Length: length, Start: length.Start(utc("2026-11-20T00:00:00Z")), Roster: map[string]int{}}
	template := extremeAnswers(in, in.Scores[len(in.Scores)/2], true)
	for t := range 20 {
		team := fmt.Sprintf("team-%02d", t)
		p.Roster[team] = 18
		for c := range 15 {
			answers := make([]int, in.Items)
			for i := range answers {
				if tight && rng.IntN(6) > 0 {
					answers[i] = template[i]
				} else {
					answers[i] = in.Allowed[rng.IntN(len(in.Allowed))]
				}
			}
			res, err := instrument.Score(name, answers)
			if err != nil {
				panic(err)
			}
			p.Responses = append(p.Responses, Response{Team: team, Clinician: fmt.Sprintf("c-%02d-%02d", t, c), Scores: res.Scores})
		}
	}
	return p
}

func BenchmarkCompute(b *testing.B) {
	for _, c := range []struct {
		name  string
		tight bool
	}{{"proqol5", false}, {"scssf", false}, {"cbi", true}, {"miniz", true}} {
		p := benchPeriod(c.name, c.tight)
		b.Run(fmt.Sprintf("%s/tight=%v", c.name, c.tight), func(b *testing.B) {
			b.ReportAllocs()
			var rows int
			for b.Loop() {
				figs, err := Compute(5, p)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(figs)
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

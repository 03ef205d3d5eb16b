package trends

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// teamSim simulates one team's ProQOL 5 check-ins. Each clinician has a lasting
// burnout level drawn from N(team mean, BetweenSD) (BetweenSD 6: the between-clinician
// spread); each week they report round(level + Shift(week) + N(0, WithinSD)), clamped
// to 10–50. WithinSD (default 2) is the week-to-week wobble of one person's answers,
// an assumption: the ProQOL scales are fairly stable over weeks.
type teamSim struct {
	Clinic, Team string
	Clinicians   int
	Weeks        int
	Mean         float64
	BetweenSD    float64
	WithinSD     float64
	Shift        func(week int) float64 // change of the team mean; nil for none
	Answering    func(week int) int     // clinicians answering (the first n); nil for all
	Seed         uint64
}

func (s teamSim) observations() []Observation {
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	between, within := s.BetweenSD, s.WithinSD
	if between == 0 {
		between = 6
	}
	if within == 0 {
		within = 2
	}
	levels := make([]float64, s.Clinicians)
	for i := range levels {
		levels[i] = s.Mean + between*rng.NormFloat64()
	}
	var obs []Observation
	for w := range s.Weeks {
		shift := 0.0
		if s.Shift != nil {
			shift = s.Shift(w)
		}
		n := s.Clinicians
		if s.Answering != nil {
			n = s.Answering(w)
		}
		for i, level := range levels {
			v := math.Round(level + shift + within*rng.NormFloat64())
			if i >= n {
				continue // the draw is still taken, so answering does not shift the others
			}
			obs = append(obs, Observation{
				Clinic: s.Clinic, Team: s.Team, Clinician: fmt.Sprintf("%s-%02d", s.Team, i),
				Week: wk(w), Instrument: "proqol5",
				Scores: map[string]float64{"burnout": min(50, max(10, v))},
			})
		}
	}
	return obs
}

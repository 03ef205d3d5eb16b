package testenv

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
)

// CheckIns returns n valid check-ins with distinct ids, spread over three
// clinics, two teams each, eight clinicians a team and every instrument,
// submitted over the week before now. The same seed gives the same ones.
func CheckIns(n int, seed uint64, now time.Time) []checkin.CheckIn {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := instrument.Names()
	out := make([]checkin.CheckIn, n)
	for i := range out {
		name := names[rng.IntN(len(names))]
		in, _ := instrument.Lookup(name)
		answers := make([]int, in.Items)
		for j := range answers {
			answers[j] = in.Allowed[rng.IntN(len(in.Allowed))]
		}
		sessions, trauma, sleep := 2+rng.IntN(6), rng.IntN(2), 5+float64(rng.IntN(7))/2
		out[i] = checkin.CheckIn{
			ID:          fmt.Sprintf("t%d-%06d", seed, i),
			Clinic:      fmt.Sprintf("clinic-%d", rng.IntN(3)),
			Team:        fmt.Sprintf("team-%d", rng.IntN(2)),
			Clinician:   fmt.Sprintf("Clinician %d", rng.IntN(8)),
			SubmittedAt: now.Add(-time.Duration(rng.IntN(7*24*3600)) * time.Second).UTC().Truncate(time.Second),
			Instrument:  name,
			Answers:     answers,
			Context:     &checkin.Context{Sessions: &sessions, TraumaSessions: &trauma, SleepHours: &sleep},
		}
	}
	return out
}

// Scored is c as the processor stores it, received at receivedAt, with its
// clinician as given (c must be valid).
func Scored(t testing.TB, c checkin.CheckIn, receivedAt time.Time) checkin.Scored {
	t.Helper()
	if _, err := c.Validate(receivedAt); err != nil {
		t.Fatal(err)
	}
	values, err := instrument.Values(c.Instrument, c.Answers)
	if err != nil {
		t.Fatal(err)
	}
	return checkin.Scored{Event: checkin.Event{CheckIn: c, ReceivedAt: receivedAt}, Scores: values}
}

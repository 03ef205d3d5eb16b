package simulate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/tendhq/tend/ingest/client"
)

// DemoEvery is how often the demo submits a check-in once the history is in.
const DemoEvery = 2 * time.Second

// Demo shows tend working on realistic data, through the real ingest
// path: twelve weeks of history for two clinics (one team in three
// deteriorating, so alerts fire) posted to the batch endpoint, then a
// check-in every two seconds until ctx ends. Re-running it the same day
// sends the same history, which the pipeline counts once.
func Demo(ctx context.Context, c client.Client, stdout io.Writer, log *slog.Logger) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	history := Workforce{
		Clinics: 2, ClinicNames: []string{"northside", "riverside"},
		TeamsPerClinic: 3, TeamNames: []string{"trauma-outpatient", "child-family", "crisis"},
		MinTeam: 10, MaxTeam: 16, Weeks: 12, PerWeek: 3,
		Instruments:   []string{"proqol5", "scssf", "miniz"},
		Deteriorating: 0.34, Seed: 2026, End: today,
	}.CheckIns()
	if err := c.All(ctx, history, 500, nil); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	fmt.Fprintf(stdout, "demo: sent %d check-ins (12 weeks, 2 clinics, 6 teams) to %s/v1/checkins/batch; a new one follows every %s.\n",
		len(history), c.URL, DemoEvery)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	tick := time.NewTicker(DemoEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		ci := history[rng.IntN(len(history))]
		ci.ID, ci.SubmittedAt = "", time.Now().UTC()
		ci.Answers = Answers(rng, ci.Instrument, 0.2+0.4*rng.Float64())
		_, err := c.Checkin(ctx, ci)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("demo check-in", "err", err)
		default:
			log.Debug("demo check-in accepted", "clinic", ci.Clinic, "team", ci.Team)
		}
	}
}

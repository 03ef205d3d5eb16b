package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/tendhq/tend/internal/simulate"
)

// demoEvery is how often the demo submits a check-in once the history is in.
const demoEvery = 2 * time.Second

// runDemo shows tend working on realistic data, through the real ingest
// path: twelve weeks of history for two clinics (one team in three
// deteriorating, so alerts fire) posted to the batch endpoint, then a
// check-in every two seconds until ctx ends. Re-running it the same day
// sends the same history, which the pipeline counts once.
func runDemo(ctx context.Context, ingestURL string, stdout io.Writer, log *slog.Logger) error {
	client := ingestClient{url: ingestURL}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	history := simulate.Workforce{
		Clinics: 2, ClinicNames: []string{"northside", "riverside"},
		TeamsPerClinic: 3, TeamNames: []string{"trauma-outpatient", "child-family", "crisis"},
		MinTeam: 4, MaxTeam: 10, Weeks: 12, PerWeek: 2,
		Instruments:   []string{"proqol5", "scssf", "miniz"},
		Deteriorating: 0.34, Seed: 2026, End: today,
	}.CheckIns()
	if err := client.postAll(ctx, history, 500, nil); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	fmt.Fprintf(stdout, "demo: sent %d check-ins (12 weeks, 2 clinics, 6 teams) to %s/v1/checkins/batch; a new one follows every %s.\n",
		len(history), ingestURL, demoEvery)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	tick := time.NewTicker(demoEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		c := history[rng.IntN(len(history))]
		c.ID, c.SubmittedAt = "", time.Now().UTC()
		c.Answers = simulate.Answers(rng, c.Instrument, 0.2+0.4*rng.Float64())
		body, err := json.Marshal(c)
		if err != nil {
			return err
		}
		status, resp, err := client.post(ctx, "/v1/checkins", body)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("demo check-in", "err", err)
		case status != http.StatusAccepted:
			log.Warn("demo check-in refused", "status", status, "body", string(resp))
		default:
			log.Debug("demo check-in accepted", "clinic", c.Clinic, "team", c.Team)
		}
	}
}

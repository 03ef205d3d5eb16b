package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
)

// sendDemoCheckins submits a small, fixed set of check-ins through the real
// ingest path so a newcomer sees rows land: two clinics, two teams each, six
// clinicians per team, one check-in per instrument each.
func sendDemoCheckins(ctx context.Context, ingestURL string, stdout io.Writer) error {
	rng := rand.New(rand.NewPCG(2026, 11))
	now := time.Now().UTC().Truncate(time.Second)
	sent := 0
	for _, clinic := range []string{"northside", "riverside"} {
		for _, team := range []string{"trauma-outpatient", "child-family"} {
			for c := 1; c <= 6; c++ {
				for _, name := range instrument.Names() {
					in, _ := instrument.Lookup(name)
					answers := make([]int, in.Items)
					for i := range answers {
						answers[i] = in.Allowed[rng.IntN(len(in.Allowed))]
					}
					body, err := json.Marshal(checkin.CheckIn{
						ID:          fmt.Sprintf("demo-%s-%s-%d-%s", clinic, team, c, name),
						Clinic:      clinic,
						Team:        team,
						Clinician:   fmt.Sprintf("demo-clinician-%d", c),
						SubmittedAt: now,
						Instrument:  name,
						Answers:     answers,
					})
					if err != nil {
						return err
					}
					status, resp, err := postJSON(ctx, ingestURL+"/v1/checkins", body)
					if err != nil {
						return err
					}
					if status != http.StatusAccepted {
						return fmt.Errorf("demo check-in refused: HTTP %d: %s", status, resp)
					}
					sent++
				}
			}
		}
	}
	fmt.Fprintf(stdout, "demo: sent %d check-ins through %s/v1/checkins; they are in ClickHouse within a second (query above).\n", sent, ingestURL)
	return nil
}

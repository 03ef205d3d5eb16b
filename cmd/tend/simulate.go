package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/simulate"
)

// runSimulate is `tend simulate`: synthetic clinics, teams and clinicians
// over weeks, some teams deteriorating, posted through the real ingest API.
func runSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var w simulate.Workforce
	var client client.Client
	fs := envflag.New("simulate", "Posts realistic synthetic check-ins — clinics, teams and clinicians over weeks, some teams deteriorating — through the ingest batch API. The same flags give the same check-ins, so a rerun on the same day is counted once.", stderr)
	client.Flags(fs)
	w.Flags(fs)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := w.Validate(); err != nil {
		return usageError{Err: err}
	}
	if err := client.ReadToken(getenv); err != nil {
		return err
	}
	w.End = time.Now().UTC().Truncate(24 * time.Hour)
	cs := w.CheckIns()
	start := time.Now()
	err := client.All(ctx, cs, 1000, func(sent int) { fmt.Fprintf(stdout, "\rsimulate: %d/%d check-ins", sent, len(cs)) })
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	fmt.Fprintf(stdout, "\nsimulate: %d check-ins for %d clinics × %d teams over %d weeks in %s\n",
		len(cs), w.Clinics, w.TeamsPerClinic, w.Weeks, time.Since(start).Round(time.Millisecond))
	return nil
}

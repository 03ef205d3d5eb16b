package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/simulate"
)

// runSimulate is `tend simulate`: synthetic clinics, teams and clinicians
// over weeks, some teams deteriorating, posted through the real ingest API.
func runSimulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var w simulate.Workforce
	var client ingestClient
	var instruments string
	fs := envflag.New("simulate", "Posts realistic synthetic check-ins — clinics, teams and clinicians over weeks, some teams deteriorating — through the ingest batch API. The same flags give the same check-ins, so a rerun on the same day is counted once.", stderr)
	client.flags(fs)
	fs.IntVar(&w.Clinics, "clinics", 3, "clinics")
	fs.IntVar(&w.TeamsPerClinic, "teams", 4, "teams per clinic")
	fs.IntVar(&w.MinTeam, "min-team", 3, "fewest clinicians in a team")
	fs.IntVar(&w.MaxTeam, "max-team", 12, "most clinicians in a team")
	fs.IntVar(&w.Weeks, "weeks", 26, "weeks of history, ending today")
	fs.IntVar(&w.PerWeek, "per-week", 2, "most check-ins a clinician submits in a week")
	fs.Float64Var(&w.Deteriorating, "deteriorating", 0.25, "share of teams whose strain rises")
	fs.StringVar(&instruments, "instruments", "proqol5,scssf,cbi,miniz", "instruments to answer, comma-separated")
	fs.Uint64Var(&w.Seed, "seed", 1, "random seed")
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := client.readToken(getenv); err != nil {
		return err
	}
	if w.Clinics < 1 || w.TeamsPerClinic < 1 || w.MinTeam < 1 || w.MaxTeam < w.MinTeam || w.Weeks < 1 || w.PerWeek < 1 {
		return usageError{Err: fmt.Errorf("--clinics, --teams, --weeks, --per-week and --min-team must be at least 1, and --max-team at least --min-team")}
	}
	w.Instruments = strings.Split(instruments, ",")
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

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/importcsv"
)

// runImport is `tend import FILE.csv`: bulk-import a survey export through
// the ingest batch API, with progress and per-row errors by line number.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := envflag.New("import", `Imports check-ins from a CSV survey export through the ingest batch API:
tend import [flags] FILE.csv

The first row names the columns: clinic, team, clinician, submitted_at (RFC 3339 or
"2006-01-02 15:04:05" UTC), instrument, and the answers either as one column "answers"
(numbers separated by spaces or semicolons) or as item1, item2, … in item order.
Optional: id, sessions, trauma_sessions, hours_worked, sleep_hours. A row without an id
gets one derived from its content with TEND_IMPORT_KEY (or TEND_TOKEN) as the key,
so importing the same file twice counts once.`, stderr)
	var client ingestClient
	client.flags(fs)
	batch := fs.Int("batch", 1000, "check-ins per request")
	if err := envflag.ParseWithArgs(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 || *batch < 1 {
		return usageError{Err: errors.New("need exactly one CSV file, after the flags, and --batch of at least 1")}
	}
	if err := client.readToken(getenv); err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	key, err := envflag.Secret(getenv, "TEND_IMPORT_KEY")
	if err != nil {
		return err
	}
	rows, err := importcsv.Read(f, []byte(cmp.Or(key, client.Token)))
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}
	start := time.Now()
	res, err := importcsv.Import(ctx, client.Client, rows, *batch, func(done int) {
		fmt.Fprintf(stdout, "\rimport: %d/%d rows (%d%%)", done, len(rows), 100*done/len(rows))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nimport: %d rows in %s, %d accepted, %d rejected\n",
		res.Rows, time.Since(start).Round(time.Millisecond), res.Accepted(), len(res.Rejected))
	for i, r := range res.Rejected {
		if i == 20 {
			fmt.Fprintf(stdout, "  … and %d more\n", len(res.Rejected)-20)
			break
		}
		fmt.Fprintln(stdout, "  "+r)
	}
	if len(res.Rejected) > 0 {
		return fmt.Errorf("%d rows rejected", len(res.Rejected))
	}
	return nil
}

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/importcsv"
)

// runImport is `tend import FILE.csv`: bulk-import a survey export through
// the ingest batch API, with progress and per-row errors by line number.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := envflag.New("import", "Imports check-ins from a CSV survey export through the ingest batch API:\ntend import [flags] FILE.csv\n\n"+importcsv.Format+"\nRows without an id are keyed with TEND_IMPORT_KEY (or TEND_TOKEN).", stderr)
	var client client.Client
	client.Flags(fs)
	batch := fs.Int("batch", 1000, "check-ins per request")
	if err := envflag.ParseWithArgs(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 || *batch < 1 {
		return usageError{Err: errors.New("need exactly one CSV file, after the flags, and --batch of at least 1")}
	}
	if err := client.ReadToken(getenv); err != nil {
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
	res, err := importcsv.Import(ctx, client, rows, *batch, func(done int) {
		fmt.Fprintf(stdout, "\rimport: %d/%d rows (%d%%)", done, len(rows), 100*done/len(rows))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nimport: %s in %s\n", res, time.Since(start).Round(time.Millisecond))
	return res.Err()
}

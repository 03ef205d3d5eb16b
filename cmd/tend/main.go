// Command tend runs the clinician wellbeing pipeline: ingest, processor and
// an embedded NATS server in one process (`tend up`), or each part alone.
// main only wires: the work is in Main (serve.go) and the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tend:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks a mistake on the command line (exit status 2).
type usageError = envflag.UsageError

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `tend — clinician wellbeing analytics: check-ins in, team trends out.

Usage: tend <command> [flags]

Commands:
  up        everything in one process: embedded NATS with JetStream, ingest,
            processor, metrics; applies the ClickHouse schema first
  ingest    the HTTP ingest service alone, against TEND_NATS_URL
  process   the processor alone, against TEND_NATS_URL
  migrate   apply the ClickHouse schema (idempotent) and exit
  checkin   submit one check-in (JSON from a file or stdin) to an ingest URL
  import    bulk-import check-ins from a CSV survey export, with progress
  simulate  post synthetic clinics over weeks through the ingest API
  bench     end-to-end throughput and latency, with broker and store baselines
  token     make a clinic access token for --ingest-tokens
  dashboards  export --dir D: Grafana provisioning files;
            provision: install them through Grafana's HTTP API
  erase     erase one clinician's check-ins (right to erasure) and recompute
            their clinic's team metrics

Every flag can also be set as TEND_<FLAG> in the environment, e.g.
--data-dir as TEND_DATA_DIR. Run 'tend <command> --help' for its flags.
`

// run is the whole program, with its environment passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return usageError{Err: errors.New("no command given")}
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "up":
		return runServe(ctx, pipeline.RoleUp, rest, getenv, stdout, stderr)
	case "ingest":
		return runServe(ctx, pipeline.RoleIngest, rest, getenv, stdout, stderr)
	case "process":
		return runServe(ctx, pipeline.RoleProcess, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "checkin":
		return runCheckin(ctx, rest, getenv, stdin, stdout, stderr)
	case "erase":
		return runErase(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "simulate":
		return runSimulate(ctx, rest, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "dashboards":
		return runDashboards(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{Err: fmt.Errorf("unknown command %q", cmd)}
}

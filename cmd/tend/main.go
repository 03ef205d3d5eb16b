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
  up        everything in one process: embedded NATS, ingest, processor, metrics
  ingest    the HTTP ingest service alone, against TEND_NATS_URL
  process   the processor alone, against TEND_NATS_URL
  migrate   apply the ClickHouse schema (idempotent) and exit
  checkin   submit one check-in (JSON from a file or stdin) to an ingest URL
  import    bulk-import check-ins from a CSV survey export, with progress
  simulate  post synthetic clinics over weeks through the ingest API
  bench     end-to-end throughput and latency, with broker and store baselines
  token     make a clinic token for --ingest-tokens or --admin-tokens
  dashboards  export|provision: Grafana provisioning files, or through its API
  erase     erase one clinician's data (right to erasure)
  retention apply  drop data older than its retention window
  audit     list the audit trail of administrative actions
  enroll    enrol clinicians (one, or a roster CSV): a personal check-in link each
  roster    list|move|revoke|reissue|remove: a clinic's roster

Every flag can also be set as TEND_<FLAG> in the environment, e.g.
--data-dir as TEND_DATA_DIR. Run 'tend <command> --help' for its flags.
`

// run is the whole program, with its environment passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	subs := map[string]func([]string) error{
		"checkin": func(a []string) error { return runCheckin(ctx, a, getenv, stdin, stdout, stderr) },
	}
	for name, r := range map[string]pipeline.Role{"up": pipeline.RoleUp, "ingest": pipeline.RoleIngest, "process": pipeline.RoleProcess} {
		subs[name] = func(a []string) error { return runServe(ctx, r, a, getenv, stdout, stderr) }
	}
	for name, c := range map[string]func(context.Context, []string, func(string) string, io.Writer, io.Writer) error{
		"migrate": runMigrate, "import": runImport, "simulate": runSimulate, "bench": runBench, "token": runToken, "dashboards": runDashboards,
		"erase": runErase, "retention": runRetention, "audit": runAudit, "enroll": runEnroll, "roster": runRoster,
	} {
		subs[name] = func(a []string) error { return c(ctx, a, getenv, stdout, stderr) }
	}
	return subcommand("tend", usage, args[1:], stdout, stderr, subs)
}

// subcommand runs the subcommand args[0] of command from subs, or prints
// usage.
func subcommand(command, usage string, args []string, stdout, stderr io.Writer, subs map[string]func([]string) error) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{Err: fmt.Errorf("%s: no subcommand given", command)}
	}
	if run, ok := subs[args[0]]; ok {
		return run(args[1:])
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{Err: fmt.Errorf("%s: unknown subcommand %q", command, args[0])}
}

package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
)

// audit records an administrative action in the audit trail, as the
// operator who ran the command; a trail that cannot be written is logged,
// since the action itself has happened.
func audit(ctx context.Context, store *clickhouse.Store, getenv func(string) string, e clickhouse.AuditEntry, err error, log *slog.Logger) {
	e.Actor, e.Outcome = cliActor(getenv), clickhouse.Outcome(err)
	if aerr := store.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		log.Error("audit trail not written", "action", e.Action, "err", aerr)
	}
}

// cliActor names the operator running a command, for the audit trail.
func cliActor(getenv func(string) string) string { return "cli:" + cmp.Or(getenv("USER"), "unknown") }

// parseStore adds ClickHouse's client flags to fs, parses args and opens
// the store they and TEND_CLICKHOUSE_PASSWORD(_FILE) name (lazily: it does
// not connect until used).
func parseStore(fs *flag.FlagSet, cfg *clickhouse.Config, args []string, getenv func(string) string) (*clickhouse.Store, error) {
	clickhouse.ClientFlags(fs, cfg)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return nil, err
	}
	if err := clickHousePassword(cfg, getenv); err != nil {
		return nil, err
	}
	return clickhouse.Open(*cfg)
}

// runRetention is `tend retention apply`: drop what is older than its window.
func runRetention(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	apply := func(args []string) error {
		var cfg clickhouse.Config
		var r clickhouse.Retention
		fs := envflag.New("retention apply", "Removes check-ins older than --retain-checkins months and reporting rows older than --retain-reporting months, by whole monthly partitions (tend up and tend process do it daily). Recorded in the audit trail.", stderr)
		clickhouse.RetentionFlags(fs, &r)
		store, err := parseStore(fs, &cfg, args, getenv)
		if err != nil {
			return err
		}
		defer store.Close()
		dropped, err := store.ApplyRetention(ctx, r, time.Now())
		audit(ctx, store, getenv, clickhouse.AuditEntry{Action: "retention", Target: cfg.Database + ", " + cfg.ReportingDatabase,
			Detail: fmt.Sprintf("%d partitions dropped", len(dropped))}, err, slog.New(slog.NewTextHandler(stderr, nil)))
		for _, d := range dropped {
			fmt.Fprintf(stdout, "dropped %s\n", d)
		}
		return err
	}
	return subcommand("retention", "Usage: tend retention apply [flags]\n", args, stdout, stderr, map[string]func([]string) error{"apply": apply})
}

// runAudit is `tend audit`: the audit trail, newest first.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg clickhouse.Config
	var f clickhouse.AuditFilter
	var since time.Duration
	fs := envflag.New("audit", "Lists the audit trail of administrative actions (erase, retention, provision), newest first.", stderr)
	fs.StringVar(&f.Action, "action", "", "only this action")
	fs.DurationVar(&since, "since", 0, "only the last `duration` (e.g. 720h); 0: all")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many entries")
	store, err := parseStore(fs, &cfg, args, getenv)
	if err != nil {
		return err
	}
	defer store.Close()
	if since > 0 {
		f.Since = time.Now().Add(-since)
	}
	entries, err := store.AuditTrail(ctx, f)
	for _, e := range entries {
		fmt.Fprintf(stdout, "%s  %-10s %-14s %-24s %s  %s\n", e.At.Format(time.RFC3339), e.Action, e.Actor, e.Target, e.Outcome, e.Detail)
	}
	return err
}

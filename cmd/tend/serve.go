package main

import (
	"context"
	"errors"
	"io"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/pipeline"
)

// runServe is `tend up`, `tend ingest` and `tend process`: run until ctx ends,
// then drain.
func runServe(ctx context.Context, r pipeline.Role, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := serveConfig(r, args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := envflag.Logger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	m := &pipeline.Main{Config: cfg, Role: r, Log: log, Stdout: stdout}
	if cfg.GrafanaURL != "" {
		dcfg := dashboards.Config{ClickHouseAddr: cfg.ClickHouse.Addr, ReportingDatabase: cfg.ClickHouse.ReportingDatabase}
		targets, err := dashboards.Targets(cfg.GrafanaURL, dcfg, getenv)
		if err != nil {
			return err
		}
		m.Grafana = &pipeline.Grafana{Targets: targets}
	}
	if err := m.Run(ctx); err != nil {
		cerr := m.Close()
		if ctx.Err() != nil { // interrupted while starting: a clean stop
			log.Info("interrupted during start-up; stopped", "during", err)
			return nil
		}
		return errors.Join(err, cerr)
	}
	m.WhereToLook(stdout)
	if err := m.Wait(ctx); err != nil {
		log.Error("a stage failed; stopping", "err", err)
		return errors.Join(err, m.Close())
	}
	log.Info("shutting down: draining requests and the batch in hand")
	return m.Close()
}

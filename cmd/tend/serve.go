package main

import (
	"context"
	"errors"
	"io"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/simulate"
)

// runServe is `tend up`, `tend ingest` and `tend process`: run until ctx ends,
// then drain.
func runServe(ctx context.Context, r pipeline.Role, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := serveConfig(r, args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	m := &pipeline.Main{Config: cfg, Role: r, Log: log}
	if err := m.Run(ctx); err != nil {
		cerr := m.Close()
		if ctx.Err() != nil { // interrupted while starting: a clean stop
			log.Info("interrupted during start-up; stopped", "during", err)
			return nil
		}
		return errors.Join(err, cerr)
	}
	// sctx ends with ctx, or when a stage fails: the demo and Grafana
	// provisioning stop then too.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	m.WhereToLook(stdout)
	if cfg.GrafanaURL != "" {
		dcfg := dashboards.Config{ClickHouseAddr: cfg.ClickHouse.Addr, ReportingDatabase: cfg.ClickHouse.ReportingDatabase}
		api, err := grafanaClient(cfg.GrafanaURL, &dcfg, getenv)
		if err != nil {
			return errors.Join(err, m.Close())
		}
		go m.ProvisionGrafana(sctx, api, dcfg)
	}
	demoDone := make(chan struct{})
	go func() {
		defer close(demoDone)
		if cfg.Demo && m.Role.Ingest {
			if err := simulate.Demo(sctx, client.Client{URL: m.IngestURL()}, stdout, log); err != nil && sctx.Err() == nil {
				log.Error("demo", "err", err)
			}
		}
	}()
	if err := m.Wait(ctx); err != nil {
		log.Error("a stage failed; stopping", "err", err)
		stop()
		<-demoDone
		return errors.Join(err, m.Close())
	}
	<-demoDone
	log.Info("shutting down: draining requests and the batch in hand")
	return m.Close()
}

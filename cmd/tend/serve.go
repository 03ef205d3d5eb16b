package main

import (
	"context"
	"errors"
	"io"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/envflag"
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
	log, err := envflag.Logger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	m := &pipeline.Main{Config: cfg, Role: r, Log: log}
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	m.WhereToLook(stdout)
	if cfg.GrafanaURL != "" {
		dcfg := dashboards.Config{ClickHouseAddr: cfg.ClickHouse.Addr, ReportingDatabase: cfg.ClickHouse.ReportingDatabase}
		api, err := grafanaClient(cfg.GrafanaURL, &dcfg, getenv)
		if err != nil {
			return errors.Join(err, m.Close())
		}
		go m.ProvisionGrafana(ctx, api, dcfg)
	}
	demoDone := make(chan struct{})
	go func() {
		defer close(demoDone)
		if cfg.Demo && m.Role.Ingest {
			if err := simulate.Demo(ctx, client.Client{URL: m.IngestURL()}, stdout, log); err != nil {
				log.Error("demo", "err", err)
			}
		}
	}()
	<-ctx.Done()
	<-demoDone
	log.Info("shutting down: draining requests and the batch in hand")
	return m.Close()
}

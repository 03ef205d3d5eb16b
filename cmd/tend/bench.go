package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tendhq/tend/bench"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/processor"
)

// runBench is `tend bench`: end-to-end throughput and latency of a whole
// tend (embedded NATS, ingest, processor, reporter) on databases of its
// own, next to the raw broker and store baselines measured in the same run,
// so that the figures say where the time goes.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c pipeline.Config
	var n, concurrency, samples int
	fs := envflag.New("bench", "Measures tend end to end — HTTP batch ingest to rows in ClickHouse to team metrics — and, in the same run, the raw JetStream publish and ClickHouse insert rates. Uses a temporary NATS and ClickHouse databases of its own, dropped afterwards.", stderr)
	fs.IntVar(&n, "checkins", 20_000, "check-ins to send")
	fs.IntVar(&concurrency, "concurrency", 4, "concurrent HTTP clients")
	fs.IntVar(&samples, "latency-samples", 200, "single check-ins timed one by one for latency")
	fs.IntVar(&c.BatchSize, "batch-size", processor.DefaultBatchSize, "processor batch size")
	closeWeek := bench.DefaultCloseWeek
	fs.IntVar(&closeWeek.Clinics, "close-week-clinics", closeWeek.Clinics, "clinics (of 10 teams of 25) in the close-a-week measurement; 0 skips it")
	fs.IntVar(&closeWeek.Weeks, "close-week-weeks", closeWeek.Weeks, "weeks of history stored before the week closed (at least 3)")
	clickHouseFlags(fs, &c.ClickHouse)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if n < 1 || concurrency < 1 || samples < 1 {
		return usageError{Err: fmt.Errorf("--checkins, --concurrency and --latency-samples must be at least 1")}
	}
	if closeWeek.Clinics < 0 || closeWeek.Weeks < 3 {
		return usageError{Err: fmt.Errorf("--close-week-clinics must not be negative and --close-week-weeks must be at least 3")}
	}
	var err error
	if c.ClickHouse.Password, err = clickHousePassword(getenv); err != nil {
		return err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	c.ClickHouse.Database, c.ClickHouse.ReportingDatabase = "tend_bench_"+tag, "tend_bench_reporting_"+tag
	tmp, err := os.MkdirTemp("", "tend-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	c.DataDir, c.NATSListen, c.HTTPAddr, c.MetricsAddr = tmp, "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	c.PseudonymKey, c.MinGroupSize, c.BatchWait, c.AckWait = tag+tag+tag+tag+tag, 5, 100*time.Millisecond, processor.DefaultAckWait

	m := &pipeline.Main{Config: c, Role: pipeline.RoleUp, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer dropDatabases(c.ClickHouse)
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	defer m.Close()
	sys := bench.System{Ingest: client.Client{URL: m.IngestURL()}, JetStream: m.JetStream(), ClickHouse: c.ClickHouse}
	if err := bench.Run(ctx, sys, bench.Options{CheckIns: n, Concurrency: concurrency, LatencySamples: samples, BatchSize: c.BatchSize, Tag: tag}, stdout); err != nil {
		return err
	}
	if closeWeek.Clinics == 0 {
		return nil
	}
	closeWeek.Tag = tag
	return bench.CloseWeek(ctx, sys, closeWeek, stdout)
}

// dropDatabases removes the bench's databases, on a connection of its own
// (the one of the tend measured is closed by then).
func dropDatabases(cfg clickhouse.Config) {
	store, err := clickhouse.Open(cfg)
	if err != nil {
		return
	}
	defer store.Close()
	store.DropDatabases(context.Background())
}

package main

import (
	"context"
	"errors"
	"io"

	"github.com/tendhq/tend/bench"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/processor"
)

// runBench is `tend bench`: end-to-end throughput and latency of a whole
// tend (embedded NATS, ingest, processor, reporter) on databases of its
// own, next to the raw broker and store baselines measured in the same run,
// so that the figures say where the time goes.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var ch clickhouse.Config
	opt, closeWeek := bench.Options{BatchSize: processor.DefaultBatchSize}, bench.DefaultCloseWeek
	fs := envflag.New("bench", "Measures tend end to end — HTTP batch ingest to rows in ClickHouse — with the raw JetStream publish and ClickHouse insert rates of the same run, then closing a week of 50,000 clinicians with two years of history. Uses a temporary NATS and ClickHouse databases of its own, dropped afterwards.", stderr)
	fs.IntVar(&opt.CheckIns, "checkins", 20_000, "check-ins to send")
	fs.IntVar(&opt.Concurrency, "concurrency", 4, "concurrent HTTP clients")
	fs.IntVar(&opt.LatencySamples, "latency-samples", 200, "single check-ins timed one by one for latency")
	fs.IntVar(&opt.BatchSize, "batch-size", opt.BatchSize, "processor batch size")
	drain := fs.Bool("drain", false, "measure the processor alone draining --checkins pre-loaded check-ins (batches up to --batch-size), next to raw fetch and insert, and batch ingest next to raw publish, each in 3 alternating rounds (figures are medians); ends with a JSON line")
	fs.IntVar(&closeWeek.Clinics, "close-week-clinics", closeWeek.Clinics, "clinics (of 10 teams of 25) in the close-a-week measurement; 0 skips it")
	fs.IntVar(&closeWeek.Weeks, "close-week-weeks", closeWeek.Weeks, "weeks of history stored before the week closed (at least 3)")
	clickhouse.ClientFlags(fs, &ch)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if err := errors.Join(opt.Validate(), closeWeek.Validate()); err != nil {
		return usageError{Err: err}
	}
	if err := clickHousePassword(&ch, getenv); err != nil {
		return err
	}
	if *drain {
		return bench.Drain(ctx, ch, opt, stdout)
	}
	sys, stop, err := bench.Start(ctx, ch, opt.BatchSize)
	if err != nil {
		return err
	}
	defer stop()
	if err := bench.Run(ctx, sys, opt, stdout); err != nil || closeWeek.Clinics == 0 {
		return err
	}
	return bench.CloseWeek(ctx, sys, closeWeek, stdout)
}

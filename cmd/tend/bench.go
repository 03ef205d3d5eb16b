package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/processor"
)

// runBench is `tend bench`: end-to-end throughput and latency of a whole
// tend (embedded NATS, ingest, processor, reporter) on databases of its
// own, next to the raw broker and store baselines measured in the same run,
// so that the figures say where the time goes.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c Config
	var n, concurrency, samples int
	fs := newFlagSet("bench", "Measures tend end to end — HTTP batch ingest to rows in ClickHouse to team metrics — and, in the same run, the raw JetStream publish and ClickHouse insert rates. Uses a temporary NATS and ClickHouse databases of its own, dropped afterwards.", stderr)
	fs.IntVar(&n, "checkins", 20_000, "check-ins to send")
	fs.IntVar(&concurrency, "concurrency", 4, "concurrent HTTP clients")
	fs.IntVar(&samples, "latency-samples", 200, "single check-ins timed one by one for latency")
	fs.IntVar(&c.BatchSize, "batch-size", processor.DefaultBatchSize, "processor batch size")
	clickHouseFlags(fs, &c.ClickHouse)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if n < 1 || concurrency < 1 || samples < 1 {
		return usageError{fmt.Errorf("--checkins, --concurrency and --latency-samples must be at least 1")}
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

	cs := simulate.Workforce{Clinics: 20, TeamsPerClinic: 10, MinTeam: 8, MaxTeam: 15, Weeks: 12, PerWeek: 2, Seed: 7}.CheckIns()
	for len(cs) < n+samples {
		cs = append(cs, cs...)
	}
	for i := range cs {
		cs[i].ID = fmt.Sprintf("bench-%s-%d", tag, i)
	}
	bulk, singles := cs[:n], cs[n:n+samples]

	m := &Main{Config: c, Role: roleUp, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer dropDatabases(c.ClickHouse)
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	defer m.Close()
	fmt.Fprintf(stdout, "tend bench: %d check-ins, %d HTTP clients, batches of %d\n\n", n, concurrency, c.BatchSize)

	pubRate, err := brokerBaseline(ctx, m.js, bulk)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  broker baseline   JetStream async publish        %10.0f msgs/s\n", pubRate)
	insRate, err := storeBaseline(ctx, c, bulk, c.BatchSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  store baseline    ClickHouse batch insert        %10.0f rows/s\n", insRate)

	start := time.Now()
	if err := postConcurrently(ctx, m.IngestURL(), bulk, concurrency); err != nil {
		return err
	}
	accepted := time.Since(start)
	if err := waitDrained(ctx, m.js); err != nil {
		return err
	}
	stored := time.Since(start)
	lastAck := time.Now()
	select {
	case <-m.Reporter.Settled():
	case <-ctx.Done():
		return ctx.Err()
	}
	reporting := time.Since(lastAck)
	fmt.Fprintf(stdout, "  end to end        HTTP batch → 202              %10.0f check-ins/s\n", float64(n)/accepted.Seconds())
	fmt.Fprintf(stdout, "                    HTTP batch → stored and acked %10.0f check-ins/s\n", float64(n)/stored.Seconds())
	fmt.Fprintf(stdout, "                    last ack → team metrics        %10.2f s\n", reporting.Seconds())

	lat, err := singleLatencies(ctx, m.IngestURL(), singles)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  latency           POST /v1/checkins → 202        p50 %.1f ms   p95 %.1f ms   p99 %.1f ms\n",
		ms(lat, 0.50), ms(lat, 0.95), ms(lat, 0.99))
	return nil
}

// brokerBaseline publishes the events asynchronously to a stream of its own
// and returns messages per second.
func brokerBaseline(ctx context.Context, js jetstream.JetStream, cs []checkin.CheckIn) (float64, error) {
	const name = "TEND_BENCH"
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"bench.>"}, Storage: jetstream.FileStorage}); err != nil {
		return 0, fmt.Errorf("broker baseline: %w", err)
	}
	defer js.DeleteStream(context.WithoutCancel(ctx), name)
	msgs := make([]*nats.Msg, len(cs))
	for i, c := range cs {
		data, _ := json.Marshal(checkin.Event{CheckIn: c, ReceivedAt: c.SubmittedAt})
		msgs[i] = &nats.Msg{Subject: "bench." + c.Clinic, Data: data}
	}
	start := time.Now()
	for chunk := range slices.Chunk(msgs, 1000) {
		for _, m := range chunk {
			if _, err := js.PublishMsgAsync(m); err != nil {
				return 0, fmt.Errorf("broker baseline: %w", err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return float64(len(msgs)) / time.Since(start).Seconds(), nil
}

// storeBaseline inserts the check-ins, scored, straight into databases of
// its own in batches of size, and returns rows per second.
func storeBaseline(ctx context.Context, c Config, cs []checkin.CheckIn, size int) (float64, error) {
	cfg := c.ClickHouse
	cfg.Database += "_baseline"
	cfg.ReportingDatabase += "_baseline"
	store, err := clickhouse.Open(cfg)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	defer dropDatabases(cfg)
	if _, err := store.Migrate(ctx); err != nil {
		return 0, err
	}
	rows := make([]checkin.Scored, len(cs))
	for i, ch := range cs {
		res, err := ch.Validate(time.Now())
		if err != nil {
			return 0, err
		}
		rows[i] = checkin.Scored{Event: checkin.Event{CheckIn: ch, ReceivedAt: ch.SubmittedAt}, Scores: res.Scores}
	}
	start := time.Now()
	for chunk := range slices.Chunk(rows, size) {
		if err := store.InsertCheckins(ctx, chunk); err != nil {
			return 0, fmt.Errorf("store baseline: %w", err)
		}
	}
	return float64(len(rows)) / time.Since(start).Seconds(), nil
}

// postConcurrently posts cs in batches of 500 from several clients.
func postConcurrently(ctx context.Context, url string, cs []checkin.CheckIn, clients int) error {
	work := make(chan []checkin.CheckIn)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for chunk := range work {
				if _, err := (ingestClient{url: url}).postBatch(ctx, chunk); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for chunk := range slices.Chunk(cs, 500) {
		select {
		case work <- chunk:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// waitDrained waits until the processor acked everything in the stream.
func waitDrained(ctx context.Context, js jetstream.JetStream) error {
	cons, err := js.Consumer(ctx, stream.Checkins, stream.ProcessorDurable)
	if err != nil {
		return err
	}
	for {
		info, err := cons.Info(ctx)
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// singleLatencies posts check-ins one at a time and returns each 202's
// latency, sorted.
func singleLatencies(ctx context.Context, url string, cs []checkin.CheckIn) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(cs))
	for _, c := range cs {
		body, _ := json.Marshal(c)
		start := time.Now()
		status, resp, err := ingestClient{url: url}.post(ctx, "/v1/checkins", body)
		if err != nil {
			return nil, err
		}
		if status != http.StatusAccepted {
			return nil, fmt.Errorf("check-in: HTTP %d: %.200s", status, resp)
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out, nil
}

func ms(sorted []time.Duration, q float64) float64 {
	return float64(sorted[int(q*float64(len(sorted)-1))].Microseconds()) / 1000
}

// dropDatabases removes the databases of cfg.
func dropDatabases(cfg clickhouse.Config) {
	store, err := clickhouse.Open(cfg)
	if err != nil {
		return
	}
	defer store.Close()
	for _, db := range []string{cfg.Database, cfg.ReportingDatabase} {
		store.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
	}
}

// Package bench measures a running tend end to end — HTTP batch ingest to
// rows in ClickHouse — next to the raw broker and store
// baselines measured in the same run, so that its figures say where the
// time goes. `tend bench` starts the System it measures.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/simulate"
)

// System is a running tend under measurement, on databases and a NATS of
// its own.
type System struct {
	Ingest     client.Client
	JetStream  jetstream.JetStream
	ClickHouse clickhouse.Config // the store baseline uses databases named after these, dropped afterwards
	Tag        string            // unique to the run: in its check-in ids and scratch names
}

// Options size a run.
type Options struct {
	CheckIns       int // sent through the batch API
	Concurrency    int // concurrent HTTP clients
	LatencySamples int // single check-ins timed one by one
	BatchSize      int // the processor's batch size, also used by the store baseline
}

// Validate names the options out of range.
func (o Options) Validate() error {
	if o.CheckIns < 1 || o.Concurrency < 1 || o.LatencySamples < 1 || o.BatchSize < 1 {
		return errors.New("--checkins, --concurrency, --latency-samples and --batch-size must be at least 1")
	}
	return nil
}

// workload returns the run's check-ins: opt.CheckIns for the batch API,
// then opt.LatencySamples for the latency samples, with ids unique to
// tag.
func workload(opt Options, tag string) (bulk, singles []checkin.CheckIn) {
	cs := simulate.Workforce{Clinics: 20, TeamsPerClinic: 10, MinTeam: 8, MaxTeam: 15, Weeks: 12, PerWeek: 2, Seed: 7}.CheckIns()
	for len(cs) < opt.CheckIns+opt.LatencySamples {
		cs = append(cs, cs...)
	}
	for i := range cs {
		cs[i].ID = fmt.Sprintf("bench-%s-%d", tag, i)
	}
	return cs[:opt.CheckIns], cs[opt.CheckIns : opt.CheckIns+opt.LatencySamples]
}

// Run measures sys and prints a table to out.
func Run(ctx context.Context, sys System, opt Options, out io.Writer) error {
	bulk, singles := workload(opt, sys.Tag)
	fmt.Fprintf(out, "tend bench: %d check-ins, %d HTTP clients, batches of %d\n\n", opt.CheckIns, opt.Concurrency, opt.BatchSize)

	pubRate, err := brokerBaseline(ctx, sys.JetStream, bulk)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  broker baseline   JetStream async publish        %10.0f msgs/s\n", pubRate)
	insRate, err := storeBaseline(ctx, sys.ClickHouse, bulk, opt.BatchSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  store baseline    ClickHouse batch insert        %10.0f rows/s\n", insRate)

	start := time.Now()
	if err := postConcurrently(ctx, sys.Ingest, bulk, opt.Concurrency); err != nil {
		return err
	}
	accepted := time.Since(start)
	if err := waitProcessed(ctx, sys.JetStream); err != nil {
		return err
	}
	stored := time.Since(start)
	fmt.Fprintf(out, "  end to end        HTTP batch → 202              %10.0f check-ins/s\n", float64(opt.CheckIns)/accepted.Seconds())
	fmt.Fprintf(out, "                    HTTP batch → stored and acked %10.0f check-ins/s\n", float64(opt.CheckIns)/stored.Seconds())

	lat, err := singleLatencies(ctx, sys.Ingest, singles)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  latency           POST /v1/checkins → 202        p50 %.1f ms   p95 %.1f ms   p99 %.1f ms\n",
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
func storeBaseline(ctx context.Context, cfg clickhouse.Config, cs []checkin.CheckIn, size int) (float64, error) {
	rate, err := rawInsert(ctx, cfg, cs, nil, slices.Repeat([]int{size}, (len(cs)+size-1)/size))
	if err != nil {
		return 0, fmt.Errorf("store baseline: %w", err)
	}
	return rate, nil
}

// scratchStore opens and migrates databases named after cfg's with suffix;
// drop removes them and closes the store.
func scratchStore(ctx context.Context, cfg clickhouse.Config, suffix string) (store *clickhouse.Store, drop func(), err error) {
	cfg.Database += suffix
	cfg.ReportingDatabase += suffix
	if store, err = clickhouse.Open(cfg); err != nil {
		return nil, nil, err
	}
	drop = func() {
		store.DropDatabases(context.WithoutCancel(ctx))
		store.Close()
	}
	if _, err := store.Migrate(ctx); err != nil {
		drop()
		return nil, nil, err
	}
	return store, drop, nil
}

// scored validates and scores check-ins as the processor would, with
// clinicians pseudonymized by p when it is set.
func scored(cs []checkin.CheckIn, p *checkin.Pseudonymizer) ([]checkin.Scored, error) {
	rows := make([]checkin.Scored, len(cs))
	for i, ch := range cs {
		if _, err := ch.Validate(time.Now()); err != nil {
			return nil, err
		}
		values, err := instrument.Values(ch.Instrument, ch.Answers)
		if err != nil {
			return nil, err
		}
		if p != nil {
			ch = p.Pseudonymize(ch)
		}
		rows[i] = checkin.Scored{Event: checkin.Event{CheckIn: ch, ReceivedAt: ch.SubmittedAt}, Scores: values}
	}
	return rows, nil
}

// postConcurrently posts cs in batches of 500 from several clients.
func postConcurrently(ctx context.Context, c client.Client, cs []checkin.CheckIn, clients int) error {
	work := make(chan []checkin.CheckIn)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for chunk := range work {
				if _, err := c.Batch(ctx, chunk); err != nil {
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

// singleLatencies posts check-ins one at a time and returns each 202's
// latency, sorted.
func singleLatencies(ctx context.Context, c client.Client, cs []checkin.CheckIn) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(cs))
	for _, ci := range cs {
		start := time.Now()
		if _, err := c.Checkin(ctx, ci); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out, nil
}

func ms(sorted []time.Duration, q float64) float64 {
	return float64(sorted[int(q*float64(len(sorted)-1))].Microseconds()) / 1000
}

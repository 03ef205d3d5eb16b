package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/httpserve"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/processor"
)

// DrainResult is what `tend bench --drain` measured; its JSON is the last
// line the command prints.
type DrainResult struct {
	CheckIns       int     `json:"checkins"`
	RawPublish     float64 `json:"raw_publish_per_s"`
	RawFetch       float64 `json:"raw_fetch_per_s"`
	RawFetchCPU    float64 `json:"raw_fetch_cpu_us"` // CPU per message in this process (tend, its NATS server, the bench), µs
	RawDecode      float64 `json:"raw_fetch_decode_per_s"`
	Drain          float64 `json:"drain_per_s"`
	DrainCPU       float64 `json:"drain_cpu_us"`            // CPU per check-in in this process, µs
	DrainCHCPU     float64 `json:"drain_clickhouse_cpu_us"` // in ClickHouse's queries (system.events; merges not counted), µs
	RawInsert      float64 `json:"raw_insert_per_s"`
	Batches        int     `json:"batches"`
	MeanBatch      float64 `json:"mean_batch"`
	MaxBatch       int     `json:"max_batch"`
	IngestBatch    float64 `json:"ingest_batch_per_s"`
	FreshP50       float64 `json:"fresh_p50_ms"`
	FreshP99       float64 `json:"fresh_p99_ms"`
	PacedPostP99   float64 `json:"paced_post_p99_ms"`
	PacedFreshP99  float64 `json:"paced_fresh_p99_ms"`
	PeakRSS        uint64  `json:"peak_rss_mib"`
	StoredDistinct uint64  `json:"stored_distinct_ids"`
}

// Drain measures the processor alone: it pre-loads opt.CheckIns check-ins
// into a stream of its own (raw publishes with Nats-Msg-Id, as ingest
// makes them), reads them raw (Fetch(1000)+ack, then with decode, validation
// and scoring), lets a processor in its default configuration (batches up to
// opt.BatchSize) drain them into databases of its own on ch's server, then
// inserts the same rows raw in the batch sizes the processor chose. Then,
// with the processor idle, it times single check-ins from publish to stored
// (freshness), single check-ins posted over HTTP at 1,000/s (to 202 and to
// stored), and the HTTP batch ingest of the rest of opt.CheckIns/2 more, with
// the processor stopped as it is during the raw publish. Every
// stored row is checked: rows = distinct ids = check-ins sent.
func Drain(ctx context.Context, ch clickhouse.Config, opt Options, out io.Writer) error {
	_, err := MeasureDrain(ctx, ch, opt, out)
	return err
}

// MeasureDrain is Drain, returning what it measured.
func MeasureDrain(ctx context.Context, ch clickhouse.Config, opt Options, out io.Writer) (res DrainResult, err error) {
	if opt.CheckIns < 1000 {
		return res, errors.New("--drain needs --checkins of at least 1000")
	}
	res.CheckIns = opt.CheckIns
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	ch.Database, ch.ReportingDatabase = "tend_bench_"+tag, "tend_bench_reporting_"+tag
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	tmp, err := os.MkdirTemp("", "tend-bench-drain-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	// fsync at an interval: the pre-load would otherwise take minutes, and
	// what is measured (reading, acking) does not wait on it either way.
	ns, err := stream.RunServer(stream.ServerConfig{Dir: tmp, Listen: "127.0.0.1:0", Sync: stream.Sync{Interval: 2 * time.Minute}})
	if err != nil {
		return res, err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		return res, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return res, err
	}
	if err := stream.Ensure(ctx, js, stream.Config{}); err != nil {
		return res, err
	}
	store, drop, err := scratchStore(ctx, ch, "")
	if err != nil {
		return res, err
	}
	defer drop()

	pz, err := checkin.NewPseudonymizer([]byte(strings.Repeat(tag+"-drain-key-", 4)))
	if err != nil {
		return res, err
	}
	extra := opt.CheckIns / 2
	bulk, rest := workload(Options{CheckIns: opt.CheckIns, LatencySamples: opt.LatencySamples + extra}, tag)
	singles, forIngest := rest[:opt.LatencySamples], rest[opt.LatencySamples:]
	msgs := make([]*nats.Msg, len(bulk))
	for i, c := range bulk {
		msgs[i] = eventMsg(pz.Pseudonymize(c))
	}
	ids := func(i int) string { return bulk[i].ID }
	fmt.Fprintf(out, "tend bench --drain: %d check-ins pre-loaded, processor batches up to %d, %d CPUs, NATS fsync every 2m\n\n",
		opt.CheckIns, opt.BatchSize, runtime.GOMAXPROCS(0))

	// 1. Pre-load: raw asynchronous publishes with Nats-Msg-Id.
	start := time.Now()
	for i := 0; i < len(msgs); i += 1000 {
		for j := i; j < min(i+1000, len(msgs)); j++ {
			if _, err := js.PublishMsgAsync(msgs[j], jetstream.WithMsgID(ids(j))); err != nil {
				return res, fmt.Errorf("pre-load: %w", err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	res.RawPublish = rate(opt.CheckIns, start)
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s\n", "raw JetStream async publish (Nats-Msg-Id)", res.RawPublish)

	// 2. Raw reads of the same messages by consumers of their own.
	before, err := readCPU(ctx, store.Conn())
	if err != nil {
		return res, err
	}
	if res.RawFetch, err = rawFetch(ctx, js, "bench-raw-fetch", opt.CheckIns, nil); err != nil {
		return res, err
	}
	after, err := readCPU(ctx, store.Conn())
	if err != nil {
		return res, err
	}
	res.RawFetchCPU, _ = perItem(before, after, opt.CheckIns)
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s       (CPU per message: %.1f µs in this process)\n", "raw Fetch(1000) + ack", res.RawFetch, res.RawFetchCPU)
	decode := func(m jetstream.Msg) error {
		ev, err := checkin.DecodeEvent(m.Data())
		if err != nil {
			return err
		}
		if _, err := ev.Score(time.Now()); err != nil {
			return err
		}
		if m.Subject() != stream.CheckinSubject(ev.Clinic, ev.Team) {
			return errors.New("subject does not match")
		}
		return nil
	}
	if res.RawDecode, err = rawFetch(ctx, js, "bench-raw-decode", opt.CheckIns, decode); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s\n", "raw Fetch(1000) + decode, validate, score + ack", res.RawDecode)

	// 3. The processor drains the backlog.
	rec := &recorder{Store: store, waiting: map[string]chan struct{}{}}
	startProcessor := func() (stop func() error) {
		pctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		p := processor.New(js, rec, processor.WithBatch(opt.BatchSize, processor.DefaultBatchWait), processor.WithLogger(quiet))
		go func() { done <- p.Run(pctx) }()
		return func() error { cancel(); return <-done }
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	if before, err = readCPU(ctx, store.Conn()); err != nil {
		return res, err
	}
	start = time.Now()
	stopProcessor := startProcessor()
	defer func() {
		if stopProcessor == nil {
			return
		}
		if perr := stopProcessor(); err == nil {
			err = perr
		}
	}()
	if err := waitProcessed(ctx, js); err != nil {
		return res, err
	}
	res.Drain = rate(opt.CheckIns, start)
	res.PeakRSS = peakRSS() >> 20
	if after, err = readCPU(ctx, store.Conn()); err != nil {
		return res, err
	}
	res.DrainCPU, res.DrainCHCPU = perItem(before, after, opt.CheckIns)
	sizes := rec.sizes()
	res.Batches, res.MaxBatch = len(sizes), slices.Max(sizes)
	res.MeanBatch = float64(opt.CheckIns) / float64(len(sizes))
	if err := checkStored(ctx, store, opt.CheckIns); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  %-44s %10.0f check-ins/s  (%d batches, mean %.0f, max %d; peak RSS %d MiB)\n", "tend processor: drain the backlog",
		res.Drain, res.Batches, res.MeanBatch, res.MaxBatch, res.PeakRSS)
	fmt.Fprintf(out, "  %-44s CPU per check-in: %.1f µs in this process, %.1f µs in ClickHouse's queries\n", "", res.DrainCPU, res.DrainCHCPU)

	// 4. Raw inserts of the same rows, in the processor's batch sizes.
	if res.RawInsert, err = rawInsert(ctx, ch, bulk, pz, sizes); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  %-44s %10.0f rows/s\n", "raw ClickHouse insert, same batch sizes", res.RawInsert)

	// 5. Freshness: single check-ins, publish to stored, processor idle.
	lat := make([]time.Duration, 0, len(singles))
	for _, c := range singles {
		m := eventMsg(pz.Pseudonymize(c))
		stored := rec.await(c.ID)
		begin := time.Now()
		if _, err := js.PublishMsg(ctx, m, jetstream.WithMsgID(c.ID)); err != nil {
			return res, err
		}
		select {
		case <-stored:
		case <-time.After(30 * time.Second):
			return res, fmt.Errorf("freshness: %s not stored after 30s", c.ID)
		}
		lat = append(lat, time.Since(begin))
	}
	slices.Sort(lat)
	res.FreshP50, res.FreshP99 = ms(lat, 0.50), ms(lat, 0.99)
	fmt.Fprintf(out, "  %-44s p50 %.1f ms   p99 %.1f ms\n", "freshness: publish → stored (idle)", res.FreshP50, res.FreshP99)

	// 6. Single check-ins over HTTP at 1,000/s, the processor running:
	// POST → 202, and POST → stored.
	srv, addr, err := httpserve.Start("127.0.0.1:0", ingest.New(js, pz, ingest.WithLogger(quiet)), quiet, func(error) {})
	if err != nil {
		return res, err
	}
	defer srv.Close()
	httpClient := client.Client{URL: "http://" + addr}
	paced, forIngest := forIngest[:min(pacedPosts, len(forIngest)/2)], forIngest[min(pacedPosts, len(forIngest)/2):]
	post, fresh, err := postPaced(ctx, httpClient, rec, paced, time.Second/pacedRate)
	if err != nil {
		return res, err
	}
	res.PacedPostP99, res.PacedFreshP99 = ms(post, 0.99), ms(fresh, 0.99)
	fmt.Fprintf(out, "  %-44s p99 %.1f ms   → stored p99 %.1f ms  (%d check-ins)\n", "single HTTP POST → 202 at 1,000/s", res.PacedPostP99, res.PacedFreshP99, len(paced))

	// 7. HTTP batch ingest into the same stream, measured as the raw
	// publish was: with nothing else running (the processor stopped, then
	// started again to store what was accepted).
	err = stopProcessor()
	stopProcessor = nil
	if err != nil {
		return res, err
	}
	start = time.Now()
	if err := postConcurrently(ctx, httpClient, forIngest, max(opt.Concurrency, 1)); err != nil {
		return res, err
	}
	res.IngestBatch = rate(len(forIngest), start)
	fmt.Fprintf(out, "  %-44s %10.0f check-ins/s  (%d check-ins, %d clients, processor stopped)\n", "HTTP batch → 202", res.IngestBatch, len(forIngest), opt.Concurrency)
	stopProcessor = startProcessor()
	if err := waitProcessed(ctx, js); err != nil {
		return res, err
	}
	total := opt.CheckIns + len(singles) + len(paced) + len(forIngest)
	if err := checkStored(ctx, store, total); err != nil {
		return res, err
	}
	res.StoredDistinct = uint64(total)

	ok := func(b bool) string {
		if b {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintf(out, "\n  exactly once: rows = distinct ids = %d\n", total)
	fmt.Fprintf(out, "  target drain ≥ 45,000/s:               %s (%.0f)\n", ok(res.Drain >= 45000), res.Drain)
	fmt.Fprintf(out, "  target drain ≥ 0.5 × raw fetch + ack:  %s (%.2f ×)\n", ok(res.Drain >= 0.5*res.RawFetch), res.Drain/res.RawFetch)
	fmt.Fprintf(out, "  target batch ingest ≥ 0.7 × raw publish: %s (%.2f ×)\n", ok(res.IngestBatch >= 0.7*res.RawPublish), res.IngestBatch/res.RawPublish)
	fmt.Fprintf(out, "  target single POST p99 < 10 ms at 1,000/s: %s (%.1f ms)\n", ok(res.PacedPostP99 < 10), res.PacedPostP99)
	fmt.Fprintf(out, "  target POST → stored p99 ≤ 1 s at 1,000/s: %s (%.0f ms)\n", ok(res.PacedFreshP99 <= 1000), res.PacedFreshP99)
	line, _ := json.Marshal(res)
	fmt.Fprintf(out, "%s\n", line)
	return res, nil
}

// The paced measurement: single check-ins posted at pacedRate a second.
const (
	pacedPosts = 3000
	pacedRate  = 1000
)

// postPaced posts each of cs alone, one every interval whatever the answers
// take, and returns the sorted latencies to 202 and to stored.
func postPaced(ctx context.Context, c client.Client, rec *recorder, cs []checkin.CheckIn, interval time.Duration) (post, fresh []time.Duration, err error) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = make(chan error, len(cs))
	)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for _, ci := range cs {
		<-tick.C
		stored := rec.await(ci.ID)
		wg.Go(func() {
			begin := time.Now()
			if _, err := c.Checkin(ctx, ci); err != nil {
				errs <- err
				return
			}
			accepted := time.Since(begin)
			select {
			case <-stored:
			case <-time.After(30 * time.Second):
				errs <- fmt.Errorf("paced: %s not stored after 30s", ci.ID)
				return
			}
			mu.Lock()
			post, fresh = append(post, accepted), append(fresh, time.Since(begin))
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, nil, err
	}
	slices.Sort(post)
	slices.Sort(fresh)
	return post, fresh, nil
}

// eventMsg is the stream message of c as ingest publishes it (the
// publisher adds the Nats-Msg-Id).
func eventMsg(c checkin.CheckIn) *nats.Msg {
	data, _ := json.Marshal(checkin.Event{CheckIn: c, ReceivedAt: c.SubmittedAt})
	m := nats.NewMsg(stream.CheckinSubject(c.Clinic, c.Team))
	m.Data = data
	return m
}

func rate(n int, since time.Time) float64 { return float64(n) / time.Since(since).Seconds() }

// rawFetch reads n messages with a durable consumer of its own,
// Fetch(1000) at a time, handling each with fn (when set) and acking it.
func rawFetch(ctx context.Context, js jetstream.JetStream, name string, n int, fn func(jetstream.Msg) error) (float64, error) {
	cons, err := js.CreateOrUpdateConsumer(ctx, stream.Checkins, jetstream.ConsumerConfig{
		Durable: name, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4000, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, err
	}
	defer js.DeleteConsumer(context.WithoutCancel(ctx), stream.Checkins, name)
	start := time.Now()
	for got := 0; got < n; {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return 0, err
		}
		for m := range batch.Messages() {
			if fn != nil {
				if err := fn(m); err != nil {
					return 0, fmt.Errorf("%s: %w", name, err)
				}
			}
			if err := m.Ack(); err != nil {
				return 0, err
			}
			got++
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	return rate(n, start), nil
}

// rawInsert stores cs (pseudonymized, scored) straight into databases of
// its own in batches of the given sizes.
func rawInsert(ctx context.Context, ch clickhouse.Config, cs []checkin.CheckIn, pz *checkin.Pseudonymizer, sizes []int) (float64, error) {
	store, drop, err := scratchStore(ctx, ch, "_raw")
	if err != nil {
		return 0, err
	}
	defer drop()
	rows, err := scored(cs, pz)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	for _, n := range sizes {
		n = min(n, len(rows))
		if n == 0 {
			break
		}
		if err := store.InsertCheckins(ctx, rows[:n]); err != nil {
			return 0, err
		}
		rows = rows[n:]
	}
	return rate(len(cs), start), nil
}

// checkStored checks that the store holds exactly want check-ins, each once.
func checkStored(ctx context.Context, store *clickhouse.Store, want int) error {
	var rows, ids uint64
	q := "SELECT count(), uniqExact(id) FROM " + store.Config().Database + ".checkins FINAL"
	if err := store.Conn().QueryRow(ctx, q).Scan(&rows, &ids); err != nil {
		return err
	}
	if rows != uint64(want) || ids != uint64(want) {
		return fmt.Errorf("exactly once broken: %d rows, %d distinct ids, %d check-ins sent", rows, ids, want)
	}
	return nil
}

// recorder is the processor's store, recording each insert's size and
// telling waiters when an id was stored.
type recorder struct {
	processor.Store
	mu      sync.Mutex
	batches []int
	waiting map[string]chan struct{}
}

func (r *recorder) InsertCheckins(ctx context.Context, rows []checkin.Scored) error {
	if err := r.Store.InsertCheckins(ctx, rows); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, len(rows))
	for _, row := range rows {
		if c, ok := r.waiting[row.ID]; ok {
			close(c)
			delete(r.waiting, row.ID)
		}
	}
	return nil
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

func (r *recorder) await(id string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := make(chan struct{})
	r.waiting[id] = c
	return c
}

// waitProcessed waits until the processor's consumer exists and has acked
// everything in the stream.
func waitProcessed(ctx context.Context, js jetstream.JetStream) error {
	for {
		cons, err := js.Consumer(ctx, stream.Checkins, stream.ProcessorDurable)
		if err == nil {
			info, err := cons.Info(ctx)
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

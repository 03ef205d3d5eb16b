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
	Rounds         int     `json:"rounds"` // of each measured phase; every rate and CPU figure is the median of its rounds
	RawFetch       float64 `json:"raw_fetch_per_s"`
	RawFetchCPU    float64 `json:"raw_fetch_cpu_us"` // CPU per message in this process (tend, its NATS server, the bench), µs
	RawDecode      float64 `json:"raw_fetch_decode_per_s"`
	DrainDiscard   float64 `json:"drain_discard_per_s"` // the processor storing nothing
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
	PeakRSS        uint64  `json:"peak_rss_mib"` // of the drain's rounds, the highest
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
	// Beyond the pre-load: the single check-ins timed alone, those posted at
	// a steady pace, and, for each round of raw publish against HTTP batch
	// ingest, a quarter as many as the pre-load for each.
	paced, perRound := min(pacedPosts, opt.CheckIns/4), opt.CheckIns/4
	bulk, rest := workload(Options{CheckIns: opt.CheckIns, LatencySamples: opt.LatencySamples + paced + 2*drainRounds*perRound}, tag)
	singles, pacedCheckins, forIngest := rest[:opt.LatencySamples], rest[opt.LatencySamples:opt.LatencySamples+paced], rest[opt.LatencySamples+paced:]
	msgs := eventMsgs(bulk, pz)
	fmt.Fprintf(out, "tend bench --drain: %d check-ins pre-loaded, processor batches up to %d, %d CPUs, NATS fsync every 2m\n\n",
		opt.CheckIns, opt.BatchSize, runtime.GOMAXPROCS(0))

	// 1. Pre-load: raw asynchronous publishes with Nats-Msg-Id.
	start := time.Now()
	if err := publishRaw(ctx, js, msgs); err != nil {
		return res, fmt.Errorf("pre-load: %w", err)
	}
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s\n", "pre-load: raw JetStream publish (Nats-Msg-Id)", rate(opt.CheckIns, start))

	// 2–3. The reads, in rounds: raw Fetch(1000)+ack and raw fetch with
	// decode, validation and scoring by consumers of their own; a processor
	// in the default configuration storing nothing; and one draining into
	// ClickHouse, each round into databases of its own (the last round's
	// stay for what follows). Each phase starts from the same state
	// (garbage collected, memory returned to the OS), rounds alternate so
	// that a slow spell of the machine falls on all of them alike, and each
	// figure is the median of its rounds.
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
	stores := make([]*clickhouse.Store, drainRounds)
	for r := range drainRounds - 1 {
		st, drop, err := scratchStore(ctx, ch, fmt.Sprintf("_round%d", r+1))
		if err != nil {
			return res, err
		}
		defer drop()
		stores[r] = st
	}
	stores[drainRounds-1] = store
	m := meter{conn: store.Conn(), tag: tag}
	var fetches, decodes, discards, drains phase
	var rec *recorder
	var stopProcessor func() error
	defer func() {
		if stopProcessor == nil {
			return
		}
		if perr := stopProcessor(); err == nil {
			err = perr
		}
	}()
	for r := range drainRounds {
		read := func(name string, fn func(jetstream.Msg) error) func() error {
			return func() error { return rawFetch(ctx, js, fmt.Sprintf("%s-%d", name, r+1), opt.CheckIns, fn) }
		}
		if err := m.measure(ctx, &fetches, opt.CheckIns, read("bench-raw-fetch", nil)); err != nil {
			return res, err
		}
		if err := m.measure(ctx, &decodes, opt.CheckIns, read("bench-raw-decode", decode)); err != nil {
			return res, err
		}
		// The processor storing nothing: what it costs beyond the fetch.
		if err := m.measure(ctx, &discards, opt.CheckIns, func() error {
			stop, err := drainInto(ctx, js, discard{}, opt.BatchSize, quiet)
			if err != nil {
				return err
			}
			return errors.Join(stop(), js.DeleteConsumer(ctx, stream.Checkins, stream.ProcessorDurable))
		}); err != nil {
			return res, err
		}
		rec = &recorder{Store: stores[r], waiting: map[string]chan struct{}{}}
		if err := m.measure(ctx, &drains, opt.CheckIns, func() (err error) {
			stopProcessor, err = drainInto(ctx, js, rec, opt.BatchSize, quiet)
			return err
		}); err != nil {
			return res, err
		}
		if err := checkStored(ctx, stores[r], opt.CheckIns); err != nil {
			return res, err
		}
		if r < drainRounds-1 {
			err := stopProcessor()
			stopProcessor = nil
			if err := errors.Join(err, js.DeleteConsumer(ctx, stream.Checkins, stream.ProcessorDurable)); err != nil {
				return res, err
			}
		}
	}
	res.Rounds = drainRounds
	res.RawFetch, res.RawFetchCPU = fetches.median(perSecond), fetches.median(selfCPU)
	res.RawDecode = decodes.median(perSecond)
	res.DrainDiscard = discards.median(perSecond)
	res.Drain, res.DrainCPU, res.DrainCHCPU = drains.median(perSecond), drains.median(selfCPU), drains.median(clickhouseCPU)
	res.PeakRSS = drains.peakRSS() >> 20
	sizes := rec.sizes()
	res.Batches, res.MaxBatch = len(sizes), slices.Max(sizes)
	res.MeanBatch = float64(opt.CheckIns) / float64(len(sizes))
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s       (%s; CPU per message: %.1f µs in this process)\n", "raw Fetch(1000) + ack", res.RawFetch, fetches, res.RawFetchCPU)
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s       (%s)\n", "raw Fetch(1000) + decode, validate, score + ack", res.RawDecode, decodes)
	fmt.Fprintf(out, "  %-44s %10.0f check-ins/s  (%s)\n", "tend processor, storing nothing", res.DrainDiscard, discards)
	fmt.Fprintf(out, "  %-44s %10.0f check-ins/s  (%s; last: %d batches, mean %.0f, max %d; peak RSS %d MiB)\n", "tend processor: drain the backlog",
		res.Drain, drains, res.Batches, res.MeanBatch, res.MaxBatch, res.PeakRSS)
	fmt.Fprintf(out, "  %-44s CPU per check-in: %.1f µs in this process, %.1f µs in ClickHouse's queries\n", "", res.DrainCPU, res.DrainCHCPU)

	// 4. Raw inserts of the same rows, in the processor's batch sizes.
	if res.RawInsert, err = rawInsert(ctx, ch, bulk, pz, sizes); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "  %-44s %10.0f rows/s\n", "raw ClickHouse insert, same batch sizes", res.RawInsert)

	// 5. Freshness: single check-ins, publish to stored, processor idle.
	lat := make([]time.Duration, 0, len(singles))
	for _, c := range singles {
		m := eventMsg(c, pz)
		stored := rec.await(c.ID)
		begin := time.Now()
		if _, err := js.PublishMsg(ctx, m); err != nil {
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
	post, fresh, err := postPaced(ctx, httpClient, rec, pacedCheckins, time.Second/pacedRate)
	if err != nil {
		return res, err
	}
	res.PacedPostP99, res.PacedFreshP99 = ms(post, 0.99), ms(fresh, 0.99)
	fmt.Fprintf(out, "  %-44s p99 %.1f ms   → stored p99 %.1f ms  (%d check-ins)\n", "single HTTP POST → 202 at 1,000/s", res.PacedPostP99, res.PacedFreshP99, paced)

	// 7. HTTP batch ingest against raw publishes with Nats-Msg-Id of as
	// many other check-ins, in alternating rounds from the same state, with
	// nothing else running (the processor stopped, then started again to
	// store what was published and accepted).
	err = stopProcessor()
	stopProcessor = nil
	if err != nil {
		return res, err
	}
	var publishes, ingests phase
	for r := range drainRounds {
		round := forIngest[2*r*perRound : 2*(r+1)*perRound]
		raw := eventMsgs(round[:perRound], pz)
		if err := m.measure(ctx, &publishes, perRound, func() error { return publishRaw(ctx, js, raw) }); err != nil {
			return res, fmt.Errorf("raw publish: %w", err)
		}
		if err := m.measure(ctx, &ingests, perRound, func() error {
			return postConcurrently(ctx, httpClient, round[perRound:], max(opt.Concurrency, 1))
		}); err != nil {
			return res, err
		}
	}
	res.RawPublish, res.IngestBatch = publishes.median(perSecond), ingests.median(perSecond)
	fmt.Fprintf(out, "  %-44s %10.0f msgs/s       (%s of %d)\n", "raw JetStream async publish (Nats-Msg-Id)", res.RawPublish, publishes, perRound)
	fmt.Fprintf(out, "  %-44s %10.0f check-ins/s  (%s of %d; %d clients)\n", "HTTP batch → 202", res.IngestBatch, ingests, perRound, opt.Concurrency)
	stopProcessor = startProcessor(ctx, js, rec, opt.BatchSize, quiet)
	if err := waitProcessed(ctx, js); err != nil {
		return res, err
	}
	total := opt.CheckIns + len(singles) + len(pacedCheckins) + len(forIngest)
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

// drainRounds is how many rounds each measured phase of the drain mode
// runs: the reads, the drains, the raw publish and the batch ingest.
const drainRounds = 3

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

// publishRaw publishes msgs asynchronously with their Nats-Msg-Id, 1,000
// at a time, and waits for every ack.
func publishRaw(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg) error {
	for i := 0; i < len(msgs); i += 1000 {
		for _, m := range msgs[i:min(i+1000, len(msgs))] {
			if _, err := js.PublishMsgAsync(m); err != nil {
				return err
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// eventMsgs are the stream messages of cs (eventMsg).
func eventMsgs(cs []checkin.CheckIn, pz *checkin.Pseudonymizer) []*nats.Msg {
	msgs := make([]*nats.Msg, len(cs))
	for i, c := range cs {
		msgs[i] = eventMsg(c, pz)
	}
	return msgs
}

// eventMsg is the stream message of c as ingest publishes it: the
// clinician pseudonymized by pz, the id as Nats-Msg-Id.
func eventMsg(c checkin.CheckIn, pz *checkin.Pseudonymizer) *nats.Msg {
	data, _ := json.Marshal(checkin.Event{CheckIn: pz.Pseudonymize(c), ReceivedAt: c.SubmittedAt})
	m := nats.NewMsg(stream.CheckinSubject(c.Clinic, c.Team))
	m.Header.Set(jetstream.MsgIDHeader, c.ID)
	m.Data = data
	return m
}

func rate(n int, since time.Time) float64 { return float64(n) / time.Since(since).Seconds() }

// rawFetch reads n messages with a durable consumer of its own,
// Fetch(1000) at a time, handling each with fn (when set) and acking it.
func rawFetch(ctx context.Context, js jetstream.JetStream, name string, n int, fn func(jetstream.Msg) error) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, stream.Checkins, jetstream.ConsumerConfig{
		Durable: name, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4000, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return err
	}
	defer js.DeleteConsumer(context.WithoutCancel(ctx), stream.Checkins, name)
	for got := 0; got < n; {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		for m := range batch.Messages() {
			if fn != nil {
				if err := fn(m); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			if err := m.Ack(); err != nil {
				return err
			}
			got++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// startProcessor runs a processor in the default configuration, batches
// up to batchSize, storing into st; stop ends it and returns its error.
func startProcessor(ctx context.Context, js jetstream.JetStream, st processor.Store, batchSize int, log *slog.Logger) (stop func() error) {
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	p := processor.New(js, st, processor.WithBatch(batchSize, processor.DefaultBatchWait), processor.WithLogger(log))
	go func() { done <- p.Run(pctx) }()
	return func() error { cancel(); return <-done }
}

// drainInto starts a processor storing into st and waits until it has
// acked the whole stream; stop ends it.
func drainInto(ctx context.Context, js jetstream.JetStream, st processor.Store, batchSize int, log *slog.Logger) (stop func() error, err error) {
	stop = startProcessor(ctx, js, st, batchSize, log)
	if err := waitProcessed(ctx, js); err != nil {
		return nil, errors.Join(err, stop())
	}
	return stop, nil
}

// discard is a store that stores nothing: a processor draining into it
// costs what the processor itself does.
type discard struct{}

func (discard) InsertCheckins(context.Context, []checkin.Scored) error { return nil }

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

// waitProcessed waits, up to processedWithin, until the processor's
// consumer exists and has acked everything in the stream.
func waitProcessed(ctx context.Context, js jetstream.JetStream) error {
	ctx, cancel := context.WithTimeout(ctx, processedWithin)
	defer cancel()
	var pending, unacked uint64
	for {
		cons, err := js.Consumer(ctx, stream.Checkins, stream.ProcessorDurable)
		if err == nil {
			info, err := cons.Info(ctx)
			if err == nil {
				if info.NumPending == 0 && info.NumAckPending == 0 {
					return nil
				}
				pending, unacked = info.NumPending, uint64(info.NumAckPending)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the processor has not drained the stream within %s (%d pending, %d unacknowledged): %w", processedWithin, pending, unacked, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// processedWithin bounds a wait for the processor. A drain of 500,000
// takes seconds here; one that has not finished in ten minutes is stuck
// (ClickHouse down, say), and the bench says so rather than wait for ever.
const processedWithin = 10 * time.Minute

// Package processor turns check-in events on JetStream into rows in
// ClickHouse. It reads a durable pull consumer in batches, re-validates and
// re-scores every event (a producer may publish straight to NATS), stores a
// batch with one insert, and acks only after the insert committed: at least
// once on the wire, exactly once in every query (the store keeps one row per
// check-in id).
//
// A message that is not a valid check-in is dead-lettered with its reason and
// acked; it never blocks the batch. When ClickHouse is down, nothing is acked:
// the processor backs off and retries until it is back.
package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/retry"
	"github.com/tendhq/tend/internal/stream"
)

// Store is where check-ins go; *clickhouse.Store implements it.
type Store interface {
	InsertCheckins(ctx context.Context, rows []checkin.Scored) error
}

// Stream is the part of jetstream.JetStream the processor needs: its durable
// consumer, and publishing dead letters.
type Stream interface {
	CreateOrUpdateConsumer(ctx context.Context, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error)
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Defaults of the options.
const (
	// DefaultBatchSize is the largest batch: batches are sized from the
	// backlog, one message when idle, up to this when behind.
	DefaultBatchSize = 20_000
	DefaultBatchWait = 250 * time.Millisecond
	DefaultAckWait   = 60 * time.Second
	minBackoff       = 100 * time.Millisecond
	maxBackoff       = 10 * time.Second
	// defaultDrainTimeout bounds how long a shutdown waits for the batch in
	// hand; it is the only limit on how long a batch takes.
	defaultDrainTimeout = 30 * time.Second
	// defaultAttemptTimeout bounds one insert (or dead-letter publish)
	// attempt. Generous: an attempt cut short after the store committed it
	// is inserted again (harmless, the table keeps one row per id, but
	// wasted work).
	defaultAttemptTimeout = 30 * time.Second
)

// Processor consumes TEND_CHECKINS. Create it with New, run it with Run.
type Processor struct {
	js        Stream
	store     Store
	log       *slog.Logger
	now       func() time.Time
	batchSize int
	batchWait time.Duration
	ackWait   time.Duration
	metrics   *metrics

	drainTimeout   time.Duration // tests shorten it
	attemptTimeout time.Duration // tests shorten it

	// beforeAck, when set (by tests), runs after a batch is stored and before
	// it is acked: the window a crash must not lose anything in.
	beforeAck func()
}

// Option configures a Processor.
type Option func(*Processor)

// WithBatch sets the largest batch and the longest wait to fill one.
func WithBatch(size int, wait time.Duration) Option {
	return func(p *Processor) { p.batchSize, p.batchWait = size, wait }
}

// WithAckWait sets how long JetStream waits for an ack before redelivering
// to another replica (default 60s).
func WithAckWait(d time.Duration) Option { return func(p *Processor) { p.ackWait = d } }

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Processor) { p.log = l } }

// WithRegisterer registers the processor metrics (default: not registered).
func WithRegisterer(r prometheus.Registerer) Option {
	return func(p *Processor) { p.metrics = newMetrics(r) }
}

// New returns a processor reading from js and writing to store.
func New(js Stream, store Store, opts ...Option) *Processor {
	p := &Processor{
		js:        js,
		store:     store,
		log:       slog.Default(),
		now:       time.Now,
		batchSize: DefaultBatchSize,
		batchWait: DefaultBatchWait,
		ackWait:   DefaultAckWait,

		drainTimeout:   defaultDrainTimeout,
		attemptTimeout: defaultAttemptTimeout,
	}
	for _, o := range opts {
		o(p)
	}
	if p.metrics == nil {
		p.metrics = newMetrics(nil)
	}
	return p
}

// consumer creates or updates the durable pull consumer.
func (p *Processor) consumer(ctx context.Context) (jetstream.Consumer, error) {
	c, err := p.js.CreateOrUpdateConsumer(ctx, stream.Checkins, jetstream.ConsumerConfig{
		Durable:       stream.ProcessorDurable,
		Description:   "tend processor: check-ins into ClickHouse",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       p.ackWait,
		MaxDeliver:    -1, // never give up on a check-in: a store outage is not its fault
		MaxAckPending: max(4*p.batchSize, 1000),
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", stream.ProcessorDurable, err)
	}
	return c, nil
}

// batch is fetched messages, decoded: the rows to insert and the messages
// to ack once they are stored.
type batch struct {
	seq     uint64 // 1, 2, … in fetch order
	fetched int
	pending uint64 // the consumer's backlog after this batch, as its last message said
	rows    []checkin.Scored
	msgs    []jetstream.Msg // the messages of rows, in order
	start   time.Time
	drain   context.Context // what a shutdown gives this batch
	cancel  context.CancelFunc
}

// Run consumes until ctx ends. It fetches and decodes the next batch while
// the previous one is inserted (at most two batches held), decoding
// each message as it arrives rather than after the fetch, stores the
// batches one at a time in fetch order, and acks each only after its insert
// committed. Batches are sized from the backlog: one message when idle (it
// is stored at once), up to the batch size when behind. On shutdown the
// batches in hand are stored and acked first; what was not stored is left
// unacked for redelivery.
func (p *Processor) Run(ctx context.Context) error {
	cons, err := p.consumer(ctx)
	if err != nil {
		if ctx.Err() != nil { // stopped while starting: not a failure
			return nil
		}
		return err
	}
	p.log.Info("processor running", "durable", stream.ProcessorDurable, "max_batch", p.batchSize, "batch_wait", p.batchWait)
	var pending uint64
	if info := cons.CachedInfo(); info != nil {
		pending = info.NumPending
	}
	// Unbuffered: the batch being stored and the one the fetcher holds
	// (filling it, or waiting to hand it over) are the two held. A buffer
	// would let the fetcher start a third; measured, that gained nothing.
	batches := make(chan *batch)
	var fetched atomic.Uint64
	stored := make(chan struct{})
	go func() {
		defer close(stored)
		p.storeAll(ctx, batches, &fetched)
	}()
	backoff := retry.Backoff{Min: minBackoff, Max: maxBackoff}
	for ctx.Err() == nil {
		b, err := p.fetch(ctx, cons, p.nextSize(pending), pending > 0)
		if err != nil {
			wait := backoff.Next()
			p.log.Warn("fetch failed; retrying", "err", err, "backoff", wait)
			if !retry.Sleep(ctx, wait) {
				break
			}
			continue
		}
		backoff.Reset()
		pending = b.pending
		if b.fetched == 0 {
			b.cancel()
			continue
		}
		b.seq = fetched.Add(1)
		p.hand(batches, b)
	}
	close(batches)
	<-stored
	p.log.Info("processor stopped")
	return nil
}

// nextSize is the size of the next fetch: the backlog the consumer reported
// last, at least one (idle: the first check-in to arrive is stored at once,
// a burst after it is fetched whole) and at most the batch size.
func (p *Processor) nextSize(pending uint64) int {
	return int(min(max(pending, 1), uint64(p.batchSize)))
}

// fetch gets up to n messages and decodes each as it arrives, while the
// rest are still on their way. Behind (a backlog of pending messages), it
// takes what is there without waiting: a wait would only cut the batch
// short when it expires. Idle, it waits up to batchWait for the first. Invalid
// messages are dead-lettered (and acked) here: they are never stored.
func (p *Processor) fetch(stop context.Context, cons jetstream.Consumer, n int, behind bool) (*batch, error) {
	var mb jetstream.MessageBatch
	var err error
	if behind {
		mb, err = cons.FetchNoWait(n)
	} else {
		mb, err = cons.Fetch(n, jetstream.FetchMaxWait(p.batchWait))
	}
	if err != nil {
		return nil, err
	}
	b := &batch{start: time.Now(), rows: make([]checkin.Scored, 0, n), msgs: make([]jetstream.Msg, 0, n)}
	b.drain, b.cancel = drainContext(stop, p.drainTimeout)
	now := p.now()
	for m := range mb.Messages() {
		b.fetched++
		p.add(b, m, now)
	}
	if err := mb.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && b.fetched == 0 {
		b.cancel()
		return nil, err
	}
	return b, nil
}

// add decodes m into b, or dead-letters it.
func (p *Processor) add(b *batch, m jetstream.Msg, now time.Time) {
	if md, err := m.Metadata(); err == nil {
		b.pending = md.NumPending
		if md.NumDelivered > 1 {
			p.metrics.redelivered.Inc()
		}
	}
	row, reason, err := p.decode(m, now)
	if err != nil {
		actx, cancel := context.WithTimeout(b.drain, p.attemptTimeout)
		err := p.deadLetter(actx, m, reason, err)
		cancel()
		if err != nil {
			p.log.Error("dead-letter failed; message left for redelivery", "subject", m.Subject(), "err", err)
		}
		return
	}
	b.rows = append(b.rows, row)
	b.msgs = append(b.msgs, m)
}

// hand passes b to the inserter, keeping its messages' ack deadline from
// expiring while it waits (the insert before it may wait out an outage).
func (p *Processor) hand(out chan<- *batch, b *batch) {
	select {
	case out <- b:
		return
	default:
	}
	tick := time.NewTicker(max(p.ackWait/3, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case out <- b:
			return
		case <-tick.C:
			for _, m := range b.msgs {
				_ = m.InProgress() // best effort, as in insert
			}
		}
	}
}

// storeAll stores and acks the batches in the order they were fetched.
// When one fails (an insert abandoned at shutdown, an ack on a connection
// that is gone), the batches fetched before the failure are dropped
// unacked: JetStream redelivers them.
func (p *Processor) storeAll(stop context.Context, in <-chan *batch, fetched *atomic.Uint64) {
	var dropThrough uint64
	for b := range in {
		if b.seq <= dropThrough {
			b.cancel()
			p.log.Debug("batch dropped unacked for redelivery", "messages", b.fetched)
			continue
		}
		if err := p.handle(stop, b); err != nil {
			p.log.Warn("batch left unacked for redelivery", "messages", b.fetched, "err", err)
			dropThrough = fetched.Load()
		}
	}
}

// handle stores one decoded batch and acks it. The insert is retried with
// back-off, each attempt bounded, for as long as the store is down, until
// it succeeds or stop ends (shutdown). An attempt under way when stop ends
// may finish within the drain timeout: a shutdown must not strand work
// already fetched, nor wait on it for ever.
func (p *Processor) handle(stop context.Context, b *batch) error {
	defer b.cancel()
	if err := p.insert(b.drain, stop, b.rows, b.msgs); err != nil {
		return err
	}
	if p.beforeAck != nil {
		p.beforeAck()
	}
	for _, m := range b.msgs {
		if err := m.Ack(); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
	}
	p.metrics.stored.Add(float64(len(b.msgs)))
	p.metrics.batchSize.Observe(float64(b.fetched))
	p.metrics.batchSeconds.Observe(time.Since(b.start).Seconds())
	return nil
}

// Dead-letter reasons: the last token of tend.deadletter.<reason>.
const (
	ReasonDecode  = "decode"  // not a JSON check-in event at all
	ReasonInvalid = "invalid" // a check-in event that breaks the contract
)

// decode turns a message into a row, or says why it cannot be one.
func (p *Processor) decode(m jetstream.Msg, now time.Time) (checkin.Scored, string, error) {
	ev, err := checkin.DecodeEvent(m.Data())
	if err != nil {
		return checkin.Scored{}, ReasonDecode, err
	}
	row, err := ev.Score(now)
	if err != nil {
		return checkin.Scored{}, ReasonInvalid, err
	}
	if want := stream.CheckinSubject(ev.Clinic, ev.Team); m.Subject() != want {
		return checkin.Scored{}, ReasonInvalid, fmt.Errorf("subject %s does not match the check-in's clinic and team (%s)", m.Subject(), want)
	}
	return row, "", nil
}

// drainContext is a context that ends d after stop ends: what a shutdown
// gives the work in hand.
func drainContext(stop context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(stop))
	var timer *time.Timer
	var mu sync.Mutex
	unregister := context.AfterFunc(stop, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(d, cancel)
	})
	return ctx, func() {
		unregister()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// insert writes rows, retrying with exponential back-off while the store is
// unavailable, however long that lasts, and keeps the messages' ack deadline
// from expiring meanwhile. Each attempt gets its own timeout within drain.
// It gives up only when stop ends (shutdown): the messages then stay
// unacked, and JetStream redelivers them.
func (p *Processor) insert(drain, stop context.Context, rows []checkin.Scored, msgs []jetstream.Msg) error {
	backoff := retry.Backoff{Min: minBackoff, Max: maxBackoff}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		actx, cancel := context.WithTimeout(drain, p.attemptTimeout)
		err := p.store.InsertCheckins(actx, rows)
		cancel()
		p.metrics.insertSeconds.Observe(time.Since(start).Seconds())
		if err == nil {
			if attempt > 1 {
				p.log.Info("store is back; batch stored", "rows", len(rows), "attempts", attempt)
			}
			return nil
		}
		p.metrics.insertFailures.Inc()
		wait := backoff.Next()
		p.log.Warn("insert failed; backing off", "rows", len(rows), "attempt", attempt, "backoff", wait, "err", err)
		for _, m := range msgs {
			_ = m.InProgress() // best effort: a lost one only means an earlier redelivery
		}
		if stop.Err() != nil || !retry.Sleep(stop, wait) {
			return fmt.Errorf("insert abandoned at shutdown: %w", err)
		}
	}
}

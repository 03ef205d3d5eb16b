package processor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// publishEvents publishes n valid check-in events straight to JetStream, as ingest
// would, and returns their ids.
func publishEvents(t *testing.T, js jetstream.JetStream, n int, seed uint64) []string {
	t.Helper()
	p := testenv.Pseudonymizer(t)
	ids := make([]string, 0, n)
	for _, c := range testenv.CheckIns(n, seed, time.Now()) {
		ev := checkin.Event{CheckIn: p.Pseudonymize(c), ReceivedAt: time.Now().UTC()}
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(t.Context(), stream.CheckinSubject(c.Clinic, c.Team), data, jetstream.WithMsgID(c.ID)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// runProcessor runs p until the test ends or stop is called.
func runProcessor(t *testing.T, p *Processor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("processor: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// assertExactlyOnce waits until every id is stored and the consumer has
// nothing left, then checks each id counts once.
func assertExactlyOnce(t *testing.T, js jetstream.JetStream, store *clickhouse.Store, want int) {
	t.Helper()
	db := store.Config().Database
	testenv.Eventually(t, 90*time.Second, fmt.Sprintf("%d check-ins stored", want), func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+db+".checkins FINAL") >= uint64(want)
	})
	cons, err := js.Consumer(context.Background(), stream.Checkins, stream.ProcessorDurable)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "every message acked", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	if got := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins FINAL"); got != uint64(want) {
		t.Errorf("check-ins counted = %d, want %d", got, want)
	}
	if got := testenv.Count(t, store, "SELECT uniqExact(id) FROM "+db+".checkins"); got != uint64(want) {
		t.Errorf("distinct ids = %d, want %d", got, want)
	}
}

// TestCrashBeforeAck stops a processor after it stored a batch and before it
// acked it (its connection dies, as in a crash); a second processor gets the
// redelivery: nothing lost, nothing counted twice.
func TestCrashBeforeAck(t *testing.T) {
	n := testenv.StartNATS(t)
	store := testenv.ClickHouse(t)
	const total = 3000
	publishEvents(t, n.JS, total, 2)

	nc1, js1 := testenv.Connect(t, n.Server.ClientURL())
	var batches atomic.Int32
	crashed := make(chan struct{})
	first := New(js1, store, WithBatch(400, 50*time.Millisecond), WithAckWait(2*time.Second), WithLogger(quiet))
	first.beforeAck = func() {
		if batches.Add(1) == 3 { // two batches acked, the third stored but never acked
			nc1.Close()
			close(crashed)
		}
	}
	stopFirst := runProcessor(t, first)
	select {
	case <-crashed:
	case <-time.After(60 * time.Second):
		t.Fatal("first processor never reached its third batch")
	}
	stopFirst()

	stored := testenv.Count(t, store, "SELECT count() FROM "+store.Config().Database+".checkins")
	if stored != 3*400 {
		t.Fatalf("before the crash %d rows were stored, want 1200", stored)
	}

	_, js2 := testenv.Connect(t, n.Server.ClientURL())
	second := New(js2, store, WithBatch(400, 50*time.Millisecond), WithAckWait(2*time.Second), WithLogger(quiet))
	runProcessor(t, second)
	assertExactlyOnce(t, n.JS, store, total)
	// The third batch was stored by both processors, and counted once above.
	if got := testutil.ToFloat64(second.metrics.redelivered); got < 400 {
		t.Errorf("second processor saw %v redeliveries, want at least the 400 of the unacked batch", got)
	}
}

// TestClickHouseOutage stops ClickHouse while check-ins flow and starts it
// again: every check-in arrives, none twice.
func TestClickHouseOutage(t *testing.T) {
	n := testenv.StartNATS(t)
	server := testenv.StartClickHouseServer(t)
	cfg := server.Use(testenv.ClickHouseConfig(t))
	store := testenv.OpenStore(t, cfg)

	p := New(n.JS, store, WithBatch(200, 50*time.Millisecond), WithAckWait(5*time.Second), WithLogger(quiet))
	runProcessor(t, p)

	publishEvents(t, n.JS, 500, 3)
	testenv.Eventually(t, 30*time.Second, "first check-ins stored", func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+cfg.Database+".checkins FINAL") == 500
	})

	server.Stop(t)
	publishEvents(t, n.JS, 1500, 4) // flows while ClickHouse is down
	testenv.Eventually(t, 30*time.Second, "inserts to fail", func() bool {
		return testutil.ToFloat64(p.metrics.insertFailures) >= 2
	})
	server.Start(t)

	assertExactlyOnce(t, n.JS, store, 2000)
}

// TestPoisonMessages publishes bytes that are not check-ins straight to
// NATS: each is dead-lettered with its reason, and the valid check-ins
// around them are stored.
func TestPoisonMessages(t *testing.T) {
	n := testenv.StartNATS(t)
	store := testenv.ClickHouse(t)
	p := New(n.JS, store, WithBatch(100, 50*time.Millisecond), WithLogger(quiet))
	runProcessor(t, p)

	publishEvents(t, n.JS, 50, 5)
	raw := testenv.CheckIns(1, 6, time.Now())[0] // not pseudonymized: must never be stored
	rawEvent, _ := json.Marshal(checkin.Event{CheckIn: raw, ReceivedAt: time.Now()})
	badAnswers := testenv.CheckIns(1, 7, time.Now())[0]
	badAnswers.Answers = badAnswers.Answers[:1]
	badAnswers = testenv.Pseudonymizer(t).Pseudonymize(badAnswers)
	badAnswersEvent, _ := json.Marshal(checkin.Event{CheckIn: badAnswers, ReceivedAt: time.Now()})
	valid := testenv.Pseudonymizer(t).Pseudonymize(testenv.CheckIns(1, 9, time.Now())[0])
	validEvent, _ := json.Marshal(checkin.Event{CheckIn: valid, ReceivedAt: time.Now()})
	poison := []struct {
		subject, data, reason, mentions string
	}{
		{"tend.checkins.a.b", "not json at all", ReasonDecode, "body"},
		{"tend.checkins.a.b", `{"id": 42}`, ReasonDecode, "id"},
		{"tend.checkins.a.b", `[1,2,3]`, ReasonDecode, "body"},
		{"tend.checkins.a.b", `{"id":"x"}`, ReasonInvalid, "clinic"},
		{stream.CheckinSubject(raw.Clinic, raw.Team), string(rawEvent), ReasonInvalid, "clinician"},
		{stream.CheckinSubject(badAnswers.Clinic, badAnswers.Team), string(badAnswersEvent), ReasonInvalid, "answers"},
		{"tend.checkins.other.team", string(validEvent), ReasonInvalid, "subject"},
	}
	for _, m := range poison {
		if _, err := n.JS.Publish(t.Context(), m.subject, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	publishEvents(t, n.JS, 50, 8)
	assertExactlyOnce(t, n.JS, store, 100)

	dl, err := n.JS.OrderedConsumer(t.Context(), stream.DeadLetter, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range poison {
		msg, err := dl.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("dead letter %d: %v", i, err)
		}
		h := msg.Headers()
		if got := msg.Subject(); got != stream.DeadLetterSubject(want.reason) {
			t.Errorf("dead letter %d on %s, want %s", i, got, stream.DeadLetterSubject(want.reason))
		}
		if string(msg.Data()) != want.data {
			t.Errorf("dead letter %d holds %q, want the original bytes %q", i, msg.Data(), want.data)
		}
		if h.Get(stream.HeaderReason) != want.reason || !containsFold(h.Get(stream.HeaderError), want.mentions) {
			t.Errorf("dead letter %d: reason %q error %q, want reason %q naming %q", i, h.Get(stream.HeaderReason), h.Get(stream.HeaderError), want.reason, want.mentions)
		}
		if h.Get(stream.HeaderOriginalSubject) != want.subject {
			t.Errorf("dead letter %d: original subject %q, want %q", i, h.Get(stream.HeaderOriginalSubject), want.subject)
		}
	}
	if got := testenv.Count(t, store, "SELECT count() FROM "+store.Config().Database+".checkins WHERE clinician = '"+raw.Clinician+"'"); got != 0 {
		t.Errorf("a raw clinician identifier reached ClickHouse (%d rows)", got)
	}
}

func containsFold(s, substr string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}

// TestTwoReplicas runs two processors on one durable consumer, as a scaled-out
// deployment does: they share the work, and every check-in counts once.
func TestTwoReplicas(t *testing.T) {
	n := testenv.StartNATS(t)
	store := testenv.ClickHouse(t)
	var replicas []*Processor
	for range 2 {
		_, js := testenv.Connect(t, n.Server.ClientURL())
		p := New(js, store, WithBatch(100, 20*time.Millisecond), WithLogger(quiet))
		runProcessor(t, p)
		replicas = append(replicas, p)
	}
	publishEvents(t, n.JS, 4000, 12)
	assertExactlyOnce(t, n.JS, store, 4000)
	for i, p := range replicas {
		if got := testutil.ToFloat64(p.metrics.stored); got == 0 {
			t.Errorf("replica %d stored nothing: the work was not shared", i)
		}
	}
}

// TestClusterNodeFailure runs on a three-node NATS cluster with the streams
// replicated three times, as a scaled-out deployment does, and shuts one
// node down while check-ins flow: every check-in is stored once.
func TestClusterNodeFailure(t *testing.T) {
	cluster := testenv.StartCluster(t, 3)
	_, js := testenv.Connect(t, cluster.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := stream.WaitReady(ctx, js); err != nil {
		t.Fatal(err)
	}
	if err := stream.Ensure(ctx, js, stream.Config{Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	store := testenv.ClickHouse(t)
	_, pjs := testenv.Connect(t, cluster.URLs())
	runProcessor(t, New(pjs, store, WithBatch(200, 50*time.Millisecond), WithAckWait(5*time.Second), WithLogger(quiet)))

	p := testenv.Pseudonymizer(t)
	cs := testenv.CheckIns(3000, 13, time.Now())
	for i, c := range cs {
		if i == 1000 {
			cluster.Servers[0].Shutdown()
		}
		data, _ := json.Marshal(checkin.Event{CheckIn: p.Pseudonymize(c), ReceivedAt: time.Now().UTC()})
		// As ingest's clients do: retry with the same id until stored.
		testenv.Eventually(t, 30*time.Second, "publish "+c.ID, func() bool {
			pctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			_, err := js.Publish(pctx, stream.CheckinSubject(c.Clinic, c.Team), data, jetstream.WithMsgID(c.ID))
			return err == nil
		})
	}
	assertExactlyOnce(t, js, store, len(cs))
}

// TestOutageOutlastsTimeouts: an outage of ClickHouse longer than the drain
// and attempt timeouts (shortened here from 30s) is waited out by the same
// processor: once the store is back, every check-in arrives, without a
// restart.
func TestOutageOutlastsTimeouts(t *testing.T) {
	n := testenv.StartNATS(t)
	server := testenv.StartClickHouseServer(t)
	cfg := server.Use(testenv.ClickHouseConfig(t))
	store := testenv.OpenStore(t, cfg)

	p := New(n.JS, store, WithBatch(100, 50*time.Millisecond), WithAckWait(5*time.Second), WithLogger(quiet))
	p.drainTimeout, p.attemptTimeout = 500*time.Millisecond, 500*time.Millisecond
	runProcessor(t, p)

	server.Stop(t)
	publishEvents(t, n.JS, 300, 5)
	testenv.Eventually(t, 30*time.Second, "inserts to fail", func() bool {
		return testutil.ToFloat64(p.metrics.insertFailures) >= 2
	})
	time.Sleep(3 * time.Second) // the outage outlasts every timeout
	server.Start(t)

	testenv.Eventually(t, 30*time.Second, "check-ins stored after the outage, by the same processor", func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+cfg.Database+".checkins FINAL") == 300
	})
	assertExactlyOnce(t, n.JS, store, 300)
}

// blockedStream never creates the consumer: it waits until asked to stop.
type blockedStream struct{ Stream }

func (blockedStream) CreateOrUpdateConsumer(ctx context.Context, _ string, _ jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestStopWhileCreatingConsumer: a shutdown while the processor is still
// creating its consumer is a clean stop, not "consumer: context canceled".
func TestStopWhileCreatingConsumer(t *testing.T) {
	p := New(blockedStream{}, nil, WithLogger(quiet))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run stopped while creating its consumer returned %v, want nil", err)
	}
}

// TestNextSize: batches follow the backlog, one message when idle, never
// more than the batch size.
func TestNextSize(t *testing.T) {
	p := New(nil, nil, WithBatch(10_000, time.Second))
	for pending, want := range map[uint64]int{0: 1, 1: 1, 700: 700, 10_000: 10_000, 250_000: 10_000} {
		if got := p.nextSize(pending); got != want {
			t.Errorf("nextSize(%d) = %d, want %d", pending, got, want)
		}
	}
}

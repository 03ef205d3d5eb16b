package stream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/stream"
)

// TestNATSAccounts starts the embedded server as `tend up` does and tries
// each user the way an attacker holding its seed would: nothing anonymous
// gets in; ingest publishes check-ins but cannot read them, nor delete or
// purge a stream; the alert reader reads alerts but not check-ins; the
// processor consumes check-ins and claims periods; the administrator may do
// anything.
func TestNATSAccounts(t *testing.T) {
	dir := t.TempDir()
	users, err := stream.LoadOrCreateUsers(dir + "/nats")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := stream.RunServer(stream.ServerConfig{Dir: dir, Listen: "127.0.0.1:0", Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// refused is a context for an operation that must be refused: a denied
	// publish is never answered, so it ends at its deadline.
	refused := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	as := func(role stream.Role) *stream.Conn {
		t.Helper()
		c, err := stream.Connect(ctx, ns.ClientURL(), "test-"+string(role), stream.Credentials{NkeyFile: stream.SeedFile(dir+"/nats", role)}, log)
		if err != nil {
			t.Fatalf("connect as %s: %v", role, err)
		}
		t.Cleanup(func() { c.NC.Close() })
		return c
	}

	if nc, err := nats.Connect(ns.ClientURL()); err == nil {
		nc.Close()
		t.Fatal("an anonymous connection was let in")
	}

	admin := as(stream.RoleAdmin)
	if err := stream.Ensure(ctx, admin.JS, stream.Config{}); err != nil {
		t.Fatal(err)
	}

	ingest := as(stream.RoleIngest)
	if err := stream.Ensure(ctx, ingest.JS, stream.Config{}); err != nil {
		t.Errorf("ingest cannot ensure the streams at start: %v", err)
	}
	if _, err := ingest.JS.Publish(ctx, stream.CheckinSubject("northside", "crisis"), []byte(`{}`)); err != nil {
		t.Errorf("ingest cannot publish a check-in: %v", err)
	}
	if _, err := ingest.JS.Publish(refused(), stream.AlertSubject("northside", "crisis"), []byte(`{}`)); err == nil {
		t.Error("ingest published an alert")
	}
	if _, err := ingest.JS.OrderedConsumer(refused(), stream.Checkins, jetstream.OrderedConsumerConfig{}); err == nil {
		t.Error("ingest created a consumer of the check-ins")
	}
	sub, err := ingest.NC.SubscribeSync(stream.CheckinSubjects)
	if err == nil {
		ingest.NC.Flush()
		if _, err := sub.NextMsg(time.Second); !errors.Is(err, nats.ErrPermissionViolation) && ingest.NC.LastError() == nil {
			t.Errorf("ingest subscribed to the check-ins: %v", err)
		}
	}
	if err := ingest.JS.DeleteStream(refused(), stream.Checkins); err == nil {
		t.Error("ingest deleted the check-ins stream")
	}
	if s, err := admin.JS.Stream(ctx, stream.Checkins); err != nil {
		t.Fatal(err)
	} else if info, err := s.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Fatalf("check-ins stream after ingest's attempts: %+v, %v", info, err)
	}
	if s, err := ingest.JS.Stream(ctx, stream.Checkins); err == nil {
		if err := s.Purge(refused()); err == nil {
			t.Error("ingest purged the check-ins stream")
		}
	}

	alerts := as(stream.RoleAlerts)
	if _, err := alerts.JS.OrderedConsumer(refused(), stream.Checkins, jetstream.OrderedConsumerConfig{}); err == nil {
		t.Error("the alert reader created a consumer of the check-ins")
	}
	if _, err := alerts.JS.OrderedConsumer(ctx, stream.Alerts, jetstream.OrderedConsumerConfig{}); err != nil {
		t.Errorf("the alert reader cannot read alerts: %v", err)
	}

	processor := as(stream.RoleProcessor)
	cons, err := processor.JS.CreateOrUpdateConsumer(ctx, stream.Checkins, jetstream.ConsumerConfig{Durable: stream.ProcessorDurable, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("the processor cannot create its consumer: %v", err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || msg.Ack() != nil {
		t.Fatalf("the processor cannot consume and ack: %v", err)
	}
	kv, err := stream.EnsureClaims(ctx, processor.JS, stream.Config{})
	if err != nil {
		t.Fatalf("the processor cannot open the claims bucket: %v", err)
	}
	if _, err := kv.Create(ctx, "p.northside.miniz.20261123", []byte("{}")); err != nil {
		t.Errorf("the processor cannot claim a period: %v", err)
	}
	if _, err := kv.Get(ctx, "p.northside.miniz.20261123"); err != nil {
		t.Errorf("the processor cannot read a claim: %v", err)
	}
	lister, err := kv.ListKeysFiltered(ctx, "p.>")
	if err != nil {
		t.Fatalf("the processor cannot list claims: %v", err)
	}
	n := 0
	for range lister.Keys() {
		n++
	}
	if n != 1 {
		t.Errorf("the processor listed %d claims, want 1", n)
	}
	if err := processor.JS.DeleteStream(refused(), stream.Checkins); err == nil {
		t.Error("the processor deleted the check-ins stream")
	}
}

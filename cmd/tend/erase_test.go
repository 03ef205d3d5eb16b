package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestErase: one clinician of a six-person team asks to be forgotten. Their
// check-ins leave ClickHouse and the stream. (That published figures stay as
// they are is reporting's TestOpenPeriodNeverShowsAScore.)
func TestErase(t *testing.T) {
	m := startMain(t)
	cs := testenv.CheckIns(18, 21, time.Now())
	for i := range cs {
		cs[i].Clinic, cs[i].Team, cs[i].Instrument = "northside", "crisis", "miniz"
		cs[i].Clinician, cs[i].Answers = fmt.Sprintf("clinician-%d", i%6), []int{1 + i%5}
		cs[i].SubmittedAt = time.Now().UTC().Add(-time.Duration(i) * time.Minute).Truncate(time.Second)
		body, _ := json.Marshal(cs[i])
		if status, resp, err := (client.Client{URL: m.IngestURL()}).Post(t.Context(), "/v1/checkins", body); err != nil || status != http.StatusAccepted {
			t.Fatalf("post: %d %s %v", status, resp, err)
		}
	}
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	waitStored(t, m, store, 18)

	var out bytes.Buffer
	ch := m.Config.ClickHouse
	err := run(t.Context(), []string{"tend", "erase", "--clinic", "northside", "--clinician", "clinician-4", "--nats-url", m.NATSURL(), "--nats-nkey-file", m.NATSSeed(stream.RoleAdmin),
		"--clickhouse-addr", ch.Addr, "--clickhouse-database", ch.Database, "--clickhouse-reporting-database", ch.ReportingDatabase},
		env(map[string]string{"TEND_PSEUDONYM_KEY": testenv.TestKey, "USER": "ops"}), nil, &out, &out)
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, out.String())
	}
	if want := "erased 3 check-ins from ClickHouse, 3 messages from JetStream"; !bytes.Contains(out.Bytes(), []byte(want)) {
		t.Errorf("erase printed %q, want %q", out.String(), want)
	}
	pseudonym := testenv.Pseudonymizer(t).Pseudonym("northside", "clinician-4")
	// The erasure is in the audit trail, as the operator who ran it, with
	// the pseudonym (never the raw identifier).
	out.Reset()
	err = run(t.Context(), []string{"tend", "audit", "--action", "erase", "--clickhouse-addr", ch.Addr, "--clickhouse-database", ch.Database},
		env(nil), nil, &out, &out)
	if err != nil || !strings.Contains(out.String(), "cli:ops") || !strings.Contains(out.String(), "northside/"+pseudonym) || strings.Contains(out.String(), "clinician-4") {
		t.Errorf("audit trail after erase: %v\n%s", err, out.String())
	}
	if n := testenv.Count(t, store, "SELECT count() FROM "+ch.Database+".checkins WHERE clinician = '"+pseudonym+"'"); n != 0 {
		t.Errorf("%d check-ins of the erased clinician left in ClickHouse", n)
	}
	str, err := testenv.ConnectAs(t, m.NATSURL(), m.NATSSeed(stream.RoleAdmin)).Stream(t.Context(), stream.Checkins)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 15 {
		t.Fatalf("stream holds %d messages, want 15", info.State.Msgs)
	}
	cons, err := str.OrderedConsumer(t.Context(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range 15 {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(msg.Data(), []byte(pseudonym)) {
			t.Fatalf("the stream still holds an erased check-in: %s", msg.Data())
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestRawIdentifierNeverStored submits check-ins, then searches every message
// the stream stored and every column of every table in both ClickHouse
// databases for the raw clinician identifiers: none may be there.
func TestRawIdentifierNeverStored(t *testing.T) {
	m := startMain(t)
	cs := testenv.CheckIns(60, 11, time.Now())
	raw := make([]string, len(cs))
	for i := range cs {
		raw[i] = fmt.Sprintf("raw-clinician-%02d@example.org", i%12)
		cs[i].Clinician = raw[i]
		body, _ := json.Marshal(cs[i])
		if status, resp, err := (client.Client{URL: m.IngestURL()}).Post(t.Context(), "/v1/checkins", body); err != nil || status != http.StatusAccepted {
			t.Fatalf("post: %d %s %v", status, resp, err)
		}
	}
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	waitStored(t, m, store, uint64(len(cs)))

	// Every message in the stream.
	cons, err := testenv.ConnectAs(t, m.NATSURL(), m.NATSSeed(stream.RoleAdmin)).OrderedConsumer(t.Context(), stream.Checkins, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		for _, id := range raw {
			if bytes.Contains(msg.Data(), []byte(id)) || bytes.Contains(msg.Data(), []byte("raw-clinician")) {
				t.Fatalf("stream message holds a raw identifier: %s", msg.Data())
			}
		}
	}

	// Every column of every table of both databases, cast to text.
	cfg := m.Config.ClickHouse
	rows, err := store.Conn().Query(t.Context(),
		"SELECT database, table, name FROM system.columns WHERE database IN (?, ?)", cfg.Database, cfg.ReportingDatabase)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	searched := 0
	for rows.Next() {
		var db, table, col string
		if err := rows.Scan(&db, &table, &col); err != nil {
			t.Fatal(err)
		}
		q := fmt.Sprintf("SELECT count() FROM %s.%s WHERE position(toString(`%s`), 'raw-clinician') > 0", db, table, col)
		if n := testenv.Count(t, store, q); n != 0 {
			t.Errorf("%s.%s.%s holds a raw identifier in %d rows", db, table, col, n)
		}
		searched++
	}
	if searched < 20 {
		t.Errorf("searched only %d columns; the schema should have more", searched)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/pipelinetest"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// startMain runs `tend up` in-process on free ports, against databases of the
// test's own on the real ClickHouse server; configure, if set, changes the
// configuration first.
func startMain(t *testing.T, configure ...func(*pipeline.Config)) *pipeline.Main {
	t.Helper()
	return pipelinetest.Start(t, configure...)
}

// TestEndToEnd posts 1,000 check-ins through HTTP, 200 of them twice, and
// finds exactly 1,000 in ClickHouse with the values sent.
func TestEndToEnd(t *testing.T) {
	m := startMain(t)
	now := time.Now()
	sent := testenv.CheckIns(1000, 1, now)
	posts := append(slices.Clone(sent), sent[:200]...)

	var wg sync.WaitGroup
	work := make(chan checkin.CheckIn)
	for range 8 {
		wg.Go(func() {
			for c := range work {
				body, _ := json.Marshal(c)
				status, resp, err := client.Client{URL: m.IngestURL()}.Post(t.Context(), "/v1/checkins", body)
				if err != nil || status != http.StatusAccepted {
					t.Errorf("post %s: %d %s %v", c.ID, status, resp, err)
				}
			}
		})
	}
	for _, c := range posts {
		work <- c
	}
	close(work)
	wg.Wait()

	store := testenv.OpenStore(t, m.Config.ClickHouse)
	waitStored(t, m, store, 1000)

	p := testenv.Pseudonymizer(t)
	want := map[string]checkin.CheckIn{}
	for _, c := range sent {
		want[c.ID] = c
	}
	rows, err := store.Conn().Query(t.Context(), "SELECT id, clinic, team, clinician, instrument, submitted_at, answers, "+
		"context_values[indexOf(context_names, 'sessions')], context_values[indexOf(context_names, 'sleep_hours')], score_names, score_values FROM "+
		m.Config.ClickHouse.Database+".checkins FINAL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var (
			id, clinic, team, clinician, inst string
			at                                time.Time
			answers                           []uint8
			sessions, sleep                   float32
			scoreNames                        []string
			scoreValues                       []float64
		)
		if err := rows.Scan(&id, &clinic, &team, &clinician, &inst, &at, &answers, &sessions, &sleep, &scoreNames, &scoreValues); err != nil {
			t.Fatal(err)
		}
		seen++
		c, ok := want[id]
		if !ok {
			t.Errorf("unexpected id %s", id)
			continue
		}
		got := fmt.Sprint(clinic, team, clinician, inst, at.UTC(), answers, sessions, sleep)
		exp := fmt.Sprint(c.Clinic, c.Team, p.Pseudonym(c.Clinic, c.Clinician), c.Instrument, c.SubmittedAt, toUint8(c.Answers), float32(*c.Context.Sessions), float32(*c.Context.SleepHours))
		if got != exp {
			t.Errorf("row %s:\n got %s\nwant %s", id, got, exp)
		}
		// Every score of its instrument stored next to it, in its order, and
		// no other.
		res, err := instrument.Score(c.Instrument, c.Answers)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(scoreNames, instrument.ScoreOrder(c.Instrument)) || len(scoreValues) != len(scoreNames) {
			t.Errorf("row %s: scores %v %v, want those of %s", id, scoreNames, scoreValues, c.Instrument)
			continue
		}
		for i, name := range scoreNames {
			if scoreValues[i] != res.Scores[name] {
				t.Errorf("row %s: %s = %v, want %v", id, name, scoreValues[i], res.Scores[name])
			}
		}
	}
	if seen != 1000 {
		t.Errorf("read %d rows, want 1000", seen)
	}

	metrics := get(t, m.MetricsURL())
	if !strings.Contains(metrics, "tend_ingest_checkins_accepted_total 1200") {
		t.Errorf("metrics lack 1200 accepted check-ins:\n%s", grep(metrics, "tend_ingest_checkins"))
	}
}

// waitStored waits until the processor has acked everything in the stream
// and ClickHouse holds want distinct check-ins, then checks none is counted
// twice.
func waitStored(t *testing.T, m *pipeline.Main, store *clickhouse.Store, want uint64) {
	t.Helper()
	db := m.Config.ClickHouse.Database
	testenv.Eventually(t, 60*time.Second, fmt.Sprintf("%d check-ins in ClickHouse", want), func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+db+".checkins FINAL") >= want
	})
	cons, err := testenv.ConnectAs(t, m.NATSURL(), m.NATSSeed(stream.RoleAdmin)).Consumer(t.Context(), stream.Checkins, stream.ProcessorDurable)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the processor to ack everything", func() bool {
		info, err := cons.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	if got := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins FINAL"); got != want {
		t.Errorf("count() FINAL = %d, want %d", got, want)
	}
	if got := testenv.Count(t, store, "SELECT uniqExact(id) FROM "+db+".checkins"); got != want {
		t.Errorf("distinct ids = %d, want %d", got, want)
	}
}

func toUint8(a []int) []uint8 {
	out := make([]uint8, len(a))
	for i, v := range a {
		out[i] = uint8(v)
	}
	return out
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grep(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestUpAppliesRetention: a processing tend applies the retention windows
// as it starts (and daily after), and audits the run.
func TestUpAppliesRetention(t *testing.T) {
	m := startMain(t)
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	testenv.Eventually(t, 30*time.Second, "an audited retention run", func() bool {
		entries, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{Action: "retention"})
		return err == nil && len(entries) == 1 && entries[0].Actor == "tend up" && entries[0].Outcome == "ok"
	})
}

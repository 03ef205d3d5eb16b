package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ingestURL is the ingest URL tend up or tend ingest printed to out.
func ingestURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	var url string
	testenv.Eventually(t, 30*time.Second, "tend to print its ingest URL", func() bool {
		for _, f := range strings.Fields(out.String()) {
			if strings.HasPrefix(f, "http://") && strings.HasSuffix(f, "/v1/checkins") {
				url = strings.TrimSuffix(f, "/v1/checkins")
				return true
			}
		}
		return false
	})
	return url
}

// env is the environment a test gives run: vars, plus the password of the
// test ClickHouse server's admin user (TEND_CLICKHOUSE_PASSWORD_FILE) unless
// vars sets one, as `make run` does for its own user.
func env(vars map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		if k == "TEND_CLICKHOUSE_PASSWORD_FILE" && vars["TEND_CLICKHOUSE_PASSWORD"] == "" {
			if f := testenv.ClickHousePasswordFile(); fileExists(f) {
				return f
			}
		}
		return ""
	}
}

func fileExists(name string) bool { _, err := os.Stat(name); return err == nil }

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"tend", "up", "--help"}, env(nil), nil, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 2 {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"--data-dir", "TEND_DATA_DIR", "--nats-listen", "TEND_MIN_GROUP_SIZE", "--publish-after", "TEND_SETTLE", "--demo"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("tend up --help lacks %q:\n%s", want, stderr.String())
		}
	}
	if err := run(t.Context(), []string{"tend", "frobnicate"}, env(nil), nil, &stdout, &stderr); exitCode(err) != 2 || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("unknown command: %v", err)
	}
}

// TestMinGroupSizeRefused: k below 5 is refused before anything starts,
// from a flag or from the environment.
func TestMinGroupSizeRefused(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"tend", "up", "--min-group-size", "4"}, env(nil), nil, &out, &out)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "at least 5") {
		t.Errorf("--min-group-size 4: %v", err)
	}
	err = run(t.Context(), []string{"tend", "process"}, env(map[string]string{"TEND_MIN_GROUP_SIZE": "1"}), nil, &out, &out)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "at least 5") {
		t.Errorf("TEND_MIN_GROUP_SIZE=1: %v", err)
	}
}

// TestUpServesAndDrains runs `tend up` as the command does, submits a
// check-in, interrupts it, and expects a clean exit with the check-in stored.
func TestUpServesAndDrains(t *testing.T) {
	ch := testenv.ClickHouseConfig(t)
	vars := map[string]string{
		"TEND_DATA_DIR":                      t.TempDir(),
		"TEND_NATS_LISTEN":                   "127.0.0.1:0",
		"TEND_HTTP_ADDR":                     "127.0.0.1:0",
		"TEND_METRICS_ADDR":                  "127.0.0.1:0",
		"TEND_CLICKHOUSE_ADDR":               ch.Addr,
		"TEND_CLICKHOUSE_DATABASE":           ch.Database,
		"TEND_CLICKHOUSE_REPORTING_DATABASE": ch.ReportingDatabase,
		"TEND_PSEUDONYM_KEY":                 testenv.TestKey,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"tend", "up", "--batch-wait", "50ms"}, env(vars), nil, &stdout, &stderr)
	}()

	url := ingestURL(t, &stdout)
	body := []byte(`{"id":"drain-1","clinic":"northside","team":"t1","clinician":"c-1","submitted_at":"2026-11-20T17:05:00Z","instrument":"miniz","answers":[2]}`)
	if status, resp, err := (client.Client{URL: url}).Post(ctx, "/v1/checkins", body); err != nil || status != http.StatusAccepted {
		t.Fatalf("post: %d %s %v", status, resp, err)
	}
	store := testenv.OpenStore(t, ch)
	testenv.Eventually(t, 30*time.Second, "the check-in stored", func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+ch.Database+".checkins FINAL WHERE id = 'drain-1'") == 1
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("tend up exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("tend up did not stop after the interrupt")
	}
}

func TestMigrateIdempotent(t *testing.T) {
	ch := testenv.ClickHouseConfig(t)
	args := []string{"tend", "migrate", "--clickhouse-addr", ch.Addr, "--clickhouse-database", ch.Database, "--clickhouse-reporting-database", ch.ReportingDatabase}
	var out bytes.Buffer
	if err := run(t.Context(), args, env(nil), nil, &out, &out); err != nil || !strings.Contains(out.String(), "applied migrations [1 2 3 4 5 6]") {
		t.Fatalf("first migrate: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(t.Context(), args, env(nil), nil, &out, &out); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("second migrate: %v %s", err, out.String())
	}
}

// TestSimulate posts a small synthetic workforce through ingest: every
// check-in is stored, and a rerun adds nothing.
func TestSimulate(t *testing.T) {
	m := startMain(t)
	args := []string{"tend", "simulate", "--url", m.IngestURL(), "--clinics", "2", "--teams", "2", "--weeks", "4", "--seed", "3"}
	var out bytes.Buffer
	for range 2 {
		if err := run(t.Context(), args, env(nil), nil, &out, &out); err != nil {
			t.Fatalf("simulate: %v\n%s", err, out.String())
		}
	}
	m2 := regexp.MustCompile(`simulate: (\d+) check-ins for 2 clinics`).FindStringSubmatch(out.String())
	if m2 == nil {
		t.Fatalf("simulate printed %q", out.String())
	}
	var n uint64
	fmt.Sscan(m2[1], &n)
	waitStored(t, m, testenv.OpenStore(t, m.Config.ClickHouse), n)
}

// TestBench runs a small `tend bench` and checks it reports every figure,
// and leaves no database behind.
func TestBench(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"tend", "bench", "--checkins", "2000", "--latency-samples", "20", "--close-week-clinics", "3", "--close-week-weeks", "4", "--clickhouse-addr", testenv.ClickHouseAddr()}, env(nil), nil, &out, &out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	for _, want := range []string{"broker baseline", "store baseline", "stored and acked", "p99", "one week of 3 clinics published"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	store := testenv.ClickHouse(t)
	if n := testenv.Count(t, store, "SELECT count() FROM system.databases WHERE name LIKE 'tend_bench_%'"); n != 0 {
		t.Errorf("bench left %d databases behind", n)
	}
}

// TestBenchDrain: the drain mode measures every figure of issue 10 and ends
// with one JSON line holding them all, after checking exactly once.
func TestBenchDrain(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), []string{"tend", "bench", "--drain", "--checkins", "4000", "--latency-samples", "20", "--clickhouse-addr", testenv.ClickHouseAddr()}, env(nil), nil, &out, &out)
	if err != nil {
		t.Fatalf("bench --drain: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var figures map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &figures); err != nil {
		t.Fatalf("last line is not the JSON of figures: %v\n%s", err, out.String())
	}
	for _, key := range []string{"drain_per_s", "raw_fetch_per_s", "raw_insert_per_s", "ingest_batch_per_s", "raw_publish_per_s",
		"fresh_p99_ms", "peak_rss_mib", "paced_post_p99_ms", "paced_fresh_p99_ms", "drain_cpu_us", "raw_fetch_cpu_us", "drain_discard_per_s"} {
		if figures[key] <= 0 {
			t.Errorf("%s = %v, want a measurement", key, figures[key])
		}
	}
	// Each read is measured in rounds, each drain round into databases of
	// its own; the figures are their medians.
	if figures["rounds"] != 3 || !strings.Contains(out.String(), "(3 rounds: ") {
		t.Errorf("rounds = %v, want 3 and each read's range printed\n%s", figures["rounds"], out.String())
	}
	// 4,000 pre-loaded, 20 timed alone, 1,000 posted at a steady pace, and 3
	// rounds of 1,000 published raw and 1,000 posted in batches.
	if figures["stored_distinct_ids"] != 11020 || !strings.Contains(out.String(), "exactly once: rows = distinct ids = 11020") {
		t.Errorf("stored %v distinct check-ins, want 11020\n%s", figures["stored_distinct_ids"], out.String())
	}
	store := testenv.ClickHouse(t)
	if n := testenv.Count(t, store, "SELECT count() FROM system.databases WHERE name LIKE 'tend_bench_%'"); n != 0 {
		t.Errorf("bench left %d databases behind", n)
	}
}

// TestImport imports a CSV export with good and bad rows: the good ones are
// stored, the bad ones reported by line, and a second import adds nothing.
func TestImport(t *testing.T) {
	m := startMain(t)
	at := time.Now().UTC().Add(-time.Hour).Format(time.DateTime)
	csvText := "clinic,team,clinician,submitted_at,instrument,answers,sleep_hours\n" +
		"northside,crisis,c-1," + at + ",miniz,3,6.5\n" +
		"northside,crisis,c-2," + at + ",miniz,9,\n" + // line 3: answer out of range
		"northside,crisis,c-3,yesterday,miniz,2,\n" + // line 4: bad timestamp
		"northside,crisis,c-4," + at + ",scssf,1 2 3 4 5 1 2 3 4 5 1 2,\n" +
		"riverside,intake,c-5," + at + ",miniz,1,7\n"
	path := filepath.Join(t.TempDir(), "export.csv")
	if err := os.WriteFile(path, []byte(csvText), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var out bytes.Buffer
		err := run(t.Context(), []string{"tend", "import", "--url", m.IngestURL(), path}, env(map[string]string{"TEND_IMPORT_KEY": "import-key-of-the-test"}), nil, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "2 rows rejected") {
			t.Fatalf("import: %v\n%s", err, out.String())
		}
		for _, want := range []string{"5 rows", "3 accepted", "line 3: invalid check-in answers[0]", "line 4: submitted_at"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("import output lacks %q:\n%s", want, out.String())
			}
		}
	}
	waitStored(t, m, testenv.OpenStore(t, m.Config.ClickHouse), 3)
}

// TestToken: the printed line grants the printed token, for its clinic only.
func TestToken(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"tend", "token", "--clinic", "northside"}, env(nil), nil, &out, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("tend token printed %q", out.String())
	}
	token, line := strings.TrimSpace(lines[1]), strings.TrimSpace(lines[3])
	if want := "northside " + ingest.HashToken(token); line != want || !strings.HasPrefix(token, "tend_") {
		t.Errorf("line %q for token %q, want %q", line, token, want)
	}
	if _, err := ingest.ParseTokens(strings.NewReader(line)); err != nil {
		t.Errorf("the printed line does not parse: %v", err)
	}
}

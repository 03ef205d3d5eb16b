package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// serveVars is the environment of a tend serving command on free ports,
// against databases of the test's own.
func serveVars(t *testing.T, natsURL string) map[string]string {
	ch := testenv.ClickHouseConfig(t)
	return map[string]string{
		"TEND_DATA_DIR":                      t.TempDir(),
		"TEND_NATS_LISTEN":                   "127.0.0.1:0",
		"TEND_NATS_URL":                      natsURL,
		"TEND_HTTP_ADDR":                     "127.0.0.1:0",
		"TEND_METRICS_ADDR":                  "127.0.0.1:0",
		"TEND_CLICKHOUSE_ADDR":               ch.Addr,
		"TEND_CLICKHOUSE_DATABASE":           ch.Database,
		"TEND_CLICKHOUSE_REPORTING_DATABASE": ch.ReportingDatabase,
		"TEND_PSEUDONYM_KEY":                 testenv.TestKey,
	}
}

// runAsync runs tend with args and returns the channel of its result.
func runAsync(ctx context.Context, args []string, vars map[string]string, stdout, stderr *syncBuffer) <-chan error {
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"tend"}, args...), env(vars), nil, stdout, stderr) }()
	return done
}

// TestStageFailureEndsProcess: when the processor cannot create its
// consumer (the durable exists as a push consumer, which cannot become a
// pull one), `tend process` does not keep running healthy and idle: it
// stops with an error that says so.
func TestStageFailureEndsProcess(t *testing.T) {
	n := testenv.StartNATS(t)
	if _, err := n.JS.CreatePushConsumer(t.Context(), stream.Checkins, jetstream.ConsumerConfig{
		Durable: stream.ProcessorDurable, DeliverSubject: "elsewhere", AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := runAsync(ctx, []string{"process"}, serveVars(t, n.Server.ClientURL()), &stdout, &stderr)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "consumer") {
			t.Errorf("tend process returned %v, want the consumer's error\n%s", err, stderr.String())
		}
		if exitCode(err) == 0 {
			t.Errorf("exit status 0 for a failed stage")
		}
		if !strings.Contains(stderr.String(), "level=ERROR") {
			t.Errorf("no error logged:\n%s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("tend process kept running with a failed processor\n%s", stderr.String())
	}
}

// TestInterruptDuringStartup: Ctrl-C while tend is still starting (here:
// waiting for a ClickHouse that does not answer) is a clean exit, not a
// failure.
func TestInterruptDuringStartup(t *testing.T) {
	n := testenv.StartNATS(t)
	vars := serveVars(t, n.Server.ClientURL())
	vars["TEND_CLICKHOUSE_ADDR"] = unreachableAddr(t)
	for _, cmd := range []string{"up", "process"} {
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr syncBuffer
		done := runAsync(ctx, []string{cmd}, vars, &stdout, &stderr)
		time.Sleep(500 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("tend %s interrupted during start-up returned %v, want nil (exit 0)\n%s", cmd, err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("tend %s did not stop after the interrupt", cmd)
		}
	}
}

// TestIngestReadyWithoutClickHouse: ingest does not use ClickHouse, so its
// readiness does not depend on it: /readyz is 200 with ClickHouse
// unreachable, and 503 once NATS is gone.
func TestIngestReadyWithoutClickHouse(t *testing.T) {
	n := testenv.StartNATS(t)
	vars := serveVars(t, n.Server.ClientURL())
	vars["TEND_CLICKHOUSE_ADDR"] = unreachableAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := runAsync(ctx, []string{"ingest"}, vars, &stdout, &stderr)
	defer func() { cancel(); <-done }()
	url := ingestURL(t, &stdout)
	if status, body := getStatus(t, url+"/readyz"); status != http.StatusOK {
		t.Errorf("ingest /readyz with ClickHouse unreachable: %d %s, want 200", status, body)
	}
	metrics := regexp.MustCompile(`metrics:\s+(http://\S+)/metrics`).FindStringSubmatch(stdout.String())
	if metrics == nil {
		t.Fatalf("no metrics URL printed:\n%s", stdout.String())
	}
	if status, _ := getStatus(t, metrics[1]+"/readyz"); status != http.StatusOK {
		t.Errorf("metrics /readyz of tend ingest with ClickHouse unreachable: %d, want 200", status)
	}
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
	testenv.Eventually(t, 10*time.Second, "/readyz to report NATS gone", func() bool {
		status, _ := getStatus(t, url+"/readyz")
		return status == http.StatusServiceUnavailable
	})
}

// unreachableAddr is a loopback address nothing listens on.
func unreachableAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:1"
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	b, _ := json.Marshal(body)
	return resp.StatusCode, string(b)
}

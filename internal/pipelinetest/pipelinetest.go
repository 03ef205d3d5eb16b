// Package pipelinetest runs a whole tend (`tend up`) in-process for
// end-to-end tests: an embedded NATS server, databases of the test's own on
// the real ClickHouse server, free ports — the same pipeline.Main the
// command runs, nothing mocked.
package pipelinetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/testenv"
)

// Start runs `tend up` until the test ends. Each configure sees the
// configuration before the pipeline starts: to change it, or to prepare its
// databases (enrol clinicians, say) so that tend starts with them.
func Start(t *testing.T, configure ...func(*pipeline.Config)) *pipeline.Main {
	t.Helper()
	m := &pipeline.Main{
		Role: pipeline.RoleUp,
		Log:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: pipeline.Config{
			DataDir:      t.TempDir(),
			NATSListen:   "127.0.0.1:0",
			HTTPAddr:     "127.0.0.1:0",
			MetricsAddr:  "127.0.0.1:0",
			ClickHouse:   testenv.ClickHouseConfig(t),
			PseudonymKey: testenv.TestKey,
			BatchSize:    250,
			BatchWait:    50 * time.Millisecond,
			AckWait:      10 * time.Second,
			MinGroupSize: 5,
		},
	}
	for _, c := range configure {
		c(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

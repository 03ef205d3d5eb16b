package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/processor"
)

// Start runs a whole tend of its own for a measurement — embedded NATS in
// a temporary directory, ingest, processor and reporter — on databases
// on ch's server named with a random tag; stop drains it and removes its
// data and databases.
func Start(ctx context.Context, ch clickhouse.Config, batchSize int) (sys System, stop func(), err error) {
	suffix := make([]byte, 4)
	rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	ch.Database, ch.ReportingDatabase = "tend_bench_"+tag, "tend_bench_reporting_"+tag
	tmp, err := os.MkdirTemp("", "tend-bench-")
	if err != nil {
		return sys, nil, err
	}
	c := pipeline.Config{
		DataDir: tmp, NATSListen: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		ClickHouse: ch, PseudonymKey: tag + tag + tag + tag + tag, MinGroupSize: 5,
		BatchSize: batchSize, BatchWait: 100 * time.Millisecond, AckWait: processor.DefaultAckWait,
	}
	m := &pipeline.Main{Config: c, Role: pipeline.RoleUp, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	stop = func() {
		m.Close()
		os.RemoveAll(tmp)
		// On a connection of its own: the one of the tend measured is closed.
		if store, err := clickhouse.Open(ch); err == nil {
			store.DropDatabases(context.Background())
			store.Close()
		}
	}
	if err := m.Run(ctx); err != nil {
		stop()
		return sys, nil, err
	}
	// The measurements make streams and buckets of their own: as the
	// administrator of the embedded server.
	admin, err := stream.Connect(ctx, m.NATSURL(), "tend-bench", stream.Credentials{NkeyFile: m.NATSSeed(stream.RoleAdmin)}, m.Log)
	if err != nil {
		stop()
		return sys, nil, err
	}
	closeTend := stop
	stop = func() { admin.NC.Close(); closeTend() }
	return System{Ingest: client.Client{URL: m.IngestURL(), Retries: client.DefaultRetries}, JetStream: admin.JS, ClickHouse: ch, Tag: tag}, stop, nil
}

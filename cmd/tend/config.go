package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/processor"
	"github.com/tendhq/tend/reporting"
)

// clickHouseFlags registers the ClickHouse connection flags; the password is
// read from TEND_CLICKHOUSE_PASSWORD or the file in TEND_CLICKHOUSE_PASSWORD_FILE.
func clickHouseFlags(fs *flag.FlagSet, c *clickhouse.Config) {
	fs.StringVar(&c.Addr, "clickhouse-addr", clickhouse.DefaultAddr, "ClickHouse native protocol address `host:port`")
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse user")
	fs.StringVar(&c.Database, "clickhouse-database", clickhouse.DefaultDatabase, "private database for pseudonymized check-ins")
	fs.StringVar(&c.ReportingDatabase, "clickhouse-reporting-database", clickhouse.DefaultReportingDatabase, "reporting database (aggregates only; what Grafana reads)")
}

func clickHousePassword(getenv func(string) string) (string, error) {
	return envflag.Secret(getenv, "TEND_CLICKHOUSE_PASSWORD")
}

// serveConfig parses the flags of up, ingest and process.
func serveConfig(r pipeline.Role, args []string, getenv func(string) string, stderr io.Writer) (pipeline.Config, error) {
	var c pipeline.Config
	var natsSync string
	fs := envflag.New(r.Name, r.Summary, stderr)
	if r.EmbedNATS {
		fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for JetStream storage and the demo pseudonym key")
		fs.StringVar(&c.NATSListen, "nats-listen", "127.0.0.1:4222", "`host:port` the embedded NATS server accepts clients on")
		fs.StringVar(&natsSync, "nats-sync", "always", "when the embedded JetStream fsyncs: \"always\" (every write, before its 202; durable through a power loss) or an interval such as 2m (faster; a power loss can lose the last interval's acknowledged check-ins)")
		fs.StringVar(&c.GrafanaURL, "grafana-url", "", "Grafana base `URL` to provision at start (token: TEND_GRAFANA_TOKEN or TEND_GRAFANA_TOKEN_FILE); empty: no provisioning")
		fs.BoolVar(&c.Demo, "demo", false, "demo mode: generate a pseudonym key under --data-dir if none is configured, post twelve weeks of synthetic check-ins, then one every 2s; --settle defaults to 30s so the history is published within a minute")
	}
	if r.NATSClient {
		fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server `URL`s, comma-separated")
		fs.IntVar(&c.StreamReplicas, "stream-replicas", 1, "copies of each stream on a NATS cluster (3 for production)")
	}
	if r.Ingest {
		fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "`host:port` of the ingest HTTP API")
		fs.StringVar(&c.PseudonymKeyFile, "pseudonym-key-file", "", "file holding the pseudonym key (or set TEND_PSEUDONYM_KEY)")
		fs.StringVar(&c.IngestTokens, "ingest-tokens", "", "`file` of clinics' access tokens (lines \"clinic sha256-hex\"; `tend token` makes them); empty: ingest accepts check-ins without a token")
		fs.IntVar(&c.MaxRequests, "max-requests", ingest.DefaultMaxRequests, "ingest: most requests worked on at once; past it, 503 with Retry-After")
		fs.Int64Var(&c.MaxInflightBytes, "max-inflight-bytes", ingest.DefaultMaxBytes, "ingest: most request-body bytes held at once (at least the 16 MiB batch limit); past it, 503 with Retry-After")
		fs.StringVar(&c.FeedbackConfig, "feedback-config", "", "YAML `file` of per-clinic suggestions and support contacts (default: built-in texts; see deploy/feedback.example.yaml)")
	}
	if r.Process {
		fs.IntVar(&c.BatchSize, "batch-size", processor.DefaultBatchSize, "largest batch the processor fetches and inserts")
		fs.DurationVar(&c.BatchWait, "batch-wait", processor.DefaultBatchWait, "longest wait to fill a batch")
		fs.DurationVar(&c.AckWait, "ack-wait", processor.DefaultAckWait, "how long JetStream waits for an ack before redelivering")
		fs.IntVar(&c.MinGroupSize, "min-group-size", figures.MinK, "k: fewest distinct respondents a published figure describes (at least 5)")
		fs.DurationVar(&c.PublishAfter, "publish-after", reporting.DefaultPublishAfter, "grace window after a period ends before it is published, once")
		fs.DurationVar(&c.Settle, "settle", reporting.DefaultSettle, "a closed period is published once no check-in of it was stored for this long")
		fs.StringVar(&c.Periods, "periods", "", "period length per instrument, e.g. \"miniz=month\" (default: proqol5, cbi, scssf monthly; miniz weekly)")
	}
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "127.0.0.1:9090", "`host:port` serving Prometheus /metrics")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	clickHouseFlags(fs, &c.ClickHouse)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return c, err
	}
	var err error
	if c.ClickHouse.Password, err = clickHousePassword(getenv); err != nil {
		return c, err
	}
	c.PseudonymKey = getenv("TEND_PSEUDONYM_KEY")
	if r.EmbedNATS {
		if c.NATSSync, err = stream.ParseSync(natsSync); err != nil {
			return c, usageError{Err: fmt.Errorf("--nats-sync: %w", err)}
		}
	}
	if r.Process && (c.BatchSize < 1 || c.BatchWait <= 0) {
		return c, usageError{Err: errors.New("--batch-size must be at least 1 and --batch-wait positive")}
	}
	if c.Demo && !flagSet(fs, "settle") {
		c.Settle = demoSettle
	}
	if r.Process {
		if _, err := pipeline.ReportingConfig(c); err != nil {
			return c, usageError{Err: err}
		}
	}
	return c, nil
}

// newLogger returns a text logger on w at level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{Err: fmt.Errorf("--log-level: %w", err)}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// demoSettle is --settle under --demo: the demo's history is published
// within a minute of being posted, not ten.
const demoSettle = 30 * time.Second

// flagSet reports whether the flag name was given, on the command line or
// in its environment variable.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

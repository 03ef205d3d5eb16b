package main

import (
	"errors"
	"io"
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

// clickHousePassword reads the password of the ClickHouse user from
// TEND_CLICKHOUSE_PASSWORD or the file in TEND_CLICKHOUSE_PASSWORD_FILE.
func clickHousePassword(c *clickhouse.Config, getenv func(string) string) (err error) {
	c.Password, err = envflag.Secret(getenv, "TEND_CLICKHOUSE_PASSWORD")
	return err
}

// serveConfig parses the flags of up, ingest and process.
func serveConfig(r pipeline.Role, args []string, getenv func(string) string, stderr io.Writer) (pipeline.Config, error) {
	var c pipeline.Config
	fs := envflag.New(r.Name, r.Summary, stderr)
	if r.EmbedNATS {
		fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for JetStream storage and the demo pseudonym key")
		fs.StringVar(&c.NATSListen, "nats-listen", "127.0.0.1:4222", "`host:port` the embedded NATS server accepts clients on")
		fs.Var(&c.NATSSync, "nats-sync", "when the embedded JetStream fsyncs: \"always\" (every write, before its 202; durable through a power loss) or an interval such as 2m (faster; a power loss can lose the last interval's acknowledged check-ins)")
		fs.StringVar(&c.GrafanaURL, "grafana-url", "", "Grafana base `URL` to provision at start (token: TEND_GRAFANA_TOKEN or TEND_GRAFANA_TOKEN_FILE); empty: no provisioning")
		fs.BoolVar(&c.Demo, "demo", false, "demo mode: generate a pseudonym key under --data-dir if none is configured, post twelve weeks of synthetic check-ins, then one every 2s; --settle defaults to 30s so the history is published within a minute")
	}
	if r.NATSClient {
		stream.ClientFlags(fs, &c.NATSURL, &c.NATSCredentials)
		fs.IntVar(&c.Streams.Replicas, "stream-replicas", 1, "copies of each stream on a NATS cluster (3 for production)")
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
		fs.IntVar(&c.BatchSize, "batch-size", processor.DefaultBatchSize, "largest batch the processor fetches and inserts; batches follow the backlog up to it (one check-in when idle)")
		fs.DurationVar(&c.BatchWait, "batch-wait", processor.DefaultBatchWait, "longest wait to fill a batch")
		fs.DurationVar(&c.AckWait, "ack-wait", processor.DefaultAckWait, "how long JetStream waits for an ack before redelivering")
		fs.IntVar(&c.MinGroupSize, "min-group-size", figures.MinK, "k: fewest distinct respondents a published figure describes (at least 5)")
		fs.DurationVar(&c.PublishAfter, "publish-after", reporting.DefaultPublishAfter, "grace window after a period ends before it is published, once")
		fs.DurationVar(&c.Settle, "settle", reporting.DefaultSettle, "a closed period is published once no check-in of it was stored for this long")
		clickhouse.RetentionFlags(fs, &c.Retention)
		fs.StringVar(&c.Periods, "periods", "", "period length per instrument, e.g. \"miniz=month\" (default: proqol5, cbi, scssf monthly; miniz weekly)")
	}
	fs.DurationVar(&c.Streams.DeadLetterMaxAge, "retain-deadletters", stream.DefaultDeadLetterMaxAge, "how long dead letters (which may hold a raw identifier) are kept")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "127.0.0.1:9090", "`host:port` serving Prometheus /metrics")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	clickhouse.ClientFlags(fs, &c.ClickHouse)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return c, err
	}
	if err := clickHousePassword(&c.ClickHouse, getenv); err != nil {
		return c, err
	}
	c.PseudonymKey = getenv("TEND_PSEUDONYM_KEY")
	if r.Process && (c.BatchSize < 1 || c.BatchWait <= 0) {
		return c, usageError{Err: errors.New("--batch-size must be at least 1 and --batch-wait positive")}
	}
	if c.Demo && !envflag.IsSet(fs, "settle") {
		c.Settle = demoSettle
	}
	if r.Process {
		if _, err := pipeline.ReportingConfig(c); err != nil {
			return c, usageError{Err: err}
		}
	}
	return c, nil
}

// demoSettle is --settle under --demo: the demo's history is published
// within a minute of being posted, not ten.
const demoSettle = 30 * time.Second

package pipeline

import (
	"errors"
	"flag"
	"time"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/processor"
	"github.com/tendhq/tend/reporting"
)

// Role says which parts a serving command runs.
type Role struct {
	Name       string
	EmbedNATS  bool // runs an embedded NATS server
	Ingest     bool
	Process    bool // the processor and the reporter
	Summary    string
	NATSClient bool // connects to an external NATS at Config.NATSURL
}

var (
	RoleUp = Role{Name: "up", EmbedNATS: true, Ingest: true, Process: true,
		Summary: "Runs everything in one process: an embedded NATS server with JetStream, ingest, processor and metrics."}
	RoleIngest = Role{Name: "ingest", Ingest: true, NATSClient: true,
		Summary: "Runs the HTTP ingest service against an external NATS (--nats-url)."}
	RoleProcess = Role{Name: "process", Process: true, NATSClient: true,
		Summary: "Runs the processor against an external NATS (--nats-url); replicas share one durable consumer."}
)

// Config is everything a tend process can be told. Secrets come from the
// environment or files, never from flags alone.
type Config struct {
	DataDir    string
	NATSListen string
	// NATSSync is when the embedded JetStream fsyncs (zero: every write).
	NATSSync stream.Sync
	NATSURL  string
	// NATSCredentials authenticate to an external NATS (tend ingest, process).
	NATSCredentials stream.Credentials
	// Streams sizes tend's streams: replicas on a cluster, how long dead
	// letters are kept.
	Streams     stream.Config
	HTTPAddr    string
	MetricsAddr string
	LogLevel    string

	ClickHouse clickhouse.Config

	FeedbackConfig string
	// InstrumentText is a clinic's file of licensed item wording; empty:
	// the page shows item numbers with the response anchors.
	InstrumentText string
	// MaxRequests and MaxInflightBytes bound ingest's work in flight
	// (zero: ingest's defaults).
	MaxRequests      int
	MaxInflightBytes int64
	// AdminTokens is the file of clinics' admin tokens, which open the
	// roster API; empty: no admin API. LinkBase is the check-in page's
	// public URL, in the links it issues (default: the ingest address).
	AdminTokens, LinkBase string
	// IngestTokens is the file of clinics' access tokens; empty: open ingest.
	IngestTokens string
	// GrafanaURL, when set, has `tend up` provision Grafana at start.
	GrafanaURL       string
	PseudonymKeyFile string
	// PseudonymKey is read from TEND_PSEUDONYM_KEY (environment only).
	PseudonymKey string

	BatchSize int
	BatchWait time.Duration
	AckWait   time.Duration

	// MinGroupSize is k, PublishAfter and Settle say when a closed period is
	// published, Periods overrides period lengths ("miniz=month").
	// Retention is how long ClickHouse keeps check-ins and reporting rows
	// (zero: clickhouse.DefaultRetention).
	Retention clickhouse.Retention

	MinGroupSize int
	PublishAfter time.Duration
	Settle       time.Duration
	Periods      string

	Demo bool
}

// Flags registers on fs the flags of role r, into c. Every flag can also be
// set as TEND_<FLAG> (envflag); secrets are read by Secrets, never flags.
func (c *Config) Flags(fs *flag.FlagSet, r Role) {
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
		fs.StringVar(&c.IngestTokens, "ingest-tokens", "", "`file` of clinics' integration tokens (lines \"clinic sha256-hex\"; `tend token` makes them); with it, check-ins need a personal link's token or an integration token; empty: ingest accepts check-ins without a token (development only)")
		fs.StringVar(&c.AdminTokens, "admin-tokens", "", "`file` of clinics' admin tokens (as --ingest-tokens; `tend token` makes them), which open the roster API /v1/admin/roster for their clinic; empty: no admin API")
		fs.StringVar(&c.LinkBase, "link-base", "", "public `URL` of the check-in page, for the personal links the admin API issues (default: the ingest address)")
		fs.IntVar(&c.MaxRequests, "max-requests", ingest.DefaultMaxRequests, "ingest: most requests worked on at once; past it, 503 with Retry-After")
		fs.Int64Var(&c.MaxInflightBytes, "max-inflight-bytes", ingest.DefaultMaxBytes, "ingest: most request-body bytes held at once (at least the 16 MiB batch limit); past it, 503 with Retry-After")
		fs.StringVar(&c.InstrumentText, "instrument-text", "", "YAML or JSON `file` of the item wording of the forms the clinic holds a licence for (instrument → items → number: text), checked at start against each form's items; empty: the page shows item numbers with the response anchors")
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
}

// Check reports what in c, parsed for role r, cannot run; under --demo,
// --settle defaults to DemoSettle unless settleSet.
func (c *Config) Check(r Role, settleSet bool) error {
	if r.Process && (c.BatchSize < 1 || c.BatchWait <= 0) {
		return errors.New("--batch-size must be at least 1 and --batch-wait positive")
	}
	if c.Demo && !settleSet {
		c.Settle = DemoSettle
	}
	if r.Process {
		_, err := ReportingConfig(*c)
		return err
	}
	return nil
}

// DemoSettle is --settle under --demo: the demo's history is published
// within a minute of being posted, not ten.
const DemoSettle = 30 * time.Second

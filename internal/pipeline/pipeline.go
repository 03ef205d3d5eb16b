// Package pipeline assembles tend's stages — the embedded NATS server,
// ingest, the processor, the reporter, metrics — into one running process,
// as a role asks: everything (`tend up`), or one stage against an external
// NATS (`tend ingest`, `tend process`). Main is what the commands and the
// end-to-end tests run.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/erasure"
	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/httpserve"
	"github.com/tendhq/tend/internal/retry"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/wording"
	"github.com/tendhq/tend/processor"
	"github.com/tendhq/tend/reporting"
)

// Main is one running tend process: the parts its role asks for, wired
// together. Run starts them and returns once they serve; Close drains them.
// Tests run a Main exactly as the command does.
type Main struct {
	Config Config
	Role   Role
	Log    *slog.Logger
	// Stdout hears the demo's progress (default: discarded).
	Stdout io.Writer
	// Grafana, when set, is provisioned once the pipeline runs.
	Grafana *Grafana

	nats     *server.Server
	conn     *stream.Conn
	js       jetstream.JetStream
	store    *clickhouse.Store
	registry *prometheus.Registry

	httpServer    *http.Server
	httpAddr      string
	metricsServer *http.Server
	metricsAddr   string

	// The supervisor: the long-running stages (processor, reporter) run in
	// group; the first that fails cancels the others and is reported by
	// Wait, as is an HTTP server that stops serving.
	group      *errgroup.Group
	stopStages context.CancelFunc
	closing    atomic.Bool
	failOnce   sync.Once
	failed     chan struct{}
	failure    error

	claims   jetstream.KeyValue
	roster   *roster.Directory
	demoLink string // --demo: the visitor's personal check-in link
	stopSide context.CancelFunc
	side     sync.WaitGroup
}

// Grafana is where tend provisions its dashboards: each clinic's
// organization.
type Grafana struct {
	Targets []dashboards.Target
}

// Run starts the parts of m.Role and returns once all of them serve.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.Default()
	}
	limitMemory()
	m.failed = make(chan struct{})
	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	if err := m.openStore(ctx); err != nil {
		return err
	}
	if err := m.openNATS(ctx); err != nil {
		return err
	}
	if m.Role.Ingest {
		if err := m.startIngest(); err != nil {
			return err
		}
	}
	if m.Role.Process {
		if err := m.startProcessor(ctx); err != nil {
			return err
		}
	}
	if err := m.startMetrics(); err != nil {
		return err
	}
	m.startSideTasks()
	return nil
}

// startSideTasks starts what runs beside the stages until Close — Grafana
// provisioning, the demo's check-ins, the daily retention run. Their
// failures are logged; none ends the process.
func (m *Main) startSideTasks() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopSide = cancel
	run := func(task func(context.Context)) {
		m.side.Add(1)
		go func() { defer m.side.Done(); task(ctx) }()
	}
	if m.Grafana != nil {
		run(m.provisionGrafana)
	}
	if m.Config.Demo && m.Role.Ingest {
		run(func(ctx context.Context) {
			out := cmp.Or[io.Writer](m.Stdout, io.Discard)
			if err := simulate.Demo(ctx, client.Client{URL: m.IngestURL(), Retries: client.DefaultRetries}, out, m.Log); err != nil && ctx.Err() == nil {
				m.Log.Error("demo", "err", err)
			}
		})
	}
	if m.Role.Process {
		run(m.retainDaily)
	}
	if m.roster != nil {
		run(func(ctx context.Context) { m.roster.Run(ctx, m.store, rosterRefresh, m.Log) })
	}
}

// rosterRefresh is how often ingest reloads the roster: an enrolment or a
// revocation takes effect within it.
const rosterRefresh = 30 * time.Second

// RefreshRoster reloads the roster now: an enrolment or revocation takes
// effect at once instead of within rosterRefresh.
func (m *Main) RefreshRoster(ctx context.Context) error {
	if m.roster == nil {
		return errors.New("this process runs no ingest")
	}
	return m.roster.Refresh(ctx, m.store)
}

// submissionAuditor records integration-token submissions in the audit
// trail.
type submissionAuditor struct{ m *Main }

func (a submissionAuditor) AuditSubmission(ctx context.Context, tokenID, clinic string, n int) {
	a.m.audit(ctx, clickhouse.AuditEntry{Actor: "token:" + tokenID, Action: "submit", Target: clinic, Outcome: "ok",
		Detail: fmt.Sprintf("%d check-ins", n)})
}

// retainDaily applies the retention windows at start and every day after:
// ClickHouse's monthly partitions, and the claims (with the alert memory
// they carry) of periods past the reporting window. Each run is audited.
func (m *Main) retainDaily(ctx context.Context) {
	r := m.Config.Retention
	if r == (clickhouse.Retention{}) {
		r = clickhouse.DefaultRetention
	}
	for {
		now := time.Now()
		dropped, err := m.store.ApplyRetention(ctx, r, now)
		expired := 0
		if err == nil {
			expired, err = reporting.ExpireClaims(ctx, m.claims, now.AddDate(0, -r.ReportingMonths, 0))
		}
		if ctx.Err() != nil {
			return
		}
		e := clickhouse.AuditEntry{Actor: "tend " + m.Role.Name, Action: "retention", Target: m.Config.ClickHouse.Database + ", " + m.Config.ClickHouse.ReportingDatabase,
			Outcome: "ok", Detail: fmt.Sprintf("%d partitions dropped, %d claims expired", len(dropped), expired)}
		if err != nil {
			e.Outcome = err.Error()
			m.Log.Error("retention run failed; next run in a day", "err", err)
		} else if len(dropped)+expired > 0 {
			m.Log.Info("retention applied", "partitions", len(dropped), "claims", expired)
		}
		m.audit(ctx, e)
		if !retry.Sleep(ctx, 24*time.Hour) {
			return
		}
	}
}

// openStore connects to ClickHouse, and for the processor applies the schema.
func (m *Main) openStore(ctx context.Context) error {
	store, err := clickhouse.Open(m.Config.ClickHouse)
	if err != nil {
		return err
	}
	m.store = store
	if !m.Role.Process {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.WaitReady(wctx); err != nil {
		return fmt.Errorf("%w (is ClickHouse running? scripts/clickhouse up starts one)", err)
	}
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	m.Log.Info("clickhouse schema ready", "addr", store.Config().Addr, "applied", applied)
	return nil
}

// openNATS starts the embedded server (up) or connects to an external one,
// and makes sure tend's streams exist.
func (m *Main) openNATS(ctx context.Context) error {
	url, creds := m.Config.NATSURL, m.Config.NATSCredentials
	if m.Role.EmbedNATS {
		// The embedded server lets in tend's users only, each with its
		// role's permissions; their seeds live next to its data.
		users, err := stream.LoadOrCreateUsers(m.natsUsersDir())
		if err != nil {
			return err
		}
		ns, err := stream.RunServer(stream.ServerConfig{Dir: m.Config.DataDir, Listen: m.Config.NATSListen, Log: m.Log, Users: users, Sync: m.Config.NATSSync})
		if err != nil {
			return err
		}
		m.nats = ns
		url, creds = ns.ClientURL(), stream.Credentials{NkeyFile: stream.SeedFile(m.natsUsersDir(), stream.RoleUp)}
		m.Log.Info("embedded NATS with JetStream", "url", url, "store", filepath.Join(m.Config.DataDir, "jetstream"),
			"users", m.natsUsersDir(), "sync", m.Config.NATSSync)
	}
	conn, err := stream.Connect(ctx, url, "tend-"+m.Role.Name, creds, m.Log)
	if err != nil {
		return err
	}
	m.conn, m.js = conn, conn.JS
	return stream.Ensure(ctx, m.js, m.Config.Streams)
}

// natsUsersDir holds the embedded server's user seeds (one per role).
func (m *Main) natsUsersDir() string { return filepath.Join(m.Config.DataDir, "nats") }

// NATSSeed is the seed file of role on the embedded server: for the
// operator's nats CLI (--nkey) and tools such as tend erase (admin).
func (m *Main) NATSSeed(role stream.Role) string { return stream.SeedFile(m.natsUsersDir(), role) }

func (m *Main) startIngest() error {
	key, err := m.pseudonymKey()
	if err != nil {
		return err
	}
	p, err := checkin.NewPseudonymizer(key)
	if err != nil {
		return err
	}
	fb := feedback.Default()
	if m.Config.FeedbackConfig != "" {
		if fb, err = readConfig("feedback config", m.Config.FeedbackConfig, feedback.Parse); err != nil {
			return err
		}
	}
	opts := []ingest.Option{
		ingest.WithFeedback(fb),
		ingest.WithLogger(m.Log),
		ingest.WithRegisterer(m.registry),
		ingest.WithReadiness(m.conn.Ready), // ingest needs NATS only
	}
	if m.Config.InstrumentText != "" {
		text, err := readConfig("instrument text", m.Config.InstrumentText, wording.Parse)
		if err != nil {
			return err
		}
		opts = append(opts, ingest.WithWording(text))
		m.Log.Info("the check-in page shows the item wording provided", "file", m.Config.InstrumentText, "forms", text.Describe())
	}
	if m.Config.MaxRequests > 0 || m.Config.MaxInflightBytes > 0 {
		reqs, bytes := m.Config.MaxRequests, m.Config.MaxInflightBytes
		if reqs <= 0 {
			reqs = ingest.DefaultMaxRequests
		}
		if bytes <= 0 {
			bytes = ingest.DefaultMaxBytes
		}
		opts = append(opts, ingest.WithLimits(reqs, bytes))
	}
	// Personal check-in links: the roster, copied from the private database
	// and refreshed (a side task), so that ClickHouse being down does not
	// lock enrolled clinicians out.
	m.roster = &roster.Directory{}
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := m.roster.Refresh(rctx, m.store); err != nil {
		m.Log.Warn("roster not loaded yet; personal links work once it is", "err", err)
	}
	cancel()
	opts = append(opts, ingest.WithRoster(m.roster), ingest.WithAuditor(submissionAuditor{m}), ingest.WithOwnData(ownData{m}))
	if m.Config.IngestTokens != "" {
		tokens, err := ingest.LoadTokens(m.Config.IngestTokens)
		if err != nil {
			return err
		}
		opts = append(opts, ingest.WithTokens(tokens))
		m.auditTokens("ingest-tokens", tokens)
		m.Log.Info("ingest requires a personal check-in link or a clinic's integration token", "clinics", len(tokens))
	} else if !m.Config.Demo {
		m.Log.Warn("ingest accepts check-ins without an access token; set --ingest-tokens (see tend token) in production")
	}
	var handler http.Handler = ingest.New(m.js, p, opts...)
	if m.Config.AdminTokens != "" {
		if handler, err = m.withAdminAPI(handler, p); err != nil {
			return err
		}
	}
	m.httpServer, m.httpAddr, err = httpserve.Start(m.Config.HTTPAddr, handler, m.Log, m.fail)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	m.Log.Info("ingest listening", "url", m.IngestURL())
	if m.Config.Demo {
		return m.enrolDemoClinician(p)
	}
	return nil
}

// enrolDemoClinician gives the demo's visitor a personal link of their
// own — a clinician alone on a team of a clinic of their own, so that the
// demo clinics' participation stays over the clinicians the charts know.
func (m *Main) enrolDemoClinician(p *checkin.Pseudonymizer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := roster.Admin{Store: m.store, Pseudonyms: p, LinkBase: m.IngestURL(), Actor: "tend up --demo"}
	issued, err := admin.Enroll(ctx, []roster.Entry{{Clinic: "your-clinic", Team: "your-team", Clinician: "you"}})
	if err != nil {
		return fmt.Errorf("demo: enrol a clinician: %w", err)
	}
	m.demoLink = issued[0].Link
	return m.roster.Refresh(ctx, m.store)
}

// withAdminAPI mounts the roster API for clinic administrators beside
// ingest, on the same address; an enrolment or change reaches ingest's copy
// of the roster at once.
func (m *Main) withAdminAPI(ingestAPI http.Handler, p *checkin.Pseudonymizer) (http.Handler, error) {
	tokens, err := ingest.LoadTokens(m.Config.AdminTokens)
	if err != nil {
		return nil, fmt.Errorf("admin tokens: %w", err)
	}
	m.auditTokens("admin-tokens", tokens)
	admin := roster.Admin{Store: m.store, Pseudonyms: p, LinkBase: m.Config.LinkBase}
	refresh := func(ctx context.Context) {
		if err := m.roster.Refresh(ctx, m.store); err != nil {
			m.Log.Warn("roster changed but not reloaded; it will be within the refresh interval", "err", err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/admin/", roster.Handler(admin, tokens, refresh))
	mux.Handle("/", ingestAPI)
	m.Log.Info("roster API for clinic administrators at /v1/admin/roster", "clinics", len(tokens))
	return mux, nil
}

// ownData is ingest's view of a clinician's own data: read from the
// private database, erased by the processor's erasure service (ingest may
// not touch the streams).
type ownData struct{ m *Main }

func (o ownData) CheckIns(ctx context.Context, clinic, pseudonym string) ([]checkin.CheckIn, error) {
	return o.m.store.ClinicianCheckIns(ctx, clinic, pseudonym)
}

func (o ownData) Erase(ctx context.Context, clinic, pseudonym string) (uint64, error) {
	r, err := erasure.Ask(ctx, o.m.conn.NC, clinic, pseudonym)
	return r.CheckIns, err
}

// pseudonymKey reads the key from TEND_PSEUDONYM_KEY or its file; with
// --demo and neither configured, it creates one under the data dir.
func (m *Main) pseudonymKey() ([]byte, error) {
	key, err := ConfiguredKey(m.Config)
	if key != nil || err != nil || !m.Config.Demo {
		return key, err
	}
	path := filepath.Join(m.Config.DataDir, "pseudonym.key")
	key, created, err := checkin.LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	if created {
		m.Log.Warn("demo mode: generated a pseudonym key; a real deployment provisions its own and keeps it", "file", path)
	} else {
		m.Log.Info("demo mode: using the pseudonym key", "file", path)
	}
	return key, nil
}

// ConfiguredPseudonymizer is the pseudonymizer of the key c configures.
func ConfiguredPseudonymizer(c Config) (*checkin.Pseudonymizer, error) {
	key, err := ConfiguredKey(c)
	if err != nil {
		return nil, err
	}
	return checkin.NewPseudonymizer(key)
}

// Pseudonym is clinician's pseudonym in clinic under the key c configures.
func Pseudonym(c Config, clinic, clinician string) (string, error) {
	p, err := ConfiguredPseudonymizer(c)
	if err != nil {
		return "", err
	}
	return p.Pseudonym(clinic, clinician), nil
}

// ConfiguredKey reads the pseudonym key from TEND_PSEUDONYM_KEY or its file.
// It fails when neither is set, unless c.Demo (then it returns nil, nil).
func ConfiguredKey(c Config) ([]byte, error) {
	switch {
	case c.PseudonymKey != "":
		if len(c.PseudonymKey) < checkin.MinKeyBytes {
			return nil, fmt.Errorf("TEND_PSEUDONYM_KEY: need at least %d bytes", checkin.MinKeyBytes)
		}
		return []byte(c.PseudonymKey), nil
	case c.PseudonymKeyFile != "":
		return checkin.LoadKey(c.PseudonymKeyFile)
	case c.Demo:
		return nil, nil
	}
	return nil, errors.New("no pseudonym key: set TEND_PSEUDONYM_KEY_FILE (a file with at least 32 random bytes, e.g. `openssl rand -hex 32 > key`) or TEND_PSEUDONYM_KEY, or pass --demo to generate one")
}

// ReportingConfig is the reporter's configuration from c.
func ReportingConfig(c Config) (reporting.Config, error) {
	rc := reporting.DefaultConfig()
	rc.MinGroupSize, rc.PublishAfter, rc.Settle = c.MinGroupSize, c.PublishAfter, c.Settle
	var err error
	if rc.Lengths, err = figures.ParseLengths(c.Periods); err != nil {
		return rc, err
	}
	return rc, rc.Validate()
}

// readConfig reads the configuration file path with parse; its errors name what the
// file is and, for its contents, the file: "alert rules /etc/tend/rules.yaml: line 3: …".
func readConfig[T any](what, path string, parse func([]byte) (T, error)) (T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err) // err names path
	}
	v, err := parse(data)
	if err != nil {
		return v, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return v, nil
}

// startProcessor starts the processor, which stores check-ins, and the
// reporter, which publishes the periods that have closed.
func (m *Main) startProcessor(ctx context.Context) error {
	rcfg, err := ReportingConfig(m.Config)
	if err != nil {
		return err
	}
	if m.claims, err = stream.EnsureClaims(ctx, m.js, m.Config.Streams); err != nil {
		return err
	}
	reporter := reporting.New(m.store, m.claims, m.js, rcfg,
		reporting.WithLogger(m.Log),
		reporting.WithRegisterer(m.registry),
	)
	p := processor.New(m.js, m.store,
		processor.WithBatch(m.Config.BatchSize, m.Config.BatchWait),
		processor.WithAckWait(m.Config.AckWait),
		processor.WithLogger(m.Log),
		processor.WithRegisterer(m.registry),
	)
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopStages = cancel
	group, gctx := errgroup.WithContext(base)
	m.group = group
	m.stage(gctx, "processor", p.Run)
	m.stage(gctx, "reporter", reporter.Run)
	m.stage(gctx, "erasure", func(ctx context.Context) error {
		return erasure.Serve(ctx, m.conn.NC, m.js, m.store, "clinician (personal link) via tend "+m.Role.Name, m.Log)
	})
	return nil
}

// stage runs one long-running stage under the supervisor. A stage that
// returns before Close, with an error or without, has failed: the process
// must end rather than run on without it.
func (m *Main) stage(ctx context.Context, name string, run func(context.Context) error) {
	m.group.Go(func() error {
		err := run(ctx)
		if m.closing.Load() {
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		err = fmt.Errorf("%s: %w", name, err)
		m.fail(err)
		return err
	})
}

// fail records the first failure of a stage and stops the other stages.
func (m *Main) fail(err error) {
	m.failOnce.Do(func() {
		m.failure = err
		close(m.failed)
		if m.stopStages != nil && !m.closing.Load() {
			m.stopStages()
		}
	})
}

// Wait blocks until ctx ends (it returns nil) or a stage fails (it returns
// that stage's error): a stage that fails ends its process.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-m.failed:
		return m.failure
	}
}

// ready reports whether this process's dependencies answer: NATS, and for
// the processor ClickHouse. The metrics server serves it as /readyz.
func (m *Main) ready(ctx context.Context) error {
	if m.conn == nil {
		return errors.New("nats: not connected")
	}
	if err := m.conn.Ready(ctx); err != nil {
		return err
	}
	if m.Role.Process {
		if err := m.store.Ping(ctx); err != nil {
			return fmt.Errorf("clickhouse: %w", err)
		}
	}
	return nil
}

func (m *Main) startMetrics() error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry}))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := m.ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	var err error
	m.metricsServer, m.metricsAddr, err = httpserve.Start(m.Config.MetricsAddr, mux, m.Log, m.fail)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// audit records an action of this process in the audit trail; a trail that
// cannot be written is logged, since the action itself has happened.
func (m *Main) audit(ctx context.Context, e clickhouse.AuditEntry) {
	if err := m.store.Audit(ctx, e); err != nil {
		m.Log.Error("audit trail not written", "action", e.Action, "err", err)
	}
}

// auditTokens records which tokens (by id) this process accepts: a token
// added to a tokens file is issued, one taken out revoked, from the start
// whose entry first lacks it.
func (m *Main) auditTokens(file string, tokens ingest.Tokens) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m.audit(ctx, clickhouse.AuditEntry{Actor: "tend " + m.Role.Name, Action: "tokens", Target: file, Outcome: "ok", Detail: tokens.IDs()})
}

// provisionGrafana installs the dashboards in m.Grafana while the pipeline
// runs; a failure is logged, never fatal.
func (m *Main) provisionGrafana(ctx context.Context) {
	report, err := dashboards.ProvisionRetrying(ctx, m.Grafana.Targets, m.Log)
	if ctx.Err() != nil {
		return
	}
	e := clickhouse.AuditEntry{Actor: "tend " + m.Role.Name, Action: "provision", Target: m.Config.GrafanaURL, Outcome: "ok", Detail: strings.Join(report, "; ")}
	if err == nil {
		m.Log.Info("grafana provisioned", "url", m.Config.GrafanaURL, "report", e.Detail)
	} else {
		e.Outcome = err.Error()
		m.Log.Error("grafana provisioning failed; run `tend dashboards provision` once it is fixed", "url", m.Config.GrafanaURL, "err", err)
	}
	m.audit(ctx, e)
}

// IngestURL is the base URL of the ingest API.
func (m *Main) IngestURL() string { return "http://" + m.httpAddr }

// MetricsURL is the Prometheus scrape URL.
func (m *Main) MetricsURL() string { return "http://" + m.metricsAddr + "/metrics" }

// NATSURL is the URL of the NATS server m uses.
func (m *Main) NATSURL() string { return m.conn.NC.ConnectedUrl() }

// Close drains in order: no new requests (in-flight ones finish), the
// processor stores and acks the batch in hand, NATS drains, the embedded
// server stops. It is safe on a partly started Main.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	m.closing.Store(true)
	if m.stopSide != nil {
		m.stopSide()
		m.side.Wait()
	}
	var errs []error
	if m.httpServer != nil {
		errs = append(errs, m.httpServer.Shutdown(ctx))
	}
	if m.group != nil {
		m.stopStages()
		// A failure Wait already reported is not reported again.
		if err := m.group.Wait(); err != nil && err != m.failure {
			errs = append(errs, err)
		}
	}
	if m.metricsServer != nil {
		errs = append(errs, m.metricsServer.Shutdown(ctx))
	}
	if m.conn != nil {
		errs = append(errs, m.conn.Drain())
	}
	if m.nats != nil {
		m.nats.Shutdown()
		m.nats.WaitForShutdown()
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

// WhereToLook prints where the operator finds what m runs.
func (m *Main) WhereToLook(w io.Writer) {
	var b strings.Builder
	fmt.Fprintf(&b, "\ntend %s is running.\n", m.Role.Name)
	if m.Role.Ingest {
		fmt.Fprintf(&b, "  ingest:     POST %s/v1/checkins   (health: %s/healthz, readiness: %s/readyz)\n", m.IngestURL(), m.IngestURL(), m.IngestURL())
	}
	if m.demoLink != "" {
		fmt.Fprintf(&b, "  your page:  %s   (a demo clinician's personal link: check in, see your own history, download or erase it)\n", m.demoLink)
	}
	if m.nats != nil {
		fmt.Fprintf(&b, "  NATS:       %s   (users' nkey seeds in %s; nats --server %s --nkey %s stream info %s)\n", m.NATSURL(), m.natsUsersDir(), m.NATSURL(), m.NATSSeed(stream.RoleAdmin), stream.Checkins)
	}
	fmt.Fprintf(&b, "  metrics:    %s\n", m.MetricsURL())
	cfg := m.store.Config()
	_, port, _ := net.SplitHostPort(cfg.Addr)
	// scripts/clickhouse client passes the user's password from the file
	// scripts/clickhouse up generated; every ClickHouse user has one.
	client := fmt.Sprintf("scripts/clickhouse client --user %s --port %s", cfg.User, port)
	fmt.Fprintf(&b, "  check-ins:  %s -q \"SELECT clinic, team, instrument, count() FROM %s.checkins FINAL GROUP BY clinic, team, instrument ORDER BY clinic, team\"\n", client, cfg.Database)
	fmt.Fprintf(&b, "  trends:     %s -q \"SELECT clinic, team, instrument, period_start, score, suppressed, respondents, round(mean, 1), share_high FROM %s.team_periods WHERE score IN ('burnout', 'burnout_level') ORDER BY clinic, team, period_start, score\"\n", client, cfg.ReportingDatabase)
	fmt.Fprintf(&b, "              (it reads the password from .clickhouse/secrets/%s, or $TEND_CH_DIR/secrets; another server: clickhouse-client --user %s --password \"$(cat FILE)\")\n", cfg.User, cfg.User)
	fmt.Fprintf(&b, "              (periods are published once, %s after they close; the open period shows only respondents so far: %s.open_periods)\n", m.Config.PublishAfter, cfg.ReportingDatabase)
	fmt.Fprintf(&b, "  alerts:     nats --server %s --nkey %s sub 'tend.alerts.>'   or   SELECT * FROM %s.alerts\n", m.NATSURL(), m.NATSSeed(stream.RoleAlerts), cfg.ReportingDatabase)
	fmt.Fprintf(&b, "Ctrl-C drains and stops.\n\n")
	fmt.Fprint(w, b.String())
}

// Package reporting is the pipeline stage after the processor: it turns the
// stored check-ins into the team figures of the reporting database that
// clinic leadership reads, evaluates the team alert rules on them and
// publishes alert transitions (JetStream, ClickHouse, Prometheus gauges).
// It reads the private database and writes only aggregates.
package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/tendhq/tend/internal/retry"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/trends"
)

// ReportingStore is what the Reporter reads and writes; *clickhouse.Store
// implements it.
type ReportingStore interface {
	Observations(ctx context.Context, clinics []string) ([]trends.Observation, error)
	WriteTeamWeekly(ctx context.Context, rows []trends.Row, version uint64) error
	Alerts(ctx context.Context, clinics []string) (map[string]trends.Transition, error)
	RecordAlerts(ctx context.Context, fresh, retracted []trends.Transition, version uint64) error
	StaleClinics(ctx context.Context) ([]string, error)
	AlertStates(ctx context.Context) (map[trends.AlertKey]bool, error)
}

// Reporter keeps the reporting database in step with the stored check-ins.
// The processor marks the clinics each committed batch touched; the Reporter
// recomputes them from the stored check-ins — whole clinics, because the
// clinic total and complementary suppression span all of a clinic's teams,
// and EWMA baselines span a team's history — writes their team metrics,
// evaluates the alert rules and publishes new transitions.
//
// Marks coalesce: a burst of 10,000 check-ins for one team marks one clinic,
// recomputed once per pass rather than once per check-in. Marks live in
// memory; a crash loses them, so the Reporter also recomputes every clinic
// whose check-ins are newer than its metrics (StaleClinics) at start and
// every ReconcileEvery; then too it sets the alert gauge from the recorded
// alerts, so that every replica, restarted or not, shows every team's state.
type Reporter struct {
	store   ReportingStore
	js      jetstream.JetStream
	cfg     trends.Config
	rules   trends.Rules
	log     *slog.Logger
	metrics *metrics

	// reconcileEvery is how often stale clinics are looked for.
	reconcileEvery time.Duration
	// chunk bounds the clinics recomputed together, and so memory.
	chunk int

	mu      sync.Mutex
	dirty   map[string]bool
	settled chan struct{} // closed when nothing is dirty and no pass runs
	wake    chan struct{}
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithReporterLogger sets the structured logger.
func WithLogger(l *slog.Logger) Option { return func(r *Reporter) { r.log = l } }

// WithReporterRegisterer registers the reporter metrics.
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(r *Reporter) { r.metrics = newMetrics(reg) }
}

// NewReporter returns a Reporter; cfg must be valid (trends.Config.Validate).
func New(store ReportingStore, js jetstream.JetStream, cfg trends.Config, rules trends.Rules, opts ...Option) *Reporter {
	r := &Reporter{
		store:          store,
		js:             js,
		cfg:            cfg,
		rules:          rules,
		log:            slog.Default(),
		reconcileEvery: time.Minute,
		chunk:          200,
		dirty:          map[string]bool{},
		wake:           make(chan struct{}, 1),
		settled:        make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	if r.metrics == nil {
		r.metrics = newMetrics(nil)
	}
	close(r.settled)
	return r
}

// Mark records that clinics have new check-ins.
func (r *Reporter) Mark(clinics ...string) {
	if len(clinics) == 0 {
		return
	}
	r.mu.Lock()
	r.unsettle()
	for _, c := range clinics {
		r.dirty[c] = true
	}
	r.metrics.dirty.Set(float64(len(r.dirty)))
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// unsettle opens a new settled channel; r.mu must be held.
func (r *Reporter) unsettle() {
	select {
	case <-r.settled:
		r.settled = make(chan struct{})
	default:
	}
}

// Settled returns a channel closed once every marked clinic is recomputed.
func (r *Reporter) Settled() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled
}

// Run recomputes marked clinics until ctx ends.
func (r *Reporter) Run(ctx context.Context) error {
	r.reconcile(ctx)
	tick := time.NewTicker(r.reconcileEvery)
	defer tick.Stop()
	backoff := retry.Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			r.reconcile(ctx)
		case <-r.wake:
		}
		for {
			clinics := r.take()
			if len(clinics) == 0 {
				break
			}
			if err := r.recompute(ctx, clinics); err != nil {
				wait := backoff.Next()
				r.log.Warn("recompute team metrics failed; retrying", "clinics", len(clinics), "err", err, "backoff", wait)
				r.done()
				if !retry.Sleep(ctx, wait) {
					return nil
				}
				continue
			}
			backoff.Reset()
			r.done()
		}
	}
}

// take removes and returns the dirty clinics; Settled stays open until the
// pass that recomputes them calls done.
func (r *Reporter) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	clinics := make([]string, 0, len(r.dirty))
	for c := range r.dirty {
		clinics = append(clinics, c)
	}
	clear(r.dirty)
	r.metrics.dirty.Set(0)
	slices.Sort(clinics)
	return clinics
}

// done ends a pass; with nothing dirty left, the Reporter is settled.
func (r *Reporter) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.dirty) == 0 {
		select {
		case <-r.settled:
		default:
			close(r.settled)
		}
	}
}

// reconcile marks clinics whose metrics are older than their check-ins and
// refreshes the alert gauge from the recorded alerts.
func (r *Reporter) reconcile(ctx context.Context) {
	stale, err := r.store.StaleClinics(ctx)
	if err != nil {
		r.log.Warn("look for stale clinics", "err", err)
		return
	}
	if len(stale) > 0 {
		r.log.Info("recomputing clinics whose metrics are older than their check-ins", "clinics", len(stale))
		r.Mark(stale...)
	}
	states, err := r.store.AlertStates(ctx)
	if err != nil {
		r.log.Warn("read alert states", "err", err)
		return
	}
	r.setGauges(states)
}

// setGauges sets tend_team_alert_active for each (clinic, team, rule).
func (r *Reporter) setGauges(states map[trends.AlertKey]bool) {
	for key, active := range states {
		v := 0.0
		if active {
			v = 1
		}
		r.metrics.alertActive.WithLabelValues(key.Clinic, key.Team, key.Rule).Set(v)
	}
}

// Recompute rebuilds the team metrics and alerts of clinics now, for
// changes the processor does not see (an erasure).
func (r *Reporter) Recompute(ctx context.Context, clinics ...string) error {
	clinics = slices.Clone(clinics)
	slices.Sort(clinics)
	return r.recompute(ctx, slices.Compact(clinics))
}

// recompute rebuilds the metrics and alerts of clinics, chunk by chunk.
func (r *Reporter) recompute(ctx context.Context, clinics []string) error {
	for start := 0; start < len(clinics); start += r.chunk {
		if err := r.recomputeChunk(ctx, clinics[start:min(start+r.chunk, len(clinics))]); err != nil {
			r.Mark(clinics[start:]...)
			return err
		}
	}
	return nil
}

func (r *Reporter) recomputeChunk(ctx context.Context, clinics []string) error {
	start := time.Now()
	// The version is the moment the read began: of two racing
	// recomputations (two replicas), the one that saw more data wins.
	version := uint64(start.UnixNano())
	obs, err := r.store.Observations(ctx, clinics)
	if err != nil {
		return err
	}
	rows := trends.Compute(r.cfg, obs)
	if err := r.store.WriteTeamWeekly(ctx, rows, version); err != nil {
		return err
	}
	transitions := trends.Evaluate(r.rules, r.cfg, rows, obs)
	if err := r.recordAlerts(ctx, clinics, transitions, version); err != nil {
		return err
	}
	r.setGauges(trends.Active(transitions))
	r.metrics.recomputed.Add(float64(len(clinics)))
	r.metrics.seconds.Observe(time.Since(start).Seconds())
	r.log.Debug("team metrics recomputed", "clinics", len(clinics), "observations", len(obs), "rows", len(rows), "took", time.Since(start))
	return nil
}

// alertEvent is the JSON of an alert transition on tend.alerts.<clinic>.<team>.
type alertEvent struct {
	ID        string             `json:"id"`
	Clinic    string             `json:"clinic"`
	Team      string             `json:"team"`
	Rule      string             `json:"rule"`
	Week      string             `json:"week"`
	State     string             `json:"state"`
	Values    map[string]float64 `json:"values"`
	Retracted bool               `json:"retracted,omitempty"`
}

// recordAlerts publishes the transitions not recorded yet — and the
// retraction of recorded ones that late check-ins undid — then records them.
// Publishing first means a crash in between publishes again on the next
// recomputation, where the event's Nats-Msg-Id makes JetStream drop the
// repeat; recording first could lose the event.
func (r *Reporter) recordAlerts(ctx context.Context, clinics []string, ts []trends.Transition, version uint64) error {
	recorded, err := r.store.Alerts(ctx, clinics)
	if err != nil {
		return err
	}
	current := make(map[string]bool, len(ts))
	var fresh, retracted []trends.Transition
	for _, t := range ts {
		current[t.ID] = true
		if _, ok := recorded[t.ID]; !ok {
			fresh = append(fresh, t)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(recorded)) {
		if !current[id] {
			retracted = append(retracted, recorded[id])
		}
	}
	for _, t := range fresh {
		if err := r.publishAlert(ctx, t, false); err != nil {
			return err
		}
	}
	for _, t := range retracted {
		if err := r.publishAlert(ctx, t, true); err != nil {
			return err
		}
	}
	return r.store.RecordAlerts(ctx, fresh, retracted, version)
}

func (r *Reporter) publishAlert(ctx context.Context, t trends.Transition, retracted bool) error {
	data, err := json.Marshal(alertEvent{ID: t.ID, Clinic: t.Clinic, Team: t.Team, Rule: t.Rule,
		Week: t.Week.Format(time.DateOnly), State: t.State, Values: t.Values, Retracted: retracted})
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	msgID := t.ID
	if retracted {
		msgID += "-retracted"
	}
	msg := nats.NewMsg(stream.AlertSubject(t.Clinic, t.Team))
	msg.Data = data
	if _, err := r.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(stream.Alerts)); err != nil {
		return fmt.Errorf("publish alert %s: %w", msgID, err)
	}
	state := t.State
	if retracted {
		state = "retracted"
	}
	r.metrics.transitions.WithLabelValues(t.Rule, state).Inc()
	r.log.Info("team alert", "clinic", t.Clinic, "team", t.Team, "rule", t.Rule, "week", t.Week.Format(time.DateOnly), "state", state)
	return nil
}

type metrics struct {
	recomputed  prometheus.Counter
	seconds     prometheus.Histogram
	dirty       prometheus.Gauge
	transitions *prometheus.CounterVec
	alertActive *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		recomputed: f.NewCounter(prometheus.CounterOpts{
			Name: "tend_reporting_clinics_recomputed_total",
			Help: "Clinic recomputations of team metrics (coalesced: many check-ins, one recomputation).",
		}),
		seconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "tend_reporting_recompute_duration_seconds",
			Help:    "Time to recompute one chunk of clinics: read, compute, write, alerts.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		dirty: f.NewGauge(prometheus.GaugeOpts{
			Name: "tend_reporting_dirty_clinics",
			Help: "Clinics with check-ins waiting to be reflected in the reporting tables.",
		}),
		transitions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "tend_team_alert_transitions_total",
			Help: "Team alert transitions published, by rule and state.",
		}, []string{"rule", "state"}),
		alertActive: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tend_team_alert_active",
			Help: "1 while a team alert fires, 0 once resolved. Teams only, never individuals.",
		}, []string{"clinic", "team", "rule"}),
	}
}

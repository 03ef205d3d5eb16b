// Package reporting is the pipeline stage after the processor: it publishes
// the team figures of each closed period to the reporting database that
// clinic leadership reads, decides the team alerts of that period and
// publishes their transitions (JetStream, ClickHouse, Prometheus gauges).
//
// A period is published once, after it has closed and a grace window has
// passed (Config.PublishAfter), and once no check-in of it has been stored
// for Config.Settle; it never changes afterwards. Late check-ins, resubmissions
// and erasures are stored and counted (tend_reporting.late_checkins), never
// folded into a published figure: two versions of one figure would tell
// whoever holds both the difference — one clinician's answer. While a period
// is open, only how many have answered so far is shown.
//
// Which version of a period wins is decided by JetStream, not by clocks: the
// reporter that first creates the period's key in the claims bucket
// (stream.Claims) publishes it, with the figures and alert decisions stored
// in the claim; every other replica defers to it. Work follows what was
// stored since the last pass (the arrivals table), and each period is
// computed from its own check-ins and the alert charts' state after the
// previous period — never from all history.
package reporting

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendhq/tend/internal/alarm"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/stream"
)

// Store is what the reporter reads and writes; *clickhouse.Store implements
// it.
type Store interface {
	Arrivals(ctx context.Context, since time.Time) ([]clickhouse.Arrival, error)
	PeriodResponses(ctx context.Context, clinic, instr string, start, end time.Time) ([]figures.Response, error)
	OpenCounts(ctx context.Context, clinic, instr string, start, end time.Time) ([]clickhouse.TeamCount, error)
	LateCounts(ctx context.Context, clinic, instr string, start, end, published time.Time) ([]clickhouse.TeamCount, error)
	WriteOpenCounts(ctx context.Context, p clickhouse.PeriodCounts) error
	WriteLateCounts(ctx context.Context, p clickhouse.PeriodCounts) error
	Published(ctx context.Context, clinic, instr string, start time.Time) (bool, error)
	WritePublication(ctx context.Context, figs []figures.Figure, alerts []clickhouse.AlertRow, published time.Time) error
	ActiveAlerts(ctx context.Context) ([]clickhouse.AlertRow, error)
	Roster(ctx context.Context, clinic string) ([]clickhouse.Member, error)
}

// Publisher publishes alert events; jetstream.JetStream implements it.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Config sets when periods are published.
type Config struct {
	// MinGroupSize is k: the fewest respondents a published figure describes
	// (figures.ValidateK: at least 5).
	MinGroupSize int
	// PublishAfter is the grace window after a period ends before it is
	// published, for check-ins still on their way (default 48 h).
	PublishAfter time.Duration
	// Settle is how long a closed period must go without a newly stored
	// check-in before it is published (default 10 min): history that arrives
	// after its period closed (an import, a backfill) is published once, when
	// it is all in, not on its first check-in.
	Settle time.Duration
	// Every is how often the reporter looks for work (default 30 s).
	Every time.Duration
	// Lengths overrides the period length of instruments.
	Lengths figures.Lengths
}

// Defaults.
const (
	DefaultPublishAfter = 48 * time.Hour
	DefaultSettle       = 10 * time.Minute
	DefaultEvery        = 30 * time.Second
)

// DefaultConfig returns the defaults with k = 5.
func DefaultConfig() Config {
	return Config{MinGroupSize: figures.MinK, PublishAfter: DefaultPublishAfter, Settle: DefaultSettle, Every: DefaultEvery}
}

// Validate names every setting out of range.
func (c Config) Validate() error {
	var errs []error
	if err := figures.ValidateK(c.MinGroupSize); err != nil {
		errs = append(errs, err)
	}
	if c.PublishAfter < 0 || c.Settle < 0 {
		errs = append(errs, errors.New("publish-after and settle must not be negative"))
	}
	if c.Every <= 0 {
		errs = append(errs, errors.New("the reporter's pass interval must be positive"))
	}
	return errors.Join(errs...)
}

// Reporter publishes closed periods. Create it with New; run it with Run,
// or drive it pass by pass with Pass.
type Reporter struct {
	store   Store
	claims  jetstream.KeyValue
	js      Publisher
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics

	watermark time.Time // arrivals stored before it are handled
	late      map[string]uint32
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(r *Reporter) { r.log = l } }

// WithRegisterer registers the reporter metrics (default: not registered).
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(r *Reporter) { r.metrics = newMetrics(reg) }
}

// WithClock replaces time.Now, for tests that close periods.
func WithClock(now func() time.Time) Option { return func(r *Reporter) { r.now = now } }

// New returns a Reporter; cfg must be valid.
func New(store Store, claims jetstream.KeyValue, js Publisher, cfg Config, opts ...Option) *Reporter {
	r := &Reporter{store: store, claims: claims, js: js, cfg: cfg, log: slog.Default(), now: time.Now, late: map[string]uint32{}}
	for _, o := range opts {
		o(r)
	}
	if r.metrics == nil {
		r.metrics = newMetrics(nil)
	}
	return r
}

// Run publishes periods as they become ready, every Config.Every, until ctx
// ends. A failed pass is logged and retried at the next one.
func (r *Reporter) Run(ctx context.Context) error {
	if err := r.restoreGauges(ctx); err != nil {
		r.log.Warn("restore alert gauges", "err", err)
	}
	tick := time.NewTicker(r.cfg.Every)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, passTimeout)
		_, err := r.Pass(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			r.metrics.failures.Inc()
			r.log.Warn("reporting pass failed; retrying at the next", "err", err, "every", r.cfg.Every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// candidate is one clinic's period of one instrument with check-ins stored
// since the watermark.
type candidate struct {
	clinic, instrument string
	length             figures.Length
	start              time.Time
	first, last        time.Time // stored_at range seen
}

func (c candidate) end() time.Time { return c.length.Next(c.start) }

// key names the period in the claims bucket.
func (c candidate) key() string {
	return "p." + c.clinic + "." + c.instrument + "." + c.start.Format("20060102")
}

func headKey(clinic, instr string) string { return "head." + clinic + "." + instr }

const (
	pendingPrefix = "pending."
	watermarkKey  = "watermark"
	// passTimeout bounds one pass: a store or broker that stops answering
	// fails the pass, which the next one retries (claims make that safe).
	passTimeout = 10 * time.Minute
	// storeMargin is how far behind the newest arrival the watermark stays:
	// a batch stamped before another may commit after it.
	storeMargin = 2 * time.Minute
)

// Summary says what a pass did.
type Summary struct {
	Published, Pending, Late int
}

// Pass does one round of work: finishes publications a crash interrupted,
// publishes every period that is ready, counts late check-ins of published
// ones and the respondents so far of open ones.
func (r *Reporter) Pass(ctx context.Context) (Summary, error) {
	var sum Summary
	if err := r.finishPending(ctx); err != nil {
		return sum, err
	}
	if r.watermark.IsZero() {
		e, err := r.claims.Get(ctx, watermarkKey)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound): // a new deployment: every arrival is work
		case err != nil:
			return sum, fmt.Errorf("read the reporting watermark: %w", err)
		default:
			if err := r.watermark.UnmarshalText(e.Value()); err != nil {
				r.log.Warn("unreadable reporting watermark; reading every arrival once", "err", err)
			}
		}
	}
	now := r.now().UTC()
	arrivals, err := r.store.Arrivals(ctx, r.watermark)
	if err != nil {
		return sum, err
	}
	// The watermark follows the store's own clock (stored_at), never the
	// reporter's: it moves up to the newest arrival seen, less a margin,
	// and no further than the first arrival of a period still pending.
	next := r.watermark
	for _, a := range arrivals {
		next = maxTime(next, a.Last.Add(-storeMargin))
	}
	var errs []error
	// held are the clinics' instruments with an older period not published
	// in this pass: their later periods wait for it.
	held := map[string]bool{}
	for _, c := range r.candidates(arrivals) {
		series := c.clinic + "\x00" + c.instrument
		out, err := r.handle(ctx, c, now, held[series])
		if err != nil || out == pending {
			held[series] = true
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %s %s: %w", c.clinic, c.instrument, c.start.Format(time.DateOnly), err))
			next = minTime(next, c.first)
		case out == pending:
			sum.Pending++
			next = minTime(next, c.first)
		case out == published:
			sum.Published++
		default:
			sum.Late++
		}
	}
	if len(errs) == 0 && next.After(r.watermark) {
		r.watermark = next
		if b, err := next.MarshalText(); err == nil {
			if _, err := r.claims.Put(ctx, watermarkKey, b); err != nil {
				r.log.Warn("save the reporting watermark", "err", err)
			}
		}
	}
	return sum, errors.Join(errs...)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// candidates groups arrivals into periods, oldest first: a clinic's periods
// are published in order, so each starts from the alert state of the last.
func (r *Reporter) candidates(arrivals []clickhouse.Arrival) []candidate {
	byKey := map[string]*candidate{}
	for _, a := range arrivals {
		l, err := r.cfg.Lengths.Of(a.Instrument)
		if err != nil {
			continue // an instrument this version does not know: nothing to publish
		}
		c := candidate{clinic: a.Clinic, instrument: a.Instrument, length: l, start: l.Start(a.Day), first: a.First, last: a.Last}
		if have, ok := byKey[c.key()]; ok {
			have.first, have.last = minTime(have.first, c.first), maxTime(have.last, c.last)
			continue
		}
		byKey[c.key()] = &c
	}
	out := make([]candidate, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b candidate) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.clinic, b.clinic), cmp.Compare(a.instrument, b.instrument))
	})
	return out
}

// outcome is what a pass did with a candidate period.
type outcome int

const (
	pending   outcome = iota // not ready: its respondents so far were counted
	published                // published now
	late                     // published before: its late check-ins were counted
)

// handle publishes c if it is ready, counts its late check-ins if it was
// published before, or else counts its respondents so far. A held period
// (an older one of its clinic and instrument is still pending) is not
// ready: periods are published in order, each from the alert state the one
// before left, so that what is published is what a recomputation from
// scratch gives, whatever order the periods settled in.
func (r *Reporter) handle(ctx context.Context, c candidate, now time.Time, held bool) (outcome, error) {
	entry, err := r.claims.Get(ctx, c.key())
	if err == nil {
		var pub publication
		if err := json.Unmarshal(entry.Value(), &pub); err != nil {
			return late, fmt.Errorf("read claim: %w", err)
		}
		return late, r.countLate(ctx, c, pub.Cutoff)
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return pending, fmt.Errorf("read claim: %w", err)
	}
	if held || now.Before(c.end().Add(r.cfg.PublishAfter)) || now.Before(c.last.Add(r.cfg.Settle)) {
		counts, err := r.store.OpenCounts(ctx, c.clinic, c.instrument, c.start, c.end())
		if err != nil {
			return pending, err
		}
		return pending, r.store.WriteOpenCounts(ctx, clickhouse.PeriodCounts{Clinic: c.clinic, Instrument: c.instrument, Length: c.length, Start: c.start, Counts: counts})
	}
	return published, r.publish(ctx, c, now)
}

func (r *Reporter) countLate(ctx context.Context, c candidate, cutoff time.Time) error {
	counts, err := r.store.LateCounts(ctx, c.clinic, c.instrument, c.start, c.end(), cutoff)
	if err != nil || len(counts) == 0 {
		return err
	}
	for _, tc := range counts {
		k := c.key() + "/" + tc.Team
		if tc.Count > r.late[k] {
			r.metrics.late.Add(float64(tc.Count - r.late[k]))
			r.late[k] = tc.Count
		}
	}
	return r.store.WriteLateCounts(ctx, clickhouse.PeriodCounts{Clinic: c.clinic, Instrument: c.instrument, Length: c.length, Start: c.start, Counts: counts})
}

// publication is a period's claim: everything decided when it was
// published, so that whoever finishes writing it writes the same.
type publication struct {
	Clinic     string         `json:"clinic"`
	Instrument string         `json:"instrument"`
	Length     figures.Length `json:"length"`
	Start      time.Time      `json:"start"`
	Published  time.Time      `json:"published"`
	// Cutoff is the newest stored_at among the check-ins the figures count
	// (the store's clock): anything stored after it is late.
	Cutoff  time.Time             `json:"cutoff"`
	Figures []figures.Figure      `json:"figures"`
	Alerts  []clickhouse.AlertRow `json:"alerts,omitempty"`
	// States are the teams' alert memories after this period: what the
	// clinic's next period starts from. A period published after a later one
	// (history imported late) decides no alerts and carries none.
	States map[string]*teamState `json:"states,omitempty"`
}

func (p publication) key() string {
	return candidate{clinic: p.Clinic, instrument: p.Instrument, start: p.Start}.key()
}

// publish computes c and claims it; the winner of the claim writes it.
func (r *Reporter) publish(ctx context.Context, c candidate, now time.Time) error {
	start := time.Now()
	responses, err := r.store.PeriodResponses(ctx, c.clinic, c.instrument, c.start, c.end())
	if err != nil {
		return err
	}
	prior, charted, err := r.priorStates(ctx, c)
	if err != nil {
		return err
	}
	pub := publication{Clinic: c.clinic, Instrument: c.instrument, Length: c.length, Start: c.start, Published: now.Truncate(time.Second), Cutoff: c.last}
	roster, err := r.rosterSizes(ctx, c)
	if err != nil {
		return err
	}
	if charted {
		pub.States, pub.Alerts, roster = decide(c, r.cfg.MinGroupSize, prior, responses, roster)
	}
	pub.Figures, err = figures.Compute(r.cfg.MinGroupSize, figures.Period{
		Clinic: c.clinic, Instrument: c.instrument, Start: c.start, Length: c.length, Responses: responses, Roster: roster,
	})
	if err != nil {
		return err
	}
	data, err := json.Marshal(pub)
	if err != nil {
		return err
	}
	pending := pendingPrefix + c.key()
	if _, err := r.claims.Put(ctx, pending, nil); err != nil {
		return fmt.Errorf("mark pending: %w", err)
	}
	if _, err := r.claims.Create(ctx, c.key(), data); errors.Is(err, jetstream.ErrKeyExists) {
		// Another replica published this period first: its version stands.
		return r.claims.Delete(ctx, pending)
	} else if err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if err := r.finish(ctx, pub); err != nil {
		return err
	}
	r.metrics.published.Inc()
	r.metrics.seconds.Observe(time.Since(start).Seconds())
	r.log.Info("period published", "clinic", c.clinic, "instrument", c.instrument, "period", c.length.String(),
		"start", c.start.Format(time.DateOnly), "respondents", len(responses), "alerts", len(pub.Alerts))
	return nil
}

// rosterSizes counts, per team, the clinicians on the clinic's roster
// during period c — the denominator of participation. It is nil for a
// clinic that enrolled nobody: participation then divides by the
// clinicians the alert charts know.
func (r *Reporter) rosterSizes(ctx context.Context, c candidate) (map[string]int, error) {
	members, err := r.store.Roster(ctx, c.clinic)
	if err != nil || len(members) == 0 {
		return nil, err
	}
	sizes := map[string]int{}
	for _, m := range members {
		if m.Enrolled.Before(c.end()) && (m.Active() || !m.Left.Before(c.start)) {
			sizes[m.Team]++
		}
	}
	return sizes, nil
}

// priorStates returns the alert charts the period starts from: those stored
// with the clinic's latest published period, when that is earlier. charted
// is false for a period older than one already published.
func (r *Reporter) priorStates(ctx context.Context, c candidate) (map[string]*teamState, bool, error) {
	head, err := r.claims.Get(ctx, headKey(c.clinic, c.instrument))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return map[string]*teamState{}, true, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("read head: %w", err)
	}
	var last time.Time
	if err := last.UnmarshalText(head.Value()); err != nil {
		return nil, false, fmt.Errorf("read head: %w", err)
	}
	if !last.Before(c.start) {
		return nil, false, nil
	}
	prev := candidate{clinic: c.clinic, instrument: c.instrument, start: last}
	entry, err := r.claims.Get(ctx, prev.key())
	if err != nil {
		return nil, false, fmt.Errorf("read the previous period: %w", err)
	}
	var pub publication
	if err := json.Unmarshal(entry.Value(), &pub); err != nil {
		return nil, false, fmt.Errorf("read the previous period: %w", err)
	}
	if pub.States == nil {
		pub.States = map[string]*teamState{}
	}
	return pub.States, true, nil
}

// finish writes a claimed publication — figures and alerts to ClickHouse,
// alert events to JetStream, gauges — moves the clinic's head to it and
// clears its pending mark. It is safe to repeat.
func (r *Reporter) finish(ctx context.Context, pub publication) error {
	done, err := r.store.Published(ctx, pub.Clinic, pub.Instrument, pub.Start)
	if err != nil {
		return err
	}
	if !done {
		if err := r.store.WritePublication(ctx, pub.Figures, pub.Alerts, pub.Published); err != nil {
			return err
		}
	}
	for _, a := range pub.Alerts {
		if err := r.publishAlert(ctx, a); err != nil {
			return err
		}
	}
	if pub.States != nil {
		if err := r.advanceHead(ctx, pub); err != nil {
			return err
		}
	}
	return r.claims.Delete(ctx, pendingPrefix+pub.key())
}

// advanceHead records pub as the clinic's latest published period, unless a
// later one is recorded already.
func (r *Reporter) advanceHead(ctx context.Context, pub publication) error {
	key := headKey(pub.Clinic, pub.Instrument)
	value, _ := pub.Start.MarshalText()
	for {
		e, err := r.claims.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := r.claims.Create(ctx, key, value); !errors.Is(err, jetstream.ErrKeyExists) {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		var last time.Time
		if err := last.UnmarshalText(e.Value()); err == nil && !last.Before(pub.Start) {
			return nil
		}
		if _, err := r.claims.Update(ctx, key, value, e.Revision()); err == nil || !isWrongRevision(err) {
			return err
		}
	}
}

func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// finishPending completes publications whose claim was won but whose
// writing a crash or an outage interrupted.
func (r *Reporter) finishPending(ctx context.Context) error {
	lister, err := r.claims.ListKeysFiltered(ctx, pendingPrefix+">")
	if err != nil {
		return fmt.Errorf("list pending publications: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		entry, err := r.claims.Get(ctx, strings.TrimPrefix(k, pendingPrefix))
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // not claimed (yet): the claimant clears its own mark
		} else if err != nil {
			return err
		}
		var pub publication
		if err := json.Unmarshal(entry.Value(), &pub); err != nil {
			return fmt.Errorf("read claim %s: %w", entry.Key(), err)
		}
		if err := r.finish(ctx, pub); err != nil {
			return fmt.Errorf("finish %s: %w", entry.Key(), err)
		}
	}
	return nil
}

// alertEvent is what subscribers of tend.alerts.<clinic>.<team> receive.
type alertEvent struct {
	ID         string `json:"id"`
	Clinic     string `json:"clinic"`
	Team       string `json:"team"`
	Instrument string `json:"instrument"`
	Rule       string `json:"rule"`
	Period     string `json:"period"`
	Start      string `json:"period_start"`
	State      string `json:"state"`
}

func (r *Reporter) publishAlert(ctx context.Context, a clickhouse.AlertRow) error {
	data, err := json.Marshal(alertEvent{ID: a.ID, Clinic: a.Clinic, Team: a.Team, Instrument: a.Instrument, Rule: a.Rule,
		Period: a.Length.String(), Start: a.Start.Format(time.DateOnly), State: a.State})
	if err != nil {
		return err
	}
	msg := nats.NewMsg(stream.AlertSubject(a.Clinic, a.Team))
	msg.Data = data
	if _, err := r.js.PublishMsg(ctx, msg, jetstream.WithMsgID(a.ID), jetstream.WithExpectStream(stream.Alerts)); err != nil {
		return fmt.Errorf("publish alert: %w", err)
	}
	r.metrics.setAlert(a, a.State == alarm.Firing)
	r.metrics.transitions.WithLabelValues(a.Rule, a.State).Inc()
	return nil
}

func (r *Reporter) restoreGauges(ctx context.Context) error {
	active, err := r.store.ActiveAlerts(ctx)
	for _, a := range active {
		r.metrics.setAlert(a, true)
	}
	return err
}

// alertID is deterministic: the same decision always has the same id, so a
// repeated publication is dropped by JetStream's duplicate window.
func alertID(a clickhouse.AlertRow) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{a.Clinic, a.Team, a.Instrument, a.Rule, a.Start.Format(time.DateOnly), a.State}, "\x1f")))
	return hex.EncodeToString(sum[:16])
}

// EraseClinician removes a clinician's references from the alert memory
// kept with every claim of their clinic (the right to erasure) and returns
// how many claims held one. Published figures do not change: they are
// aggregates of at least k people, and a before-and-after pair would tell
// the erased answers.
func EraseClinician(ctx context.Context, claims jetstream.KeyValue, clinic, pseudonym string) (int, error) {
	lister, err := claims.ListKeysFiltered(ctx, "p."+clinic+".>")
	if err != nil {
		return 0, fmt.Errorf("erase from claims: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	erased := 0
	for _, k := range keys {
		for {
			entry, err := claims.Get(ctx, k)
			if err != nil {
				return erased, fmt.Errorf("erase from claim %s: %w", k, err)
			}
			var pub publication
			if err := json.Unmarshal(entry.Value(), &pub); err != nil {
				return erased, fmt.Errorf("erase from claim %s: %w", k, err)
			}
			found := false
			for _, st := range pub.States {
				for _, cs := range st.Charts {
					found = cs.Erase(pseudonym) || found
				}
			}
			if !found {
				break
			}
			data, err := json.Marshal(pub)
			if err != nil {
				return erased, err
			}
			if _, err := claims.Update(ctx, k, data, entry.Revision()); err == nil {
				erased++
				break
			} else if !isWrongRevision(err) {
				return erased, fmt.Errorf("erase from claim %s: %w", k, err)
			}
		}
	}
	return erased, nil
}

// ExpireClaims deletes the claims of periods that started before before —
// with the alert memory they carry — once their published figures are past
// the reporting retention window. It keeps every clinic's latest claim,
// which the next period starts from, and returns how many it deleted.
func ExpireClaims(ctx context.Context, claims jetstream.KeyValue, before time.Time) (int, error) {
	lister, err := claims.ListKeysFiltered(ctx, "p.>")
	if err != nil {
		return 0, fmt.Errorf("expire claims: %w", err)
	}
	latest := map[string]string{} // clinic.instrument → its newest period key
	var old []string
	for k := range lister.Keys() {
		i := strings.LastIndexByte(k, '.')
		start, err := time.Parse("20060102", k[i+1:])
		if err != nil {
			continue
		}
		if prefix := k[:i]; k > latest[prefix] {
			latest[prefix] = k
		}
		if start.Before(before) {
			old = append(old, k)
		}
	}
	deleted := 0
	for _, k := range old {
		if latest[k[:strings.LastIndexByte(k, '.')]] == k {
			continue
		}
		if err := claims.Purge(ctx, k); err != nil {
			return deleted, fmt.Errorf("expire claim %s: %w", k, err)
		}
		deleted++
	}
	return deleted, nil
}

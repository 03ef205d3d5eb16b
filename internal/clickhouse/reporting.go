package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/instrument"
)

// set binds values as a parenthesised list for IN: a plain slice binds as
// an array literal, which ClickHouse 18.16 refuses after IN.
func set(values []string) ch.GroupSet {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return ch.GroupSet{Value: vs}
}

// Arrival says that check-ins of a clinic, instrument and day were stored,
// between First and Last.
type Arrival struct {
	Clinic, Instrument string
	Day                time.Time
	First, Last        time.Time
}

func arrivalsSQL(cfg Config) string {
	return "SELECT clinic, instrument, day, min(stored_at), max(stored_at) FROM " + cfg.Database +
		".arrivals WHERE stored_at >= ? GROUP BY clinic, instrument, day ORDER BY day, clinic, instrument"
}

// Arrivals returns what was stored at or after since, by clinic, instrument
// and day of submission: the reporter's work list, as long as what changed
// and no longer.
func (s *Store) Arrivals(ctx context.Context, since time.Time) ([]Arrival, error) {
	rows, err := s.conn.Query(ctx, arrivalsSQL(s.cfg), since.UTC())
	if err != nil {
		return nil, fmt.Errorf("read arrivals: %w", err)
	}
	defer rows.Close()
	var out []Arrival
	for rows.Next() {
		var a Arrival
		if err := rows.Scan(&a.Clinic, &a.Instrument, &a.Day, &a.First, &a.Last); err != nil {
			return nil, fmt.Errorf("read arrivals: %w", err)
		}
		a.Day, a.First, a.Last = a.Day.UTC(), a.First.UTC(), a.Last.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// periodFilter selects the check-ins of one clinic, instrument and period.
const periodFilter = " FINAL WHERE clinic = ? AND instrument = ? AND submitted_at >= ? AND submitted_at < ?"

func periodResponsesSQL(cfg Config) string {
	return "SELECT clinician, argMax(team, (submitted_at, id)), argMax(score_names, (submitted_at, id)), argMax(score_values, (submitted_at, id)) FROM " +
		cfg.Database + ".checkins" + periodFilter + " GROUP BY clinician ORDER BY clinician"
}

// PeriodResponses reads one vote per clinician of a clinic's period for one
// instrument: their latest check-in of it (ties broken by id, so the result
// does not depend on arrival order), with the team they checked in from.
func (s *Store) PeriodResponses(ctx context.Context, clinic, instr string, start, end time.Time) ([]figures.Response, error) {
	if _, ok := instrument.Lookup(instr); !ok {
		return nil, fmt.Errorf("read period: unknown instrument %q", instr)
	}
	rows, err := s.conn.Query(ctx, periodResponsesSQL(s.cfg), clinic, instr, start.UTC(), end.UTC())
	if err != nil {
		return nil, fmt.Errorf("read period %s %s %s: %w", clinic, instr, start.Format(time.DateOnly), err)
	}
	defer rows.Close()
	var out []figures.Response
	for rows.Next() {
		var (
			r      figures.Response
			names  []string
			values []float64
		)
		if err := rows.Scan(&r.Clinician, &r.Team, &names, &values); err != nil {
			return nil, fmt.Errorf("read period: %w", err)
		}
		if len(names) != len(values) {
			return nil, fmt.Errorf("read period: clinician %s: %d score names, %d values", r.Clinician, len(names), len(values))
		}
		r.Scores = make(map[string]float64, len(names))
		for i, name := range names {
			r.Scores[name] = values[i]
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TeamCount is a number per team of one clinic, instrument and period.
type TeamCount struct {
	Team  string
	Count uint32
}

func openCountsSQL(cfg Config) string {
	return "SELECT team, toUInt32(uniqExact(clinician)) FROM " + cfg.Database + ".checkins" + periodFilter + " GROUP BY team ORDER BY team"
}

func lateCountsSQL(cfg Config) string {
	return "SELECT team, toUInt32(count()) FROM " + cfg.Database + ".checkins" + periodFilter + " AND stored_at > ? GROUP BY team ORDER BY team"
}

// OpenCounts counts the respondents so far of an open period, per team.
func (s *Store) OpenCounts(ctx context.Context, clinic, instr string, start, end time.Time) ([]TeamCount, error) {
	return s.teamCounts(ctx, openCountsSQL(s.cfg), clinic, instr, start.UTC(), end.UTC())
}

// LateCounts counts, per team, the check-ins of a published period that
// were stored after it was published.
func (s *Store) LateCounts(ctx context.Context, clinic, instr string, start, end, published time.Time) ([]TeamCount, error) {
	return s.teamCounts(ctx, lateCountsSQL(s.cfg), clinic, instr, start.UTC(), end.UTC(), published.UTC())
}

func (s *Store) teamCounts(ctx context.Context, q string, args ...any) ([]TeamCount, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("count per team: %w", err)
	}
	defer rows.Close()
	var out []TeamCount
	for rows.Next() {
		var c TeamCount
		if err := rows.Scan(&c.Team, &c.Count); err != nil {
			return nil, fmt.Errorf("count per team: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PeriodCounts is what WriteOpenCounts and WriteLateCounts write: counts per
// team of one clinic, instrument and period.
type PeriodCounts struct {
	Clinic, Instrument string
	Length             figures.Length
	Start              time.Time
	Counts             []TeamCount
}

// WriteOpenCounts records how many have answered so far in an open period.
func (s *Store) WriteOpenCounts(ctx context.Context, p PeriodCounts) error {
	return s.writeCounts(ctx, "open_periods", "respondents", p)
}

// WriteLateCounts records how many check-ins arrived after a period was
// published.
func (s *Store) WriteLateCounts(ctx context.Context, p PeriodCounts) error {
	return s.writeCounts(ctx, "late_checkins", "late", p)
}

func (s *Store) writeCounts(ctx context.Context, table, column string, p PeriodCounts) error {
	if len(p.Counts) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.ReportingDatabase+"."+table+
		" (clinic, team, instrument, period, period_start, "+column+", counted_at)")
	if err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	defer batch.Abort()
	now := time.Now().UTC()
	for _, c := range p.Counts {
		if err := batch.Append(p.Clinic, c.Team, p.Instrument, p.Length.String(), p.Start, c.Count, now); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	return nil
}

// Published reports whether the figures of a clinic's period for an
// instrument are in the reporting database.
func (s *Store) Published(ctx context.Context, clinic, instr string, start time.Time) (bool, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM "+s.cfg.ReportingDatabase+
		".team_periods WHERE clinic = ? AND instrument = ? AND period_start = ?", clinic, instr, start.UTC()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check publication: %w", err)
	}
	return n > 0, nil
}

// AlertRow is one alert transition as the reporting database holds it.
type AlertRow struct {
	ID, Clinic, Team, Instrument, Rule string
	Length                             figures.Length
	Start                              time.Time
	State                              string // firing or resolved
}

// The columns WritePublication writes.
const (
	alertColumns  = "id, clinic, team, instrument, rule, period, period_start, state, published_at"
	figureColumns = "clinic, team, instrument, score, period, period_start, suppressed, respondents, mean, stddev, share_high, participation, published_at"
)

// WritePublication writes a period's figures and alert transitions, once:
// the caller has won the period's claim, so no other version of them is
// ever written.
func (s *Store) WritePublication(ctx context.Context, figs []figures.Figure, alerts []AlertRow, published time.Time) error {
	published = published.UTC().Truncate(time.Second)
	if len(alerts) > 0 {
		batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.ReportingDatabase+
			".alerts ("+alertColumns+")")
		if err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
		defer batch.Abort()
		for _, a := range alerts {
			if err := batch.Append(a.ID, a.Clinic, a.Team, a.Instrument, a.Rule, a.Length.String(), a.Start, a.State, published); err != nil {
				return fmt.Errorf("write alerts: %w", err)
			}
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("write alerts: %w", err)
		}
	}
	// The figures last: their presence marks the publication complete.
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.ReportingDatabase+".team_periods ("+figureColumns+")")
	if err != nil {
		return fmt.Errorf("write figures: %w", err)
	}
	defer batch.Abort()
	for _, f := range figs {
		var suppressed uint8
		if f.Suppressed {
			suppressed = 1
		}
		if err := batch.Append(f.Clinic, f.Team, f.Instrument, f.Score, f.Length.String(), f.Start, suppressed,
			f.Respondents, f.Mean, f.Stddev, f.ShareHigh, f.Participation, published); err != nil {
			return fmt.Errorf("write figures: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write figures: %w", err)
	}
	return nil
}

func activeAlertsSQL(cfg Config) string {
	return "SELECT clinic, team, instrument, rule, argMax(toString(state), period_start) AS last FROM " +
		cfg.ReportingDatabase + ".alerts GROUP BY clinic, team, instrument, rule HAVING last = 'firing'"
}

// ActiveAlerts returns the (clinic, team, instrument, rule) alerts whose
// latest transition is firing, to restore the gauges at start.
func (s *Store) ActiveAlerts(ctx context.Context) ([]AlertRow, error) {
	rows, err := s.conn.Query(ctx, activeAlertsSQL(s.cfg))
	if err != nil {
		return nil, fmt.Errorf("read active alerts: %w", err)
	}
	defer rows.Close()
	var out []AlertRow
	for rows.Next() {
		var a AlertRow
		if err := rows.Scan(&a.Clinic, &a.Team, &a.Instrument, &a.Rule, &a.State); err != nil {
			return nil, fmt.Errorf("read active alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/trends"
)

// observationsSQL reads one vote per clinician, week and instrument of the
// clinics bound to its one parameter (a set).
func observationsSQL(cfg Config) string {
	names := instrument.ScoreNames()
	latest := make([]string, len(names))
	for i, n := range names {
		latest[i] = fmt.Sprintf("argMax(%s, (submitted_at, id))", n)
	}
	return "SELECT clinic, team, clinician, toMonday(submitted_at) AS week, instrument, " + strings.Join(latest, ", ") +
		" FROM " + cfg.Database + ".checkins FINAL WHERE clinic IN ? GROUP BY clinic, team, clinician, week, instrument"
}

// Observations reads the complete history of clinics as team metrics count
// it: one vote per clinician, week (Monday, UTC) and instrument — the
// clinician's latest check-in of that instrument that week, ties broken by id
// so that the result does not depend on arrival order.
func (s *Store) Observations(ctx context.Context, clinics []string) ([]trends.Observation, error) {
	if len(clinics) == 0 {
		return nil, nil
	}
	names := instrument.ScoreNames()
	q := observationsSQL(s.cfg)
	rows, err := s.conn.Query(ctx, q, set(clinics))
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	defer rows.Close()
	var out []trends.Observation
	values := make([]*float64, len(names))
	for rows.Next() {
		var o trends.Observation
		dest := []any{&o.Clinic, &o.Team, &o.Clinician, &o.Week, &o.Instrument}
		for i := range values {
			dest = append(dest, &values[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read observations: %w", err)
		}
		o.Week = o.Week.UTC()
		o.Scores = make(map[string]float64, 4)
		for i, v := range values {
			if v != nil {
				o.Scores[names[i]] = *v
			}
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	return out, nil
}

// set binds values as a parenthesised list for IN: a plain slice binds as
// an array literal, which ClickHouse 18.16 refuses after IN.
func set(values []string) ch.GroupSet {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return ch.GroupSet{Value: vs}
}

// teamWeeklyColumns are the columns WriteTeamWeekly writes.
const teamWeeklyColumns = "clinic, team, week, score, suppressed, respondents, mean, stddev, share_high, rolling_mean_4w, slope_8w, ewma, ewma_ucl, ewma_lcl, participation, version"

// WriteTeamWeekly writes reporting rows with version; readers use FINAL, so
// the highest version of each (clinic, team, score, week) is what counts.
// Callers pass the time their read of the check-ins began: of two
// recomputations racing, the one that saw more data wins.
func (s *Store) WriteTeamWeekly(ctx context.Context, rows []trends.Row, version uint64) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.ReportingDatabase+".team_weekly ("+teamWeeklyColumns+")")
	if err != nil {
		return fmt.Errorf("write team metrics: %w", err)
	}
	defer batch.Abort()
	for _, r := range rows {
		var suppressed uint8
		if r.Suppressed {
			suppressed = 1
		}
		if err := batch.Append(r.Clinic, r.Team, r.Week, r.Score, suppressed, r.Respondents,
			r.Mean, r.Stddev, r.ShareHigh, r.RollingMean4w, r.Slope8w, r.EWMA, r.UCL, r.LCL, r.Participation, version); err != nil {
			return fmt.Errorf("write team metrics: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write team metrics: %w", err)
	}
	return nil
}

// alertsSQL reads the recorded, unretracted transitions of a set of clinics.
func alertsSQL(cfg Config) string {
	return "SELECT id, clinic, team, rule, week, toString(state), value_names, value_values FROM " +
		cfg.ReportingDatabase + ".alerts FINAL WHERE clinic IN ? AND retracted = 0"
}

// Alerts returns the alert transitions recorded and not retracted for
// clinics, by id.
func (s *Store) Alerts(ctx context.Context, clinics []string) (map[string]trends.Transition, error) {
	out := map[string]trends.Transition{}
	if len(clinics) == 0 {
		return out, nil
	}
	rows, err := s.conn.Query(ctx, alertsSQL(s.cfg), set(clinics))
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t trends.Transition
		var names []string
		var values []float64
		if err := rows.Scan(&t.ID, &t.Clinic, &t.Team, &t.Rule, &t.Week, &t.State, &names, &values); err != nil {
			return nil, fmt.Errorf("read alerts: %w", err)
		}
		t.Week = t.Week.UTC()
		t.Values = make(map[string]float64, len(names))
		for i, n := range names {
			t.Values[n] = values[i]
		}
		out[t.ID] = t
	}
	return out, rows.Err()
}

// alertStatesSQL reads the latest recorded state of every alert.
func alertStatesSQL(cfg Config) string {
	return "SELECT clinic, team, rule, argMax(toString(state), week) FROM " +
		cfg.ReportingDatabase + ".alerts FINAL WHERE retracted = 0 GROUP BY clinic, team, rule"
}

// AlertStates returns, per (clinic, team, rule) that ever transitioned,
// whether its latest recorded transition is a firing one.
func (s *Store) AlertStates(ctx context.Context) (map[trends.AlertKey]bool, error) {
	rows, err := s.conn.Query(ctx, alertStatesSQL(s.cfg))
	if err != nil {
		return nil, fmt.Errorf("read alert states: %w", err)
	}
	defer rows.Close()
	out := map[trends.AlertKey]bool{}
	for rows.Next() {
		var k trends.AlertKey
		var state string
		if err := rows.Scan(&k.Clinic, &k.Team, &k.Rule, &state); err != nil {
			return nil, fmt.Errorf("read alert states: %w", err)
		}
		out[k] = state == trends.StateFiring
	}
	return out, rows.Err()
}

// alertColumns are the columns RecordAlerts writes.
const alertColumns = "id, clinic, team, rule, week, state, value_names, value_values, retracted, recorded_at, version"

// RecordAlerts records new alert transitions and marks retracted ones, all
// with version; readers use FINAL.
func (s *Store) RecordAlerts(ctx context.Context, fresh, retracted []trends.Transition, version uint64) error {
	if len(fresh)+len(retracted) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.ReportingDatabase+".alerts ("+alertColumns+")")
	if err != nil {
		return fmt.Errorf("record alerts: %w", err)
	}
	defer batch.Abort()
	now := time.Now().UTC()
	for flag, ts := range [][]trends.Transition{fresh, retracted} {
		for _, t := range ts {
			names := slices.Sorted(maps.Keys(t.Values))
			values := make([]float64, len(names))
			for i, n := range names {
				values[i] = t.Values[n]
			}
			if err := batch.Append(t.ID, t.Clinic, t.Team, t.Rule, t.Week, t.State, names, values, uint8(flag), now, version); err != nil {
				return fmt.Errorf("record alerts: %w", err)
			}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record alerts: %w", err)
	}
	return nil
}

// storedPerClinicSQL reads when each clinic last stored a check-in, in
// nanoseconds like team_weekly's version.
func storedPerClinicSQL(cfg Config) string {
	return "SELECT clinic, toUInt64(max(stored_at)) * 1000000000 FROM " + cfg.Database + ".checkins GROUP BY clinic"
}

// computedPerClinicSQL reads when each clinic's metrics were last computed.
func computedPerClinicSQL(cfg Config) string {
	return "SELECT clinic, max(version) FROM " + cfg.ReportingDatabase + ".team_weekly GROUP BY clinic"
}

// StaleClinics lists clinics with check-ins stored after their team metrics
// were last computed, or never computed: what a crash between ack and
// recomputation left behind. stored_at has whole seconds, versions
// nanoseconds: a clinic computed less than a second after its last store
// counts as stale, which costs at most one extra recomputation.
func (s *Store) StaleClinics(ctx context.Context) ([]string, error) {
	stored, err := s.maxPerClinic(ctx, storedPerClinicSQL(s.cfg))
	if err != nil {
		return nil, fmt.Errorf("find stale clinics: %w", err)
	}
	computed, err := s.maxPerClinic(ctx, computedPerClinicSQL(s.cfg))
	if err != nil {
		return nil, fmt.Errorf("find stale clinics: %w", err)
	}
	var out []string
	for clinic, at := range stored {
		if computed[clinic] < at+uint64(time.Second) {
			out = append(out, clinic)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (s *Store) maxPerClinic(ctx context.Context, q string) (map[string]uint64, error) {
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var c string
		var v uint64
		if err := rows.Scan(&c, &v); err != nil {
			return nil, err
		}
		out[c] = v
	}
	return out, rows.Err()
}

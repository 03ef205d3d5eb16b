package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
)

// checkinColumns are the columns InsertCheckins writes, in the order it
// fills them. Naming them is not optional: on 18.16 a batch without a
// column list inserts nothing and reports success.
var checkinColumns = []string{
	"id", "clinic", "team", "clinician", "instrument",
	"submitted_at", "received_at", "stored_at", "answers",
	"context_names", "context_values", "score_names", "score_values",
}

// Context names: the context_names a check-in's context fields are stored
// under (context_values holds their values, in the same order).
const (
	ContextSessions       = "sessions"
	ContextTraumaSessions = "trauma_sessions"
	ContextHoursWorked    = "hours_worked"
	ContextSleepHours     = "sleep_hours"
)

// InsertCheckins writes scored check-ins in one batch insert. It is safe to
// repeat: a check-in id already stored is replaced, never counted twice.
// Each row holds exactly the scores of its instrument (in the instrument's
// order) and the context fields its sender gave.
func (s *Store) InsertCheckins(ctx context.Context, rows []checkin.Scored) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".checkins ("+strings.Join(checkinColumns, ", ")+")")
	if err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	defer batch.Abort()
	// Whole columns at once: the batch does not reflect on every value.
	n := len(rows)
	var (
		ids, clinics, teams, clinicians, instruments = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		submitted, received, stored                  = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		answers                                      = make([][]uint8, n)
		ctxNames, scoreNames                         = make([][]string, n), make([][]string, n)
		ctxValues                                    = make([][]float32, n)
		scoreValues                                  = make([][]float64, n)
	)
	now := time.Now().UTC()
	for i, r := range rows {
		ids[i], clinics[i], teams[i], clinicians[i], instruments[i] = r.ID, r.Clinic, r.Team, r.Clinician, r.Instrument
		submitted[i], received[i], stored[i] = r.SubmittedAt.UTC(), r.ReceivedAt.UTC(), now
		answers[i] = make([]uint8, len(r.Answers))
		for j, a := range r.Answers {
			answers[i][j] = uint8(a)
		}
		ctxNames[i], ctxValues[i] = contextArrays(r.Context)
		scoreNames[i], scoreValues[i] = scoreArrays(r.Instrument, r.Scores)
	}
	columns := []any{ids, clinics, teams, clinicians, instruments, submitted, received, stored, answers, ctxNames, ctxValues, scoreNames, scoreValues}
	for i, col := range columns {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("insert check-ins: column %s: %w", checkinColumns[i], err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	return nil
}

// contextArrays are the context fields given, as (names, values).
func contextArrays(x *checkin.Context) ([]string, []float32) {
	if x == nil {
		return []string{}, []float32{}
	}
	names, values := make([]string, 0, 4), make([]float32, 0, 4)
	add := func(name string, v float32) {
		names, values = append(names, name), append(values, v)
	}
	if x.Sessions != nil {
		add(ContextSessions, float32(*x.Sessions))
	}
	if x.TraumaSessions != nil {
		add(ContextTraumaSessions, float32(*x.TraumaSessions))
	}
	if x.HoursWorked != nil {
		add(ContextHoursWorked, float32(*x.HoursWorked))
	}
	if x.SleepHours != nil {
		add(ContextSleepHours, float32(*x.SleepHours))
	}
	return names, values
}

// contextOf is the context stored as (names, values): nil when none was
// given, as it was submitted.
func contextOf(names []string, values []float32) *checkin.Context {
	if len(names) == 0 || len(names) != len(values) {
		return nil
	}
	var x checkin.Context
	for i, name := range names {
		whole, frac := int(values[i]), float64(values[i])
		switch name {
		case ContextSessions:
			x.Sessions = &whole
		case ContextTraumaSessions:
			x.TraumaSessions = &whole
		case ContextHoursWorked:
			x.HoursWorked = &frac
		case ContextSleepHours:
			x.SleepHours = &frac
		}
	}
	return &x
}

// scoreArrays are an instrument's scores as (names, values), in the
// instrument's order. The names are the instrument's own slice, shared by
// every row, unless a score is missing (never, for a scored check-in).
func scoreArrays(instr string, scores map[string]float64) ([]string, []float64) {
	order := instrument.ScoreOrder(instr)
	values := make([]float64, 0, len(order))
	for _, name := range order {
		if v, ok := scores[name]; ok {
			values = append(values, v)
		}
	}
	if len(values) == len(order) {
		return order, values
	}
	names := make([]string, 0, len(values))
	for _, name := range order {
		if _, ok := scores[name]; ok {
			names = append(names, name)
		}
	}
	return names, values
}

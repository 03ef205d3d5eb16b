package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

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

// firstArrayColumn is where checkinColumns' arrays begin (answers).
const firstArrayColumn = 8

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
	// Scalar columns whole, array columns row by row: the driver appends a
	// typed slice ([]string, []float64, …) without reflection, whereas a
	// whole [][]T column goes through reflection element by element. The
	// driver copies each row, so one buffer per array column serves them all.
	n := len(rows)
	var (
		ids, clinics, teams, clinicians, instruments = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		submitted, received, stored                  = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	)
	now := time.Now().UTC()
	for i, r := range rows {
		ids[i], clinics[i], teams[i], clinicians[i], instruments[i] = r.ID, r.Clinic, r.Team, r.Clinician, r.Instrument
		submitted[i], received[i], stored[i] = r.SubmittedAt.UTC(), r.ReceivedAt.UTC(), now
	}
	for i, col := range []any{ids, clinics, teams, clinicians, instruments, submitted, received, stored} {
		if err := batch.Column(i).Append(col); err != nil {
			return fmt.Errorf("insert check-ins: column %s: %w", checkinColumns[i], err)
		}
	}
	arrays := make([]driver.BatchColumn, len(checkinColumns)-firstArrayColumn)
	for i := range arrays {
		arrays[i] = batch.Column(firstArrayColumn + i)
	}
	var (
		answers   []uint8
		ctxNames  []string
		ctxValues []float32
	)
	for _, r := range rows {
		answers = answers[:0]
		for _, a := range r.Answers {
			answers = append(answers, uint8(a))
		}
		ctxNames, ctxValues = appendContext(ctxNames[:0], ctxValues[:0], r.Context)
		scoreNames := instrument.ScoreOrder(r.Instrument)
		if len(scoreNames) != len(r.Scores) {
			return fmt.Errorf("insert check-ins: check-in %s has %d scores, %s has %d", r.ID, len(r.Scores), r.Instrument, len(scoreNames))
		}
		for i, v := range []any{answers, ctxNames, ctxValues, scoreNames, r.Scores} {
			if err := arrays[i].AppendRow(v); err != nil {
				return fmt.Errorf("insert check-ins: column %s: %w", checkinColumns[firstArrayColumn+i], err)
			}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	return nil
}

// appendContext appends the context fields given to (names, values).
func appendContext(names []string, values []float32, x *checkin.Context) ([]string, []float32) {
	if x == nil {
		return names, values
	}
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

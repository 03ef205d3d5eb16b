package clickhouse

import (
	"context"
	"fmt"
	"slices"
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

// firstArrayColumn is where checkinColumns' arrays begin.
var firstArrayColumn = slices.Index(checkinColumns, "answers")

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
	cols := make([]driver.BatchColumn, len(checkinColumns))
	for i := range cols {
		cols[i] = batch.Column(i)
	}
	var b block
	now := time.Now().UTC()
	for start := 0; start < len(rows); start += insertBlockRows {
		if start > 0 { // the block before goes; its buffers are reused
			if err := batch.Flush(); err != nil {
				return fmt.Errorf("insert check-ins: %w", err)
			}
		}
		if err := b.append(cols, rows[start:min(start+insertBlockRows, len(rows))], now); err != nil {
			return fmt.Errorf("insert check-ins: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	return nil
}

// insertBlockRows is how many rows InsertCheckins sends per block of its
// one INSERT. The server squashes an insert's blocks into the parts it
// writes (min_insert_block_size_rows, 1,048,576), so this does not add
// parts: it bounds the driver's column buffers, which are reused from block
// to block. A whole 20,000-row batch in one block made them grow through
// megabytes, fresh memory for every batch: an eighth of the processor's
// CPU went to copying and faulting it in.
const insertBlockRows = 2048

// block holds the buffers InsertCheckins fills a block's columns from.
type block struct {
	ids, clinics, teams, clinicians, instruments []string
	submitted, received, stored                  []time.Time
	answers                                      []uint8
	ctxNames                                     []string
	ctxValues                                    []float32
}

// append adds rows to cols (in checkinColumns' order): scalar columns
// whole, array columns row by row. The driver appends a typed slice
// ([]string, []float64, …) without reflection, whereas a whole [][]T
// column goes through reflection element by element; it copies each row,
// so one buffer per array column serves them all.
func (b *block) append(cols []driver.BatchColumn, rows []checkin.Scored, now time.Time) error {
	b.ids, b.clinics, b.teams, b.clinicians, b.instruments = b.ids[:0], b.clinics[:0], b.teams[:0], b.clinicians[:0], b.instruments[:0]
	b.submitted, b.received, b.stored = b.submitted[:0], b.received[:0], b.stored[:0]
	for _, r := range rows {
		b.ids, b.clinics, b.teams = append(b.ids, r.ID), append(b.clinics, r.Clinic), append(b.teams, r.Team)
		b.clinicians, b.instruments = append(b.clinicians, r.Clinician), append(b.instruments, r.Instrument)
		b.submitted, b.received, b.stored = append(b.submitted, r.SubmittedAt.UTC()), append(b.received, r.ReceivedAt.UTC()), append(b.stored, now)
	}
	for i, col := range []any{b.ids, b.clinics, b.teams, b.clinicians, b.instruments, b.submitted, b.received, b.stored} {
		if err := cols[i].Append(col); err != nil {
			return fmt.Errorf("column %s: %w", checkinColumns[i], err)
		}
	}
	for _, r := range rows {
		b.answers = b.answers[:0]
		for _, a := range r.Answers {
			b.answers = append(b.answers, uint8(a))
		}
		b.ctxNames, b.ctxValues = appendContext(b.ctxNames[:0], b.ctxValues[:0], r.Context)
		scoreNames := instrument.ScoreOrder(r.Instrument)
		if len(scoreNames) != len(r.Scores) {
			return fmt.Errorf("check-in %s has %d scores, %s has %d", r.ID, len(r.Scores), r.Instrument, len(scoreNames))
		}
		for i, v := range []any{b.answers, b.ctxNames, b.ctxValues, scoreNames, r.Scores} {
			if err := cols[firstArrayColumn+i].AppendRow(v); err != nil {
				return fmt.Errorf("column %s: %w", checkinColumns[firstArrayColumn+i], err)
			}
		}
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

package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
)

// checkinColumns are the columns InsertCheckins writes, score columns last in
// instrument.ScoreNames order. Naming them is not optional: on 18.16 a batch
// without a column list inserts nothing and reports success.
var checkinColumns = append([]string{
	"id", "clinic", "team", "clinician", "instrument",
	"submitted_at", "received_at", "stored_at", "answers",
	"sessions", "trauma_sessions", "hours_worked", "sleep_hours",
}, instrument.ScoreNames()...)

// InsertCheckins writes scored check-ins in one batch insert. It is safe to
// repeat: a check-in id already stored is replaced, never counted twice.
func (s *Store) InsertCheckins(ctx context.Context, rows []checkin.Scored) error {
	if len(rows) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".checkins ("+strings.Join(checkinColumns, ", ")+")")
	if err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	defer batch.Abort()
	now := time.Now().UTC()
	vals := make([]any, 0, len(checkinColumns))
	for _, r := range rows {
		answers := make([]uint8, len(r.Answers))
		for i, a := range r.Answers {
			answers[i] = uint8(a)
		}
		var x checkin.Context
		if r.Context != nil {
			x = *r.Context
		}
		vals = append(vals[:0],
			r.ID, r.Clinic, r.Team, r.Clinician, r.Instrument,
			r.SubmittedAt.UTC(), r.ReceivedAt.UTC(), now, answers,
			narrow[uint16](x.Sessions), narrow[uint16](x.TraumaSessions),
			narrow[float32](x.HoursWorked), narrow[float32](x.SleepHours),
		)
		for _, name := range instrument.ScoreNames() {
			var v *float64
			if score, ok := r.Scores[name]; ok {
				v = &score
			}
			vals = append(vals, v)
		}
		if err := batch.Append(vals...); err != nil {
			return fmt.Errorf("insert check-ins: append %s: %w", r.ID, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert check-ins: %w", err)
	}
	return nil
}

// narrow converts an optional value to the column's type, keeping NULL.
func narrow[T uint16 | float32, S int | float64](v *S) *T {
	if v == nil {
		return nil
	}
	t := T(*v)
	return &t
}

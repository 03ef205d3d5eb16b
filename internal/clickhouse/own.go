package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/tendhq/tend/internal/checkin"
)

// ClinicianCheckIns returns every stored check-in of the clinician with
// pseudonym at clinic, oldest first: what they see of themselves through
// their personal link, and what they download. Nobody else reads it, and
// the query's text does not name them (clinicianMatch; the clinic, in
// clear too, lets ClickHouse read that clinic's rows only).
func (s *Store) ClinicianCheckIns(ctx context.Context, clinic, pseudonym string) ([]checkin.CheckIn, error) {
	match, err := clinicianMatch(clinic, pseudonym)
	if err != nil {
		return nil, fmt.Errorf("read a clinician's check-ins: %w", err)
	}
	rows, err := s.conn.Query(ctx, "SELECT id, team, instrument, submitted_at, answers, context_names, context_values FROM "+
		s.cfg.Database+".checkins FINAL WHERE clinic = ? AND "+match+" ORDER BY submitted_at, id", clinic)
	if err != nil {
		return nil, fmt.Errorf("read a clinician's check-ins: %w", err)
	}
	defer rows.Close()
	var out []checkin.CheckIn
	for rows.Next() {
		c := checkin.CheckIn{Clinic: clinic, Clinician: pseudonym}
		var answers []uint8
		var ctxNames []string
		var ctxValues []float32
		if err := rows.Scan(&c.ID, &c.Team, &c.Instrument, &c.SubmittedAt, &answers, &ctxNames, &ctxValues); err != nil {
			return nil, fmt.Errorf("read a clinician's check-ins: %w", err)
		}
		c.SubmittedAt = c.SubmittedAt.In(time.UTC)
		for _, a := range answers {
			c.Answers = append(c.Answers, int(a))
		}
		c.Context = contextOf(ctxNames, ctxValues)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read a clinician's check-ins: %w", err)
	}
	return out, nil
}

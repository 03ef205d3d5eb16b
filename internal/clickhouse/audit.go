package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one administrative action: who did what to what, when, and
// how it ended. Actor names an operator or a token by its id, never by a
// secret.
type AuditEntry struct {
	At      time.Time
	Actor   string
	Action  string // erase, retention, provision, import, …
	Target  string // what it acted on: a clinic, a table, a Grafana URL
	Outcome string // ok, or the error
	Detail  string
}

// Outcome is how an action that returned err ended, for AuditEntry.Outcome.
func Outcome(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// Audit appends e to the audit trail.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".audit (at, actor, action, target, outcome, detail)")
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer batch.Abort()
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if err := batch.Append(e.At.UTC(), e.Actor, e.Action, e.Target, e.Outcome, e.Detail); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Action string
	Since  time.Time
	Limit  int
}

func auditSQL(cfg Config) string {
	return "SELECT at, actor, action, target, outcome, detail FROM " + cfg.Database +
		".audit WHERE (? = '' OR action = ?) AND at >= ? ORDER BY at DESC, action LIMIT ?"
}

// AuditTrail returns the entries f selects, newest first.
func (s *Store) AuditTrail(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.conn.Query(ctx, auditSQL(s.cfg), f.Action, f.Action, f.Since.UTC(), uint64(f.Limit))
	if err != nil {
		return nil, fmt.Errorf("read the audit trail: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.At, &e.Actor, &e.Action, &e.Target, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("read the audit trail: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

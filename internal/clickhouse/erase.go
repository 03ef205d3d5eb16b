package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// EraseClinician deletes every check-in of the clinician with pseudonym at
// clinic (the right to erasure) and waits until ClickHouse has applied the
// deletion. It returns how many check-ins were erased. The caller
// recomputes the clinic's team metrics afterwards.
func (s *Store) EraseClinician(ctx context.Context, clinic, pseudonym string) (uint64, error) {
	table := s.cfg.Database + ".checkins"
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" FINAL WHERE clinic = ? AND clinician = ?", clinic, pseudonym).Scan(&n); err != nil {
		return 0, fmt.Errorf("erase: count check-ins: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE clinic = ? AND clinician = ?", clinic, pseudonym); err != nil {
		return 0, fmt.Errorf("erase: delete check-ins: %w", err)
	}
	// What follows (recomputation, the operator's confirmation) must never
	// see the erased rows.
	if err := s.waitMutations(ctx, "checkins"); err != nil {
		return 0, fmt.Errorf("erase: %w", err)
	}
	return n, nil
}

// waitMutations waits until the mutations (ALTER … DELETE) of table in the
// private database are applied: ClickHouse applies them in the background.
func (s *Store) waitMutations(ctx context.Context, table string) error {
	for {
		var pending uint64
		err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0",
			s.cfg.Database, table).Scan(&pending)
		if err != nil {
			return fmt.Errorf("wait for the deletion: %w", err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deletion still running: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

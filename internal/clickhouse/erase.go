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
	// ALTER … DELETE is a mutation, applied in the background: wait for it,
	// so that what follows (recomputation, the operator's confirmation)
	// never sees the erased rows.
	for {
		var pending uint64
		err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = 'checkins' AND is_done = 0",
			s.cfg.Database).Scan(&pending)
		if err != nil {
			return 0, fmt.Errorf("erase: wait for the deletion: %w", err)
		}
		if pending == 0 {
			return n, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("erase: deletion still running: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

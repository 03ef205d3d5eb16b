package clickhouse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// EraseClinician deletes every check-in of the clinician with pseudonym at
// clinic (the right to erasure) and waits until ClickHouse has applied the
// deletion. It returns how many check-ins were erased. The caller
// recomputes the clinic's team metrics afterwards.
//
// Neither the pseudonym nor the clinic appears in the text of a query it
// sends (clinicianMatch): the erasure leaves no trace of whom it erased.
func (s *Store) EraseClinician(ctx context.Context, clinic, pseudonym string) (uint64, error) {
	table := s.cfg.Database + ".checkins"
	match, err := clinicianMatch(clinic, pseudonym)
	if err != nil {
		return 0, fmt.Errorf("erase: %w", err)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" FINAL WHERE "+match).Scan(&n); err != nil {
		return 0, fmt.Errorf("erase: count check-ins: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	// An IN (subquery) condition would keep the pseudonym out of the text
	// too, but ClickHouse 18.16 silently deletes nothing with one.
	if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE "+match); err != nil {
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

// clinicianMatch is a condition on the check-ins table selecting the rows
// of pseudonym at clinic, written without either: SHA256(salt ‖ clinic ‖
// NUL ‖ clinician) equals the digest computed here, over a fresh random
// salt (NUL cannot occur in a clinic name, so no other pair has the same
// input). Only hex digits reach the SQL: a query's text is what
// system.processes shows other users while it runs (every user's, on
// ClickHouse 18.16), what system.mutations keeps of an ALTER … DELETE, and
// what current ClickHouse's query log keeps long after.
func clinicianMatch(clinic, pseudonym string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	s := hex.EncodeToString(salt)
	digest := sha256.Sum256([]byte(s + clinic + "\x00" + pseudonym))
	return "SHA256(concat('" + s + "', clinic, '\\0', clinician)) = unhex('" + hex.EncodeToString(digest[:]) + "')", nil
}

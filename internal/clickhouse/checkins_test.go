package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/testenv"
)

// TestBatchIsOnePartPerYear: InsertCheckins sends a large batch in several
// blocks (its buffers stay small), and the server squashes them: one part
// per year touched, as a single block would write, with every row once.
func TestBatchIsOnePartPerYear(t *testing.T) {
	store := testenv.ClickHouse(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var rows []checkin.Scored
	for i, c := range testenv.CheckIns(10_000, 11, now) {
		c.ID = fmt.Sprint("block-", i)
		if i%2 == 1 {
			c.SubmittedAt = c.SubmittedAt.AddDate(-1, 0, 0) // two partitions
		}
		rows = append(rows, testenv.Scored(t, c, now))
	}
	if err := store.InsertCheckins(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	db := store.Config().Database
	if n := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins"); n != uint64(len(rows)) {
		t.Errorf("%d rows stored, want %d", n, len(rows))
	}
	if parts := testenv.Count(t, store, "SELECT count() FROM system.parts WHERE active AND database = '"+db+"' AND table = 'checkins'"); parts != 2 {
		t.Errorf("%d parts for one insert touching two years, want 2", parts)
	}
}

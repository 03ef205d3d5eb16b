package clickhouse

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"
)

// Retention says how long data is kept, in whole months: what is older is
// removed by dropping whole partitions (cheap, and portable: 18.16 has no
// TTL) — monthly ones, and the check-ins' yearly ones, whose rows before the
// cutoff in the year straddling it are deleted.
type Retention struct {
	CheckInMonths   int // raw check-ins and their arrivals (default 24)
	ReportingMonths int // published figures, alerts and counts (default 60)
}

// RetentionFlags registers the retention windows as flags.
func RetentionFlags(fs *flag.FlagSet, r *Retention) {
	fs.IntVar(&r.CheckInMonths, "retain-checkins", DefaultRetention.CheckInMonths, "months raw check-ins are kept")
	fs.IntVar(&r.ReportingMonths, "retain-reporting", DefaultRetention.ReportingMonths, "months published figures and alerts are kept")
}

// DefaultRetention is 24 months of check-ins and 60 of reporting.
var DefaultRetention = Retention{CheckInMonths: 24, ReportingMonths: 60}

// Dropped is what ApplyRetention removed from one table: a whole partition,
// or the rows before a cutoff in the partition straddling it.
type Dropped struct {
	Table     string
	Partition string    // YYYYMM (monthly) or YYYY (yearly)
	Before    time.Time // set when only the rows before it were deleted
}

func (d Dropped) String() string {
	if d.Before.IsZero() {
		return d.Table + " partition " + d.Partition
	}
	return d.Table + " rows before " + d.Before.Format(time.DateOnly)
}

// ApplyRetention removes what is older than r at now: the partitions of the
// partitioned tables that end before each window's first month, the
// check-ins before it in the year straddling it, and the rows of the small
// unpartitioned count tables. It returns what it dropped. It is safe to
// repeat.
func (s *Store) ApplyRetention(ctx context.Context, r Retention, now time.Time) ([]Dropped, error) {
	if r.CheckInMonths < 1 || r.ReportingMonths < 1 {
		return nil, fmt.Errorf("retention: windows must be at least one month, got %d and %d", r.CheckInMonths, r.ReportingMonths)
	}
	cutoff := func(months int) time.Time {
		y, m, _ := now.UTC().Date()
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -months, 0)
	}
	checkins, reporting := cutoff(r.CheckInMonths), cutoff(r.ReportingMonths)
	var dropped []Dropped
	ds, err := s.dropPartitionsBefore(ctx, s.cfg.Database, "checkins", checkins)
	dropped = append(dropped, ds...)
	if err != nil {
		return dropped, err
	}
	if d, err := s.deleteCheckinsBefore(ctx, checkins); err != nil {
		return dropped, err
	} else if d != nil {
		dropped = append(dropped, *d)
	}
	ds, err = s.dropPartitionsBefore(ctx, s.cfg.Database, "arrivals", checkins)
	dropped = append(dropped, ds...)
	if err != nil {
		return dropped, err
	}
	// The reporting database and each clinic's copy of it.
	reportingDBs := []string{s.cfg.ReportingDatabase}
	for _, c := range s.cfg.Clinics {
		reportingDBs = append(reportingDBs, ClinicDatabase(s.cfg, c))
	}
	for _, db := range reportingDBs {
		for _, t := range reportingTables {
			if t.once { // partitioned by month
				ds, err := s.dropPartitionsBefore(ctx, db, t.name, reporting)
				dropped = append(dropped, ds...)
				if err != nil {
					return dropped, err
				}
			} else if err := s.conn.Exec(ctx, "ALTER TABLE "+db+"."+t.name+" DELETE WHERE period_start < ?", reporting); err != nil {
				return dropped, fmt.Errorf("retention: %s.%s: %w", db, t.name, err)
			}
		}
	}
	return dropped, s.dedupeMirrors(ctx)
}

// dropPartitionsBefore drops the partitions of db.table, monthly (YYYYMM)
// or yearly (YYYY), whose last month is before the month of before.
func (s *Store) dropPartitionsBefore(ctx context.Context, db, table string, before time.Time) ([]Dropped, error) {
	limit := before.Year()*100 + int(before.Month())
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? AND active", db, table)
	if err != nil {
		return nil, fmt.Errorf("retention: list partitions of %s.%s: %w", db, table, err)
	}
	var old []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, fmt.Errorf("retention: %w", err)
		}
		last, err := strconv.Atoi(p)
		if err == nil && len(p) == 4 {
			last = last*100 + 12
		}
		if err == nil && last < limit {
			old = append(old, p)
		}
	}
	rows.Close()
	var dropped []Dropped
	for _, p := range old {
		if err := s.conn.Exec(ctx, "ALTER TABLE "+db+"."+table+" DROP PARTITION "+p); err != nil {
			return dropped, fmt.Errorf("retention: drop %s.%s partition %s: %w", db, table, p, err)
		}
		dropped = append(dropped, Dropped{Table: db + "." + table, Partition: p})
	}
	return dropped, nil
}

// deleteCheckinsBefore deletes the check-ins submitted before cutoff that
// dropping whole years left, when there are any, and waits until
// ClickHouse has applied the deletion (so that the next run sees them gone).
func (s *Store) deleteCheckinsBefore(ctx context.Context, cutoff time.Time) (*Dropped, error) {
	table := s.cfg.Database + ".checkins"
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE submitted_at < ?", cutoff).Scan(&n); err != nil {
		return nil, fmt.Errorf("retention: count old check-ins: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	if err := s.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE submitted_at < ?", cutoff); err != nil {
		return nil, fmt.Errorf("retention: delete check-ins before %s: %w", cutoff.Format(time.DateOnly), err)
	}
	if err := s.waitMutations(ctx, "checkins"); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	return &Dropped{Table: table, Before: cutoff}, nil
}

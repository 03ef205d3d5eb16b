package clickhouse_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/testenv"
)

// TestRetention: back-dated check-ins and figures on the real server; what
// is older than its window leaves — by whole yearly (check-ins) and monthly
// partitions, and row by row in the year straddling the cutoff —, what is
// within stays, and a second run changes nothing.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	store := testenv.ClickHouse(t)
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ages := []int{40, 30, 25, 23, 1} // months back: 2023 (whole year), 2024 (straddling), 2025, 2026
	var rows []checkin.Scored
	for i, months := range ages {
		c := testenv.CheckIns(1, uint64(i), now)[0]
		c.ID, c.SubmittedAt = fmt.Sprint("aged-", months), now.AddDate(0, -months, 0)
		rows = append(rows, testenv.Scored(t, c, c.SubmittedAt))
	}
	if err := store.InsertCheckins(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var figs []figures.Figure
	for _, months := range []int{70, 61, 59} {
		start := figures.Month.Start(now.AddDate(0, -months, 0))
		figs = append(figs, figures.Figure{Clinic: "northside", Team: "crisis", Instrument: "proqol5", Score: "burnout", Start: start, Length: figures.Month, Suppressed: true})
	}
	if err := store.WritePublication(ctx, figs, nil, now); err != nil {
		t.Fatal(err)
	}

	dropped, err := store.ApplyRetention(ctx, clickhouse.DefaultRetention, now)
	if err != nil {
		t.Fatal(err)
	}
	db, rep := store.Config().Database, store.Config().ReportingDatabase
	if got := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins"); got != 2 {
		t.Errorf("%d check-ins left, want the 2 within 24 months (dropped %v)", got, dropped)
	}
	if got := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins WHERE id IN ('aged-40', 'aged-30', 'aged-25')"); got != 0 {
		t.Errorf("check-ins older than 24 months survived")
	}
	if got := testenv.Count(t, store, "SELECT count() FROM "+rep+".team_periods"); got != 1 {
		t.Errorf("%d published figures left, want the 1 within 60 months", got)
	}
	want := []string{
		rep + ".team_periods partition 202102", rep + ".team_periods partition 202111",
		db + ".checkins partition 2023", db + ".checkins rows before 2024-12-01",
	}
	var got []string
	for _, d := range dropped {
		got = append(got, d.String())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("dropped %q, want %q", got, want)
	}
	again, err := store.ApplyRetention(ctx, clickhouse.DefaultRetention, now)
	if err != nil || len(again) != 0 {
		t.Errorf("a second run dropped %v, %v", again, err)
	}
}

// TestAuditTrail: entries append and come back newest first, filtered.
func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	store := testenv.ClickHouse(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, action := range []string{"erase", "retention", "erase"} {
		e := clickhouse.AuditEntry{At: at.Add(time.Duration(i) * time.Hour), Actor: "cli:ops", Action: action, Target: "northside", Outcome: "ok"}
		if err := store.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := store.AuditTrail(ctx, clickhouse.AuditFilter{})
	if err != nil || len(all) != 3 || all[0].Action != "erase" || !all[0].At.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("audit trail = %+v, %v", all, err)
	}
	erasures, err := store.AuditTrail(ctx, clickhouse.AuditFilter{Action: "erase", Since: at.Add(time.Minute)})
	if err != nil || len(erasures) != 1 {
		t.Fatalf("erasures since 09:01 = %+v, %v", erasures, err)
	}
}

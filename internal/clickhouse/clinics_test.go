package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/testenv"
)

// figureInsert is INSERT … SELECT of one published figure of clinic's team
// in the month of start (18.16 hangs on INSERT … VALUES through the driver).
func figureInsert(db, clinic, team, start string) string {
	return "INSERT INTO " + db + ".team_periods (clinic, team, instrument, score, period, period_start, suppressed, respondents, mean, stddev, share_high, participation, published_at) " +
		"SELECT '" + clinic + "', '" + team + "', 'proqol5', 'burnout', 'month', toDate('" + start + "'), 0, toUInt32(5), 24.0, 1.0, 0.2, 1.0, now()"
}

// TestMirrorClinics: each clinic's reporting database holds exactly its
// clinic's rows — those published before it was made and those after —,
// once each, and follows the retention window.
func TestMirrorClinics(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.ClickHouseConfig(t)
	cfg.Clinics = []string{"alpha-1", "beta"}
	s := testenv.OpenStore(t, clickhouse.Config{Addr: cfg.Addr, User: cfg.User, Password: cfg.Password, Database: cfg.Database, ReportingDatabase: cfg.ReportingDatabase})
	rep := cfg.ReportingDatabase
	alpha, beta := clickhouse.ClinicDatabase(cfg, "alpha-1"), clickhouse.ClinicDatabase(cfg, "beta")
	mustExec(t, s, figureInsert(rep, "alpha-1", "before", "2020-01-01"))
	mustExec(t, s, figureInsert(rep, "beta", "before", "2024-01-01"))
	mustExec(t, s, figureInsert(rep, "gamma", "before", "2024-01-01"))

	s = testenv.OpenStore(t, cfg) // migrates, mirroring alpha-1 and beta
	mustExec(t, s, figureInsert(rep, "alpha-1", "after", time.Now().Format(time.DateOnly)))
	mustExec(t, s, figureInsert(rep, "beta", "after", time.Now().Format(time.DateOnly)))
	teams := func(db string) string {
		t.Helper()
		out, err := dump(ctx, s, "SELECT clinic, team FROM "+db+".team_periods ORDER BY team")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(strings.ReplaceAll(out, "\t\n", "|"))
	}
	if got, want := teams(alpha), "alpha-1\tafter|alpha-1\tbefore|"; got != want {
		t.Errorf("%s holds %q, want %q", alpha, got, want)
	}
	if got, want := teams(beta), "beta\tafter|beta\tbefore|"; got != want {
		t.Errorf("%s holds %q, want %q", beta, got, want)
	}

	// The copies have the reporting tables' columns.
	for _, table := range []string{"team_periods", "alerts", "open_periods", "late_checkins"} {
		columns := func(db string) string {
			out, err := dump(ctx, s, "SELECT name, type FROM system.columns WHERE database = '"+db+"' AND table = '"+table+"' ORDER BY name")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got, want := columns(alpha), columns(rep); got != want || want == "" {
			t.Errorf("%s.%s has columns\n%s\nwant those of %s.%s:\n%s", alpha, table, got, rep, table, want)
		}
	}

	// Migrating again copies nothing twice; a row copied twice (as a
	// publication racing the first mirroring can) is removed.
	mustExec(t, s, "INSERT INTO "+alpha+".team_periods SELECT * FROM "+rep+".team_periods WHERE clinic = 'alpha-1' AND team = 'after'")
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := teams(alpha), "alpha-1\tafter|alpha-1\tbefore|"; got != want {
		t.Errorf("after a second migration %s holds %q, want %q", alpha, got, want)
	}

	// A clinic no longer configured is no longer fed; publishing goes on.
	only := cfg
	only.Clinics = []string{"alpha-1"}
	if _, err := testenv.OpenStore(t, only).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, figureInsert(rep, "beta", "dropped", time.Now().Format(time.DateOnly)))
	if got, want := teams(beta), "beta\tafter|beta\tbefore|"; got != want {
		t.Errorf("%s, no longer configured, holds %q, want %q", beta, got, want)
	}

	// Retention drops the copies' old months too.
	if _, err := s.ApplyRetention(ctx, clickhouse.Retention{CheckInMonths: 24, ReportingMonths: 24}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, want := teams(alpha), "alpha-1\tafter|"; got != want {
		t.Errorf("after retention %s holds %q, want %q", alpha, got, want)
	}
}

// TestClinicReaderReadsItsClinicOnly tries, as the ClickHouse user of one
// clinic's Grafana organization (scripts/clickhouse defines one per clinic
// of TEND_CLINICS), every path to another clinic's published rows: its
// clinic database, the shared reporting database, table functions, system
// tables, and the text of the other clinic's reader's running query. It
// sees its own clinic's rows, and nothing of the other's.
func TestClinicReaderReadsItsClinicOnly(t *testing.T) {
	ctx := context.Background()
	clinics := testenv.Clinics(t)
	a, b := clinics[0], clinics[1]
	writer := open(t, clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: "tend", Password: testenv.ClickHousePassword(t, "tend"), Clinics: clinics})
	if _, err := writer.Migrate(ctx); err != nil {
		t.Fatalf("the writer (user tend) cannot migrate and mirror %v: %v", clinics, err)
	}
	admin := open(t, testenv.ClickHouseAdmin(t))
	reader := func(clinic string) *clickhouse.Store {
		user := clickhouse.ClinicReader(clinic)
		return open(t, clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: user, Password: testenv.ClickHousePassword(t, user)})
	}
	readerA, readerB := reader(a), reader(b)
	cfg := writer.Config()
	dbA, dbB := clickhouse.ClinicDatabase(cfg, a), clickhouse.ClinicDatabase(cfg, b)

	// Each clinic publishes a figure of a team named by a marker.
	markerA, markerB := "tendteama"+randomHex(t), "tendteamb"+randomHex(t)
	now := time.Now().Format(time.DateOnly)
	mustExec(t, writer, figureInsert(cfg.ReportingDatabase, a, markerA, now))
	mustExec(t, writer, figureInsert(cfg.ReportingDatabase, b, markerB, now))
	t.Cleanup(func() {
		for _, db := range []string{cfg.ReportingDatabase, dbA, dbB} {
			admin.Conn().Exec(context.Background(), "ALTER TABLE "+db+".team_periods DELETE WHERE team IN ('"+markerA+"', '"+markerB+"')")
		}
	})

	if got := count(t, readerA, "SELECT count() FROM "+dbA+".team_periods WHERE team = '"+markerA+"'"); got != 1 {
		t.Fatalf("%s's reader sees %d of its own clinic's new figures, want 1", a, got)
	}
	var paths []string
	for _, db := range []string{dbB, cfg.ReportingDatabase} {
		paths = append(paths, attackPaths(db, "team_periods", "team")...)
	}
	for _, q := range paths {
		assertNoMarker(t, readerA, q, markerB)
	}
	for _, q := range []string{"INSERT INTO " + dbA + ".team_periods SELECT * FROM " + dbA + ".team_periods LIMIT 0", "DROP TABLE " + dbA + ".alerts"} {
		if err := readerA.Conn().Exec(ctx, q); err == nil {
			t.Errorf("%s's reader ran %q", a, q)
		}
	}
	// The mirrors' views live in the private database: a reader sees no
	// database but its own (and system).
	if got := count(t, readerA, "SELECT count() FROM system.tables WHERE database NOT IN ('system', '"+dbA+"')"); got != 0 {
		t.Errorf("%s's reader sees %d tables of other databases", a, got)
	}

	// System tables, whole, while clinic b's reader runs a query naming its
	// team.
	running, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- drain(running, readerB, "SELECT sleep(3), team FROM "+dbB+".team_periods WHERE team = '"+markerB+"'")
	}()
	defer func() { stop(); <-done }()
	time.Sleep(300 * time.Millisecond)
	for _, name := range systemTableNames(t, readerA) {
		assertNoMarker(t, readerA, "SELECT * FROM system."+name+" LIMIT 100000", markerB)
	}
	select {
	case err := <-done:
		t.Fatalf("clinic %s's query ended (%v) before %s's reader had read every system table: inconclusive", b, err, a)
	default:
	}
}

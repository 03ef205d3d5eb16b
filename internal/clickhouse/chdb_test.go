package clickhouse

// Tests on current ClickHouse (chDB 26.x, see package chdbtest), so that no
// statement tend ships works only on the 18.16 server.

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/chdbtest"
)

// schemaStatement is one statement of the schema, labelled for messages,
// with its migration's version (0: the bootstrap).
type schemaStatement struct {
	label   string
	version int
	Statement
}

// schemaStatements are the statements Store.Migrate runs on an empty
// server, in order: the bootstrap, then every migration rendered for cfg.
func schemaStatements(t testing.TB, cfg Config) ([]Migration, []schemaStatement) {
	t.Helper()
	ms, err := Migrations(cfg)
	if err != nil {
		t.Fatalf("render migrations: %v", err)
	}
	var stmts []schemaStatement
	for i, sql := range bootstrapStatements(cfg.withDefaults()) {
		stmts = append(stmts, schemaStatement{fmt.Sprintf("bootstrap statement %d", i+1), 0, Statement{SQL: sql}})
	}
	for _, m := range ms {
		for i, st := range m.Statements {
			stmts = append(stmts, schemaStatement{fmt.Sprintf("migration %04d_%s statement %d", m.Version, m.Name, i+1), m.Version, st})
		}
	}
	return ms, stmts
}

// migrateCHDB creates tend's schema on s as Store.Migrate does on a server,
// recording each migration up to version last in schema_migrations. It
// reports every statement chDB rejects, then stops t if there was any.
func migrateCHDB(t testing.TB, s *chdbtest.Session, cfg Config, last int) []Migration {
	t.Helper()
	ms, stmts := schemaStatements(t, cfg)
	failed := false
	for _, st := range stmts {
		if st.version > last {
			continue
		}
		if err := applyCHDB(s, st.Statement); err != nil {
			failed = true
			t.Errorf("chDB (ClickHouse %s) rejected %s:\n%s\nerror: %v", s.Version, st.label, st.SQL, err)
		}
	}
	if failed {
		t.FailNow()
	}
	// Store.Migrate records each version with a batch insert; the same row
	// through INSERT … SELECT here.
	db := cfg.withDefaults().Database
	for _, m := range ms {
		if m.Version <= last {
			s.MustExec(t, fmt.Sprintf("INSERT INTO %s.schema_migrations (version, name, applied_at) SELECT toUInt32(%d), %s, now()",
				db, m.Version, chdbQuote(m.Name)))
		}
	}
	return ms
}

// applyCHDB runs st as Store.apply does: not when its guard counts 0.
func applyCHDB(s *chdbtest.Session, st Statement) error {
	if st.Guard != "" {
		rows, err := s.Rows(st.Guard)
		if err != nil {
			return fmt.Errorf("guard: %w", err)
		}
		if len(rows) != 1 || rows[0][0] == "0" {
			return nil
		}
	}
	_, err := s.Query(st.SQL, "")
	return err
}

// chdbQuote is a ClickHouse string literal of v.
func chdbQuote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// chdbCheckinsSchema is the checkins table as migration 0005 leaves it:
// every column of it, none Nullable.
var chdbCheckinsSchema = map[string]string{
	"id":             "String",
	"clinic":         "String",
	"team":           "String",
	"clinician":      "String",
	"instrument":     "String",
	"submitted_at":   "DateTime('UTC')",
	"received_at":    "DateTime('UTC')",
	"stored_at":      "DateTime('UTC')",
	"answers":        "Array(UInt8)",
	"context_names":  "Array(String)",
	"context_values": "Array(Float32)",
	"score_names":    "Array(String)",
	"score_values":   "Array(Float64)",
}

var (
	chdbCreateDatabaseRE = regexp.MustCompile(`(?is)^\s*CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+(\w+)`)
	chdbCreateTableRE    = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+IF\s+NOT\s+EXISTS\s+(\w+)\.(\w+)`)
	chdbDropTableRE      = regexp.MustCompile(`(?is)^\s*DROP\s+TABLE\s+IF\s+EXISTS\s+(\w+)\.(\w+)`)
	chdbRenameTableRE    = regexp.MustCompile(`(?is)^\s*RENAME\s+TABLE\s+\w+\.\w+\s+TO\s+\w+\.\w+,\s*(\w+)\.(\w+)\s+TO`)
)

// TestMigrationsOnCurrentClickHouse runs tend's schema, as Store.Migrate
// does, on current ClickHouse (chDB), then uses it the way tend does.
func TestMigrationsOnCurrentClickHouse(t *testing.T) {
	s := chdbtest.New(t)
	t.Logf("chDB: ClickHouse %s", s.Version)
	cfg := Config{}.withDefaults()
	db, reporting := cfg.Database, cfg.ReportingDatabase

	ms := migrateCHDB(t, s, cfg, math.MaxInt)

	// Migrate again, as a second process would: every statement is
	// idempotent, or guarded.
	_, stmts := schemaStatements(t, cfg)
	for _, st := range stmts {
		if err := applyCHDB(s, st.Statement); err != nil {
			t.Errorf("%s is not idempotent on ClickHouse %s:\n%s\nerror: %v", st.label, s.Version, st.SQL, err)
		}
	}

	// Store.appliedVersions' query.
	var applied []int
	for _, row := range s.MustRows(t, "SELECT DISTINCT version FROM "+db+".schema_migrations") {
		v, err := strconv.Atoi(row[0])
		if err != nil {
			t.Fatalf("schema_migrations version %q: %v", row[0], err)
		}
		applied = append(applied, v)
	}
	slices.Sort(applied)
	var want []int
	for _, m := range ms {
		want = append(want, m.Version)
	}
	if !slices.Equal(applied, want) {
		t.Errorf("schema_migrations versions = %v, want %v", applied, want)
	}

	inList := chdbQuote(db) + ", " + chdbQuote(reporting)
	databases := map[string]bool{}
	for _, row := range s.MustRows(t, "SELECT name FROM system.databases") {
		databases[row[0]] = true
	}
	tables := map[string]bool{}
	for _, row := range s.MustRows(t, "SELECT database, name FROM system.tables WHERE database IN ("+inList+")") {
		tables[row[0]+"."+row[1]] = true
	}
	// Every database and table the statements create exists, unless a later
	// statement drops it.
	dropped, renamed := map[string]bool{}, map[string]bool{}
	for _, st := range stmts {
		if m := chdbRenameTableRE.FindStringSubmatch(st.SQL); m != nil {
			renamed[m[1]+"."+m[2]] = true
		}
		if m := chdbDropTableRE.FindStringSubmatch(st.SQL); m != nil {
			dropped[m[1]+"."+m[2]] = true
		}
	}
	for _, st := range stmts {
		if m := chdbCreateTableRE.FindStringSubmatch(st.SQL); m != nil && (dropped[m[1]+"."+m[2]] || renamed[m[1]+"."+m[2]]) {
			continue
		}
		if m := chdbCreateDatabaseRE.FindStringSubmatch(st.SQL); m != nil && !databases[m[1]] {
			t.Errorf("database %s, created by %s, does not exist", m[1], st.label)
		}
		if m := chdbCreateTableRE.FindStringSubmatch(st.SQL); m != nil && !tables[m[1]+"."+m[2]] {
			t.Errorf("table %s.%s, created by %s, does not exist", m[1], m[2], st.label)
		}
	}

	// The columns, with their types.
	columns := map[string]map[string]string{} // table → column → type
	for _, row := range s.MustRows(t, "SELECT database, table, name, type FROM system.columns WHERE database IN ("+inList+")") {
		table := row[0] + "." + row[1]
		if columns[table] == nil {
			columns[table] = map[string]string{}
		}
		columns[table][row[2]] = row[3]
	}
	wantColumns := map[string]map[string]string{
		db + ".schema_migrations": {"version": "UInt32", "name": "String", "applied_at": "DateTime('UTC')"},
		db + ".checkins":          chdbCheckinsSchema,
	}
	for table, want := range wantColumns {
		for name, typ := range want {
			if got, ok := columns[table][name]; !ok {
				t.Errorf("%s has no column %s (%s); it has %v", table, name, typ, columns[table])
			} else if got != typ {
				t.Errorf("%s.%s is %s, want %s", table, name, got, typ)
			}
		}
	}
	for _, name := range checkinColumns { // what InsertCheckins writes
		if _, ok := columns[db+".checkins"][name]; !ok {
			t.Errorf("InsertCheckins writes %s.checkins.%s, which does not exist", db, name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// INSERT … SELECT into checkins with InsertCheckins' column list: five
	// check-ins, then the same five again with a later stored_at and new
	// scores, as a redelivery would. One check-in is in 2023, four in 2024:
	// two partitions.
	insert := func(version int) string {
		exprs := map[string]string{
			"id":             "concat('chk-', toString(number))",
			"clinic":         "'clinic-a'",
			"team":           "if(number % 2 = 0, 'team-1', 'team-2')",
			"clinician":      "concat('clinician-', toString(number % 3))",
			"instrument":     "'proqol5'",
			"submitted_at":   "toDateTime('2023-12-31 23:00:00', 'UTC') + number * 3600",
			"received_at":    "toDateTime('2023-12-31 23:00:05', 'UTC') + number * 3600",
			"stored_at":      fmt.Sprintf("toDateTime('2024-02-02 00:00:00', 'UTC') + %d", version),
			"answers":        "[1, 2, 3, 4, 5]",
			"context_names":  "['sessions', 'hours_worked']",
			"context_values": "[toFloat32(number), toFloat32(7.5)]",
			"score_names":    "['compassion_satisfaction', 'burnout']",
			"score_values":   fmt.Sprintf("[toFloat64(30), toFloat64(%d * 10 + number)]", version),
		}
		vals := make([]string, len(checkinColumns))
		for i, name := range checkinColumns {
			vals[i] = exprs[name]
		}
		return "INSERT INTO " + db + ".checkins (" + strings.Join(checkinColumns, ", ") + ")\nSELECT " +
			strings.Join(vals, ", ") + "\nFROM numbers(5)"
	}
	s.MustExec(t, insert(1))
	s.MustExec(t, insert(2))

	// FINAL reads one row per check-in: the latest stored.
	check := func(sql string, want [][]string) {
		t.Helper()
		if got := s.MustRows(t, sql); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("on ClickHouse %s:\n%s\n= %q, want %q", s.Version, sql, got, want)
		}
	}
	burnout := "score_values[indexOf(score_names, 'burnout')]"
	check("SELECT count(), sum("+burnout+"), min(stored_at), max(stored_at) FROM "+db+".checkins FINAL",
		[][]string{{"5", "110", "2024-02-02 00:00:02", "2024-02-02 00:00:02"}})
	check("SELECT toYear(submitted_at) AS year, count(), sum(context_values[indexOf(context_names, 'sessions')]) FROM "+db+".checkins FINAL "+
		"WHERE clinic = 'clinic-a' GROUP BY year ORDER BY year",
		[][]string{{"2023", "1", "0"}, {"2024", "4", "10"}})
	check("SELECT team, id, "+burnout+", length(answers), has(context_names, 'trauma_sessions') FROM "+db+".checkins FINAL WHERE team = 'team-1' ORDER BY id",
		[][]string{{"team-1", "chk-0", "20", "5", "0"}, {"team-1", "chk-2", "22", "5", "0"}, {"team-1", "chk-4", "24", "5", "0"}})

	// After a merge the duplicates are gone without FINAL too.
	s.MustExec(t, "OPTIMIZE TABLE "+db+".checkins FINAL")
	check("SELECT count(), sum("+burnout+") FROM "+db+".checkins", [][]string{{"5", "110"}})
}

// TestUpgradeOnCurrentClickHouse: check-ins stored in 0001's layout are all
// in 0005's after the upgrade, every score and context value kept, NULLs
// left out, and the arrivals view records what is stored afterwards.
func TestUpgradeOnCurrentClickHouse(t *testing.T) {
	s := chdbtest.New(t)
	cfg := Config{}.withDefaults()
	db := cfg.Database
	migrateCHDB(t, s, cfg, 4)
	s.MustExec(t, "INSERT INTO "+db+".checkins (id, clinic, team, clinician, instrument, submitted_at, received_at, stored_at, answers, "+
		"sessions, hours_worked, burnout, compassion_satisfaction, secondary_traumatic_stress, compassion_fatigue) "+
		"SELECT concat('old-', toString(number)), 'clinic-a', 'team-1', 'p', 'proqol5', toDateTime('2024-02-05 10:00:00', 'UTC') + number * 86400 * 40, "+
		"toDateTime('2024-02-05 10:00:01', 'UTC'), toDateTime('2024-03-01 00:00:00', 'UTC'), [1, 2], "+
		"if(number = 0, NULL, toUInt16(number)), toFloat32(8.5), toFloat64(20 + number), 31.5, 40, 0.5 FROM numbers(12)")
	migrateCHDB(t, s, cfg, math.MaxInt)
	got := s.MustRows(t, "SELECT id, toString(submitted_at), toString(stored_at), toString(answers), toString(context_names), toString(context_values), "+
		"toString(score_names), toString(score_values) FROM "+db+".checkins FINAL WHERE id IN ('old-0', 'old-11') ORDER BY id")
	want := [][]string{
		{"old-0", "2024-02-05 10:00:00", "2024-03-01 00:00:00", "[1,2]", "['hours_worked']", "[8.5]",
			"['compassion_satisfaction','burnout','secondary_traumatic_stress','compassion_fatigue']", "[31.5,20,40,0.5]"},
		{"old-11", "2025-04-20 10:00:00", "2024-03-01 00:00:00", "[1,2]", "['sessions','hours_worked']", "[11,8.5]",
			"['compassion_satisfaction','burnout','secondary_traumatic_stress','compassion_fatigue']", "[31.5,31,40,0.5]"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after the upgrade:\n%q\nwant\n%q", got, want)
	}
	if n := s.MustRows(t, "SELECT count(), uniqExact(id) FROM "+db+".checkins"); n[0][0] != "12" || n[0][1] != "12" {
		t.Errorf("rows, ids after the upgrade = %q, want 12 each", n)
	}
	if n := s.MustRows(t, "SELECT count() FROM system.tables WHERE database = "+chdbQuote(db)+" AND name LIKE 'checkins_v%'"); n[0][0] != "0" {
		t.Errorf("%s tables of the upgrade left behind", n[0][0])
	}
	s.MustExec(t, "INSERT INTO "+db+".checkins (id, clinic, team, clinician, instrument, submitted_at, received_at, stored_at) "+
		"SELECT 'new', 'clinic-b', 't', 'p', 'miniz', toDateTime('2024-06-01 00:00:00', 'UTC'), now(), toDateTime('2024-06-02 00:00:00', 'UTC')")
	if n := s.MustRows(t, "SELECT count() FROM "+db+".arrivals WHERE clinic = 'clinic-b'"); n[0][0] != "1" {
		t.Errorf("the arrivals view missed a check-in stored after the upgrade")
	}
}

// TestReportingQueriesOnCurrentClickHouse runs the reporter's reads, with
// parameters bound the way clickhouse-go binds them, and its writes' column
// lists on ClickHouse 26, as the pipeline tests run them on 18.16.
func TestReportingQueriesOnCurrentClickHouse(t *testing.T) {
	s := chdbtest.New(t)
	cfg := Config{}.withDefaults()
	migrateCHDB(t, s, cfg, math.MaxInt)
	db, rep := cfg.Database, cfg.ReportingDatabase
	// Six check-ins of three clinicians in February: each clinician's later
	// one (numbers 3, 4, 5) is their vote. The materialized view records
	// their arrival.
	s.MustExec(t, "INSERT INTO "+db+".checkins (id, clinic, team, clinician, instrument, submitted_at, received_at, stored_at, answers, score_names, score_values) "+
		"SELECT concat('c', toString(number)), 'clinic-a', 'team-1', concat('p', toString(number % 3)), 'proqol5', "+
		"toDateTime('2024-02-05 10:00:00', 'UTC') + number * 3600, now(), toDateTime('2024-03-01 00:00:00', 'UTC'), [1], ['burnout'], [toFloat64(20 + number)] FROM numbers(6)")
	s.MustExec(t, "INSERT INTO "+rep+".team_periods ("+figureColumns+") SELECT 'clinic-a', 'team-1', 'proqol5', 'burnout', 'month', "+
		"toDate('2024-02-01'), 0, toUInt32(5), 24.0, 0.8, 0.2, 1.0, now()")
	s.MustExec(t, "INSERT INTO "+rep+".alerts ("+alertColumns+") SELECT 'a1', 'clinic-a', 'team-1', 'proqol5', 'burnout_rising', "+
		"'month', toDate('2024-02-01'), 'firing', now()")

	bind := func(sql string, args ...string) string {
		for _, a := range args {
			sql = strings.Replace(sql, "?", a, 1)
		}
		return sql
	}
	if got := s.MustRows(t, bind(arrivalsSQL(cfg), "toDateTime('2024-01-01 00:00:00', 'UTC')")); len(got) != 1 || got[0][0] != "clinic-a" || got[0][2] != "2024-02-05" {
		t.Errorf("arrivals = %q", got)
	}
	period := []string{"'clinic-a'", "'proqol5'", "toDateTime('2024-02-01 00:00:00', 'UTC')", "toDateTime('2024-03-01 00:00:00', 'UTC')"}
	var votes []string
	for _, row := range s.MustRows(t, bind(periodResponsesSQL(cfg), period...)) {
		votes = append(votes, strings.Join(row, " "))
	}
	if want := []string{"p0 team-1 ['burnout'] [23]", "p1 team-1 ['burnout'] [24]", "p2 team-1 ['burnout'] [25]"}; !slices.Equal(votes, want) {
		t.Errorf("period responses = %q, want %q", votes, want)
	}
	if got := s.MustRows(t, bind(openCountsSQL(cfg), period...)); len(got) != 1 || got[0][1] != "3" {
		t.Errorf("open counts = %q", got)
	}
	if got := s.MustRows(t, bind(lateCountsSQL(cfg), append(period, "toDateTime('2024-02-20 00:00:00', 'UTC')")...)); len(got) != 1 || got[0][1] != "6" {
		t.Errorf("late counts = %q", got)
	}
	if got := s.MustRows(t, activeAlertsSQL(cfg)); len(got) != 1 || got[0][4] != "firing" {
		t.Errorf("active alerts = %q", got)
	}
	s.MustExec(t, "INSERT INTO "+db+".audit (at, actor, action, target, outcome, detail) SELECT now(), 'cli:ops', 'erase', 'clinic-a', 'ok', ''")
	if got := s.MustRows(t, bind(auditSQL(cfg), "'erase'", "'erase'", "toDateTime('2020-01-01 00:00:00', 'UTC')", "10")); len(got) != 1 || got[0][2] != "erase" {
		t.Errorf("audit trail = %q", got)
	}

	// A clinic's reporting database: schema, views, fill, and the removal
	// of a row copied twice.
	for _, stmt := range append(mirrorSchema(cfg, "clinic-a"), mirrorFill(cfg, "clinic-a")...) {
		s.MustExec(t, stmt)
	}
	mirror := ClinicDatabase(cfg, "clinic-a")
	for _, clinic := range []string{"clinic-a", "clinic-b"} { // after the views: clinic-a's is copied
		s.MustExec(t, "INSERT INTO "+rep+".team_periods ("+figureColumns+") SELECT '"+clinic+"', 'team-2', 'proqol5', 'burnout', 'month', "+
			"toDate('2024-02-01'), 1, NULL, NULL, NULL, NULL, NULL, now()")
	}
	s.MustExec(t, "INSERT INTO "+mirror+".team_periods SELECT * FROM "+rep+".team_periods WHERE clinic = 'clinic-a'")
	key := reportingTables[0].key
	if got := s.MustRows(t, copiedTwiceSQL(cfg, "clinic-a", "team_periods", key)); !slices.EqualFunc(got, [][]string{{"202402"}}, slices.Equal) {
		t.Errorf("partitions holding copies = %q, want 202402", got)
	}
	for _, stmt := range dedupeStatements(cfg, "clinic-a", "team_periods", 202402, "run1") {
		s.MustExec(t, stmt)
	}
	for table, want := range map[string]string{"team_periods": "clinic-a team-1|clinic-a team-2", "alerts": "clinic-a team-1"} {
		var got []string
		for _, row := range s.MustRows(t, "SELECT clinic, team FROM "+mirror+"."+table+" ORDER BY team") {
			got = append(got, strings.Join(row, " "))
		}
		if strings.Join(got, "|") != want {
			t.Errorf("%s.%s = %q, want %s", mirror, table, got, want)
		}
	}

	// EraseClinician's condition, which names no one in its text, selects
	// and deletes exactly p0's two check-ins.
	match, err := clinicianMatch("clinic-a", "p0")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MustRows(t, "SELECT count() FROM "+db+".checkins FINAL WHERE "+match); len(got) != 1 || got[0][0] != "2" {
		t.Errorf("erasure match counts %q check-ins of p0, want 2", got)
	}
	s.MustExec(t, "ALTER TABLE "+db+".checkins DELETE WHERE "+match)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := s.MustRows(t, "SELECT clinician, count() FROM "+db+".checkins GROUP BY clinician ORDER BY clinician")
		if slices.EqualFunc(got, [][]string{{"p1", "2"}, {"p2", "2"}}, slices.Equal) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the erasure's ALTER … DELETE: check-ins per clinician %q, want p1 and p2 2 each", got)
		}
	}
}

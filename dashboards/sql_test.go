package dashboards

// The dashboard's SQL on both ClickHouse engines tend supports: the 18.16
// server the tests run (testenv), and current ClickHouse embedded (chDB 26.x),
// each with a small reporting dataset, after expanding the dashboard's
// variables and the plugin's macros the way Grafana would.

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/chdbtest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/testenv"
)

// engine runs SQL and returns rows as text (NULL as `\N`, dates as
// YYYY-MM-DD), so that both engines' answers compare alike.
type engine interface {
	Exec(sql string) error
	Rows(sql string) ([][]string, error)
}

// dashboardSQL is every rawSql in the dashboard's JSON model, keyed by
// where it is: panel titles and variable names.
func dashboardSQL(t *testing.T, cfg Config) map[string]string {
	t.Helper()
	d, err := Dashboard(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range d.Panels {
		if p.Panel == nil {
			t.Fatalf("unexpected row panel")
		}
		for _, target := range p.Panel.Targets {
			q, ok := target.(Query)
			if !ok {
				t.Fatalf("panel %d: target %T, want Query", *p.Panel.Id, target)
			}
			out[fmt.Sprintf("panel %d %q", *p.Panel.Id, *p.Panel.Title)] = q.RawSQL
		}
	}
	for _, v := range d.Templating.List {
		out["variable "+v.Name] = v.Query.Map["rawSql"].(string)
	}
	if len(out) != 14 {
		t.Fatalf("found %d queries, want 14 (12 panels, 2 variables)", len(out))
	}
	return out
}

var (
	dateFilterRE = regexp.MustCompile(`\$__dateFilter\((\w+)\)`)
	// open_periods and late_checkins are ReplacingMergeTree: FINAL. The
	// tables written once are plain MergeTree, where FINAL is an error.
	replacingRE  = regexp.MustCompile(`\.(open_periods|late_checkins)\b`)
	finalRE      = regexp.MustCompile(`\.(open_periods|late_checkins) FINAL\b`)
	onceFinalRE  = regexp.MustCompile(`\.(team_periods|alerts) FINAL\b`)
	unportableRE = regexp.MustCompile(`(?i)toStartOfWeek|toStartOfInterval|\bWITH\s+\w+\s+AS\s*\(|\bOVER\s*\(|WITH FILL|DateTime64|\$__time`)
)

// expand does what Grafana and the ClickHouse plugin do before a query
// reaches ClickHouse: it substitutes the variables (single values inside
// quotes) and $__dateFilter for a range, as plugin v4 renders it.
func expand(t *testing.T, sql, clinic, team string) string {
	t.Helper()
	sql = strings.NewReplacer("${clinic}", clinic, "${team}", team).Replace(sql)
	sql = dateFilterRE.ReplaceAllString(sql, "$1 >= toDate('2024-01-01') AND $1 <= toDate('2024-06-30')")
	if strings.Contains(sql, "$") {
		t.Fatalf("unexpanded variable or macro in:\n%s", sql)
	}
	return sql
}

// The dataset: clinic-a, three published periods of each instrument (months
// for proqol5, scssf and cbi, weeks for miniz); team-2 is suppressed in the
// second period; team-1 has a month before the dashboard's range that
// $__dateFilter must leave out. Alert transitions: team-1's burnout_rising
// fired and resolved, team-2's participation_drop fires, the clinic total's
// never reaches the Grafana rule. Open and late counts come in two versions
// each, of which FINAL shows the newer.
var (
	months = []string{"2024-02-01", "2024-03-01", "2024-04-01"}
	weeks  = []string{"2024-02-05", "2024-02-12", "2024-02-19"}
	teams  = []string{"_all", "team-1", "team-2"}
)

// periodsOf is the period and the period starts of an instrument.
func periodsOf(instrument string) (string, []string) {
	if instrument == "miniz" {
		return "week", weeks
	}
	return "month", months
}

func loadReporting(t *testing.T, e engine, db string) {
	t.Helper()
	exec := func(what, sql string) {
		t.Helper()
		if err := e.Exec(sql); err != nil {
			t.Fatalf("insert %s: %v\n%s", what, err, sql)
		}
	}
	const cols = "clinic, team, instrument, score, period, period_start, suppressed, respondents, mean, stddev, share_high, participation, published_at"
	row := func(team, instrument, score, start string, mean, share float64, suppressed bool) string {
		period, _ := periodsOf(instrument)
		key := fmt.Sprintf("'clinic-a', '%s', '%s', '%s', '%s', toDate('%s')", team, instrument, score, period, start)
		published := "toDateTime('2024-05-02 08:00:00', 'UTC')"
		if suppressed {
			null := "CAST(NULL AS Nullable(Float64))"
			return fmt.Sprintf("SELECT %s, toUInt8(1), CAST(NULL AS Nullable(UInt32)), %s%s", key, strings.Repeat(null+", ", 4), published)
		}
		f := func(v float64) string { return "toNullable(toFloat64(" + strconv.FormatFloat(v, 'f', -1, 64) + "))" }
		return fmt.Sprintf("SELECT %s, toUInt8(0), toNullable(toUInt32(6)), %s, %s, %s, %s, %s",
			key, f(mean), f(2), f(share), f(0.75), published)
	}
	for _, team := range teams {
		for j, s := range headlineScores {
			_, starts := periodsOf(s.instrument)
			for i, start := range starts {
				exec("team_periods", "INSERT INTO "+db+".team_periods ("+cols+") "+
					row(team, s.instrument, s.name, start, float64(20+i+10*j), []float64{0, 0.2, 0.8}[i], team == "team-2" && i == 1))
			}
		}
	}
	exec("team_periods", "INSERT INTO "+db+".team_periods ("+cols+") "+row("team-1", "proqol5", "burnout", "2023-11-01", 99, 0.4, false))

	alert := func(id, team, instrument, rule, period, start, state string) {
		exec("alerts", fmt.Sprintf("INSERT INTO %s.alerts (id, clinic, team, instrument, rule, period, period_start, state, published_at) "+
			"SELECT '%s', 'clinic-a', '%s', '%s', '%s', '%s', toDate('%s'), '%s', toDateTime('2024-05-02 08:00:00', 'UTC')",
			db, id, team, instrument, rule, period, start, state))
	}
	alert("a1", "team-1", "proqol5", "burnout_rising", "month", months[0], "firing")
	alert("a2", "team-1", "proqol5", "burnout_rising", "month", months[1], "resolved")
	alert("a3", "team-2", "miniz", "participation_drop", "week", weeks[2], "firing")
	alert("a4", "_all", "proqol5", "burnout_share_high", "month", months[2], "firing")

	counts := func(table, column, team, instrument, start string, n int, at string) {
		period, _ := periodsOf(instrument)
		exec(table, fmt.Sprintf("INSERT INTO %s.%s (clinic, team, instrument, period, period_start, %s, counted_at) "+
			"SELECT 'clinic-a', '%s', '%s', '%s', toDate('%s'), toUInt32(%d), toDateTime('%s', 'UTC')",
			db, table, column, team, instrument, period, start, n, at))
	}
	for _, team := range teams {
		counts("open_periods", "respondents", team, "proqol5", "2024-05-01", 2, "2024-05-03 08:00:00")
		counts("open_periods", "respondents", team, "proqol5", "2024-05-01", 4, "2024-05-04 08:00:00")
		// Counted while April was open; April is published since.
		counts("open_periods", "respondents", team, "proqol5", months[2], 5, "2024-04-20 08:00:00")
		counts("late_checkins", "late", team, "proqol5", months[1], 1, "2024-05-03 08:00:00")
		counts("late_checkins", "late", team, "proqol5", months[1], 3, "2024-05-04 08:00:00")
	}
}

// checkQueries runs every dashboard query on e and checks what leadership
// would see.
func checkQueries(t *testing.T, e engine, cfg Config) {
	t.Helper()
	run := func(where, sql, team string) [][]string {
		t.Helper()
		sql = expand(t, sql, "clinic-a", team)
		rows, err := e.Rows(sql)
		if err != nil {
			t.Fatalf("%s: ClickHouse rejected\n%s\nerror: %v", where, sql, err)
		}
		return rows
	}
	for where, sql := range dashboardSQL(t, cfg) {
		if strings.Contains(sql, "tend.") || !strings.Contains(sql, cfg.ReportingDatabase+".") {
			t.Errorf("%s reads outside the reporting database %s:\n%s", where, cfg.ReportingDatabase, sql)
		}
		// What clickhouse.md rules out, and FINAL, which tests with this
		// little data would not miss.
		if len(replacingRE.FindAllString(sql, -1)) != len(finalRE.FindAllString(sql, -1)) || onceFinalRE.MatchString(sql) || unportableRE.MatchString(sql) {
			t.Errorf("%s: FINAL missing or misplaced, or SQL that is not portable:\n%s", where, sql)
		}
		for _, team := range teams {
			rows := run(where, sql, team)
			if len(rows) == 0 {
				t.Errorf("%s for team %s: no rows", where, team)
			}
			for _, r := range rows {
				if slices.Contains(r, "99") {
					t.Errorf("%s for team %s: a period outside the time range: %q", where, team, r)
				}
			}
		}
	}

	q := queries{db: cfg.ReportingDatabase}
	if got := run("clinics", q.clinics(), ""); !slices.EqualFunc(got, [][]string{{"clinic-a"}}, slices.Equal) {
		t.Errorf("clinics = %q", got)
	}
	if got := run("teams", q.teams(), ""); !slices.EqualFunc(got, [][]string{{"_all"}, {"team-1"}, {"team-2"}}, slices.Equal) {
		t.Errorf("teams = %q", got)
	}
	// Suppressed periods are gaps, never a number; the month before the
	// range is left out.
	for _, tc := range []struct {
		instrument, score, team string
		want                    [][]string
	}{
		{"proqol5", "burnout", "team-2", [][]string{{"2024-02-01", "20"}, {"2024-03-01", `\N`}, {"2024-04-01", "22"}}},
		{"proqol5", "burnout", "team-1", [][]string{{"2024-02-01", "20"}, {"2024-03-01", "21"}, {"2024-04-01", "22"}}},
		{"miniz", "burnout_level", "team-2", [][]string{{"2024-02-05", "70"}, {"2024-02-12", `\N`}, {"2024-02-19", "72"}}},
	} {
		if got := run("trend", q.trend(tc.instrument, tc.score), tc.team); !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("%s %s trend = %q, want %q", tc.team, tc.score, got, tc.want)
		}
	}
	wantPart := [][]string{
		{"2024-02-01", "0.75", "0.75", "0.75", `\N`}, {"2024-02-05", `\N`, `\N`, `\N`, "0.75"},
		{"2024-02-12", `\N`, `\N`, `\N`, `\N`}, {"2024-02-19", `\N`, `\N`, `\N`, "0.75"},
		{"2024-03-01", `\N`, `\N`, `\N`, `\N`}, {"2024-04-01", "0.75", "0.75", "0.75", `\N`},
	}
	if got := run("participation", q.participation(), "team-2"); !slices.EqualFunc(got, wantPart, slices.Equal) {
		t.Errorf("team-2 participation = %q, want %q", got, wantPart)
	}

	// share_high shows as its bucket; suppressed periods as text.
	buckets := map[string]string{"2024-02-01": "0–20 %", "2024-03-01": NotEnoughResponses, "2024-04-01": "at least 80 %",
		"2024-02-05": "0–20 %", "2024-02-12": NotEnoughResponses, "2024-02-19": "at least 80 %"}
	share := run("share high", q.shareHigh(), "team-2")
	if len(share) != 3*len(headlineScores) {
		t.Errorf("team-2 share high: %d rows, want %d", len(share), 3*len(headlineScores))
	}
	for _, r := range share {
		if r[3] != buckets[r[0]] {
			t.Errorf("team-2 share high %q: bucket %q, want %q", r, r[3], buckets[r[0]])
		}
	}
	if got := run("share high", q.shareHigh(), "team-1"); len(got) == 0 || got[len(got)-1][0] != "2024-02-01" {
		t.Errorf("team-1 share high = %q", got)
	} else if b := got[len(got)-1][3]; b != "0–20 %" {
		t.Errorf("team-1 share high in February: %q, want \"0–20 %%\"", b)
	}
	// The latest published period of each instrument, every team; team-2's
	// second period is not the latest, so nothing there is suppressed, and
	// no value column is ever empty.
	latest := run("latest period", q.latestPeriod(), "")
	if len(latest) != len(teams)*len(headlineScores) {
		t.Errorf("latest period: %d rows, want %d: %q", len(latest), len(teams)*len(headlineScores), latest)
	}
	for _, r := range latest {
		if want := map[string]string{"miniz": "2024-02-19"}[r[0]]; want == "" && r[1] != "2024-04-01" || want != "" && r[1] != want {
			t.Errorf("latest period row not of the latest period: %q", r)
		}
		if r[2] == "_all" {
			t.Errorf("latest period shows _all instead of \"clinic total\": %q", r)
		}
		if slices.Contains(r, NotEnoughResponses) || slices.Contains(r, `\N`) || slices.Contains(r, "") || r[6] != "at least 80 %" || r[7] != "75" {
			t.Errorf("latest period row %q: want published values, share bucket \"at least 80 %%\", participation 75", r)
		}
	}

	alerts := [][]string{
		{"2024-04-01", "clinic total", "proqol5", "burnout_share_high", "firing", "2024-05-02 08:00:00"},
		{"2024-03-01", "team-1", "proqol5", "burnout_rising", "resolved", "2024-05-02 08:00:00"},
		{"2024-02-19", "team-2", "miniz", "participation_drop", "firing", "2024-05-02 08:00:00"},
		{"2024-02-01", "team-1", "proqol5", "burnout_rising", "firing", "2024-05-02 08:00:00"},
	}
	if got := run("alerts", q.alerts(), ""); !slices.EqualFunc(got, alerts, slices.Equal) {
		t.Errorf("alerts = %q, want %q", got, alerts)
	}
	// The Grafana alert rule's query: one series per team alert, 1 while its
	// latest transition fires, 0 once resolved; the clinic total not there.
	firing := [][]string{{"clinic-a", "team-1", "proqol5", "burnout_rising", "0"}, {"clinic-a", "team-2", "miniz", "participation_drop", "1"}}
	if got := run("alert rule", q.firingAlerts(), ""); !slices.EqualFunc(got, firing, slices.Equal) {
		t.Errorf("alert rule rows = %q, want %q", got, firing)
	}

	// Open and late counts: the newest count only (FINAL), and only periods
	// not yet published in the open-period panel.
	open := [][]string{
		{"proqol5", "month", "2024-05-01", "clinic total", "4"},
		{"proqol5", "month", "2024-05-01", "team-1", "4"},
		{"proqol5", "month", "2024-05-01", "team-2", "4"},
	}
	if got := run("open periods", q.openPeriods(), ""); !slices.EqualFunc(got, open, slices.Equal) {
		t.Errorf("open periods = %q, want %q", got, open)
	}
	late := [][]string{
		{"proqol5", "2024-03-01", "clinic total", "3"},
		{"proqol5", "2024-03-01", "team-1", "3"},
		{"proqol5", "2024-03-01", "team-2", "3"},
	}
	if got := run("late check-ins", q.lateCheckins(), ""); !slices.EqualFunc(got, late, slices.Equal) {
		t.Errorf("late check-ins = %q, want %q", got, late)
	}
}

// TestQueriesOnClickHouse1816 runs the dashboard on the ClickHouse server
// of the tests (18.16), in the test's own reporting database.
func TestQueriesOnClickHouse1816(t *testing.T) {
	store := testenv.ClickHouse(t)
	cfg := Config{ReportingDatabase: store.Config().ReportingDatabase}
	e := serverEngine{store}
	loadReporting(t, e, cfg.ReportingDatabase)
	checkQueries(t, e, cfg)
}

// TestQueriesOnCurrentClickHouse runs the dashboard on chDB (current
// ClickHouse) with tend's schema as shipped.
func TestQueriesOnCurrentClickHouse(t *testing.T) {
	s := chdbtest.New(t)
	t.Logf("chDB: ClickHouse %s", s.Version)
	ms, err := clickhouse.Migrations(clickhouse.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, st := range m.Statements { // on an empty server, every guard holds
			if err := s.Exec(st.SQL); err != nil {
				t.Fatalf("migration %d on chDB: %v\n%s", m.Version, err, st.SQL)
			}
		}
	}
	cfg := Config{}.withDefaults()
	loadReporting(t, s, cfg.ReportingDatabase)
	checkQueries(t, s, cfg)
}

// serverEngine is a ClickHouse server through tend's store.
type serverEngine struct{ store *clickhouse.Store }

func (e serverEngine) Exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.store.Conn().Exec(ctx, sql)
}

func (e serverEngine) Rows(sql string) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := e.store.Conn().Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out [][]string
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make([]string, len(dest))
		for i, d := range dest {
			row[i] = text(reflect.ValueOf(d).Elem())
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// text renders a scanned value as chDB's TabSeparated output would.
func text(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return `\N`
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		if x.Equal(x.Truncate(24 * time.Hour)) {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.DateTime)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

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
	if len(out) != 10 {
		t.Fatalf("found %d queries, want 10 (8 panels, 2 variables)", len(out))
	}
	return out
}

var (
	dateFilterRE = regexp.MustCompile(`\$__dateFilter\((\w+)\)`)
	finalRE      = regexp.MustCompile(`\.(team_weekly|alerts) FINAL\b`)
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

// The dataset: three weeks of clinic-a; team-2 is suppressed in the second
// week; a stale row of an older version that FINAL must hide; one live and
// one retracted alert.
var (
	weeks  = []string{"2024-02-05", "2024-02-12", "2024-02-19"}
	teams  = []string{"_all", "team-1", "team-2"}
	scores = []string{"burnout", "secondary_traumatic_stress", "compassion_satisfaction", "self_compassion"}
)

func loadReporting(t *testing.T, e engine, db string) {
	t.Helper()
	const cols = "clinic, team, week, score, suppressed, respondents, mean, stddev, share_high, rolling_mean_4w, slope_8w, ewma, ewma_ucl, ewma_lcl, participation, version"
	row := func(team, week, score string, mean float64, suppressed bool, version int) string {
		key := fmt.Sprintf("'clinic-a', '%s', toDate('%s'), '%s'", team, week, score)
		if suppressed {
			null := "CAST(NULL AS Nullable(Float64))"
			return fmt.Sprintf("SELECT %s, toUInt8(1), CAST(NULL AS Nullable(UInt32)), %s, toUInt64(%d)",
				key, strings.Repeat(null+", ", 8)+null, version)
		}
		f := func(v float64) string { return "toNullable(toFloat64(" + strconv.FormatFloat(v, 'f', -1, 64) + "))" }
		return fmt.Sprintf("SELECT %s, toUInt8(0), toNullable(toUInt32(6)), %s, CAST(NULL AS Nullable(Float64)), %s, toUInt64(%d)",
			key, strings.Join([]string{f(mean), f(2), f(0.5), f(mean)}, ", "), strings.Join([]string{f(mean), f(30), f(10), f(0.75)}, ", "), version)
	}
	var rows []string
	for _, team := range teams {
		for i, week := range weeks {
			for j, score := range scores {
				rows = append(rows, row(team, week, score, float64(20+i+10*j), team == "team-2" && i == 1, 2))
			}
		}
	}
	rows = append(rows, row("team-1", weeks[0], "burnout", 99, false, 1)) // stale
	for _, r := range rows {
		if err := e.Exec("INSERT INTO " + db + ".team_weekly (" + cols + ") " + r); err != nil {
			t.Fatalf("insert team_weekly: %v", err)
		}
	}
	alert := func(id, team, rule, week string, retracted int) string {
		return fmt.Sprintf("INSERT INTO %s.alerts (id, clinic, team, rule, week, state, value_names, value_values, retracted, recorded_at, version) "+
			"SELECT '%s', 'clinic-a', '%s', '%s', toDate('%s'), 'firing', ['ewma'], [1.5], toUInt8(%d), toDateTime('2024-02-20 08:00:00', 'UTC'), toUInt64(1)",
			db, id, team, rule, week, retracted)
	}
	for _, sql := range []string{
		alert("a1", "team-1", "burnout_rising", weeks[2], 0),
		alert("a2", "team-2", "participation_drop", weeks[1], 1),
	} {
		if err := e.Exec(sql); err != nil {
			t.Fatalf("insert alerts: %v", err)
		}
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
		if !finalRE.MatchString(sql) || unportableRE.MatchString(sql) {
			t.Errorf("%s: read without FINAL, or SQL that is not portable:\n%s", where, sql)
		}
		for _, team := range teams {
			if rows := run(where, sql, team); len(rows) == 0 {
				t.Errorf("%s for team %s: no rows", where, team)
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
	want := [][]string{{"2024-02-05", "20"}, {"2024-02-12", `\N`}, {"2024-02-19", "22"}}
	var got [][]string
	for _, r := range run("burnout trend", q.trend("burnout"), "team-2") {
		got = append(got, r[:2])
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("team-2 burnout (week, mean) = %q, want %q", got, want)
	}
	if r := run("burnout trend", q.trend("burnout"), "team-1"); len(r) != 3 || r[0][1] != "20" {
		t.Errorf("team-1 burnout = %q, want 3 weeks starting at 20 (FINAL hides the stale 99)", r)
	}

	suppressed := 0
	for _, r := range run("team-weeks", q.teamWeeks(), "") {
		if r[1] == "_all" {
			t.Errorf("team-weeks shows _all instead of \"clinic total\": %q", r)
		}
		if r[1] != "team-2" || r[0] != weeks[1] {
			if slices.Contains(r, NotEnoughResponses) {
				t.Errorf("published team-week shown as suppressed: %q", r)
			}
			continue
		}
		suppressed++
		for _, v := range r[3:] {
			if v != NotEnoughResponses {
				t.Errorf("suppressed team-week shows %q, want %q everywhere: %q", v, NotEnoughResponses, r)
			}
		}
	}
	if suppressed != len(scores) {
		t.Errorf("team-weeks: %d suppressed rows, want %d", suppressed, len(scores))
	}

	wantAlerts := [][]string{{"2024-02-19", "team-1", "burnout_rising", "firing", "ewma = 1.5", "2024-02-20 08:00:00"}}
	if got := run("alerts", q.alerts(), ""); !slices.EqualFunc(got, wantAlerts, slices.Equal) {
		t.Errorf("alerts = %q, want %q (retracted ones left out)", got, wantAlerts)
	}
	// The Grafana alert rule's query: one series per team alert, 1 while it
	// fires; the retracted one is not there.
	firing := [][]string{{"clinic-a", "team-1", "burnout_rising", "1"}}
	if got := run("alert rule", q.firingAlerts(), ""); !slices.EqualFunc(got, firing, slices.Equal) {
		t.Errorf("alert rule rows = %q, want %q", got, firing)
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
		for _, sql := range m.Statements {
			if err := s.Exec(sql); err != nil {
				t.Fatalf("migration %d on chDB: %v\n%s", m.Version, err, sql)
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

package clickhouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/testenv"
)

// TestGrafanaUserReadsReportingOnly checks the privacy boundary in storage
// as an attacker holding Grafana's ClickHouse user would try it: the user
// (scripts/clickhouse defines it as the README tells operators to) reads the
// reporting database and nothing else — by no path, table functions
// included — and writes nothing. A marker value is put into the private
// database first, and every answer is searched for it.
func TestGrafanaUserReadsReportingOnly(t *testing.T) {
	ctx := context.Background()
	writerCfg := clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: "tend", Password: testenv.ClickHousePassword(t, "tend")}
	writer := open(t, writerCfg)
	if _, err := writer.Migrate(ctx); err != nil { // the default databases, as Grafana reads them, by the writer
		t.Fatalf("the writer (user tend) cannot migrate tend and tend_reporting: %v", err)
	}
	grafana := open(t, clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: "grafana", Password: testenv.ClickHousePassword(t, "grafana")})
	admin := open(t, testenv.ClickHouseAdmin(t))

	// The private value to look for, in a private table of the writer's.
	marker := "tendsecret" + randomHex(t)
	probe := fmt.Sprintf("tend.grafana_probe_%s", randomHex(t))
	mustExec(t, writer, "CREATE TABLE "+probe+" (c String) ENGINE = MergeTree ORDER BY c")
	t.Cleanup(func() { admin.Conn().Exec(context.Background(), "DROP TABLE IF EXISTS "+probe) })
	mustExec(t, writer, "INSERT INTO "+probe+" SELECT '"+marker+"'")
	// A mutation's text names the value it deletes (tend erase does this).
	mustExec(t, writer, "ALTER TABLE "+probe+" DELETE WHERE c = '"+marker+"-erased'")

	var n uint64
	if err := grafana.Conn().QueryRow(ctx, "SELECT count() FROM tend_reporting.team_periods").Scan(&n); err != nil {
		t.Fatalf("grafana cannot read the reporting database: %v (scripts/clickhouse defines the user)", err)
	}

	host, _, _ := net.SplitHostPort(testenv.ClickHouseAddr())
	native := testenv.ClickHouseAddr()
	http := net.JoinHostPort(host, testenv.ClickHouseHTTPPort())
	private := strings.TrimPrefix(probe, "tend.")
	query := "SELECT+c+FROM+" + probe
	paths := []string{
		// directly, and through the databases Grafana may name
		"SELECT c FROM " + probe,
		"SELECT * FROM tend.checkins LIMIT 10",
		"SELECT c FROM merge('tend', '.*')",
		"SELECT c FROM merge('tend', '^" + private + "$')",
		// url(): this server's HTTP port, as every user, passwords guessed
		"SELECT * FROM url('http://" + http + "/?query=" + query + "', TSV, 'c String')",
		"SELECT * FROM url('http://" + http + "/?user=default&query=" + query + "', TSV, 'c String')",
		"SELECT * FROM url('http://" + http + "/?user=default&password=default&query=" + query + "', TSV, 'c String')",
		"SELECT * FROM url('http://" + http + "/?user=tend&password=tend&query=" + query + "', TSV, 'c String')",
		"SELECT * FROM url('http://" + http + "/?user=tend&password=&query=" + query + "', TSV, 'c String')",
		"SELECT * FROM url('http://default:@" + http + "/?query=" + query + "', TSV, 'c String')",
		// remote(): this server's native port, as every user
		"SELECT c FROM remote('" + native + "', tend, " + private + ")",
		"SELECT c FROM remote('" + native + "', tend, " + private + ", 'default', '')",
		"SELECT c FROM remote('" + native + "', tend, " + private + ", 'tend', 'tend')",
		"SELECT * FROM remote('" + native + "', 'tend_reporting', 'team_periods', 'default', 'wrong')",
		"SELECT * FROM remote('" + native + "', 'tend_reporting', 'team_periods', 'tend', '')",
		"SELECT c FROM remoteSecure('" + native + "', tend, " + private + ", 'default', '')",
		"SELECT c FROM cluster('test_shard_localhost', tend, " + private + ")",
		// file(): confined to user_files
		"SELECT * FROM file('../secrets/default', TSV, 'c String')",
		"SELECT * FROM file('../users.xml', TSV, 'c String')",
		"SELECT * FROM file('/etc/passwd', TSV, 'c String')",
		"SELECT * FROM file('../data/" + probe[:4] + "/" + private + "/all_1_1_0/c.bin', TSV, 'c String')",
		// other table functions and dictionaries
		"SELECT * FROM mysql('127.0.0.1:1', 'tend', '" + private + "', 'default', '')",
		"SELECT * FROM jdbc('jdbc:clickhouse://" + http + "', 'tend', '" + private + "')",
		"SELECT * FROM odbc('DSN=x', 'tend', '" + private + "')",
		"SELECT * FROM system.dictionaries",
		"SELECT dictGetString('tend', 'c', toUInt64(1))",
		// settings: readonly cannot be lifted
		"SELECT c FROM " + probe + " SETTINGS readonly = 0",
	}
	for _, q := range paths {
		assertNoMarker(t, grafana, q, marker)
	}

	// Every system table, whole: none holds the marker (system.mutations and
	// system.parts list the allowed databases only; no query_log is kept).
	rows, err := grafana.Conn().Query(ctx, "SELECT name FROM system.tables WHERE database = 'system'")
	if err != nil {
		t.Fatal(err)
	}
	var systemTables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		systemTables = append(systemTables, name)
	}
	rows.Close()
	for _, name := range systemTables {
		assertNoMarker(t, grafana, "SELECT * FROM system."+name+" LIMIT 100000", marker)
	}
	if got := count(t, grafana, "SELECT count() FROM system.tables WHERE database = 'tend'"); got != 0 {
		t.Errorf("grafana sees %d private tables in system.tables", got)
	}

	// Writes, DDL and lifting readonly are refused.
	for _, q := range []string{
		"CREATE TABLE tend_reporting.grafana_was_here (x UInt8) ENGINE = Memory",
		"INSERT INTO tend_reporting.alerts SELECT * FROM tend_reporting.alerts LIMIT 0",
		"SET readonly = 0",
		"DROP TABLE tend_reporting.team_periods",
		"CREATE DATABASE grafana_was_here",
	} {
		if err := grafana.Conn().Exec(ctx, q); err == nil {
			admin.Conn().Exec(ctx, "DROP TABLE IF EXISTS tend_reporting.grafana_was_here")
			admin.Conn().Exec(ctx, "DROP DATABASE IF EXISTS grafana_was_here")
			t.Errorf("grafana ran %q", q)
		}
	}

	// Cost: the profile's limits hold by default. (readonly 2 lets a client
	// raise them, since Grafana's plugin sets max_execution_time on every
	// query and 18.16 has no settings constraints; the user's quota is the
	// bound it cannot lift.)
	for name, want := range map[string]string{"readonly": "2", "max_execution_time": "30", "max_memory_usage": "1000000000", "max_result_rows": "1000000", "max_rows_to_read": "100000000"} {
		var got string
		if err := grafana.Conn().QueryRow(ctx, "SELECT value FROM system.settings WHERE name = ?", name).Scan(&got); err != nil || got != want {
			t.Errorf("grafana's %s = %q (%v), want %s", name, got, err, want)
		}
	}
	for q, want := range map[string]string{
		"SELECT number FROM numbers(5000000)":               "Limit for result exceeded",
		"SELECT groupArray(number) FROM numbers(300000000)": "Memory limit",
	} {
		err := drain(grafana, q)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s as grafana: %v, want %q", q, err, want)
		}
	}
	if err := drain(grafana, "SELECT count() FROM tend_reporting.team_periods SETTINGS max_execution_time = 10"); err != nil {
		t.Errorf("grafana cannot set max_execution_time, as Grafana's plugin does: %v", err)
	}

	// Other users' running queries in system.processes.
	t.Run("system.processes", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- drain(writer, "SELECT sleep(3) AS "+marker+"_running") }()
		defer func() { <-done }()
		testenv.Eventually(t, 5*time.Second, "the writer's query in system.processes", func() bool {
			return count(t, admin, "SELECT count() FROM system.processes WHERE query LIKE '%"+marker[:10]+"%running%'") > 0
		})
		out, err := dump(grafana, "SELECT * FROM system.processes")
		if err != nil || !strings.Contains(out, marker) {
			return // refused, or not shown: holds
		}
		var version string
		admin.Conn().QueryRow(ctx, "SELECT version()").Scan(&version)
		if strings.HasPrefix(version, "18.") {
			// Measured on 18.16: system is always readable (allow_databases
			// does not cover it) and users.xml row filters (<databases>) do
			// not exist yet, so another user's query text is visible while
			// it runs. tend's queries carry no private values in their text
			// except the pseudonym in tend erase's ALTER … DELETE (visible
			// for its duration); current ClickHouse shows a user only their
			// own queries without the SHOW PROCESSLIST grant (users.sql).
			t.Skipf("ClickHouse %s shows other users' running query text in system.processes (known 18.16 gap; see README)", version)
		}
		t.Errorf("grafana sees the writer's running query in system.processes")
	})
}

func open(t *testing.T, cfg clickhouse.Config) *clickhouse.Store {
	t.Helper()
	s, err := clickhouse.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("%s: %v", cfg.User, err)
	}
	return s
}

func mustExec(t *testing.T, s *clickhouse.Store, q string) {
	t.Helper()
	if err := s.Conn().Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func count(t *testing.T, s *clickhouse.Store, q string) uint64 {
	t.Helper()
	var n uint64
	if err := s.Conn().QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// assertNoMarker runs q: it may be refused, but must not return marker, in
// its rows or in its error.
func assertNoMarker(t *testing.T, s *clickhouse.Store, q, marker string) {
	t.Helper()
	out, err := dump(s, q)
	if strings.Contains(out, marker) || (err != nil && strings.Contains(err.Error(), marker)) {
		t.Errorf("grafana read private data with\n  %s", q)
	}
	if testing.Verbose() {
		if err != nil {
			t.Logf("refused: %s\n  %v", q, firstLine(err.Error()))
		} else {
			t.Logf("answered without private data: %s (%d bytes)", q, len(out))
		}
	}
}

// dump runs q and returns every value of every row, as text.
func dump(s *clickhouse.Store, q string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rows, err := s.Conn().Query(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return b.String(), err
		}
		for _, v := range vals {
			fmt.Fprintf(&b, "%v\t", reflect.ValueOf(v).Elem().Interface())
		}
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}

// drain runs q and reads its rows, returning the first error.
func drain(s *clickhouse.Store, q string) error {
	_, err := dump(s, q)
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

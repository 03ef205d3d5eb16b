package clickhouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/testenv"
)

// TestGrafanaUserReachesNothingPrivate checks the privacy boundary in
// storage as an attacker holding Grafana's ClickHouse user — a clinic's
// reader, as scripts/clickhouse defines it and the README tells operators
// to — would try it: it reads its clinic's reporting database and nothing
// private — by no path, table functions included —, writes nothing,
// cannot raise its profile's limits, and sees no other user's query text.
// A marker value is put into the private database (and into a query the
// writer keeps running) first, and every answer is searched for it.
// (TestClinicReaderReadsItsClinicOnly tries the other clinics' rows.)
func TestGrafanaUserReachesNothingPrivate(t *testing.T) {
	ctx := context.Background()
	clinic := testenv.Clinics(t)[0]
	writerCfg := clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: "tend", Password: testenv.ClickHousePassword(t, "tend"), Clinics: testenv.Clinics(t)}
	writer := open(t, writerCfg)
	if _, err := writer.Migrate(ctx); err != nil { // the default databases, as Grafana reads them, by the writer
		t.Fatalf("the writer (user tend) cannot migrate tend, tend_reporting and the clinics' databases: %v", err)
	}
	user := clickhouse.ClinicReader(clinic)
	grafana := open(t, clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: user, Password: testenv.ClickHousePassword(t, user)})
	own := clickhouse.ClinicDatabase(writer.Config(), clinic)
	admin := open(t, testenv.ClickHouseAdmin(t))

	// The private value to look for, in a private table of the writer's.
	marker := "tendsecret" + randomHex(t)
	probe := fmt.Sprintf("tend.grafana_probe_%s", randomHex(t))
	mustExec(t, writer, "CREATE TABLE "+probe+" (c String) ENGINE = MergeTree ORDER BY c")
	t.Cleanup(func() { admin.Conn().Exec(context.Background(), "DROP TABLE IF EXISTS "+probe) })
	mustExec(t, writer, "INSERT INTO "+probe+" SELECT '"+marker+"'")
	// A mutation's text names the value it deletes (an operator's may).
	mustExec(t, writer, "ALTER TABLE "+probe+" DELETE WHERE c = '"+marker+"-erased'")

	var n uint64
	if err := grafana.Conn().QueryRow(ctx, "SELECT count() FROM "+own+".team_periods").Scan(&n); err != nil {
		t.Fatalf("%s cannot read %s: %v (scripts/clickhouse defines the user)", user, own, err)
	}

	for _, q := range append(attackPaths("tend", strings.TrimPrefix(probe, "tend."), "c"), "SELECT * FROM tend.checkins LIMIT 10") {
		assertNoMarker(t, grafana, q, marker)
	}

	// Every system table, whole: none holds the marker (system.mutations and
	// system.parts list the allowed databases only; no query_log is kept).
	systemTables := systemTableNames(t, grafana)
	for _, name := range systemTables {
		assertNoMarker(t, grafana, "SELECT * FROM system."+name+" LIMIT 100000", marker)
	}
	if got := count(t, grafana, "SELECT count() FROM system.tables WHERE database = 'tend'"); got != 0 {
		t.Errorf("grafana sees %d private tables in system.tables", got)
	}

	// Writes, DDL, lifting readonly and raising a limit are refused.
	for _, q := range []string{
		"CREATE TABLE " + own + ".grafana_was_here (x UInt8) ENGINE = Memory",
		"INSERT INTO " + own + ".alerts SELECT * FROM " + own + ".alerts LIMIT 0",
		"SET readonly = 0",
		"SET max_execution_time = 600",
		"SELECT 1 SETTINGS max_memory_usage = 100000000000",
		"SELECT 1 SETTINGS max_execution_time = 0",
		"SELECT 1 SETTINGS max_result_rows = 0",
		"DROP TABLE " + own + ".team_periods",
		"CREATE DATABASE grafana_was_here",
	} {
		if err := grafana.Conn().Exec(ctx, q); err == nil {
			admin.Conn().Exec(ctx, "DROP TABLE IF EXISTS "+own+".grafana_was_here")
			admin.Conn().Exec(ctx, "DROP DATABASE IF EXISTS grafana_was_here")
			t.Errorf("grafana ran %q", q)
		}
	}

	// Cost: the profile's limits hold, and its user cannot raise them.
	limits := map[string]string{"readonly": "1", "max_execution_time": "30", "max_memory_usage": "1000000000", "max_result_rows": "1000000", "max_rows_to_read": "100000000"}
	for name, want := range limits {
		var got string
		if err := grafana.Conn().QueryRow(ctx, "SELECT value FROM system.settings WHERE name = ?", name).Scan(&got); err != nil || got != want {
			t.Errorf("grafana's %s = %q (%v), want %s", name, got, err, want)
		}
	}
	bombs := map[string]string{
		"SELECT number FROM system.numbers LIMIT 5000000":                                   "Limit for result exceeded",
		"SELECT groupArray(number) FROM (SELECT number FROM system.numbers LIMIT 90000000)": "Memory limit",
		"SELECT count() FROM system.numbers":                                                "Limit for rows to read",
	}
	for q, want := range bombs {
		err := drain(ctx, grafana, q)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s as grafana: %v, want %q", q, err, want)
		}
	}
	// Grafana's ClickHouse plugin runs each query with a deadline, and
	// clickhouse-go then sends max_execution_time (the time left + 5 s)
	// along with it: that must work.
	plugin, cancel := context.WithTimeout(ch.Context(ctx, ch.WithClientInfo(ch.ClientInfo{Comment: []string{"grafana_user:admin"}})), 30*time.Second)
	defer cancel()
	if err := drain(plugin, grafana, "SELECT count() FROM "+own+".team_periods"); err != nil {
		t.Errorf("grafana cannot query the way Grafana's plugin does: %v", err)
	}
	// Raising a limit as SET or SETTINGS is refused (above); sent along
	// with a query, it is refused or ignored, and the limits still hold.
	raised := ch.Context(ctx, ch.WithSettings(ch.Settings{"max_execution_time": 0, "max_memory_usage": 100000000000, "max_result_rows": 0, "max_rows_to_read": 0}))
	for name := range limits {
		var got string
		if err := grafana.Conn().QueryRow(raised, "SELECT value FROM system.settings WHERE name = ?", name).Scan(&got); err == nil && got != limits[name] {
			t.Errorf("grafana raised %s to %s by sending it with a query", name, got)
		}
	}
	for q, want := range bombs {
		err := drain(raised, grafana, q)
		if err == nil || !strings.Contains(err.Error(), want) && !strings.Contains(err.Error(), "readonly") {
			t.Errorf("%s as grafana, sent with raised limits: %v, want %q", q, err, want)
		}
	}
	// Over HTTP, settings are URL parameters: refused, or not applied.
	host, _, _ := net.SplitHostPort(testenv.ClickHouseAddr())
	for name := range limits {
		u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, testenv.ClickHouseHTTPPort()), Path: "/", RawQuery: url.Values{
			"user": {user}, "password": {testenv.ClickHousePassword(t, user)}, name: {"0"},
			"query": {"SELECT value FROM system.settings WHERE name = '" + name + "'"},
		}.Encode()}
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.TrimSpace(string(body)); resp.StatusCode == http.StatusOK && got != limits[name] {
			t.Errorf("grafana set %s to %s over HTTP", name, got)
		}
	}

	// Other users' query text: nothing a system table shows grafana holds a
	// private value — not while another user's query naming one runs, and
	// not after tend erased a clinician.
	t.Run("query text", func(t *testing.T) {
		running, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		// Nine seconds: sleep(3) for each of three one-row blocks.
		go func() {
			done <- drain(running, writer, "SELECT sleep(3), '"+marker+"' FROM numbers(3) SETTINGS max_block_size = 1")
		}()
		defer func() { stop(); <-done }()
		time.Sleep(300 * time.Millisecond)
		for _, name := range systemTables {
			assertNoMarker(t, grafana, "SELECT * FROM system."+name+" LIMIT 100000", marker)
		}
		select {
		case err := <-done:
			t.Fatalf("the writer's query ended (%v) before grafana had read every system table: inconclusive", err)
		default:
		}

		// tend erase: the clinician's rows go, and no query text named
		// them or their clinic — not even the admin's view of the mutation.
		store := testenv.OpenStore(t, testenv.ClickHouseConfig(t))
		clinic, pseudonym := "tendclinic"+randomHex(t), "tendpseudonym"+randomHex(t)
		var rows []checkin.Scored
		for i, who := range []string{pseudonym, pseudonym, "someone-else"} {
			rows = append(rows, checkin.Scored{Event: checkin.Event{CheckIn: checkin.CheckIn{
				ID: fmt.Sprintf("%s-%d", clinic, i), Clinic: clinic, Team: "t", Clinician: who, Instrument: "proqol5",
				SubmittedAt: time.Now(), Answers: []int{1}}, ReceivedAt: time.Now()}, Scores: make([]float64, len(instrument.ScoreOrder("proqol5")))})
		}
		if err := store.InsertCheckins(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if n, err := store.EraseClinician(ctx, clinic, pseudonym); err != nil || n != 2 {
			t.Fatalf("erase: %d check-ins, %v; want 2", n, err)
		}
		db := store.Config().Database
		if left := count(t, admin, "SELECT count() FROM "+db+".checkins WHERE clinician = '"+pseudonym+"'"); left != 0 {
			t.Errorf("%d check-ins of the erased clinician are left", left)
		}
		if left := count(t, admin, "SELECT count() FROM "+db+".checkins"); left != 1 {
			t.Errorf("%d check-ins left, want the other clinician's 1", left)
		}
		for _, private := range []string{clinic, pseudonym} {
			if n := count(t, admin, "SELECT count() FROM system.mutations WHERE position(command, '"+private+"') > 0"); n != 0 {
				t.Errorf("the erasure's mutation names %s in its text", private)
			}
			for _, name := range systemTables {
				assertNoMarker(t, grafana, "SELECT * FROM system."+name+" LIMIT 100000", private)
			}
		}
	})
}

// attackPaths are the ways a reader might try to reach column of the
// private table db.table: directly, through merge(), url() to this server's
// HTTP port and remote() to its native port as every user with guessed
// passwords, file() outside user_files, other table functions,
// dictionaries, and lifting readonly.
func attackPaths(db, table, column string) []string {
	host, _, _ := net.SplitHostPort(testenv.ClickHouseAddr())
	native := testenv.ClickHouseAddr()
	httpAddr := net.JoinHostPort(host, testenv.ClickHouseHTTPPort())
	target := db + "." + table
	query := "SELECT+" + column + "+FROM+" + target
	structure := "'" + column + " String'"
	return []string{
		"SELECT " + column + " FROM " + target,
		"SELECT " + column + " FROM merge('" + db + "', '.*')",
		"SELECT " + column + " FROM merge('" + db + "', '^" + table + "$')",
		"SELECT * FROM url('http://" + httpAddr + "/?query=" + query + "', TSV, " + structure + ")",
		"SELECT * FROM url('http://" + httpAddr + "/?user=default&query=" + query + "', TSV, " + structure + ")",
		"SELECT * FROM url('http://" + httpAddr + "/?user=default&password=default&query=" + query + "', TSV, " + structure + ")",
		"SELECT * FROM url('http://" + httpAddr + "/?user=tend&password=tend&query=" + query + "', TSV, " + structure + ")",
		"SELECT * FROM url('http://" + httpAddr + "/?user=tend&password=&query=" + query + "', TSV, " + structure + ")",
		"SELECT * FROM url('http://default:@" + httpAddr + "/?query=" + query + "', TSV, " + structure + ")",
		"SELECT " + column + " FROM remote('" + native + "', " + db + ", " + table + ")",
		"SELECT " + column + " FROM remote('" + native + "', " + db + ", " + table + ", 'default', '')",
		"SELECT " + column + " FROM remote('" + native + "', " + db + ", " + table + ", 'tend', 'tend')",
		"SELECT " + column + " FROM remote('" + native + "', " + db + ", " + table + ", 'default', 'wrong')",
		"SELECT " + column + " FROM remote('" + native + "', " + db + ", " + table + ", 'tend', '')",
		"SELECT " + column + " FROM remoteSecure('" + native + "', " + db + ", " + table + ", 'default', '')",
		"SELECT " + column + " FROM cluster('test_shard_localhost', " + db + ", " + table + ")",
		"SELECT * FROM file('../secrets/default', TSV, 'c String')",
		"SELECT * FROM file('../users.xml', TSV, 'c String')",
		"SELECT * FROM file('/etc/passwd', TSV, 'c String')",
		"SELECT * FROM file('../data/" + db + "/" + table + "/all_1_1_0/" + column + ".bin', TSV, 'c String')",
		"SELECT * FROM mysql('127.0.0.1:1', '" + db + "', '" + table + "', 'default', '')",
		"SELECT * FROM jdbc('jdbc:clickhouse://" + httpAddr + "', '" + db + "', '" + table + "')",
		"SELECT * FROM odbc('DSN=x', '" + db + "', '" + table + "')",
		"SELECT * FROM system.dictionaries",
		"SELECT dictGetString('" + db + "', '" + column + "', toUInt64(1))",
		"SELECT " + column + " FROM " + target + " SETTINGS readonly = 0",
	}
}

// systemTableNames lists the tables of the system database s sees.
func systemTableNames(t *testing.T, s *clickhouse.Store) []string {
	t.Helper()
	rows, err := s.Conn().Query(context.Background(), "SELECT name FROM system.tables WHERE database = 'system'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
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
	out, err := dump(context.Background(), s, q)
	if strings.Contains(out, marker) || (err != nil && strings.Contains(err.Error(), marker)) {
		t.Errorf("%s read private data with\n  %s", s.Config().User, q)
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
func dump(ctx context.Context, s *clickhouse.Store, q string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
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
func drain(ctx context.Context, s *clickhouse.Store, q string) error {
	_, err := dump(ctx, s, q)
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

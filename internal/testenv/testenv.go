// Package testenv gives tests the real services tend runs on: an embedded
// NATS server with JetStream, and databases of their own on the ClickHouse
// server `make test` starts (scripts/clickhouse). Nothing here is a mock.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/stream"
)

// NATS is an embedded NATS server with JetStream and tend's streams, and a
// client connected to it.
type NATS struct {
	Server *server.Server
	Conn   *nats.Conn
	JS     jetstream.JetStream
}

// StartNATS starts an embedded NATS server with JetStream storage in a
// temporary directory, creates tend's streams, and stops it all at cleanup.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	ns, err := stream.RunServer(stream.ServerConfig{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start nats: %v", err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	n := &NATS{Server: ns}
	n.Conn, n.JS = Connect(t, ns.ClientURL())
	if err := stream.Ensure(context.Background(), n.JS, stream.Config{}); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return n
}

// Connect opens a NATS connection closed at cleanup.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("connect nats: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// StreamMessages returns how many messages stream name holds.
func (n *NATS) StreamMessages(t testing.TB, name string) uint64 {
	t.Helper()
	s, err := n.JS.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatalf("stream %s info: %v", name, err)
	}
	return info.State.Msgs
}

// ClickHouseAddr is the server tests use: $TEND_TEST_CLICKHOUSE_ADDR, or the
// one scripts/clickhouse starts (127.0.0.1 on $TEND_CH_TCP_PORT, by default
// 9000).
func ClickHouseAddr() string {
	if a := os.Getenv("TEND_TEST_CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	if p := os.Getenv("TEND_CH_TCP_PORT"); p != "" {
		return "127.0.0.1:" + p
	}
	return clickhouse.DefaultAddr
}

// ClickHouseHTTPPort is the HTTP port of the test server:
// $TEND_CH_HTTP_PORT, by default 8123 (as scripts/clickhouse).
func ClickHouseHTTPPort() string {
	if p := os.Getenv("TEND_CH_HTTP_PORT"); p != "" {
		return p
	}
	return "8123"
}

// ClickHouseSecretsDir is where scripts/clickhouse keeps the passwords of
// the test server's users: $TEND_CH_DIR/secrets, by default
// <repo>/.clickhouse/secrets.
func ClickHouseSecretsDir() string {
	if d := os.Getenv("TEND_CH_DIR"); d != "" {
		return filepath.Join(d, "secrets")
	}
	return filepath.Join(RepoRoot(), ".clickhouse", "secrets")
}

// ClickHousePasswordFile is the file holding the password of the test
// server's admin user (default), which tests connect as, since they create
// databases of their own (tend_test_*, tend_bench_*) that no narrower user
// may: $TEND_TEST_CLICKHOUSE_PASSWORD_FILE, or scripts/clickhouse's.
func ClickHousePasswordFile() string {
	if f := os.Getenv("TEND_TEST_CLICKHOUSE_PASSWORD_FILE"); f != "" {
		return f
	}
	return filepath.Join(ClickHouseSecretsDir(), "default")
}

// ClickHousePassword reads the password of user in the test server's
// secrets directory (ClickHousePasswordFile for default); the test fails
// when it is missing.
func ClickHousePassword(t testing.TB, user string) string {
	t.Helper()
	f := ClickHousePasswordFile()
	if user != "default" {
		f = filepath.Join(ClickHouseSecretsDir(), user)
	}
	return readSecret(t, f)
}

func readSecret(t testing.TB, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("ClickHouse password: %v\nthe test server's users have passwords: run `make test`, or `scripts/clickhouse up` first (set TEND_CH_DIR or TEND_TEST_CLICKHOUSE_PASSWORD_FILE for a server elsewhere)", err)
	}
	return strings.TrimSpace(string(b))
}

// Clinics are the clinics the test server gives a reader of their own
// (scripts/clickhouse: TEND_CLINICS, by default the demo's).
func Clinics(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("TEND_CLINICS")
	if v == "" {
		v = "northside,riverside"
	}
	clinics, err := clickhouse.ParseClinics(v)
	if err != nil || len(clinics) < 2 {
		t.Fatalf("TEND_CLINICS=%q: the tests need two valid clinics (%v)", v, err)
	}
	return clinics
}

// ClickHouseAdmin is the configuration of the test server's admin user,
// without databases.
func ClickHouseAdmin(t testing.TB) clickhouse.Config {
	t.Helper()
	return clickhouse.Config{Addr: ClickHouseAddr(), User: "default", Password: ClickHousePassword(t, "default")}
}

// ClickHouseConfig returns a configuration with databases of the test's own
// (dropped at cleanup), on the test ClickHouse server. It fails the test
// when that server does not answer: the suite needs it, `make test` starts it.
func ClickHouseConfig(t testing.TB) clickhouse.Config {
	t.Helper()
	suffix := randomHex(t, 6)
	cfg := ClickHouseAdmin(t)
	cfg.Database = "tend_test_" + suffix
	cfg.ReportingDatabase = "tend_test_reporting_" + suffix
	admin, err := clickhouse.Open(cfg)
	if err != nil {
		t.Fatalf("open clickhouse: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.Ping(ctx); err != nil {
		admin.Close()
		t.Fatalf("%v\nthe tests need a real ClickHouse server: run `make test`, or `scripts/clickhouse up` first", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.DropDatabases(ctx); err != nil {
			t.Log(err)
		}
		admin.Close()
	})
	return cfg
}

// ClickHouse opens a store on databases of the test's own, migrated.
func ClickHouse(t testing.TB) *clickhouse.Store {
	t.Helper()
	return OpenStore(t, ClickHouseConfig(t))
}

// OpenStore opens and migrates a store for cfg, closed at cleanup.
func OpenStore(t testing.TB, cfg clickhouse.Config) *clickhouse.Store {
	t.Helper()
	s, err := clickhouse.Open(cfg)
	if err != nil {
		t.Fatalf("open clickhouse: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// Pseudonymizer returns a pseudonymizer with a fixed test key.
func Pseudonymizer(t testing.TB) *checkin.Pseudonymizer {
	t.Helper()
	p, err := checkin.NewPseudonymizer([]byte(TestKey))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKey is the pseudonym key tests use.
const TestKey = "test-key-0123456789abcdef0123456789abcdef"

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Eventually polls cond every 50ms until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Count runs a query returning one number, as an operator would check a table.
func Count(t testing.TB, store *clickhouse.Store, query string) uint64 {
	t.Helper()
	var n uint64
	if err := store.Conn().QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// ConnectAs connects as the user whose nkey seed is in seedFile (the users
// of a tend up: pipeline.Main.NATSSeed).
func ConnectAs(t testing.TB, url, seedFile string) jetstream.JetStream {
	t.Helper()
	o, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	_, js := Connect(t, url, o)
	return js
}

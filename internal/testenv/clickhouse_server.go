package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tendhq/tend/internal/clickhouse"
)

// ClickHouseServer is a ClickHouse server of one test's own, run by
// scripts/clickhouse on free ports, for tests that stop and restart it.
type ClickHouseServer struct {
	Addr string
	// Password is the password of its admin user (default), which
	// scripts/clickhouse generates at the first start.
	Password string
	dir      string
	env      []string
}

// StartClickHouseServer starts a dedicated ClickHouse server; cleanup stops it.
func StartClickHouseServer(t testing.TB) *ClickHouseServer {
	t.Helper()
	dir := t.TempDir()
	tcp, http := FreePort(t), FreePort(t)
	s := &ClickHouseServer{
		Addr: fmt.Sprintf("127.0.0.1:%d", tcp),
		dir:  filepath.Join(dir, "clickhouse"),
		env: append(os.Environ(),
			"TEND_CH_DIR="+filepath.Join(dir, "clickhouse"),
			fmt.Sprintf("TEND_CH_TCP_PORT=%d", tcp),
			fmt.Sprintf("TEND_CH_HTTP_PORT=%d", http),
		),
	}
	s.Start(t)
	t.Cleanup(func() { s.Stop(t) })
	s.Password = readSecret(t, filepath.Join(s.dir, "secrets", "default"))
	return s
}

// Use points cfg at this server, as its admin user.
func (s *ClickHouseServer) Use(cfg clickhouse.Config) clickhouse.Config {
	cfg.Addr, cfg.User, cfg.Password = s.Addr, "default", s.Password
	return cfg
}

// Start starts the server (again) and waits until it answers.
func (s *ClickHouseServer) Start(t testing.TB) { t.Helper(); s.script(t, "up") }

// Stop stops the server by its PID and waits until it is gone.
func (s *ClickHouseServer) Stop(t testing.TB) { t.Helper(); s.script(t, "down") }

func (s *ClickHouseServer) script(t testing.TB, verb string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(RepoRoot(), "scripts", "clickhouse"), verb)
	cmd.Env = s.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/clickhouse %s: %v\n%s", verb, err, out)
	}
}

// FreePort asks the kernel for a free TCP port on loopback.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Package chdbtest runs SQL on current ClickHouse (chDB 26.x, the engine as
// a library) in tests, so that nothing tend ships works only on the 18.16
// server the other tests use. scripts/chdb install puts the library under
// <repo>/.chdb; `make test` does that first.
//
// chdb-go loads libchdb.so in a package init and panics when it is missing,
// and chDB allows one session per process. So no test binary imports
// chdb-go: each Session is a process of its own, chdbexec, spoken to over a
// pipe. A missing library then fails the chDB tests with a message saying
// what to run, and each test gets a fresh database in its t.TempDir().
package chdbtest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// libInRepo is where scripts/chdb installs the library, relative to
// TEND_CHDB_DIR (default <repo>/.chdb). Keep the two in step.
const libInRepo = "node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

// repoRoot is the repository's top folder.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// libPath returns the libchdb.so to load: CHDB_LIB_PATH, else the one
// scripts/chdb installs. It fails the test when there is none.
func libPath(t testing.TB) string {
	t.Helper()
	const howTo = "run `scripts/chdb install` (or `make test`, which does), or set CHDB_LIB_PATH to a libchdb.so"
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("chDB (current ClickHouse, embedded): CHDB_LIB_PATH: %v; %s", err, howTo)
		}
		return p
	}
	dir := os.Getenv("TEND_CHDB_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot(), ".chdb")
	}
	p := filepath.Join(dir, libInRepo)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("chDB (current ClickHouse, embedded) is not installed: %s is missing; %s", p, howTo)
	}
	return p
}

// Session is one chDB session: a chdbexec process with its data in a test's
// temporary folder. Its methods are safe for concurrent use; statements run
// one at a time.
type Session struct {
	// Version is the ClickHouse version of the library, e.g. 26.5.1.1.
	Version string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	enc    *json.Encoder
	dec    *json.Decoder
	stderr *lockedBuffer
	broken error // set once the process stopped answering
}

// The protocol of chdbexec.
type (
	request struct {
		SQL    string `json:"sql"`
		Format string `json:"format"`
	}
	response struct {
		Version string `json:"version,omitempty"`
		Out     string `json:"out,omitempty"`
		Error   string `json:"error,omitempty"`
	}
)

// New opens a fresh chDB session for t, closed when t ends. It fails t when
// the library is not installed.
func New(t testing.TB) *Session {
	t.Helper()
	lib := libPath(t)
	goTool, err := exec.LookPath("go") // go test puts $GOROOT/bin first in PATH
	if err != nil {
		t.Fatalf("chDB: the go command is needed to build chdbexec: %v", err)
	}
	s := &Session{stderr: &lockedBuffer{}}
	s.cmd = exec.Command(goTool, "run", "./internal/chdbtest/chdbexec", "-path", t.TempDir())
	s.cmd.Dir = repoRoot()
	s.cmd.Env = append(os.Environ(), "CHDB_LIB_PATH="+lib)
	s.cmd.Stderr = s.stderr
	s.cmd.WaitDelay = 5 * time.Second
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatalf("chDB: %v", err)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("chDB: %v", err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("chDB: start chdbexec: %v", err)
	}
	t.Cleanup(s.close) // before t.TempDir's own cleanup, which removes the data
	s.enc = json.NewEncoder(s.stdin)
	s.dec = json.NewDecoder(bufio.NewReader(stdout))
	var hello response
	if err := s.dec.Decode(&hello); err != nil {
		t.Fatalf("chDB: chdbexec did not start (%v); its output:\n%s", err, s.stderr.String())
	}
	if hello.Error != "" {
		t.Fatalf("chDB: %s\n%s", hello.Error, s.stderr.String())
	}
	s.Version = hello.Version
	return s
}

// Query runs one statement and returns its output in format (TabSeparated
// when empty), or ClickHouse's error.
func (s *Session) Query(sql, format string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return "", s.broken
	}
	var r response
	err := s.enc.Encode(request{SQL: sql, Format: format})
	if err == nil {
		err = s.dec.Decode(&r)
	}
	if err != nil {
		s.broken = fmt.Errorf("chdbexec stopped answering (%v); its output:\n%s", err, s.stderr.String())
		return "", s.broken
	}
	if r.Error != "" {
		return "", errors.New(r.Error)
	}
	return r.Out, nil
}

// Exec runs one statement and discards its output.
func (s *Session) Exec(sql string) error {
	_, err := s.Query(sql, "TabSeparated")
	return err
}

// Rows runs a query and returns its rows, each a slice of the columns' text
// (TabSeparated, unescaped; NULL is `\N`).
func (s *Session) Rows(sql string) ([][]string, error) {
	out, err := s.Query(sql, "TabSeparated")
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for line := range strings.Lines(out) {
		fields := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		for i, f := range fields {
			fields[i] = tsvUnescape.Replace(f)
		}
		rows = append(rows, fields)
	}
	return rows, nil
}

var tsvUnescape = strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r", `\0`, "\x00", `\'`, `'`, `\b`, "\b", `\f`, "\f")

// MustExec is Exec failing t, with the SQL, when ClickHouse rejects it.
func (s *Session) MustExec(t testing.TB, sql string) {
	t.Helper()
	if err := s.Exec(sql); err != nil {
		t.Fatalf("chDB (ClickHouse %s) rejected:\n%s\nerror: %v", s.Version, sql, err)
	}
}

// MustRows is Rows failing t, with the SQL, when ClickHouse rejects it.
func (s *Session) MustRows(t testing.TB, sql string) [][]string {
	t.Helper()
	rows, err := s.Rows(sql)
	if err != nil {
		t.Fatalf("chDB (ClickHouse %s) rejected:\n%s\nerror: %v", s.Version, sql, err)
	}
	return rows
}

func (s *Session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.stdin.Close() // chdbexec closes the session and exits at end of input
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	if s.broken == nil {
		s.broken = errors.New("chDB session closed")
	}
}

// lockedBuffer collects a process's stderr while a test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Command chdbexec runs SQL on chDB (current ClickHouse, embedded) for
// tests; package chdbtest starts it with `go run` and speaks to it.
//
// It is a process of its own because chdb-go loads libchdb.so in a package
// init (panicking when the library is missing), and chDB allows one session
// per process: a test binary that imported chdb-go could neither report a
// missing library nor open a second session.
//
// Protocol: one JSON object per line. It writes {"version": "..."} once the
// session is open (or {"error": "..."}), then answers each request
// {"sql": "...", "format": "..."} read from stdin with {"out": "..."} or
// {"error": "..."} on stdout, and exits at the end of stdin. The library is
// CHDB_LIB_PATH.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/chdb-io/chdb-go/chdb"
)

type request struct {
	SQL    string `json:"sql"`
	Format string `json:"format"`
}

type response struct {
	Version string `json:"version,omitempty"`
	Out     string `json:"out,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	path := flag.String("path", "", "session directory (kept after exit)")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "chdbexec: -path is required")
		os.Exit(2)
	}

	// Keep stdout for the protocol: whatever the library itself prints to
	// file descriptor 1 goes to stderr instead.
	fd, err := syscall.Dup(1)
	if err == nil {
		err = syscall.Dup3(2, 1, 0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chdbexec: redirect stdout:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.NewFile(uintptr(fd), "protocol"))
	enc := json.NewEncoder(w)
	send := func(r response) {
		err := enc.Encode(r)
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "chdbexec: write:", err)
			os.Exit(1)
		}
	}

	s, err := chdb.NewSession(*path)
	if err != nil {
		send(response{Error: "open chDB session: " + err.Error()})
		os.Exit(1)
	}
	defer s.Close()
	version, err := query(s, request{SQL: "SELECT version()", Format: "TabSeparated"})
	if err != nil {
		send(response{Error: "open chDB session: " + err.Error()})
		return
	}
	send(response{Version: strings.TrimSpace(version)})

	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, "chdbexec: read:", err)
			}
			return
		}
		out, err := query(s, req)
		if err != nil {
			send(response{Error: err.Error()})
			continue
		}
		send(response{Out: out})
	}
}

func query(s *chdb.Session, req request) (string, error) {
	format := req.Format
	if format == "" {
		format = "TabSeparated"
	}
	res, err := s.Query(req.SQL, format)
	if err != nil {
		return "", err
	}
	if res == nil { // chdb-go: no result for some statements
		return "", nil
	}
	defer res.Free()
	if err := res.Error(); err != nil {
		return "", err
	}
	return res.String(), nil
}

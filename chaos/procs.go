// Package chaos is tend's fault suite (issue 12): real processes — a
// nats-server, `tend ingest`, two `tend process` — on a ClickHouse server of
// the suite's own, a stream of check-ins over HTTP, and the faults of an
// operator's bad day. See chaos_test.go.
package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one OS process the suite started. It is stopped by its PID only.
type proc struct {
	name string
	path string
	args []string
	env  []string
	log  string // file its stdout and stderr go to

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	err      error
	expected bool // its exit was asked for (kill, stop)
	starts   int
	// unexpected are exits nobody asked for, with the tail of the log.
	unexpected []string
}

func newProc(name, path, log string, env []string, args ...string) *proc {
	return &proc{name: name, path: path, args: args, env: env, log: log}
}

// start starts the process (again), appending to its log.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("%s: already running", p.name)
		}
	}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	p.starts++
	fmt.Fprintf(f, "\n=== chaos: start %d of %s at %s\n", p.starts, p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.expected, p.err = cmd, done, false, nil
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		if !p.expected {
			p.unexpected = append(p.unexpected, fmt.Sprintf("%s (pid %d) exited by itself: %v\n%s", p.name, cmd.Process.Pid, err, tail(p.log, 3000)))
		}
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// pid is the PID of the running process (0 if none).
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the process by its PID.
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s: not started", p.name)
	}
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM || sig == syscall.SIGINT {
		p.expected = true
	}
	return p.cmd.Process.Signal(sig)
}

// wait waits at most d for the process to exit.
func (p *proc) wait(d time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-time.After(d):
		return fmt.Errorf("%s (pid %d) still running after %s", p.name, p.pid(), d)
	}
}

// kill9 is kill -9 by PID, and waits (bounded) until the process is gone.
func (p *proc) kill9() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.wait(10 * time.Second)
}

// stop asks the process to stop (SIGTERM; SIGCONT in case it is stopped),
// and kills it by PID if it has not exited within grace.
func (p *proc) stop(grace time.Duration) error {
	if !p.running() {
		return nil
	}
	_ = p.signal(syscall.SIGTERM)
	_ = p.signal(syscall.SIGCONT)
	if err := p.wait(grace); err == nil {
		return nil
	}
	_ = p.signal(syscall.SIGKILL)
	if err := p.wait(10 * time.Second); err != nil {
		return err
	}
	return fmt.Errorf("%s did not stop within %s of SIGTERM: killed", p.name, grace)
}

// failures are the exits nobody asked for.
func (p *proc) failures() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.unexpected...)
}

// tail is the last n bytes of file.
func tail(file string, n int) string {
	f, err := os.Open(file)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > int64(n) {
		if _, err := f.Seek(-int64(n), io.SeekEnd); err != nil {
			return err.Error()
		}
	}
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return err.Error()
	}
	return string(b)
}

// count is how often substr occurs in file.
func count(file, substr string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(substr))
}

// cleanEnv is the environment without TEND_* variables, so that nothing the
// caller exported (make run's, an operator's) reaches the suite's processes.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEND_") {
			out = append(out, kv)
		}
	}
	return out
}

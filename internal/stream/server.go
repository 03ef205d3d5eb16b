package stream

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig configures the embedded NATS server of `tend up`.
type ServerConfig struct {
	// Dir holds JetStream's file storage.
	Dir string
	// Listen is host:port for clients (the nats CLI, other tend processes);
	// port 0 picks a free one.
	Listen string
	// Log receives the server's warnings and errors (default: discarded).
	Log *slog.Logger
	// Users, when set, are the only ones the server lets in, each with its
	// role's permissions. Without them it is open: for tests only.
	Users Users
	// Sync says when JetStream fsyncs its files; the zero value is
	// SyncAlways, the only setting under which a single node's ack means
	// the message survives a power loss.
	Sync Sync
}

// Sync is when the embedded JetStream fsyncs what it stored: after every
// write before acking it (Interval 0, "always"), or in the background every
// Interval (faster; a power loss or kernel crash can lose the acknowledged
// messages of the last Interval, a process crash cannot).
type Sync struct {
	Interval time.Duration
}

// Always reports whether every write is fsynced before it is acknowledged.
func (s Sync) Always() bool { return s.Interval <= 0 }

func (s Sync) String() string {
	if s.Always() {
		return "always"
	}
	return s.Interval.String()
}

// ParseSync reads "always" or a positive duration ("2m", the NATS default).
func ParseSync(v string) (Sync, error) {
	if strings.EqualFold(v, "always") {
		return Sync{}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return Sync{}, fmt.Errorf("sync %q: want \"always\" or a positive duration such as 1s or 2m", v)
	}
	return Sync{Interval: d}, nil
}

// RunServer starts an embedded NATS server with JetStream and waits until it
// accepts connections. Stop it with Shutdown and WaitForShutdown.
func RunServer(cfg ServerConfig) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("nats listen port %q: %w", portStr, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "tend",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.Dir, "jetstream"),
		NoSigs:     true,
		// Check-in events are small; 1 MiB leaves room for batch tooling.
		MaxPayload: 1 << 20,
	}
	if cfg.Users != nil {
		if opts.Nkeys, err = cfg.Users.serverUsers(); err != nil {
			return nil, fmt.Errorf("nats users: %w", err)
		}
	}
	if cfg.Sync.Always() {
		opts.SyncAlways = true
		opts.SyncInterval = 2 * time.Minute // unused while SyncAlways; set so the server keeps it
	} else {
		opts.SyncInterval = cfg.Sync.Interval
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	if cfg.Log != nil {
		ns.SetLoggerV2(serverLog{cfg.Log.With("component", "nats-server")}, false, false, false)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats server on %s: not ready after 10s (is the port in use? see the log above)", cfg.Listen)
	}
	return ns, nil
}

// serverLog routes the embedded server's log lines to slog, so that an
// operator sees why it failed (a port in use, a full disk) in tend's log.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLog) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLog) Tracef(format string, v ...any)  {}

// Set parses v as ParseSync does, so that a Sync is a flag.Value.
func (s *Sync) Set(v string) error {
	p, err := ParseSync(v)
	if err == nil {
		*s = p
	}
	return err
}

package stream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// PublishAsyncTimeout bounds how long an asynchronous publish waits for its
// ack; ingest answers well before it (its publish timeout).
const PublishAsyncTimeout = 30 * time.Second

// Conn is one process's connection to NATS and its JetStream context.
type Conn struct {
	NC *nats.Conn
	JS jetstream.JetStream
}

// Credentials are how a tend process proves who it is to NATS, the NATS
// way: an nkey seed file, or a JWT credentials file (decentralised
// accounts), and a CA to verify the server's TLS certificate.
type Credentials struct {
	NkeyFile  string // a user's nkey seed (SU…), e.g. data/nats/ingest.nk
	CredsFile string // a .creds file: user JWT and seed
	CAFile    string // PEM CA of the servers' certificates (tls://…)
}

func (c Credentials) options() ([]nats.Option, error) {
	var opts []nats.Option
	if c.NkeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("nats nkey %s: %w", c.NkeyFile, err)
		}
		opts = append(opts, o)
	}
	if c.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	return opts, nil
}

// Connect connects to url as name with creds, reconnecting for as long as
// the process runs (an outage of the broker is waited out, and logged), and
// waits up to a bound for JetStream to answer.
func Connect(ctx context.Context, url, name string, creds Credentials, log *slog.Logger) (*Conn, error) {
	auth, err := creds.options()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, append(auth,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrl()) }),
		// Asynchronous errors — a permission refused, a slow consumer — are
		// the operator's to see, in tend's log.
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("nats", "err", err) }),
	)...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats %s: %w", url, err)
	}
	// An asynchronous publish never acked resolves with an error after
	// PublishAsyncTimeout instead of staying pending for ever (it would count
	// against the client's limit of pending publishes and stall later ones).
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(PublishAsyncTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	c := &Conn{NC: nc, JS: js}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := WaitReady(wctx, js); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Ready reports whether NATS is connected and JetStream answers: a
// readiness check.
func (c *Conn) Ready(ctx context.Context) error {
	if !c.NC.IsConnected() {
		return errors.New("nats: not connected")
	}
	if _, err := c.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Drain lets in-flight messages finish, then closes, waiting at most 30 s.
func (c *Conn) Drain() error {
	if c.NC.IsClosed() {
		return nil
	}
	closed := make(chan struct{})
	c.NC.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := c.NC.Drain(); err != nil {
		return fmt.Errorf("drain nats: %w", err)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		c.NC.Close()
	}
	return nil
}

// ClientFlags registers the flags of a process that connects to an external
// NATS: its URLs and its credentials (files, never secrets on the command
// line).
func ClientFlags(fs *flag.FlagSet, url *string, c *Credentials) {
	fs.StringVar(url, "nats-url", "nats://127.0.0.1:4222", "NATS server `URL`s, comma-separated (tls:// with --nats-ca)")
	fs.StringVar(&c.NkeyFile, "nats-nkey-file", "", "`file` holding this process's NATS user nkey seed (tend up writes them under --data-dir/nats)")
	fs.StringVar(&c.CredsFile, "nats-creds", "", "NATS credentials `file` (user JWT and seed), instead of an nkey")
	fs.StringVar(&c.CAFile, "nats-ca", "", "PEM `file` of the CA that signed the NATS servers' certificates")
}

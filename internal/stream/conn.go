package stream

import (
	"context"
	"errors"
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

// Connect connects to url as name, reconnecting for as long as the process
// runs (an outage of the broker is waited out, and logged), and waits up to
// a bound for JetStream to answer.
func Connect(ctx context.Context, url, name string, log *slog.Logger) (*Conn, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", c.ConnectedUrl()) }),
	)
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

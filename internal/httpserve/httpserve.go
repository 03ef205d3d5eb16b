// Package httpserve runs tend's HTTP servers (the ingest API, /metrics) with
// the timeouts every public-facing server needs, so that a slow or silent
// client cannot hold a connection forever.
package httpserve

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Start listens on addr (port 0 picks one) and serves h in the background.
// It returns the server, for Shutdown, and the address it listens on.
// failed, when not nil, is told when the server stops serving other than by
// Shutdown or Close.
func Start(addr string, h http.Handler, log *slog.Logger, failed func(error)) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "addr", ln.Addr().String(), "err", err)
			if failed != nil {
				failed(fmt.Errorf("http server %s: %w", ln.Addr(), err))
			}
		}
	}()
	return srv, ln.Addr().String(), nil
}

// Package ingest is tend's HTTP front door for clinicians: it validates a
// check-in, scores it for the clinician's own feedback, replaces the clinician
// identifier with a pseudonym and publishes the event to JetStream. It answers
// 202 only once JetStream has acknowledged the event: a 202 means stored.
package ingest

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/wording"
)

// Publisher is the part of jetstream.JetStream ingest needs.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
	PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

// Limits of one request.
const (
	MaxBodyBytes = 64 << 10
	// MaxBatchBytes and MaxBatchItems bound POST /v1/checkins/batch.
	MaxBatchBytes = 16 << 20
	MaxBatchItems = 10_000
	// DefaultPublishTimeout bounds the wait for JetStream's ack; past it the
	// client gets 503 and retries with the same id.
	DefaultPublishTimeout = 3 * time.Second
	// RetryAfterSeconds is the Retry-After sent with a 503.
	RetryAfterSeconds = 5
	// DefaultMaxRequests and DefaultMaxBytes bound the requests ingest
	// works on at once and the body bytes they may hold (a request reserves
	// its Content-Length, or its endpoint's limit when it does not say):
	// past either, a request is answered 503 with Retry-After before its
	// body is read.
	DefaultMaxRequests = 256
	DefaultMaxBytes    = 64 << 20
)

// Server holds what the ingest handlers share. New builds its routes.
type Server struct {
	js             Publisher
	pseudonyms     *checkin.Pseudonymizer
	feedback       *feedback.Config
	wording        wording.Set
	tokens         Tokens
	roster         Roster
	auditor        Auditor
	own            OwnData
	log            *slog.Logger
	now            func() time.Time
	publishTimeout time.Duration
	readiness      []func(context.Context) error
	metrics        *metrics
	inFlight       *admission
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the structured logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithPublishTimeout bounds how long a request waits for JetStream's ack.
func WithPublishTimeout(d time.Duration) Option { return func(s *Server) { s.publishTimeout = d } }

// WithReadiness adds a check /readyz runs (NATS, ClickHouse reachable).
func WithReadiness(check func(context.Context) error) Option {
	return func(s *Server) { s.readiness = append(s.readiness, check) }
}

// WithRegisterer registers the ingest metrics (default: not registered).
func WithRegisterer(r prometheus.Registerer) Option {
	return func(s *Server) { s.metrics = newMetrics(r) }
}

// WithLimits bounds the requests ingest works on at once and the body bytes
// they hold (defaults DefaultMaxRequests, DefaultMaxBytes). bytes below
// MaxBatchBytes is raised to it, so that a full batch can always be taken.
func WithLimits(requests int, bytes int64) Option {
	return func(s *Server) { s.inFlight = newAdmission(requests, bytes) }
}

// WithTokens requires every check-in to carry an access token of its
// clinic (Authorization: Bearer); without it ingest is open.
func WithTokens(t Tokens) Option { return func(s *Server) { s.tokens = t } }

// WithFeedback sets the per-clinic suggestions and support contacts
// (default feedback.Default()).
func WithFeedback(c *feedback.Config) Option { return func(s *Server) { s.feedback = c } }

// WithWording gives the check-in page the licensed item text of the
// instruments a clinic provides (GET /v1/instruments serves it).
func WithWording(w wording.Set) Option { return func(s *Server) { s.wording = w } }

// New returns the ingest API (routes.go shows all of it), publishing to js
// and pseudonymizing with p.
func New(js Publisher, p *checkin.Pseudonymizer, opts ...Option) http.Handler {
	s := &Server{
		js:             js,
		pseudonyms:     p,
		feedback:       feedback.Default(),
		log:            slog.Default(),
		now:            time.Now,
		publishTimeout: DefaultPublishTimeout,
	}
	for _, o := range opts {
		o(s)
	}
	if s.inFlight == nil {
		s.inFlight = newAdmission(DefaultMaxRequests, DefaultMaxBytes)
	}
	if s.metrics == nil {
		s.metrics = newMetrics(nil)
	}
	return s.routes()
}

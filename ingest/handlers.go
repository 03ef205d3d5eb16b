package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	// encoding/json, several times faster (see internal/checkin): every
	// accepted check-in is encoded for the stream.
	json "github.com/segmentio/encoding/json"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/stream"
)

// Receipt is the 202 body: the check-in's id and the clinician's own scores,
// bands and suggestions. Nothing in it ever reaches anyone but the clinician
// who submitted it.
type Receipt struct {
	ID        string                     `json:"id"`
	Duplicate bool                       `json:"duplicate,omitempty"`
	Scores    map[string]float64         `json:"scores"`
	Bands     map[string]instrument.Band `json:"bands"`
	feedback.Feedback
}

// prepared is a valid check-in ready to publish, with its scores.
type prepared struct {
	event   checkin.Event
	subject string
	data    []byte
	result  instrument.Result
}

// receipt is the 202 body of p: its scores, bands and feedback.
func (s *Server) receipt(p prepared, ack *jetstream.PubAck) *Receipt {
	return &Receipt{
		ID:        p.event.ID,
		Duplicate: ack.Duplicate,
		Scores:    p.result.Scores,
		Bands:     p.result.Bands,
		Feedback:  s.feedback.For(p.event.Clinic, p.result),
	}
}

func (s *Server) handleCheckin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authenticate(r); err != nil {
			s.reject(w, err)
			return
		}
		release, ok := s.admit(w, r, MaxBodyBytes)
		if !ok {
			return
		}
		defer release()
		body, _, ok := readBody(w, r, MaxBodyBytes, "application/json")
		if !ok {
			return
		}
		p, err := s.prepare(body, Bearer(r))
		if err != nil {
			s.reject(w, err)
			return
		}
		ack, err := s.publish(r.Context(), p)
		if err != nil {
			s.unavailable(w, err)
			return
		}
		s.metrics.accepted.Inc()
		s.audit(r, Bearer(r), p.event.Clinic, 1)
		encode(w, http.StatusAccepted, s.receipt(p, ack))
	})
}

// prepare decodes and validates one check-in, scores it, and turns it into
// the event that may leave ingest: an id, a pseudonym in place of the
// clinician, the time it arrived. The error is FieldErrors for client errors.
func (s *Server) prepare(body []byte, token string) (prepared, error) {
	c, err := checkin.Decode(body)
	if err != nil {
		return prepared{}, err
	}
	m, personal := s.personal(token)
	if personal {
		if c, err = s.claim(c, m); err != nil {
			return prepared{}, err
		}
	} else if err := s.authorize(c.Clinic, token); err != nil {
		return prepared{}, err
	}
	now := s.now()
	res, err := c.Validate(now)
	if err != nil {
		return prepared{}, err
	}
	if !personal && s.tokens != nil {
		if err := s.onRoster(c); err != nil {
			return prepared{}, err
		}
	}
	if c.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return prepared{}, fmt.Errorf("assign id: %w", err)
		}
		c.ID = id.String()
	}
	ev := checkin.Event{CheckIn: c, ReceivedAt: now.UTC()}
	if !personal { // a personal link's check-in carries its pseudonym already
		ev.CheckIn = s.pseudonyms.Pseudonymize(c)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return prepared{}, fmt.Errorf("encode event: %w", err)
	}
	return prepared{
		event:   ev,
		subject: stream.CheckinSubject(ev.Clinic, ev.Team),
		data:    data,
		result:  res,
	}, nil
}

// msg is the NATS message of p; its id becomes Nats-Msg-Id, so JetStream
// drops a repeat within its duplicate window.
func (p prepared) msg() (*nats.Msg, []jetstream.PublishOpt) {
	m := nats.NewMsg(p.subject)
	m.Data = p.data
	return m, []jetstream.PublishOpt{jetstream.WithMsgID(p.event.ID), jetstream.WithExpectStream(stream.Checkins)}
}

// publish sends p to JetStream and waits for the ack.
func (s *Server) publish(ctx context.Context, p prepared) (*jetstream.PubAck, error) {
	ctx, cancel := context.WithTimeout(ctx, s.publishTimeout)
	defer cancel()
	start := time.Now()
	m, opts := p.msg()
	ack, err := s.js.PublishMsg(ctx, m, opts...)
	s.metrics.publishSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, fmt.Errorf("publish check-in %s: %w", p.event.ID, err)
	}
	return ack, nil
}

// readBody enforces the content types and size limit and reads the body,
// answering the client itself when it cannot. It returns the media type.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) ([]byte, string, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(types, mt) {
		encodeError(w, http.StatusUnsupportedMediaType, "unsupported content type",
			map[string]string{"Content-Type": "must be " + strings.Join(types, " or ")})
		return nil, "", false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		encodeError(w, http.StatusRequestEntityTooLarge, "request body too large",
			map[string]string{"body": fmt.Sprintf("must be at most %d bytes", limit)})
		return nil, "", false
	case err != nil:
		encodeError(w, http.StatusBadRequest, "could not read the request body", map[string]string{"body": err.Error()})
		return nil, "", false
	}
	return body, mt, true
}

// clientError is a request the client must change: the status, a
// sentence, and the fields at fault.
type clientError struct {
	status int
	msg    string
	fields map[string]string
}

func (e *clientError) Error() string { return e.msg }

// asClientError says which client error err is, if it is one: an
// authorization refusal, or invalid fields (400).
func asClientError(err error) (*clientError, bool) {
	var ce *clientError
	if errors.As(err, &ce) {
		return ce, true
	}
	var fe checkin.FieldErrors
	if errors.As(err, &fe) {
		return &clientError{http.StatusBadRequest, "invalid check-in", fe}, true
	}
	return nil, false
}

// authorize checks that token may submit check-ins for clinic; without
// tokens configured, ingest is open (development, demo).
func (s *Server) authorize(clinic, token string) error {
	switch {
	case s.tokens == nil:
		return nil
	case token == "":
		return errUnauthenticated
	case !s.tokens.allows(clinic, token):
		return &clientError{http.StatusForbidden, "this access token may not submit check-ins for this clinic",
			map[string]string{"clinic": "not a clinic this access token is for"}}
	}
	return nil
}

// authenticate refuses, before anything is read, a request without an
// access token, or with one that is no clinic's, when tokens are configured.
// Which clinic the token may submit for is checked per check-in (authorize).
func (s *Server) authenticate(r *http.Request) error {
	if s.tokens == nil {
		return nil
	}
	token := Bearer(r)
	if token == "" {
		return errUnauthenticated
	}
	if _, ok := s.personal(token); !ok && !s.tokens.known(token) {
		return errUnknownToken
	}
	return nil
}

var errUnknownToken = &clientError{http.StatusUnauthorized, "unknown access token",
	map[string]string{"Authorization": "not an access token of any clinic"}}

var errUnauthenticated = &clientError{http.StatusUnauthorized, "authentication required",
	map[string]string{"Authorization": "must be \"Bearer <the clinic's access token>\""}}

// reject answers a check-in that cannot be taken: a client error with its
// status and the fields at fault (counted in
// tend_ingest_checkins_rejected_total), or a 500.
func (s *Server) reject(w http.ResponseWriter, err error) {
	ce, ok := asClientError(err)
	if !ok {
		s.log.Error("prepare check-in", "err", err)
		encodeError(w, http.StatusInternalServerError, "could not prepare the check-in", nil)
		return
	}
	s.metrics.rejected.Inc()
	refuse(w, ce)
}

// refuse answers a client error, asking for a Bearer token on a 401.
func refuse(w http.ResponseWriter, ce *clientError) {
	if ce.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tend"`)
	}
	encodeError(w, ce.status, ce.msg, ce.fields)
}

// unavailableMessage tells the client what a 503 means for its check-in.
const unavailableMessage = "check-in not stored: the message broker is unavailable; retry with the same id"

// unavailable answers 503 when JetStream did not acknowledge in time: the
// check-in is not stored, and the client should retry with the same id.
func (s *Server) unavailable(w http.ResponseWriter, err error) {
	s.metrics.publishFailures.Inc()
	s.log.Warn("publish failed; answering 503", "err", err)
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	encodeError(w, http.StatusServiceUnavailable, unavailableMessage, nil)
}

func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func (s *Server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		for _, check := range s.readiness {
			if err := check(ctx); err != nil {
				encode(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "error": err.Error()})
				return
			}
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}

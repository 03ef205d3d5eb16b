package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/stream"
)

// accepted is the 202 body: the check-in's id and the clinician's own scores.
// Nothing in it ever reaches anyone but the clinician who submitted it.
type accepted struct {
	ID        string                     `json:"id"`
	Duplicate bool                       `json:"duplicate,omitempty"`
	Scores    map[string]float64         `json:"scores"`
	Bands     map[string]instrument.Band `json:"bands"`
}

func (s *Server) handleCheckin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := readJSONBody(w, r, MaxBodyBytes)
		if !ok {
			return
		}
		c, err := checkin.Decode(body)
		if err != nil {
			s.reject(w, err)
			return
		}
		res, err := c.Validate(s.now())
		if err != nil {
			s.reject(w, err)
			return
		}
		ev, err := s.event(c)
		if err != nil {
			encodeError(w, http.StatusInternalServerError, "could not prepare the check-in", nil)
			return
		}
		ack, err := s.publish(r.Context(), ev)
		if err != nil {
			s.unavailable(w, err)
			return
		}
		s.metrics.accepted.Inc()
		encode(w, http.StatusAccepted, accepted{ID: ev.ID, Duplicate: ack.Duplicate, Scores: res.Scores, Bands: res.Bands})
	})
}

// readJSONBody enforces the content type and size limit and reads the body,
// answering the client itself when it cannot.
func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		encodeError(w, http.StatusUnsupportedMediaType, "check-ins are JSON",
			map[string]string{"Content-Type": "must be application/json"})
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		encodeError(w, http.StatusRequestEntityTooLarge, "request body too large",
			map[string]string{"body": fmt.Sprintf("must be at most %d bytes", limit)})
		return nil, false
	case err != nil:
		encodeError(w, http.StatusBadRequest, "could not read the request body", map[string]string{"body": err.Error()})
		return nil, false
	}
	return body, true
}

// event turns a valid check-in into the event that may leave ingest: an id,
// a pseudonym in place of the clinician, the time it arrived.
func (s *Server) event(c checkin.CheckIn) (checkin.Event, error) {
	if c.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return checkin.Event{}, fmt.Errorf("assign id: %w", err)
		}
		c.ID = id.String()
	}
	return checkin.Event{CheckIn: s.pseudonyms.Pseudonymize(c), ReceivedAt: s.now().UTC()}, nil
}

// publish sends ev to JetStream with its id as Nats-Msg-Id and waits for the
// ack: JetStream drops a repeat of the id within its duplicate window.
func (s *Server) publish(ctx context.Context, ev checkin.Event) (*jetstream.PubAck, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.publishTimeout)
	defer cancel()
	start := time.Now()
	msg := nats.NewMsg(stream.CheckinSubject(ev.Clinic, ev.Team))
	msg.Data = data
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.ID), jetstream.WithExpectStream(stream.Checkins))
	s.metrics.publishSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, fmt.Errorf("publish check-in %s: %w", ev.ID, err)
	}
	return ack, nil
}

// reject answers a client error: 400 with the fields at fault.
func (s *Server) reject(w http.ResponseWriter, err error) {
	var fe checkin.FieldErrors
	if !errors.As(err, &fe) {
		fe = checkin.FieldErrors{"body": err.Error()}
	}
	s.metrics.rejected.Inc()
	encodeError(w, http.StatusBadRequest, "invalid check-in", fe)
}

// unavailable answers 503 when JetStream did not acknowledge in time: the
// check-in is not stored, and the client should retry with the same id.
func (s *Server) unavailable(w http.ResponseWriter, err error) {
	s.metrics.publishFailures.Inc()
	s.log.Warn("publish failed; answering 503", "err", err)
	w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	encodeError(w, http.StatusServiceUnavailable, "check-in not stored: the message broker is unavailable; retry with the same id", nil)
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

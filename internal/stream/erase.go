package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// EraseClinician deletes from the check-in stream every event of the
// clinician with pseudonym at clinic, and from the dead-letter stream every
// message of that clinician: a JSON object whose clinician field is exactly
// the pseudonym, or exactly the raw identifier (a producer may have
// published one around ingest) at clinic; bytes that are not a JSON object
// match when they hold either identifier as a whole token. It returns how
// many messages it deleted. Check-ins live on in the stream for replay until
// MaxAge; erasure must not wait for that.
func EraseClinician(ctx context.Context, js jetstream.JetStream, clinic, pseudonym, raw string) (int, error) {
	ofClinician := func(data []byte) bool {
		var ev struct {
			Clinic    string `json:"clinic"`
			Clinician string `json:"clinician"`
		}
		return json.Unmarshal(data, &ev) == nil && ev.Clinic == clinic && ev.Clinician == pseudonym
	}
	n, err := deleteMatching(ctx, js, Checkins, "tend.checkins."+clinic+".>", ofClinician)
	if err != nil {
		return n, err
	}
	m, err := deleteMatching(ctx, js, DeadLetter, DeadLetterSubjects, func(data []byte) bool {
		return deadLetterOf(data, clinic, pseudonym, raw)
	})
	return n + m, err
}

// deadLetterOf reports whether a dead letter's bytes are the clinician's.
func deadLetterOf(data []byte, clinic, pseudonym, raw string) bool {
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err == nil && ev != nil {
		who, _ := ev["clinician"].(string)
		where, hasClinic := ev["clinic"].(string)
		switch {
		case who == "":
			return false
		case who == pseudonym:
			return true
		case raw != "" && who == raw:
			// A raw identifier names a clinician within a clinic; one
			// without a (string) clinic is taken to be this clinic's.
			return !hasClinic || where == clinic
		}
		return false
	}
	return hasToken(data, pseudonym) || raw != "" && hasToken(data, raw)
}

// hasToken reports whether tok occurs in data bounded on both sides by a
// byte that cannot be part of an identifier (or the ends): "c-1" is not in
// "c-10".
func hasToken(data []byte, tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(tok))
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(tok)
		if (start == 0 || !identByte(data[start-1])) && (end == len(data) || !identByte(data[end])) {
			return true
		}
		i = start + 1
	}
}

func identByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.' || b >= 0x80
}

// deleteMatching reads every message of stream name on subject and deletes
// those match accepts.
func deleteMatching(ctx context.Context, js jetstream.JetStream, name, subject string, match func([]byte) bool) (int, error) {
	s, err := js.Stream(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("erase from %s: %w", name, err)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		return 0, fmt.Errorf("erase from %s: %w", name, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("erase from %s: %w", name, err)
	}
	deleted := 0
	for remaining := info.NumPending; remaining > 0; remaining-- {
		msg, err := cons.Next(jetstream.FetchContext(ctx))
		if err != nil {
			return deleted, fmt.Errorf("erase from %s: read: %w", name, err)
		}
		if !match(msg.Data()) {
			continue
		}
		md, err := msg.Metadata()
		if err != nil {
			return deleted, fmt.Errorf("erase from %s: %w", name, err)
		}
		if err := s.SecureDeleteMsg(ctx, md.Sequence.Stream); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			return deleted, fmt.Errorf("erase from %s: delete message %d: %w", name, md.Sequence.Stream, err)
		}
		deleted++
	}
	return deleted, nil
}

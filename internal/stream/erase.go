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
// message that mentions the pseudonym or the raw identifier (a producer may
// have published one there). It returns how many messages it deleted.
// Check-ins live on in the stream for replay until MaxAge; erasure must not
// wait for that.
func EraseClinician(ctx context.Context, js jetstream.JetStream, clinic, pseudonym, raw string) (int, error) {
	ofClinician := func(data []byte) bool {
		var ev struct {
			Clinic    string `json:"clinic"`
			Clinician string `json:"clinician"`
		}
		return json.Unmarshal(data, &ev) == nil && ev.Clinic == clinic && ev.Clinician == pseudonym
	}
	mentions := func(data []byte) bool {
		return bytes.Contains(data, []byte(pseudonym)) || raw != "" && bytes.Contains(data, []byte(raw))
	}
	n, err := deleteMatching(ctx, js, Checkins, "tend.checkins."+clinic+".>", ofClinician)
	if err != nil {
		return n, err
	}
	m, err := deleteMatching(ctx, js, DeadLetter, DeadLetterSubjects, mentions)
	return n + m, err
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

// Package erasure carries out the right to erasure across everything tend
// keeps about one clinician: their events in the check-ins stream and any
// dead letter naming them, their rows in ClickHouse, and their own reference
// in the alert memory kept with the reporting claims. Published team figures
// — aggregates of at least k people — are not changed: a before-and-after
// pair would tell the erased answers.
package erasure

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/reporting"
)

// Result says how much was erased where.
type Result struct {
	CheckIns uint64 // rows in ClickHouse
	Messages int    // stream messages and dead letters
	Claims   int    // reporting claims whose alert memory held the clinician
}

// Clinician erases the clinician with pseudonym at clinic; raw, when known,
// is their identifier as submitted, which a dead letter may hold.
func Clinician(ctx context.Context, js jetstream.JetStream, store *clickhouse.Store, clinic, pseudonym, raw string) (Result, error) {
	var r Result
	var err error
	// The stream first: a check-in erased from ClickHouse but still in the
	// stream could be stored again by a replay.
	if r.Messages, err = stream.EraseClinician(ctx, js, clinic, pseudonym, raw); err != nil {
		return r, err
	}
	if r.CheckIns, err = store.EraseClinician(ctx, clinic, pseudonym); err != nil {
		return r, err
	}
	kv, err := js.KeyValue(ctx, stream.Claims)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return r, nil // nothing was ever published
	} else if err != nil {
		return r, fmt.Errorf("claims bucket: %w", err)
	}
	r.Claims, err = reporting.EraseClinician(ctx, kv, clinic, pseudonym)
	return r, err
}

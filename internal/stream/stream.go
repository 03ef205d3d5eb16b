// Package stream holds tend's JetStream definitions — stream names, subjects,
// headers — and the embedded NATS server that `tend up` runs.
package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Streams and subjects. Clinic and team are subject tokens, so a consumer can
// filter one clinic (tend.checkins.northside.>) without decoding a message.
const (
	Checkins        = "TEND_CHECKINS"
	CheckinSubjects = "tend.checkins.>"

	DeadLetter         = "TEND_DEADLETTER"
	DeadLetterSubjects = "tend.deadletter.>"

	Alerts        = "TEND_ALERTS"
	AlertSubjects = "tend.alerts.>"

	// ProcessorDurable is the durable pull consumer all processor replicas share.
	ProcessorDurable = "tend-processor"
)

// Headers on dead-lettered messages.
const (
	HeaderReason          = "Tend-Deadletter-Reason"
	HeaderError           = "Tend-Deadletter-Error"
	HeaderOriginalSubject = "Tend-Original-Subject"
	HeaderOriginalSeq     = "Tend-Original-Sequence"
)

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id: a client
// retrying the same check-in within it is stored once in the stream. Beyond it
// ClickHouse still counts the id once (ReplacingMergeTree on the id).
const DuplicateWindow = 24 * time.Hour

// CheckinSubject is the subject a check-in of clinic and team is published on.
func CheckinSubject(clinic, team string) string {
	return "tend.checkins." + clinic + "." + team
}

// DeadLetterSubject is the subject a message rejected for reason is parked on.
func DeadLetterSubject(reason string) string { return "tend.deadletter." + reason }

// AlertSubject is the subject alert transitions of a team are published on.
func AlertSubject(clinic, team string) string { return "tend.alerts." + clinic + "." + team }

// Config sizes the streams; Replicas is 1 on one machine and 3 on a cluster.
type Config struct {
	Replicas int
	// MaxAge bounds how long check-ins stay in the stream for replay; they
	// live on in ClickHouse.
	MaxAge time.Duration
	// DeadLetterMaxAge is how long dead letters are kept (default 30 days):
	// they may hold a raw identifier a producer published around ingest.
	DeadLetterMaxAge time.Duration
}

// DefaultDeadLetterMaxAge is how long dead letters are kept by default.
const DefaultDeadLetterMaxAge = 30 * 24 * time.Hour

func (c Config) streams() []jetstream.StreamConfig {
	replicas := max(c.Replicas, 1)
	maxAge := c.MaxAge
	if maxAge == 0 {
		maxAge = 30 * 24 * time.Hour
	}
	dlAge := c.DeadLetterMaxAge
	if dlAge == 0 {
		dlAge = DefaultDeadLetterMaxAge
	}
	return []jetstream.StreamConfig{
		{
			Name:        Checkins,
			Description: "Pseudonymized clinician check-ins, one subject per clinic and team",
			Subjects:    []string{CheckinSubjects},
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Duplicates:  DuplicateWindow,
			MaxAge:      maxAge,
		},
		{
			Name:        DeadLetter,
			Description: "Messages the processor could not store, with the reason in a header",
			Subjects:    []string{DeadLetterSubjects},
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			MaxAge:      dlAge,
		},
		{
			Name:        Alerts,
			Description: "Team alert transitions (firing, resolved)",
			Subjects:    []string{AlertSubjects},
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
			Duplicates:  DuplicateWindow,
		},
	}
}

// errNoPeers is JetStream's "no suitable peers for placement": a replicated
// stream asked of a cluster whose servers have not all joined yet.
const errNoPeers jetstream.ErrorCode = 10005

// placementWait bounds how long Ensure waits for a forming cluster.
const placementWait = 30 * time.Second

// Ensure creates tend's streams, or updates them to this configuration. On
// a cluster still forming (servers starting together), it waits up to
// placementWait for enough servers to place the replicas.
func Ensure(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	deadline := time.Now().Add(placementWait)
	for _, sc := range cfg.streams() {
		for {
			_, err := js.CreateOrUpdateStream(ctx, sc)
			var apiErr *jetstream.APIError
			if err == nil {
				break
			}
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != errNoPeers || time.Now().After(deadline) {
				return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

// WaitReady waits until the JetStream API answers, for processes that start
// next to a broker that is still electing leaders.
func WaitReady(ctx context.Context, js jetstream.JetStream) error {
	for {
		// Each attempt gets its own short deadline: a request sent before the
		// cluster elected its JetStream leader is never answered.
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return fmt.Errorf("jetstream: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("jetstream not ready: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Claims is the key-value bucket in which reporters claim the periods they
// publish: the first to create a period's key publishes it, so which version
// of a period wins never depends on clocks. It holds, with each claim, the
// teams' alert memory (pseudonyms: private, like the check-ins stream).
const Claims = "TEND_CLAIMS"

// EnsureClaims creates the claims bucket, or updates it to cfg.
func EnsureClaims(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Claims,
		Description: "tend reporting: published periods, each claimed once",
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("ensure bucket %s: %w", Claims, err)
	}
	return kv, nil
}

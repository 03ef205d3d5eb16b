package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/stream"
)

// A clinician erases their own data through their personal link, at
// ingest; ingest may only publish check-ins, so it asks, on
// stream.ErasureSubject, the processor, which holds the rights to read the
// streams and delete single messages (never to purge them).

// request is what ingest asks: one clinician, by pseudonym.
type request struct {
	Clinic    string `json:"clinic"`
	Pseudonym string `json:"pseudonym"`
}

// reply is the processor's answer.
type reply struct {
	Result
	Error string `json:"error,omitempty"`
}

// Serve answers erasure requests until ctx ends, recording each in the audit
// trail as actor. Processor replicas share the requests (a queue group).
func Serve(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, store *clickhouse.Store, actor string, log *slog.Logger) error {
	sub, err := nc.QueueSubscribe(stream.ErasureSubject, "tend-erasure", func(msg *nats.Msg) {
		var req request
		var rep reply
		if err := json.Unmarshal(msg.Data, &req); err != nil || req.Clinic == "" || req.Pseudonym == "" {
			rep.Error = "an erasure request names a clinic and a pseudonym"
		} else {
			ectx, cancel := context.WithTimeout(ctx, Timeout)
			r, err := Clinician(ectx, js, store, req.Clinic, req.Pseudonym, "")
			cancel()
			rep.Result = r
			if err != nil {
				log.Error("self-service erasure failed", "clinic", req.Clinic, "err", err)
				rep.Error = "erasure not finished; it is safe to ask again"
			}
			e := clickhouse.AuditEntry{Actor: actor, Action: "erase", Target: req.Clinic + "/" + req.Pseudonym, Outcome: clickhouse.Outcome(err),
				Detail: fmt.Sprintf("asked by the clinician; %d check-ins, %d messages, %d claims", r.CheckIns, r.Messages, r.Claims)}
			if aerr := store.Audit(context.WithoutCancel(ctx), e); aerr != nil {
				log.Error("audit trail not written", "action", "erase", "err", aerr)
			}
		}
		data, _ := json.Marshal(rep)
		if err := msg.Respond(data); err != nil {
			log.Warn("erasure reply not sent", "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("erasure service: %w", err)
	}
	<-ctx.Done()
	return sub.Drain()
}

// Timeout bounds one erasure the service carries out; one cut short is
// reported, and asking again finishes it.
const Timeout = 10 * time.Minute

// Ask asks the erasure service to erase the clinician with pseudonym at
// clinic, and waits (as long as ctx allows) for it to be done.
func Ask(ctx context.Context, nc *nats.Conn, clinic, pseudonym string) (Result, error) {
	data, err := json.Marshal(request{Clinic: clinic, Pseudonym: pseudonym})
	if err != nil {
		return Result{}, err
	}
	msg, err := nc.RequestWithContext(ctx, stream.ErasureSubject, data)
	if err != nil {
		return Result{}, fmt.Errorf("ask for erasure: %w", err)
	}
	var rep reply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return Result{}, fmt.Errorf("erasure reply: %w", err)
	}
	if rep.Error != "" {
		return rep.Result, errors.New(rep.Error)
	}
	return rep.Result, nil
}

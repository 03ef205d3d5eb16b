package processor

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/stream"
)

// deadLetter parks m on tend.deadletter.<reason> with its original bytes and
// the reason in headers, then acks it. It acks only after JetStream stored the
// dead letter, so a crash in between redelivers rather than loses it; the
// dead letter's Nats-Msg-Id (the original stream sequence) keeps that
// redelivery from parking it twice.
func (p *Processor) deadLetter(ctx context.Context, m jetstream.Msg, reason string, cause error) error {
	dl := nats.NewMsg(stream.DeadLetterSubject(reason))
	dl.Data = m.Data()
	dl.Header.Set(stream.HeaderReason, reason)
	dl.Header.Set(stream.HeaderError, cause.Error())
	dl.Header.Set(stream.HeaderOriginalSubject, m.Subject())
	msgID := ""
	if md, err := m.Metadata(); err == nil {
		seq := strconv.FormatUint(md.Sequence.Stream, 10)
		dl.Header.Set(stream.HeaderOriginalSeq, seq)
		msgID = "deadletter-" + md.Stream + "-" + seq
	}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if _, err := p.js.PublishMsg(ctx, dl, opts...); err != nil {
		return fmt.Errorf("publish dead letter: %w", err)
	}
	if err := m.Ack(); err != nil {
		return fmt.Errorf("ack dead-lettered message: %w", err)
	}
	p.metrics.deadLettered.WithLabelValues(reason).Inc()
	p.log.Warn("dead-lettered", "reason", reason, "subject", m.Subject(), "err", cause)
	return nil
}

package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	fastjson "github.com/segmentio/encoding/json"

	"github.com/tendhq/tend/internal/checkin"
)

// BatchItem is one check-in's outcome, in request order: 202 with the same
// body as POST /v1/checkins, 400 with the fields at fault, or 503 (not
// stored; retry that item with the same id).
type BatchItem struct {
	Index  int `json:"index"`
	Status int `json:"status"`
	*Receipt
	Error  string            `json:"error,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// BatchResponse is the answer of POST /v1/checkins/batch: counts, and one
// BatchItem per check-in in request order — or, when the request asked
// for a minimal answer (PreferMinimal), one per check-in not accepted.
type BatchResponse struct {
	Accepted    int         `json:"accepted"`
	Rejected    int         `json:"rejected"`
	Unavailable int         `json:"unavailable"`
	Results     []BatchItem `json:"results"`
}

// PreferMinimal is the Prefer header (RFC 7240) of a batch request that wants
// only its counts and the items not accepted: no receipts, which are most
// of a full answer's bytes and of ingest's work per item. Bulk senders
// (tend import, simulate, bench) ask for it; the answer then carries
// Preference-Applied: return=minimal.
const PreferMinimal = "return=minimal"

// prefersMinimal reports whether h asks for PreferMinimal among its
// preferences.
func prefersMinimal(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for pref := range strings.SplitSeq(v, ",") {
			pref, _, _ = strings.Cut(pref, ";") // parameters do not matter here
			name, value, _ := strings.Cut(pref, "=")
			if strings.EqualFold(strings.TrimSpace(name), "return") && strings.Trim(strings.TrimSpace(value), `"`) == "minimal" {
				return true
			}
		}
	}
	return false
}

// asyncChunk bounds the publishes in flight, well under the client's limit
// of pending asynchronous publishes; each chunk's acks are awaited for at
// most the publish timeout.
const asyncChunk = 1000

// handleBatch takes many check-ins — a JSON array, or NDJSON with one per
// line — and answers per item (only the items not accepted, when the request
// prefers PreferMinimal). Valid items are accepted even when others are
// not; all are published asynchronously, and the answer waits for every ack.
func (s *Server) handleBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authenticate(r); err != nil {
			s.reject(w, err)
			return
		}
		token := Bearer(r)
		release, ok := s.admit(w, r, MaxBatchBytes)
		if !ok {
			return
		}
		defer release()
		body, mt, ok := readBody(w, r, MaxBatchBytes, "application/json", "application/x-ndjson")
		if !ok {
			return
		}
		items, err := splitBatch(body, mt)
		if err != nil {
			s.metrics.rejected.Inc()
			encodeError(w, http.StatusBadRequest, "invalid batch", checkin.FieldErrors{"body": err.Error()})
			return
		}
		if len(items) > MaxBatchItems {
			encodeError(w, http.StatusRequestEntityTooLarge, "batch too large",
				map[string]string{"body": fmt.Sprintf("must hold at most %d check-ins, got %d", MaxBatchItems, len(items))})
			return
		}
		resp := BatchResponse{Results: make([]BatchItem, len(items))}
		var ready []int
		preps := make([]prepared, len(items))
		for i, raw := range items {
			resp.Results[i].Index = i
			p, err := s.prepare(raw, token)
			ce, isClient := asClientError(err)
			switch {
			case isClient:
				resp.Results[i].Status, resp.Results[i].Error, resp.Results[i].Fields = ce.status, ce.msg, ce.fields
				resp.Rejected++
			case err != nil:
				s.log.Error("prepare check-in", "err", err)
				resp.Results[i].Status, resp.Results[i].Error = http.StatusInternalServerError, "could not prepare the check-in"
			default:
				preps[i] = p
				ready = append(ready, i)
			}
		}
		s.metrics.rejected.Add(float64(resp.Rejected))
		minimal := prefersMinimal(r.Header)
		for start := 0; start < len(ready); start += asyncChunk {
			s.publishAsync(r.Context(), ready[start:min(start+asyncChunk, len(ready))], preps, &resp, !minimal)
		}
		perClinic := map[string]int{}
		for _, i := range ready {
			if resp.Results[i].Status == http.StatusAccepted {
				perClinic[preps[i].event.Clinic]++
			}
		}
		for clinic, n := range perClinic {
			s.audit(r, token, clinic, n)
		}
		if minimal {
			resp.Results = slices.DeleteFunc(resp.Results, func(item BatchItem) bool { return item.Status == http.StatusAccepted })
			w.Header().Set("Preference-Applied", PreferMinimal)
		}
		status := http.StatusOK
		if resp.Unavailable > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
			if resp.Accepted == 0 && resp.Rejected == 0 {
				status = http.StatusServiceUnavailable
			}
		}
		encode(w, status, resp)
	})
}

// publishAsync publishes the prepared items at idx without waiting between
// them, then waits for every ack and records each outcome, with a receipt
// for each accepted item when receipts is set. Every item has
// the same deadline, the publish timeout from the first publish: an item
// whose ack has not come by then is answered 503, however many items before
// it timed out (the deadline stays passed; a timer would fire only once).
func (s *Server) publishAsync(ctx context.Context, idx []int, preps []prepared, resp *BatchResponse, receipts bool) {
	futures := make([]jetstream.PubAckFuture, len(idx))
	errs := make([]error, len(idx))
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, s.publishTimeout)
	defer cancel()
	for j, i := range idx {
		if dctx.Err() != nil { // a publish that stalled used up the time
			errs[j] = dctx.Err()
			continue
		}
		m, opts := preps[i].msg()
		futures[j], errs[j] = s.js.PublishMsgAsync(m, append(opts, jetstream.WithStallWait(time.Until(deadline(dctx))))...)
	}
	for j, i := range idx {
		item := &resp.Results[i]
		var ack *jetstream.PubAck
		if errs[j] == nil {
			select {
			case ack = <-futures[j].Ok():
			case errs[j] = <-futures[j].Err():
			case <-dctx.Done():
				errs[j] = fmt.Errorf("no JetStream ack within %s: %w", s.publishTimeout, dctx.Err())
			}
		}
		if errs[j] != nil {
			s.metrics.publishFailures.Inc()
			item.Status, item.Error = http.StatusServiceUnavailable, unavailableMessage
			resp.Unavailable++
			continue
		}
		item.Status = http.StatusAccepted
		if receipts {
			item.Receipt = s.receipt(preps[i], ack)
		}
		resp.Accepted++
		s.metrics.accepted.Inc()
	}
	s.metrics.publishSeconds.Observe(time.Since(start).Seconds())
	if resp.Unavailable > 0 {
		s.log.Warn("batch publish incomplete; those items answered 503", "unavailable", resp.Unavailable)
	}
}

// deadline is ctx's deadline (it always has one here).
func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// splitBatch returns the raw check-ins of a JSON array or of NDJSON (blank
// lines skipped).
func splitBatch(body []byte, mediaType string) ([][]byte, error) {
	if mediaType == "application/x-ndjson" {
		var items [][]byte
		for line := range bytes.Lines(body) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				items = append(items, line)
			}
		}
		return items, nil
	}
	var raws []json.RawMessage
	if fastjson.Unmarshal(body, &raws) != nil {
		// encoding/json has the last word, and its words name the fault.
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, fmt.Errorf("must be a JSON array of check-ins (or NDJSON with Content-Type application/x-ndjson): %w", err)
		}
	}
	items := make([][]byte, len(raws))
	for i, r := range raws {
		items[i] = r
	}
	return items, nil
}

package ingest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startIngest serves ingest over HTTP, publishing to a real embedded NATS.
func startIngest(t *testing.T, opts ...ingest.Option) (*httptest.Server, *testenv.NATS) {
	t.Helper()
	n := testenv.StartNATS(t)
	srv := httptest.NewServer(ingest.New(n.JS, testenv.Pseudonymizer(t), append([]ingest.Option{ingest.WithLogger(quiet)}, opts...)...))
	t.Cleanup(srv.Close)
	return srv, n
}

func post(t *testing.T, url, contentType, body string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("response is not JSON: %q", raw)
	}
	return resp.StatusCode, resp.Header, out
}

func valid() map[string]any {
	return map[string]any{
		"id":           "0193a2c4-7d1e-7cc0-9a55-2f3b8f1d9e01",
		"clinic":       "northside",
		"team":         "trauma-outpatient",
		"clinician":    "c-1042",
		"submitted_at": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
		"instrument":   "proqol5",
		"answers":      []int{3, 4, 2, 5, 1, 3, 4, 4, 2, 3, 2, 4, 1, 2, 4, 3, 4, 2, 3, 4, 2, 4, 2, 4, 1, 2, 4, 2, 3, 4},
		"context":      map[string]any{"sessions": 6, "trauma_sessions": 2, "hours_worked": 9.5, "sleep_hours": 6},
	}
}

func with(changes func(m map[string]any)) string {
	m := valid()
	changes(m)
	b, _ := json.Marshal(m)
	return string(b)
}

// TestBadInput sends every kind of bad request: each gets a 4xx with a JSON
// error naming the field, and nothing reaches JetStream.
func TestBadInput(t *testing.T) {
	srv, n := startIngest(t)
	url := srv.URL + "/v1/checkins"
	cases := []struct {
		name, contentType, body string
		status                  int
		field                   string
	}{
		{"malformed JSON", "application/json", `{"clinic": "northside",`, 400, "body"},
		{"not an object", "application/json", `[1, 2]`, 400, "body"},
		{"trailing data", "application/json", with(func(map[string]any) {}) + `{}`, 400, "body"},
		{"missing clinic", "application/json", with(func(m map[string]any) { delete(m, "clinic") }), 400, "clinic"},
		{"missing team", "application/json", with(func(m map[string]any) { delete(m, "team") }), 400, "team"},
		{"missing clinician", "application/json", with(func(m map[string]any) { delete(m, "clinician") }), 400, "clinician"},
		{"missing submitted_at", "application/json", with(func(m map[string]any) { delete(m, "submitted_at") }), 400, "submitted_at"},
		{"missing instrument", "application/json", with(func(m map[string]any) { delete(m, "instrument") }), 400, "instrument"},
		{"missing answers", "application/json", with(func(m map[string]any) { delete(m, "answers") }), 400, "answers"},
		{"answers not an array", "application/json", with(func(m map[string]any) { m["answers"] = "3,4,2" }), 400, "answers"},
		{"answer not a number", "application/json", with(func(m map[string]any) { m["answers"] = []any{"3"} }), 400, "answers"},
		{"clinic a number", "application/json", with(func(m map[string]any) { m["clinic"] = 7 }), 400, "clinic"},
		{"submitted_at a number", "application/json", with(func(m map[string]any) { m["submitted_at"] = 1700000000 }), 400, "submitted_at"},
		{"submitted_at not RFC 3339", "application/json", with(func(m map[string]any) { m["submitted_at"] = "20 Nov 2026" }), 400, "submitted_at"},
		{"future timestamp", "application/json", with(func(m map[string]any) {
			m["submitted_at"] = time.Now().UTC().Add(10 * time.Minute).Format(time.RFC3339)
		}), 400, "submitted_at"},
		{"clinic with a dot", "application/json", with(func(m map[string]any) { m["clinic"] = "north.side" }), 400, "clinic"},
		{"clinic with a wildcard", "application/json", with(func(m map[string]any) { m["clinic"] = "*" }), 400, "clinic"},
		{"team with a space", "application/json", with(func(m map[string]any) { m["team"] = "trauma outpatient" }), 400, "team"},
		{"team with >", "application/json", with(func(m map[string]any) { m["team"] = "a>" }), 400, "team"},
		{"unknown field", "application/json", with(func(m map[string]any) { m["mood"] = "fine" }), 400, "mood"},
		{"unknown instrument", "application/json", with(func(m map[string]any) { m["instrument"] = "phq9" }), 400, "instrument"},
		{"answer out of range", "application/json", with(func(m map[string]any) { m["answers"].([]int)[3] = 9 }), 400, "answers[3]"},
		{"too few answers", "application/json", with(func(m map[string]any) { m["answers"] = []int{1, 2} }), 400, "answers"},
		{"context out of range", "application/json", with(func(m map[string]any) { m["context"] = map[string]any{"sleep_hours": 30} }), 400, "context.sleep_hours"},
		{"wrong content type", "text/plain", with(func(map[string]any) {}), 415, "Content-Type"},
		{"no content type", "", with(func(map[string]any) {}), 415, "Content-Type"},
		{"oversized body", "application/json", with(func(m map[string]any) { m["clinician"] = strings.Repeat("x", ingest.MaxBodyBytes) }), 413, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := post(t, url, tc.contentType, tc.body)
			if status != tc.status {
				t.Errorf("status %d, want %d (%v)", status, tc.status, body)
			}
			fields, _ := body["fields"].(map[string]any)
			if _, ok := fields[tc.field]; !ok || body["error"] == "" {
				t.Errorf("error %v does not name field %q", body, tc.field)
			}
		})
	}
	if got := n.StreamMessages(t, stream.Checkins); got != 0 {
		t.Errorf("%d messages published for bad input, want 0", got)
	}
}

// TestAccepted checks the 202: id, the clinician's own scores, bands and
// suggestions, and an event on the team's subject carrying a pseudonym.
func TestAccepted(t *testing.T) {
	srv, n := startIngest(t)
	status, _, body := post(t, srv.URL+"/v1/checkins", "application/json", with(func(m map[string]any) { delete(m, "id") }))
	if status != http.StatusAccepted {
		t.Fatalf("status %d: %v", status, body)
	}
	if id, _ := body["id"].(string); len(id) != 36 {
		t.Errorf("assigned id %q is not a UUID", id)
	}
	scores, _ := body["scores"].(map[string]any)
	for _, s := range []string{"compassion_satisfaction", "burnout", "secondary_traumatic_stress", "compassion_fatigue"} {
		if _, ok := scores[s]; !ok {
			t.Errorf("202 lacks score %s: %v", s, body)
		}
	}
	if sugg, _ := body["suggestions"].([]any); len(sugg) < 1 || len(sugg) > 3 {
		t.Errorf("want 1-3 suggestions, got %v", body["suggestions"])
	}
	str, err := n.JS.Stream(t.Context(), stream.Checkins)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := str.GetLastMsgForSubject(t.Context(), stream.CheckinSubject("northside", "trauma-outpatient"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := checkin.DecodeEvent(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if want := testenv.Pseudonymizer(t).Pseudonym("northside", "c-1042"); ev.Clinician != want {
		t.Errorf("event clinician %q, want the pseudonym %q", ev.Clinician, want)
	}
	if bytes.Contains(msg.Data, []byte("c-1042")) {
		t.Errorf("the raw clinician identifier left ingest: %s", msg.Data)
	}
}

// TestDuplicateSubmission: the same id twice is stored once in the stream.
func TestDuplicateSubmission(t *testing.T) {
	srv, n := startIngest(t)
	body := with(func(map[string]any) {})
	for i := range 2 {
		status, _, resp := post(t, srv.URL+"/v1/checkins", "application/json", body)
		if status != http.StatusAccepted || (resp["duplicate"] == true) != (i == 1) {
			t.Errorf("submission %d: %d %v", i, status, resp)
		}
	}
	if got := n.StreamMessages(t, stream.Checkins); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

// TestBrokerDown: with NATS gone, ingest answers 503 with Retry-After, never 202.
func TestBrokerDown(t *testing.T) {
	srv, n := startIngest(t, ingest.WithPublishTimeout(300*time.Millisecond))
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
	status, h, body := post(t, srv.URL+"/v1/checkins", "application/json", with(func(map[string]any) {}))
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("status %d Retry-After %q (%v), want 503 with Retry-After", status, h.Get("Retry-After"), body)
	}
	status, h, _ = post(t, srv.URL+"/v1/checkins/batch", "application/json", "["+with(func(map[string]any) {})+"]")
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("batch: status %d Retry-After %q, want 503 with Retry-After", status, h.Get("Retry-After"))
	}
}

// TestBatch mixes valid and invalid items, as a JSON array and as NDJSON:
// per-item results in order, valid ones stored.
func TestBatch(t *testing.T) {
	srv, n := startIngest(t)
	var items []string
	for i := range 10 {
		items = append(items, with(func(m map[string]any) {
			m["id"] = fmt.Sprintf("batch-%d", i)
			if i%3 == 0 {
				m["team"] = "bad.team"
			}
		}))
	}
	status, _, body := post(t, srv.URL+"/v1/checkins/batch", "application/json", "["+strings.Join(items, ",")+"]")
	if status != http.StatusOK || body["accepted"] != 6.0 || body["rejected"] != 4.0 {
		t.Fatalf("array batch: %d %v", status, body)
	}
	for i, r := range body["results"].([]any) {
		item := r.(map[string]any)
		want := 202.0
		if i%3 == 0 {
			want = 400
			if _, ok := item["fields"].(map[string]any)["team"]; !ok {
				t.Errorf("item %d: error does not name team: %v", i, item)
			}
		}
		if item["index"] != float64(i) || item["status"] != want {
			t.Errorf("item %d: %v, want status %v", i, item, want)
		}
	}
	status, _, body = post(t, srv.URL+"/v1/checkins/batch", "application/x-ndjson", strings.Join(items, "\n")+"\n\n")
	if status != http.StatusOK || body["accepted"] != 6.0 {
		t.Fatalf("ndjson batch: %d %v", status, body)
	}
	if got := n.StreamMessages(t, stream.Checkins); got != 6 {
		t.Errorf("stream holds %d messages, want 6 (the NDJSON repeat is a duplicate)", got)
	}
	status, _, body = post(t, srv.URL+"/v1/checkins/batch", "application/json", "["+strings.Repeat("{},", ingest.MaxBatchItems)+"{}]")
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized batch: %d %v, want 413", status, body)
	}
}

// TestBatchMinimalAnswer: a batch that prefers return=minimal (as the
// client's Batch does) is answered with its counts and only the items not
// accepted, without receipts; the items are stored all the same.
func TestBatchMinimalAnswer(t *testing.T) {
	srv, n := startIngest(t)
	var cs []checkin.CheckIn
	for i := range 10 {
		var c checkin.CheckIn
		if err := json.Unmarshal([]byte(with(func(m map[string]any) { m["id"] = fmt.Sprintf("minimal-%d", i) })), &c); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			c.Team = "bad.team"
		}
		cs = append(cs, c)
	}
	r, err := (client.Client{URL: srv.URL}).Batch(t.Context(), cs)
	if err != nil || r.Accepted != 6 || r.Rejected != 4 || len(r.Results) != 4 {
		t.Fatalf("minimal answer: %+v, %v; want 6 accepted, 4 rejected, the 4 rejected listed", r, err)
	}
	for j, item := range r.Results {
		if item.Index != 3*j || item.Status != http.StatusBadRequest || item.Fields["team"] == "" || item.Receipt != nil {
			t.Errorf("result %d: %+v, want item %d rejected naming team", j, item, 3*j)
		}
	}
	if got := n.StreamMessages(t, stream.Checkins); got != 6 {
		t.Errorf("stream holds %d messages, want 6", got)
	}

	// The preference among others, spaced as RFC 7240 allows.
	body := "[" + with(func(m map[string]any) { m["id"] = "minimal-10" }) + "]"
	for prefer, minimal := range map[string]bool{"respond-async, return = minimal; x=y": true, `return="minimal"`: true, "return=representation": false} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/checkins/batch", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", prefer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out ingest.BatchResponse
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		applied := resp.Header.Get("Preference-Applied") == ingest.PreferMinimal
		if out.Accepted != 1 || applied != minimal || (len(out.Results) == 0) != minimal {
			t.Errorf("Prefer %q: applied %v, %+v; want minimal %v", prefer, applied, out, minimal)
		}
	}
}

// TestAccessTokens: with tokens configured, a check-in needs its clinic's
// token — none is 401, another clinic's is 403 — per item in a batch too.
func TestAccessTokens(t *testing.T) {
	tokens, err := ingest.ParseTokens(strings.NewReader("# clinic sha256\nnorthside " + ingest.HashToken("north-secret") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	srv, n := startIngest(t, ingest.WithTokens(tokens))
	send := func(path, token, body string) (int, http.Header, map[string]any) {
		resp, b := request(t, http.MethodPost, srv.URL+path, token, body)
		var out map[string]any
		json.Unmarshal(b, &out)
		return resp.StatusCode, resp.Header, out
	}
	north := with(func(m map[string]any) { m["id"] = "north-1" })
	river := with(func(m map[string]any) { m["id"], m["clinic"] = "river-1", "riverside" })

	status, h, body := send("/v1/checkins", "", north)
	if fields, _ := body["fields"].(map[string]any); status != 401 || h.Get("WWW-Authenticate") == "" || fields["Authorization"] == nil {
		t.Errorf("no token: %d %v %v", status, h.Get("WWW-Authenticate"), body)
	}
	if status, _, body = send("/v1/checkins", "guess", north); status != 401 {
		t.Errorf("a token of no clinic: %d %v, want 401", status, body)
	}
	if status, _, body = send("/v1/checkins", "north-secret", river); status != 403 || body["fields"].(map[string]any)["clinic"] == nil {
		t.Errorf("another clinic's token: %d %v", status, body)
	}
	if status, _, body = send("/v1/checkins", "north-secret", north); status != 202 {
		t.Errorf("the clinic's token: %d %v", status, body)
	}
	if status, _, _ = send("/v1/checkins/batch", "", "["+north+"]"); status != 401 {
		t.Errorf("batch without a token: %d", status)
	}
	status, _, body = send("/v1/checkins/batch", "north-secret", "["+river+","+north+"]")
	results, _ := body["results"].([]any)
	if status != 200 || len(results) != 2 || results[0].(map[string]any)["status"] != 403.0 || results[1].(map[string]any)["status"] != 202.0 {
		t.Errorf("mixed batch: %d %v", status, body)
	}
	if got := n.StreamMessages(t, stream.Checkins); got != 1 {
		t.Errorf("stream holds %d messages, want only the authorized check-in", got)
	}
}

func TestParseTokensErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "no tokens",
		"northside\n":              "line 1",
		"# c\nnorthside zz\n":      "line 2",
		"northside " + "ab" + "\n": "not a SHA-256",
	} {
		if _, err := ingest.ParseTokens(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTokens(%q) = %v, want an error with %q", in, err, want)
		}
	}
}

// TestBatchBrokerNeverAcks: a broker that takes the publishes and never acks
// them (a real NATS subject a plain subscriber swallows, no stream behind
// it) gets every item of a batch answered 503 within about the publish
// timeout — not the first item only, with the rest waiting for ever.
func TestBatchBrokerNeverAcks(t *testing.T) {
	ns, err := stream.RunServer(stream.ServerConfig{Dir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, js := testenv.Connect(t, ns.ClientURL())
	if _, err := nc.Subscribe("tend.checkins.>", func(*nats.Msg) {}); err != nil { // takes every publish, acks none
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	srv := httptest.NewServer(ingest.New(js, testenv.Pseudonymizer(t), ingest.WithLogger(quiet), ingest.WithPublishTimeout(timeout)))
	t.Cleanup(srv.Close)

	var items []string
	for i := range 5 {
		items = append(items, with(func(m map[string]any) { m["id"] = fmt.Sprintf("never-acked-%d", i) }))
	}
	client := &http.Client{Timeout: 3 * time.Second}
	start := time.Now()
	resp, err := client.Post(srv.URL+"/v1/checkins/batch", "application/json", strings.NewReader("["+strings.Join(items, ",")+"]"))
	if err != nil {
		t.Fatalf("batch did not answer within 3s (publish timeout %s): %v", timeout, err)
	}
	defer resp.Body.Close()
	took := time.Since(start)
	var body ingest.BatchResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || body.Unavailable != 5 {
		t.Errorf("status %d Retry-After %q unavailable %d, want 503 with Retry-After for all 5", resp.StatusCode, resp.Header.Get("Retry-After"), body.Unavailable)
	}
	for _, r := range body.Results {
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("item %d: status %d, want 503", r.Index, r.Status)
		}
	}
	if took > timeout+time.Second {
		t.Errorf("batch answered after %v, want about the publish timeout %v", took, timeout)
	}
}

// watchedBody is a request body that records whether it was read, and
// blocks its reader until release is closed.
type watchedBody struct {
	read    chan struct{}
	once    sync.Once
	release chan struct{}
}

func newWatchedBody() *watchedBody {
	return &watchedBody{read: make(chan struct{}), release: make(chan struct{})}
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.read) })
	<-b.release
	return 0, io.EOF
}

func (b *watchedBody) Close() error { return nil }

func (b *watchedBody) wasRead() bool {
	select {
	case <-b.read:
		return true
	default:
		return false
	}
}

func bodyRequest(path, token string, body io.ReadCloser, length int64) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Body, req.ContentLength = body, length
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// TestUnauthenticatedBodyNotRead: with tokens configured, a request without
// a token or with a token of no clinic is refused (401) before a byte of its
// body is read — a stranger cannot make ingest read and parse 16 MiB.
func TestUnauthenticatedBodyNotRead(t *testing.T) {
	tokens, err := ingest.ParseTokens(strings.NewReader("northside " + ingest.HashToken("north-secret") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := testenv.StartNATS(t)
	h := ingest.New(n.JS, testenv.Pseudonymizer(t), ingest.WithLogger(quiet), ingest.WithTokens(tokens))
	for _, path := range []string{"/v1/checkins", "/v1/checkins/batch"} {
		for _, token := range []string{"", "anything"} {
			body := newWatchedBody()
			close(body.release)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, bodyRequest(path, token, body, ingest.MaxBatchBytes))
			if rec.Code != http.StatusUnauthorized || body.wasRead() {
				t.Errorf("%s with token %q: status %d, body read %v; want 401 without reading it", path, token, rec.Code, body.wasRead())
			}
		}
	}
}

// TestOverloadRefusedBeforeBody: past the limit of requests or of body bytes
// in flight, a request is answered 503 with Retry-After and its body is not
// read; once the request in flight ends, the next is served.
func TestOverloadRefusedBeforeBody(t *testing.T) {
	n := testenv.StartNATS(t)
	cases := []struct {
		name       string
		requests   int
		bytes      int64
		holdLength int64 // -1: unknown length, which reserves the endpoint's limit
		holdPath   string
	}{
		{"requests", 1, ingest.DefaultMaxBytes, 100, "/v1/checkins"},
		{"bytes", 100, ingest.MaxBatchBytes, -1, "/v1/checkins/batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := ingest.New(n.JS, testenv.Pseudonymizer(t), ingest.WithLogger(quiet), ingest.WithLimits(tc.requests, tc.bytes))
			held := newWatchedBody()
			done := make(chan int)
			go func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, bodyRequest(tc.holdPath, "", held, tc.holdLength))
				done <- rec.Code
			}()
			<-held.read // the first request is in flight, reading its body

			body := newWatchedBody()
			close(body.release)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, bodyRequest("/v1/checkins", "", body, 100))
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || body.wasRead() {
				t.Errorf("second request: status %d Retry-After %q body read %v; want 503 with Retry-After, body unread",
					rec.Code, rec.Header().Get("Retry-After"), body.wasRead())
			}
			close(held.release)
			<-done
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/checkins", strings.NewReader(with(func(map[string]any) {}))))
			if rec.Code == http.StatusServiceUnavailable {
				t.Errorf("after the first request ended: 503, want the request served")
			}
		})
	}
}

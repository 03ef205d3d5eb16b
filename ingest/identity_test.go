package ingest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestIdentityFromTheLink is the attack, tried with every token a
// clinic holds: a personal link submits for its own clinician only (whatever
// the body says), a clinic's integration token only for clinicians on its
// roster and in their team, and a revoked link not at all.
func TestIdentityFromTheLink(t *testing.T) {
	p := testenv.Pseudonymizer(t)
	link, linkSHA := roster.NewToken()
	integration := "tend_integration-token-of-northside"
	tokens, err := ingest.ParseTokens(strings.NewReader("northside " + ingest.HashToken(integration) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	dir := &roster.Directory{}
	dir.Load([]clickhouse.Member{
		{Clinic: "northside", Team: "trauma-outpatient", Clinician: p.Pseudonym("northside", "c-1042"), TokenSHA256: linkSHA},
		{Clinic: "northside", Team: "crisis", Clinician: p.Pseudonym("northside", "c-7"), TokenSHA256: ""},
	})
	srv, n := startIngest(t, ingest.WithTokens(tokens), ingest.WithRoster(dir))
	send := func(token string, body map[string]any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		status, resp, err := (client.Client{URL: srv.URL, Token: token}).Post(t.Context(), "/v1/checkins", b)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		json.Unmarshal(resp, &out)
		return status, out
	}
	without := func(keys ...string) map[string]any {
		b := valid()
		for _, k := range keys {
			delete(b, k)
		}
		return b
	}

	// The link says who: the body may leave clinic, team and clinician out.
	body := without("clinic", "team", "clinician")
	body["id"] = "by-link"
	if status, out := send(link, body); status != http.StatusAccepted {
		t.Fatalf("check-in by personal link: %d %v", status, out)
	}
	cons, err := n.JS.OrderedConsumer(t.Context(), stream.Checkins, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next()
	if err != nil {
		t.Fatal(err)
	}
	var ev checkin.Event
	json.Unmarshal(msg.Data(), &ev)
	if ev.Clinic != "northside" || ev.Team != "trauma-outpatient" || ev.Clinician != p.Pseudonym("northside", "c-1042") {
		t.Errorf("the link's check-in became %s/%s/%s", ev.Clinic, ev.Team, ev.Clinician)
	}

	for _, tc := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"a link naming another clinician", link, func() map[string]any { b := valid(); b["clinician"] = "c-7"; return b }(), http.StatusForbidden, "clinician"},
		{"a link naming another team", link, func() map[string]any { b := valid(); b["team"] = "crisis"; return b }(), http.StatusForbidden, "team"},
		{"a link naming another clinic", link, func() map[string]any { b := valid(); b["clinic"] = "riverside"; return b }(), http.StatusForbidden, "clinic"},
		{"the integration token for an invented clinician", integration, func() map[string]any { b := valid(); b["clinician"] = "c-invented"; return b }(), http.StatusForbidden, "clinician"},
		{"the integration token in the wrong team", integration, func() map[string]any { b := valid(); b["clinician"] = "c-7"; return b }(), http.StatusForbidden, "team"},
		{"a revoked or unknown link", "tp_not-any-clinicians-link", valid(), http.StatusUnauthorized, "Authorization"},
	} {
		status, out := send(tc.token, tc.body)
		fields, _ := out["fields"].(map[string]any)
		if status != tc.status || fields[tc.field] == nil {
			t.Errorf("%s: %d %v, want %d naming %s", tc.name, status, out, tc.status, tc.field)
		}
	}
	// The integration token may submit for a rostered clinician in their team.
	b := valid()
	b["id"], b["clinician"], b["team"] = "by-integration", "c-7", "crisis"
	if status, out := send(integration, b); status != http.StatusAccepted {
		t.Errorf("integration token for a rostered clinician: %d %v", status, out)
	}
}

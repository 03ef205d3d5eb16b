package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/testenv"
)

// TestOwnSpace: a clinician's personal link opens their own history —
// their check-ins only, scored — downloads it, and erases it (through the
// processor's erasure service, audited), leaving colleagues' data alone; no
// token, an unknown one or a revoked link opens nothing.
func TestOwnSpace(t *testing.T) {
	m := startMain(t)
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	p := testenv.Pseudonymizer(t)
	admin := roster.Admin{Store: store, Pseudonyms: p, LinkBase: m.IngestURL(), Actor: "test"}
	issued, err := admin.Enroll(t.Context(), []roster.Entry{{Clinic: "northside", Team: "crisis", Clinician: "c-7"}, {Clinic: "northside", Team: "crisis", Clinician: "c-8"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RefreshRoster(t.Context()); err != nil {
		t.Fatal(err)
	}
	mine, colleague := issued[0].Token, issued[1].Token
	at := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	for _, post := range []struct{ token, body string }{
		{mine, `{"submitted_at":"` + at + `","instrument":"miniz","answers":[4]}`},
		{mine, `{"submitted_at":"` + at + `","instrument":"miniz","answers":[2]}`},
		{colleague, `{"submitted_at":"` + at + `","instrument":"miniz","answers":[1]}`},
	} {
		if status, resp, err := (client.Client{URL: m.IngestURL(), Token: post.token}).Post(t.Context(), "/v1/checkins", []byte(post.body)); err != nil || status != http.StatusAccepted {
			t.Fatalf("post: %d %s %v", status, resp, err)
		}
	}
	waitStored(t, m, store, 3)

	call := func(method, path, token string) (int, string) {
		status, body, err := (client.Client{URL: m.IngestURL(), Token: token}).Do(t.Context(), method, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return status, string(body)
	}
	var view struct {
		Clinic, Team, Pseudonym string
		CheckIns                []struct {
			Answers []int
			Scores  map[string]float64
			Bands   map[string]struct{ Level string }
		} `json:"checkins"`
		Notice string
	}
	status, body := call("GET", "/v1/me", mine)
	if status != http.StatusOK || json.Unmarshal([]byte(body), &view) != nil {
		t.Fatalf("GET /v1/me: %d %s", status, body)
	}
	if view.Clinic != "northside" || view.Team != "crisis" || view.Pseudonym != p.Pseudonym("northside", "c-7") || len(view.CheckIns) != 2 || view.Notice == "" {
		t.Errorf("own view %+v, want northside/crisis, c-7's pseudonym, two check-ins and a notice", view)
	}
	for _, c := range view.CheckIns {
		if len(c.Answers) != 1 || c.Scores["burnout_level"] != float64(c.Answers[0]) || c.Bands["burnout_level"].Level == "" {
			t.Errorf("own check-in %+v: want its answer, score and band", c)
		}
	}
	if strings.Contains(body, `"c-7"`) {
		t.Errorf("the raw identifier is in the own view: %s", body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", m.IngestURL()+"/v1/me/export", nil)
	req.Header.Set("Authorization", "Bearer "+mine)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export: %v %v, want 200 as an attachment", resp, err)
	} else {
		resp.Body.Close()
	}
	for name, token := range map[string]string{"no token": "", "an unknown token": "tend_not-a-link"} {
		if status, body := call("GET", "/v1/me", token); status != http.StatusUnauthorized {
			t.Errorf("GET /v1/me with %s: %d %s, want 401", name, status, body)
		}
	}
	// Refused requests for a personal space are not rejected check-ins.
	if metrics := get(t, m.MetricsURL()); !strings.Contains(metrics, "\ntend_ingest_checkins_rejected_total 0\n") {
		t.Errorf("refused GET /v1/me counted as rejected check-ins:\n%s", grep(metrics, "tend_ingest_checkins_rejected_total"))
	}

	if status, body := call("DELETE", "/v1/me", mine); status != http.StatusOK || !strings.Contains(body, `"erased":2`) {
		t.Fatalf("DELETE /v1/me: %d %s, want 2 erased", status, body)
	}
	if status, body := call("GET", "/v1/me", mine); status != http.StatusOK || !strings.Contains(body, `"checkins":[]`) {
		t.Errorf("after erasure: %d %s, want no check-ins", status, body)
	}
	db := m.Config.ClickHouse.Database
	if n := testenv.Count(t, store, "SELECT count() FROM "+db+".checkins FINAL"); n != 1 {
		t.Errorf("%d check-ins left, want the colleague's 1", n)
	}
	trail, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{Action: "erase"})
	if err != nil || len(trail) != 1 || trail[0].Outcome != "ok" || !strings.Contains(trail[0].Detail, "asked by the clinician") {
		t.Errorf("audit trail %+v %v, want the clinician's erasure", trail, err)
	}

	if _, err := admin.Apply(t.Context(), roster.Revoke, "northside", "c-8", ""); err != nil {
		t.Fatal(err)
	}
	if err := m.RefreshRoster(t.Context()); err != nil {
		t.Fatal(err)
	}
	if status, body := call("GET", "/v1/me", colleague); status != http.StatusUnauthorized || !strings.Contains(body, "no longer") {
		t.Errorf("revoked link: %d %s, want 401 saying so", status, body)
	}
}

// TestAdminAPI: a clinic's admin token enrols, lists and revokes over HTTP
// for its own clinic only; the links it issues work at once, a revoked one
// at once stops; no token, another clinic's clinician, and another
// clinic's token get nothing.
func TestAdminAPI(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "admin-tokens")
	os.WriteFile(tokens, []byte("northside "+ingest.HashToken("admin-north")+"\nsouthside "+ingest.HashToken("admin-south")+"\n"), 0o600)
	m := startMain(t, func(c *pipeline.Config) { c.AdminTokens = tokens })
	call := func(method, path, token, body string) (int, string) {
		var data []byte
		if body != "" {
			data = []byte(body)
		}
		status, out, err := (client.Client{URL: m.IngestURL(), Token: token}).Do(t.Context(), method, path, data)
		if err != nil {
			t.Fatal(err)
		}
		return status, string(out)
	}
	status, body := call("POST", "/v1/admin/roster", "admin-north", `[{"team":"crisis","clinician":"c-1"},{"team":"crisis","clinician":"c-2"}]`)
	var issued []roster.Issued
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &issued) != nil || len(issued) != 2 || issued[0].Clinic != "northside" ||
		!strings.HasPrefix(issued[0].Link, m.IngestURL()+"/#token=") {
		t.Fatalf("enrol: %d %s", status, body)
	}
	if status, body := call("GET", "/v1/me", issued[0].Token, ""); status != http.StatusOK {
		t.Errorf("a link just issued: %d %s, want 200 at once", status, body)
	}
	if status, body := call("GET", "/v1/admin/roster", "admin-north", ""); status != http.StatusOK || strings.Count(body, `"pseudonym"`) != 2 || strings.Contains(body, "c-1") {
		t.Errorf("list: %d %s, want two pseudonyms and no raw identifier", status, body)
	}
	if status, body := call("GET", "/v1/admin/roster", "admin-south", ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("another clinic's list: %d %s, want empty", status, body)
	}
	if status, body := call("POST", "/v1/admin/roster/change", "admin-south", `{"change":"revoke","clinician":"c-1"}`); status != http.StatusNotFound {
		t.Errorf("another clinic's token revoking: %d %s, want 404", status, body)
	}
	for _, token := range []string{"", "admin-nowhere", issued[1].Token} {
		if status, _ := call("GET", "/v1/admin/roster", token, ""); status != http.StatusUnauthorized {
			t.Errorf("list with token %q: %d, want 401", token, status)
		}
	}
	if status, body := call("POST", "/v1/admin/roster/change", "admin-north", `{"change":"revoke","clinician":"c-1"}`); status != http.StatusOK {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if status, _ := call("GET", "/v1/me", issued[0].Token, ""); status != http.StatusUnauthorized {
		t.Errorf("a link just revoked: %d, want 401 at once", status)
	}
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	want := "northside: " + ingest.TokenID("admin-north") + "; southside: " + ingest.TokenID("admin-south")
	if trail, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{Action: "tokens"}); err != nil || len(trail) != 1 || trail[0].Target != "admin-tokens" || trail[0].Detail != want {
		t.Errorf("audit trail of the tokens accepted: %+v %v, want admin-tokens %q", trail, err, want)
	}
	for action, target := range map[string]string{"enroll": "northside (2 clinicians)", "revoke": "northside/"} {
		trail, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{Action: action})
		if err != nil || len(trail) != 1 || !strings.HasPrefix(trail[0].Actor, "admin-token:") || !strings.HasPrefix(trail[0].Target, target) {
			t.Errorf("audit trail of %s: %+v %v, want one entry by the admin token's id, on %s", action, trail, err, target)
		}
	}
}

// TestDemoPersonalLink: `tend up --demo` enrols the visitor and prints
// their personal link, which opens their own (empty) space at once.
func TestDemoPersonalLink(t *testing.T) {
	m := startMain(t, func(c *pipeline.Config) { c.Demo = true })
	var out strings.Builder
	m.WhereToLook(&out)
	_, link, ok := strings.Cut(out.String(), "your page:  ")
	link, _, _ = strings.Cut(link, " ")
	_, token, found := strings.Cut(link, "#token=")
	if !ok || !found || !strings.HasPrefix(link, m.IngestURL()) {
		t.Fatalf("no personal link where to look:\n%s", out.String())
	}
	status, body, err := (client.Client{URL: m.IngestURL(), Token: token}).Do(t.Context(), "GET", "/v1/me", nil)
	if err != nil || status != http.StatusOK || !strings.Contains(string(body), `"clinic":"your-clinic"`) {
		t.Errorf("the demo link's space: %d %s %v", status, body, err)
	}
}

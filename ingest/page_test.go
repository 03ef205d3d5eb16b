package ingest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/internal/wording"
)

// get is request with GET and no body.
func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	return request(t, http.MethodGet, url, token, "")
}

// request sends body (JSON, if any) with method to url, with token as
// Bearer if set, and returns the response and its body.
func request(t *testing.T, method, url, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// TestCheckinPage: the page and every script and style it names are served
// from ingest itself, under a policy that lets it load nothing from
// elsewhere.
func TestCheckinPage(t *testing.T) {
	srv, _ := startIngest(t)
	resp, page := get(t, srv.URL+"/", "")
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(csp, "script-src 'self';") {
		t.Fatalf("GET /: %d %s, CSP %q", resp.StatusCode, resp.Header.Get("Content-Type"), csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	assets := 0
	for _, ref := range refs {
		switch u := ref[1]; {
		case strings.HasPrefix(u, "#"), u == "data:,":
		case strings.HasPrefix(u, "/web/"):
			assets++
			if resp, _ := get(t, srv.URL+u, ""); resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != csp {
				t.Errorf("GET %s: %d", u, resp.StatusCode)
			}
		default:
			t.Errorf("the page loads %s, from outside ingest", u)
		}
	}
	if assets < 2 {
		t.Errorf("the page names %d scripts and styles, want its script and its style", assets)
	}
	if resp, _ := get(t, srv.URL+"/web/", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /web/: %d, want 404 (no listing)", resp.StatusCode)
	}
	if resp, js := get(t, srv.URL+"/web/page.js", ""); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(js), "linkToken") {
		t.Errorf("GET /web/page.js: %s", resp.Header.Get("Content-Type"))
	}
}

// instrumentsInfo is GET /v1/instruments as the page reads it.
type instrumentsInfo []struct {
	Name      string            `json:"name"`
	Citation  string            `json:"citation"`
	Items     int               `json:"items"`
	Allowed   []int             `json:"allowed"`
	Anchors   map[string]string `json:"anchors"`
	ScoreInfo []struct {
		Name  string                `json:"name"`
		Bands []instrument.BandInfo `json:"bands"`
	} `json:"score_info"`
	Wording *wording.Form `json:"wording"`
}

// TestInstruments: the four instruments with their citations and anchors
// (the Mini-Z's five statements), every band saying whose it is (the CBI's
// moderate band is tend's own), and the item wording a clinic provided —
// for its forms only.
func TestInstruments(t *testing.T) {
	provided := wording.Set{"miniz": {Instructions: "Choose one.", Items: []string{"Placeholder wording"}}}
	srv, _ := startIngest(t, ingest.WithWording(provided))
	_, body := get(t, srv.URL+"/v1/instruments", "")
	var insts instrumentsInfo
	if err := json.Unmarshal(body, &insts); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"proqol5": 30, "scssf": 12, "cbi": 19, "miniz": 1}
	for _, in := range insts {
		if want[in.Name] != in.Items || in.Citation == "" || len(in.Allowed) != 5 || len(in.Anchors) == 0 || len(in.ScoreInfo) == 0 {
			t.Errorf("instrument %+v", in)
		}
		delete(want, in.Name)
		if (in.Name == "miniz") != (in.Wording != nil) {
			t.Errorf("%s: wording %+v, provided for miniz only", in.Name, in.Wording)
		}
		switch in.Name {
		case "miniz":
			if len(in.Anchors) != 5 || in.Wording.Items[0] != "Placeholder wording" {
				t.Errorf("miniz: anchors %v, wording %+v", in.Anchors, in.Wording)
			}
		case "cbi":
			for _, si := range in.ScoreInfo {
				if len(si.Bands) != 3 || si.Bands[1].Level != "moderate" || si.Bands[1].Source != instrument.SourceTend || si.Bands[2].Source != instrument.SourceConvention {
					t.Errorf("cbi %s bands %+v: moderate must be tend's own, high a convention", si.Name, si.Bands)
				}
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("missing instruments %v", want)
	}
}

// TestSupport: the support contacts and crisis line the page keeps one
// click away are the personal link's clinic's; without a link (or with one
// no longer valid) the defaults, never another clinic's by asking.
func TestSupport(t *testing.T) {
	fb, err := feedback.Parse([]byte("clinics:\n  northside:\n    crisis: {name: Northside on-call, phone: \"0800 222\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	link, sha := roster.NewToken()
	dir := &roster.Directory{}
	dir.Load([]clickhouse.Member{{Clinic: "northside", Team: "crisis", Clinician: testenv.Pseudonymizer(t).Pseudonym("northside", "c-1"), TokenSHA256: sha}})
	tokens, _ := ingest.ParseTokens(strings.NewReader("northside " + ingest.HashToken("integration") + "\n"))
	srv, _ := startIngest(t, ingest.WithFeedback(fb), ingest.WithRoster(dir), ingest.WithTokens(tokens))
	crisis := func(query, token string) string {
		_, body := get(t, srv.URL+"/v1/support"+query, token)
		var r feedback.Resources
		if err := json.Unmarshal(body, &r); err != nil || len(r.Contacts) == 0 {
			t.Fatalf("GET /v1/support%s: %s %v", query, body, err)
		}
		return r.Crisis.Name
	}
	if got := crisis("", link); got != "Northside on-call" {
		t.Errorf("with northside's link: crisis line %q", got)
	}
	for _, c := range []struct{ query, token string }{{"", ""}, {"?clinic=northside", ""}, {"", "tp_revoked"}} {
		if got := crisis(c.query, c.token); got == "Northside on-call" || got == "" {
			t.Errorf("%+v: crisis line %q, want the default", c, got)
		}
	}
}

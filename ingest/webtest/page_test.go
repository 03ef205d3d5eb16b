package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/pipeline"
	"github.com/tendhq/tend/internal/pipelinetest"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/testenv"
)

// flaky stands in front of ingest, as a load balancer would, and answers the
// first check-in posted through it 503 with Retry-After — what ingest answers
// when NATS does not acknowledge in time — passing everything else on. It
// records the id of every check-in posted, so the test can see the page
// retry with the same one.
type flaky struct {
	next *httputil.ReverseProxy
	mu   sync.Mutex
	ids  []string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/v1/checkins" {
		body, _ := io.ReadAll(r.Body)
		var c struct{ ID string }
		json.Unmarshal(body, &c)
		f.mu.Lock()
		first := len(f.ids) == 0
		f.ids = append(f.ids, c.ID)
		f.mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"check-in not stored: the message broker is unavailable; retry with the same id"}`)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	f.next.ServeHTTP(w, r)
}

// wordingFile writes a wording file (--instrument-text) for instrument's
// items, each a placeholder naming its item: tend ships no item text.
func wordingFile(t *testing.T, instrument string, items int) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  items:\n", instrument)
	for i := 1; i <= items; i++ {
		fmt.Fprintf(&b, "    %d: Placeholder wording of %s item %d\n", i, instrument, i)
	}
	path := filepath.Join(t.TempDir(), "wording.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (f *flaky) posted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ids...)
}

// TestPersonalPage is a clinician's visit, in a real browser, to a whole
// running tend: they open their personal link (nothing to type), answer the
// SCS-SF with the keyboard alone, submit through a first 503 (the page
// retries with the same id: stored once), read their scores and see them in
// their history's chart; they download their data and erase it. A colleague
// whose link was revoked is told so plainly. axe-core finds no serious or
// critical accessibility violation on either page.
func TestPersonalPage(t *testing.T) {
	ctx := startBrowser(t, 90*time.Second) // it takes 15–35 s on 2 busy cores
	front := &flaky{}
	proxy := httptest.NewServer(front)
	t.Cleanup(proxy.Close)

	// Two clinicians enrolled before tend starts (ingest loads the roster at
	// start); the second one's link revoked.
	var links []roster.Issued
	m := pipelinetest.Start(t, func(c *pipeline.Config) {
		c.InstrumentText = wordingFile(t, "scssf", 12)
		admin := roster.Admin{Store: testenv.OpenStore(t, c.ClickHouse), Pseudonyms: testenv.Pseudonymizer(t), LinkBase: proxy.URL, Actor: "test"}
		var err error
		links, err = admin.Enroll(t.Context(), []roster.Entry{{Clinic: "northside", Team: "trauma-outpatient", Clinician: "c-1042"}, {Clinic: "northside", Team: "crisis", Clinician: "c-7"}})
		if err == nil {
			_, err = admin.Apply(t.Context(), roster.Revoke, "northside", "c-7", "")
		}
		if err != nil {
			t.Fatalf("enrol: %v", err)
		}
	})
	target, _ := url.Parse(m.IngestURL())
	front.next = httputil.NewSingleHostReverseProxy(target)

	do(t, ctx, "open the personal link", chromedp.Navigate(links[0].Link))
	waitFor(t, ctx, 10*time.Second, "the page to know who this is", `document.body.dataset.ready === "true" && document.getElementById("who").textContent.includes("trauma-outpatient")`)
	if eval[bool](t, ctx, `!document.getElementById("you").hidden || document.getElementById("you").offsetParent !== null`) {
		t.Error("with a personal link, the page still shows the fields to type clinic, team and identifier")
	}

	// The keyboard alone, in the page's focus order: the support link, the
	// link to the history, the questionnaire picker, each item's options,
	// the context, the button.
	answers := []int{2, 4, 3, 2, 4, 3, 4, 2, 2, 4, 2, 1}
	do(t, ctx, "tab to the support link", press(kb.Tab))
	if got := focused(t, ctx); got != "Support and crisis line" {
		t.Fatalf("first in the focus order: %q, want the support link", got)
	}
	do(t, ctx, "tab to the history link", press(kb.Tab))
	if got := focused(t, ctx); got != "to-history" {
		t.Fatalf("second in the focus order: %q, want the link to the history", got)
	}
	do(t, ctx, "pick the SCS-SF", press(kb.Tab, kb.ArrowDown))
	if got := eval[string](t, ctx, `document.activeElement.id + "=" + document.activeElement.value`); got != "instrument=scssf" {
		t.Fatalf("after Tab and ArrowDown: %s, want the questionnaire picker on scssf", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#item11 legend").textContent`); got != "Item 12: Placeholder wording of scssf item 12" {
		t.Errorf("item 12's legend reads %q, want the wording provided with --instrument-text", got)
	}
	for i, a := range answers {
		do(t, ctx, "tab to an item", press(kb.Tab))
		if got := focused(t, ctx); got != fmt.Sprintf("a%d", i) {
			t.Fatalf("item %d: focus on %q, want its options (a%d)", i+1, got, i)
		}
		keys := []string{" "} // Space checks the first option
		if a > 1 {
			keys = []string{strings.Repeat(kb.ArrowRight, a-1)} // each arrow checks the next
		}
		do(t, ctx, "answer", press(keys...))
	}
	do(t, ctx, "sessions", press(kb.Tab, "6"))
	if got := focused(t, ctx); got != "sessions" {
		t.Fatalf("after the items: focus on %q, want sessions", got)
	}
	do(t, ctx, "tab to the button", press(kb.Tab, kb.Tab, kb.Tab, kb.Tab))
	if got := focused(t, ctx); got != "submit" {
		t.Fatalf("focus on %q, want the submit button", got)
	}
	if outline := eval[string](t, ctx, `(s => s.outlineStyle + " " + s.outlineWidth)(getComputedStyle(document.activeElement))`); outline != "solid 3px" {
		t.Errorf("the focused button's outline is %q: focus must be visible", outline)
	}
	do(t, ctx, "submit", press(kb.Enter))
	waitFor(t, ctx, 15*time.Second, "the receipt", `(document.querySelector("#result h2") || {}).textContent === "Thank you for checking in"`)

	ids := front.posted()
	if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("check-ins posted: %q, want one answered 503 then retried with the same id", ids)
	}
	want, err := instrument.Score("scssf", answers)
	if err != nil {
		t.Fatal(err)
	}
	sc := fmt.Sprint(float64(int(want.Scores["self_compassion"]*100+0.5)) / 100)
	if row := eval[string](t, ctx, `[...document.querySelectorAll("#result tr")].map(r => r.innerText).find(t => t.startsWith("self compassion")) || ""`); !strings.Contains(row, sc) {
		t.Errorf("receipt row %q lacks the self-compassion score %s", row, sc)
	}
	store := testenv.OpenStore(t, m.Config.ClickHouse)
	testenv.Eventually(t, 10*time.Second, "the check-in stored", func() bool {
		return testenv.Count(t, store, "SELECT count() FROM "+m.Config.ClickHouse.Database+".checkins FINAL WHERE id = '"+ids[0]+"'") == 1
	})

	// The history: the check-in's score in its chart, with its bands' cut-offs.
	waitFor(t, ctx, 15*time.Second, "the history chart", `[...document.querySelectorAll("#charts figure")].some(f => f.querySelector("figcaption").textContent === "self compassion" && f.querySelectorAll("circle").length === 1)`)
	if got := eval[string](t, ctx, `document.querySelector("#charts figure svg").textContent`); !strings.Contains(got, "published cut-off") {
		t.Errorf("the chart does not label its cut-offs as published: %q", got)
	}
	if n := eval[int](t, ctx, "localStorage.length"); n != 0 {
		t.Errorf("the page kept %d things in local storage; with a link it keeps nothing", n)
	}
	checkAccessibility(t, ctx, "the personal page")

	// Download everything stored: a JSON file naming the check-in.
	dir := t.TempDir()
	do(t, ctx, "download", allowDownloads(dir), chromedp.Click("#download"))
	var exported []byte
	testenv.Eventually(t, 10*time.Second, "the download", func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 1 {
			exported, _ = os.ReadFile(files[0])
		}
		return json.Valid(exported)
	})
	if !bytes.Contains(exported, []byte(ids[0])) {
		t.Errorf("the download lacks the check-in %s: %s", ids[0], exported)
	}

	// Erase, after a confirmation.
	do(t, ctx, "erase", chromedp.Click("#erase"), chromedp.WaitVisible("#erase-yes"), chromedp.Click("#erase-yes"))
	waitFor(t, ctx, 20*time.Second, "the erasure", `document.getElementById("data-status").textContent.startsWith("Erased: 1 check-in ")`)
	waitFor(t, ctx, 10*time.Second, "an empty history", `document.getElementById("charts").textContent.includes("No check-ins stored yet")`)

	// A revoked link, in a tab of its own: a clear message, no form.
	rctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	do(t, rctx, "open the revoked link", chromedp.Navigate(links[1].Link))
	waitFor(t, rctx, 10*time.Second, "the revoked message", `document.getElementById("who").textContent.includes("This personal link no longer works")`)
	if eval[bool](t, rctx, `document.getElementById("form").offsetParent !== null`) {
		t.Error("a revoked link still shows the check-in form")
	}
	checkAccessibility(t, rctx, "the revoked link's page")

	// Without a link (open development mode) the page asks who is checking in.
	dctx, cancel := chromedp.NewContext(ctx)
	defer cancel()
	do(t, dctx, "open the page without a link", chromedp.Navigate(proxy.URL+"/"))
	waitFor(t, dctx, 10*time.Second, "the development-mode fields", `document.body.dataset.ready === "true" && document.getElementById("clinic").offsetParent !== null`)

	// The Mini-Z: its five statements, each an option's label, and its source.
	do(t, dctx, "pick the Mini-Z", chromedp.Evaluate[chromedp.Void](`(s => { s.value = "miniz"; s.dispatchEvent(new Event("change")); })(document.getElementById("instrument"))`))
	labels := eval[[]string](t, dctx, `[...document.querySelectorAll("#items label")].map(l => l.textContent)`)
	if len(labels) != 5 || !strings.HasPrefix(labels[1], "2 — Occasionally I am under stress") || !strings.HasPrefix(labels[3], "4 — The symptoms of burnout") {
		t.Errorf("Mini-Z options %q, want its five statements", labels)
	}
	if credit := eval[string](t, dctx, `document.querySelector("#items .credit").textContent`); !strings.Contains(credit, "Linzer") {
		t.Errorf("Mini-Z source %q, want its authors named", credit)
	}
}

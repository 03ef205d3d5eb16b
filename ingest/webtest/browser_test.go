package webtest

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// axe is axe-core, injected into the page under test (never served with it).
//
//go:embed testdata/axe.min.js
var axe string

// startBrowser starts headless chromium for the test, or skips the test
// when there is none — unless TEND_REQUIRE_BROWSER is set (make test sets
// it), so that CI cannot pass by skipping. The browser is stopped after at
// most limit.
func startBrowser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("TEND_REQUIRE_BROWSER") != "" {
			t.Fatalf("TEND_REQUIRE_BROWSER is set but chromium is not installed (make browser installs it): %v", err)
		}
		t.Skip("chromium is not installed: the check-in page is not tested in a browser (make test installs it: make browser)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1000, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	timer := time.AfterFunc(limit, cancel)
	t.Cleanup(func() { timer.Stop() })
	return ctx
}

// do runs steps in ctx's tab, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in ctx's tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, for at most d.
func waitFor(t *testing.T, ctx context.Context, d time.Duration, what, cond string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
		t.Fatalf("waiting for %s (%s): %v\nthe page reads:\n%s", what, cond, err, text)
	}
}

// press sends keys to the focused element as real key events.
func press(keys ...string) chromedp.Action[chromedp.Void] {
	return chromedp.KeyEvent(strings.Join(keys, ""))
}

// focused names the focused element: its name, else its id, else its text.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `(() => { const a = document.activeElement; return a.name || a.id || a.textContent.trim(); })()`)
}

// axeViolation is one failed accessibility rule, as axe-core reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// checkAccessibility injects axe-core into the page and fails the test for
// every violation of serious or critical impact (labels, contrast, names,
// ARIA misuse …): what a screen-reader or low-vision user would be stopped by.
func checkAccessibility(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if !eval[bool](t, ctx, "typeof axe !== 'undefined'") {
		do(t, ctx, "inject axe-core", chromedp.Evaluate[chromedp.Void](axe))
	}
	violations := eval[[]axeViolation](t, ctx, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`)
	for _, v := range violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("%s: accessibility (%s, not failing): %s: %s", where, v.Impact, v.ID, v.Help)
			continue
		}
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		t.Errorf("%s: accessibility violation (%s) %s: %s\n  %s", where, v.Impact, v.ID, v.Help, strings.Join(nodes, "\n  "))
	}
}

// allowDownloads lets the tab save downloads into dir.
func allowDownloads(dir string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return chromedp.Void{}, err
	}
}

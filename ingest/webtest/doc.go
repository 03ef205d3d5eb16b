// Package webtest tests the clinician's check-in page in a real browser
// (Debian's chromium, driven by chromedp) against a whole running tend: real
// NATS, the real ClickHouse server. It has no code of its own; axe-core,
// which checks the page's accessibility, is vendored in testdata/ and
// injected by the test, never served with the page.
package webtest

package ingest

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/wording"
)

// web is the clinician's check-in page and its own private space (index.html,
// with its scripts and styles beside it): built from GET /v1/instruments, it
// posts to /v1/checkins and, opened with a personal link, shows the clinician
// their history from /v1/me. It loads nothing from elsewhere.
//
//go:embed web
var web embed.FS

// pageSecurity keeps the page to its own scripts and styles and its own
// origin, and sends no referrer (the personal link's fragment never leaves
// the browser anyway).
func pageSecurity(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

func handlePage() http.Handler {
	page, err := web.ReadFile("web/index.html")
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageSecurity(w.Header())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
}

// handleAssets serves the page's scripts and styles under /web/, files only.
func handleAssets() http.Handler {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/web/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // files only, no listings
			http.NotFound(w, r)
			return
		}
		pageSecurity(w.Header())
		files.ServeHTTP(w, r)
	})
}

// instrumentInfo is one instrument as GET /v1/instruments describes it.
type instrumentInfo struct {
	Name     string         `json:"name"`
	Title    string         `json:"title"`
	Citation string         `json:"citation"`
	Items    int            `json:"items"`
	Allowed  []int          `json:"allowed"`
	Anchors  map[int]string `json:"anchors"`
	Scores   []string       `json:"scores"`
	// ScoreInfo describes each score: range, risk side, and its bands with
	// where each comes from (published, a convention, or tend's own).
	ScoreInfo []scoreInfo `json:"score_info"`
	// Wording is the licensed form's text, when the clinic provided it
	// (--instrument-text); without it the page shows item numbers.
	Wording *wording.Form `json:"wording,omitempty"`
}

type scoreInfo struct {
	Name     string                `json:"name"`
	Min      float64               `json:"min"`
	Max      float64               `json:"max"`
	RiskSide string                `json:"risk_side"`
	Derived  bool                  `json:"derived,omitempty"`
	Bands    []instrument.BandInfo `json:"bands,omitempty"`
}

func (s *Server) handleInstruments() http.Handler {
	var infos []instrumentInfo
	for _, name := range instrument.Names() {
		in, _ := instrument.Lookup(name)
		info := instrumentInfo{Name: in.Name, Title: in.Title, Citation: in.Citation, Items: in.Items, Allowed: in.Allowed, Anchors: in.Anchors, Scores: in.Scores}
		for _, score := range in.Scores {
			si, _ := instrument.Info(score)
			info.ScoreInfo = append(info.ScoreInfo, scoreInfo{si.Name, si.Min, si.Max, si.RiskSide, si.Derived, si.Bands})
		}
		if f, ok := s.wording[name]; ok {
			info.Wording = &f
		}
		infos = append(infos, info)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, infos)
	})
}

// handleSupport answers the support contacts and crisis line the page keeps
// one click away: a personal link's clinic's; in open development mode,
// ?clinic='s; else the defaults. It needs no authentication: nothing in it
// is about anyone.
func (s *Server) handleSupport() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clinic := ""
		if m, ok := s.personal(Bearer(r)); ok {
			clinic = m.Clinic
		} else if s.tokens == nil {
			clinic = r.URL.Query().Get("clinic")
		}
		encode(w, http.StatusOK, s.feedback.Resources(clinic))
	})
}

package ingest

import (
	_ "embed"
	"net/http"

	"github.com/tendhq/tend/internal/instrument"
)

// checkinPage is the clinician's check-in page: a form built from
// GET /v1/instruments that posts to /v1/checkins and shows the clinician
// their own scores and suggestions. It loads nothing from elsewhere.
//
//go:embed web/index.html
var checkinPage []byte

func handlePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		w.Write(checkinPage)
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
}

func handleInstruments() http.Handler {
	var infos []instrumentInfo
	for _, name := range instrument.Names() {
		in, _ := instrument.Lookup(name)
		infos = append(infos, instrumentInfo{in.Name, in.Title, in.Citation, in.Items, in.Allowed, in.Anchors, in.Scores})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, infos)
	})
}

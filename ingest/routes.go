package ingest

import "net/http"

// routes is the whole ingest API in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/checkins", s.instrument("checkin", s.handleCheckin()))
	mux.Handle("POST /v1/checkins/batch", s.instrument("batch", s.handleBatch()))
	mux.Handle("GET /v1/me", s.instrument("me", s.handleOwn(false)))
	mux.Handle("GET /v1/me/export", s.instrument("me_export", s.handleOwn(true)))
	mux.Handle("DELETE /v1/me", s.instrument("me_erase", s.handleOwnErase()))
	mux.Handle("GET /v1/instruments", s.handleInstruments())
	mux.Handle("GET /v1/support", s.handleSupport())
	mux.Handle("GET /{$}", handlePage())
	mux.Handle("GET /web/", handleAssets())
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", s.handleReadyz())
	return mux
}

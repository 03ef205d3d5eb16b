package roster

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/tendhq/tend/ingest"
)

// Handler is the roster's HTTP API for clinic administrators. Each request
// carries one of a clinic's admin tokens (Authorization: Bearer), which
// scopes it to that clinic: the clinic is never taken from the request.
// changed runs after every successful change, so that ingest sees it at once.
// Without a.LinkBase, links point at the address the request came to.
//
//	GET  /v1/admin/roster         the clinic's roster (pseudonyms, teams, dates)
//	POST /v1/admin/roster         enrol [{"team","clinician"}, …]: a personal link each, shown once
//	POST /v1/admin/roster/change  {"change": "move|revoke|reissue|remove", "clinician", "team"}
func Handler(a Admin, tokens ingest.Tokens, changed func(context.Context)) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /v1/admin/roster", scoped(a, tokens, func(w http.ResponseWriter, r *http.Request, a Admin, clinic string) {
		members, err := a.Store.Roster(r.Context(), clinic)
		if err != nil {
			ingest.EncodeError(w, http.StatusServiceUnavailable, "the roster cannot be read right now", nil)
			return
		}
		out := make([]listed, len(members))
		for i, m := range members {
			out[i] = listed{Team: m.Team, Pseudonym: m.Clinician, Enrolled: m.Enrolled, LinkWorks: m.TokenSHA256 != ""}
			if !m.Active() {
				out[i].Left = &members[i].Left
			}
		}
		ingest.Encode(w, http.StatusOK, out)
	}))
	mux.Handle("POST /v1/admin/roster", scoped(a, tokens, func(w http.ResponseWriter, r *http.Request, a Admin, clinic string) {
		var entries []Entry
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&entries); err != nil || len(entries) == 0 {
			ingest.EncodeError(w, http.StatusBadRequest, "want a JSON array of {\"team\", \"clinician\"}", nil)
			return
		}
		for i := range entries {
			if entries[i].Team == "" || entries[i].Clinician == "" {
				ingest.EncodeError(w, http.StatusBadRequest, "every entry needs a team and a clinician", nil)
				return
			}
			entries[i].Clinic = clinic
		}
		issued, err := a.Enroll(r.Context(), entries)
		if err != nil {
			ingest.EncodeError(w, http.StatusServiceUnavailable, "enrolment not stored; it is safe to send again", nil)
			return
		}
		changed(r.Context())
		ingest.Encode(w, http.StatusCreated, issued)
	}))
	mux.Handle("POST /v1/admin/roster/change", scoped(a, tokens, func(w http.ResponseWriter, r *http.Request, a Admin, clinic string) {
		var req struct{ Change, Clinician, Team string }
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req)
		change, known := changeByName(req.Change)
		if err != nil || !known || req.Clinician == "" || (change == Move) != (req.Team != "") {
			ingest.EncodeError(w, http.StatusBadRequest, "want {\"change\": \"move|revoke|reissue|remove\", \"clinician\", \"team\" (move only)}", nil)
			return
		}
		issued, err := a.Apply(r.Context(), change, clinic, req.Clinician, req.Team)
		switch {
		case errors.Is(err, ErrNotEnrolled):
			ingest.EncodeError(w, http.StatusNotFound, err.Error(), map[string]string{"clinician": "not on this clinic's roster"})
		case err != nil:
			ingest.EncodeError(w, http.StatusServiceUnavailable, "change not stored; it is safe to send again", nil)
		default:
			changed(r.Context())
			ingest.Encode(w, http.StatusOK, issued)
		}
	}))
	return mux
}

// listed is one clinician on the roster as an administrator sees them: no
// raw identifier (it is not stored) and no token hash.
type listed struct {
	Team      string     `json:"team"`
	Pseudonym string     `json:"pseudonym"`
	Enrolled  time.Time  `json:"enrolled"`
	Left      *time.Time `json:"left,omitempty"`
	LinkWorks bool       `json:"link_works"`
}

// scoped authenticates a request by its clinic admin token and runs h as
// that clinic's administrator, audited by the token's id.
func scoped(a Admin, tokens ingest.Tokens, h func(http.ResponseWriter, *http.Request, Admin, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ingest.Bearer(r)
		clinic, ok := tokens.Clinic(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tend admin"`)
			ingest.EncodeError(w, http.StatusUnauthorized, "a clinic's admin token is required", map[string]string{"Authorization": "must be \"Bearer <the clinic's admin token>\""})
			return
		}
		a.Actor = "admin-token:" + ingest.TokenID(token)
		if a.LinkBase == "" {
			a.LinkBase = "http://" + r.Host + "/"
			if r.TLS != nil {
				a.LinkBase = "https://" + r.Host + "/"
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, a, clinic)
	})
}

func changeByName(name string) (Change, bool) {
	for c, n := range changeNames {
		if n == name {
			return c, true
		}
	}
	return 0, false
}

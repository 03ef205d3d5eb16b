package ingest

import (
	"context"
	"net/http"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/instrument"
)

// OwnData is what tend keeps about one clinician, for their eyes only: read
// and downloaded through their personal link, erased at their word. Only a
// personal token opens it; no clinic or integration token does, and
// leadership's dashboards never read it.
type OwnData interface {
	// CheckIns are the clinician's stored check-ins, oldest first.
	CheckIns(ctx context.Context, clinic, pseudonym string) ([]checkin.CheckIn, error)
	// Erase erases everything stored of the clinician and says how many
	// check-ins went.
	Erase(ctx context.Context, clinic, pseudonym string) (uint64, error)
}

// WithOwnData serves clinicians their own data: GET /v1/me, GET
// /v1/me/export, DELETE /v1/me.
func WithOwnData(d OwnData) Option { return func(s *Server) { s.own = d } }

// OwnNotice tells a clinician, in plain words, what is kept and who sees it.
const OwnNotice = "What tend keeps about you: each check-in you submit — your answers, the optional " +
	"context you gave, when — under a pseudonym derived from your identifier with a key only this " +
	"deployment holds, never your name or identifier itself. Only you see it, through your personal " +
	"link. Your clinic's leadership sees team figures only: teams of at least 5 respondents, for " +
	"periods that have closed, published once and never changed — never one person's answers. " +
	"Check-ins are kept for 24 months (unless your clinic set another window), then deleted. You can " +
	"download all of it here, or erase it: erasing removes your check-ins everywhere tend keeps them; " +
	"team figures already published stay as they are, since they describe at least 5 people."

// OwnCheckIn is one stored check-in as its clinician sees it: what they
// answered, what it scored, the suggestions it gave.
type OwnCheckIn struct {
	checkin.CheckIn
	Scores map[string]float64         `json:"scores"`
	Bands  map[string]instrument.Band `json:"bands"`
	feedback.Feedback
}

// ownView is the body of GET /v1/me and its download.
type ownView struct {
	Clinic    string       `json:"clinic"`
	Team      string       `json:"team"`
	Pseudonym string       `json:"pseudonym"`
	CheckIns  []OwnCheckIn `json:"checkins"`
	Notice    string       `json:"notice"`
}

var errNotPersonal = &clientError{http.StatusUnauthorized, "this link is not (or no longer) a valid personal check-in link: ask your clinic's administrator for a new one",
	map[string]string{"Authorization": "must be \"Bearer <your personal link's token>\""}}

// member is the clinician whose personal link r carries.
func (s *Server) member(r *http.Request) (Member, *clientError) {
	if s.own == nil {
		return Member{}, &clientError{http.StatusNotFound, "this deployment keeps no personal space", nil}
	}
	m, ok := s.personal(Bearer(r))
	if !ok {
		return m, errNotPersonal
	}
	return m, nil
}

// handleOwn is GET /v1/me (attachment: as a download).
func (s *Server) handleOwn(attachment bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ce := s.member(r)
		if ce != nil {
			refuse(w, ce) // not a check-in: not counted as a rejected one
			return
		}
		cs, err := s.own.CheckIns(r.Context(), m.Clinic, m.Pseudonym)
		if err != nil {
			s.log.Error("read own check-ins", "err", err)
			w.Header().Set("Retry-After", "5")
			encodeError(w, http.StatusServiceUnavailable, "your history cannot be read right now; try again shortly", nil)
			return
		}
		view := ownView{Clinic: m.Clinic, Team: m.Team, Pseudonym: m.Pseudonym, CheckIns: []OwnCheckIn{}, Notice: OwnNotice}
		for _, c := range cs {
			own := OwnCheckIn{CheckIn: c}
			if res, err := instrument.Score(c.Instrument, c.Answers); err == nil {
				own.Scores, own.Bands, own.Feedback = res.Scores, res.Bands, s.feedback.For(c.Clinic, res)
			}
			view.CheckIns = append(view.CheckIns, own)
		}
		if attachment {
			w.Header().Set("Content-Disposition", `attachment; filename="tend-my-data.json"`)
		}
		w.Header().Set("Cache-Control", "no-store")
		encode(w, http.StatusOK, view)
	})
}

// ownEraseTimeout bounds a self-service erasure within the server's write
// timeout; one that takes longer goes on, and asking again is safe.
const ownEraseTimeout = 25 * time.Second

// handleOwnErase is DELETE /v1/me: the clinician erases their own data.
func (s *Server) handleOwnErase() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ce := s.member(r)
		if ce != nil {
			refuse(w, ce) // not a check-in: not counted as a rejected one
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), ownEraseTimeout)
		defer cancel()
		n, err := s.own.Erase(ctx, m.Clinic, m.Pseudonym)
		if err != nil {
			s.log.Error("self-service erasure", "err", err)
			w.Header().Set("Retry-After", "10")
			encodeError(w, http.StatusServiceUnavailable, "erasure not finished; it is safe to ask again", nil)
			return
		}
		encode(w, http.StatusOK, map[string]uint64{"erased": n})
	})
}

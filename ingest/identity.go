package ingest

import (
	"context"
	"net/http"
	"time"

	"github.com/tendhq/tend/internal/checkin"
)

// Member is an enrolled clinician as ingest needs them: who (a pseudonym),
// at which clinic, in which team.
type Member struct{ Clinic, Team, Pseudonym string }

// Roster is who is enrolled: by personal token, and by clinic and
// pseudonym. Identity comes from enrolment, never from a request's body.
type Roster interface {
	ByToken(token string) (Member, bool)
	Enrolled(clinic, pseudonym string) (Member, bool)
}

// Auditor records submissions made with a clinic's integration token:
// which token (by id, never the token), for which clinic, how many.
type Auditor interface {
	AuditSubmission(ctx context.Context, tokenID, clinic string, checkins int)
}

// WithRoster takes identity from personal check-in links: a check-in sent
// with a personal token is that clinician's, whatever its body says, and a
// clinic's integration token may submit only for clinicians on its roster.
func WithRoster(r Roster) Option { return func(s *Server) { s.roster = r } }

// WithAuditor records integration-token submissions.
func WithAuditor(a Auditor) Option { return func(s *Server) { s.auditor = a } }

// personal is the member whose personal token token is.
func (s *Server) personal(token string) (Member, bool) {
	if s.roster == nil || token == "" {
		return Member{}, false
	}
	return s.roster.ByToken(token)
}

// claim fills a check-in sent with a personal link from the enrolment —
// the body may leave clinic, team and clinician out — and refuses one whose
// body names anyone else. It returns the check-in to validate, with the
// member's pseudonym standing in for the raw identifier.
func (s *Server) claim(c checkin.CheckIn, m Member) (checkin.CheckIn, error) {
	fields := map[string]string{}
	if c.Clinic != "" && c.Clinic != m.Clinic {
		fields["clinic"] = "this personal link is for another clinic"
	}
	if c.Team != "" && c.Team != m.Team {
		fields["team"] = "this personal link is for another team"
	}
	if c.Clinician != "" && c.Clinician != m.Pseudonym && s.pseudonyms.Pseudonym(m.Clinic, c.Clinician) != m.Pseudonym {
		fields["clinician"] = "this personal link is another clinician's"
	}
	if len(fields) > 0 {
		return c, &clientError{http.StatusForbidden, "a personal link submits for its own clinician only", fields}
	}
	c.Clinic, c.Team, c.Clinician = m.Clinic, m.Team, m.Pseudonym
	return c, nil
}

// onRoster refuses a check-in sent with an integration token for a
// clinician not on the clinic's roster, or for another team than theirs.
func (s *Server) onRoster(c checkin.CheckIn) error {
	if s.roster == nil {
		return nil
	}
	m, ok := s.roster.Enrolled(c.Clinic, s.pseudonyms.Pseudonym(c.Clinic, c.Clinician))
	if !ok {
		return &clientError{http.StatusForbidden, "unknown clinician",
			map[string]string{"clinician": "not on this clinic's roster: enrol them first (tend enroll)"}}
	}
	if m.Team != c.Team {
		return &clientError{http.StatusForbidden, "wrong team",
			map[string]string{"team": "the roster puts this clinician in another team"}}
	}
	return nil
}

// audit records a request's integration-token submissions, best effort and
// bounded: the check-ins are stored whatever becomes of the record.
func (s *Server) audit(r *http.Request, token, clinic string, n int) {
	if s.auditor == nil || s.tokens == nil || n == 0 {
		return
	}
	if _, personal := s.personal(token); personal {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Second)
	defer cancel()
	s.auditor.AuditSubmission(ctx, TokenID(token), clinic, n)
}

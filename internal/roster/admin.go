package roster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
)

// Admin changes a roster: what a clinic administrator does, each change
// audited as Actor.
type Admin struct {
	Store      *clickhouse.Store
	Pseudonyms *checkin.Pseudonymizer
	LinkBase   string // the check-in page clinicians open, e.g. https://tend.example.org/
	Actor      string // who, for the audit trail (never a secret)
}

// Issued is a personal check-in link, shown once: only the token's hash is
// stored.
type Issued struct {
	Clinic    string `json:"clinic"`
	Team      string `json:"team"`
	Clinician string `json:"clinician"`
	Link      string `json:"link"`
	Token     string `json:"token"`
}

// Enroll puts clinicians on their clinic's roster with a new personal link
// each (a clinician enrolled before gets a new link, the old one revoked).
func (a Admin) Enroll(ctx context.Context, entries []Entry) ([]Issued, error) {
	now := time.Now().UTC().Truncate(time.Second)
	members := make([]clickhouse.Member, len(entries))
	issued := make([]Issued, len(entries))
	clinics := map[string]int{}
	for i, e := range entries {
		clinics[e.Clinic]++
		token, sha := NewToken()
		members[i] = clickhouse.Member{Clinic: e.Clinic, Team: e.Team, Clinician: a.Pseudonyms.Pseudonym(e.Clinic, e.Clinician), TokenSHA256: sha, Enrolled: now}
		issued[i] = Issued{Clinic: e.Clinic, Team: e.Team, Clinician: e.Clinician, Link: Link(a.LinkBase, token), Token: token}
	}
	err := a.Store.PutMembers(ctx, members...)
	var target []string
	for _, c := range slices.Sorted(maps.Keys(clinics)) {
		target = append(target, fmt.Sprintf("%s (%d clinicians)", c, clinics[c]))
	}
	return issued, errors.Join(err, a.audit(ctx, "enroll", strings.Join(target, ", "), err))
}

// Change is what happens to one enrolled clinician.
type Change int

// The changes.
const (
	Move    Change = iota // to Team
	Revoke                // the personal link stops working
	Reissue               // a new link; the old one stops working
	Remove                // off the roster (they left): no link, no longer counted
)

var changeNames = map[Change]string{Move: "move", Revoke: "revoke", Reissue: "reissue", Remove: "remove"}

// ErrNotEnrolled is a change to a clinician not on the roster.
var ErrNotEnrolled = errors.New("not on the roster")

// Apply makes change to the clinician clinician of clinic (their raw
// identifier); team is the new team of Move. Reissue returns the new link.
func (a Admin) Apply(ctx context.Context, change Change, clinic, clinician, team string) (Issued, error) {
	pseudonym := a.Pseudonyms.Pseudonym(clinic, clinician)
	var m *clickhouse.Member
	members, err := a.Store.Roster(ctx, clinic)
	if err != nil {
		return Issued{}, err
	}
	for i := range members {
		if members[i].Clinician == pseudonym && members[i].Active() {
			m = &members[i]
		}
	}
	if m == nil {
		return Issued{}, fmt.Errorf("%s: %s is %w of %s", changeNames[change], clinician, ErrNotEnrolled, clinic)
	}
	var out Issued
	switch change {
	case Move:
		m.Team = team
	case Revoke:
		m.TokenSHA256 = ""
	case Reissue:
		token, sha := NewToken()
		m.TokenSHA256 = sha
		out = Issued{Clinic: clinic, Team: m.Team, Clinician: clinician, Link: Link(a.LinkBase, token), Token: token}
	case Remove:
		m.TokenSHA256, m.Left = "", time.Now().UTC().Truncate(time.Second)
	}
	err = a.Store.PutMembers(ctx, *m)
	return out, errors.Join(err, a.audit(ctx, changeNames[change], clinic+"/"+pseudonym, err))
}

// audit records an action and its outcome; it returns the error of the
// record itself, which the caller reports with the action's.
func (a Admin) audit(ctx context.Context, action, target string, err error) error {
	return a.Store.Audit(context.WithoutCancel(ctx), clickhouse.AuditEntry{Actor: a.Actor, Action: action, Target: target, Outcome: clickhouse.Outcome(err)})
}

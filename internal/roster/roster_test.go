package roster_test

import (
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/testenv"
)

// TestEnrolAndChange: enrolment gives a working link, stored only as its
// hash; reissue replaces it, revoke and remove stop it, move changes team;
// each change is audited.
func TestEnrolAndChange(t *testing.T) {
	store := testenv.ClickHouse(t)
	a := roster.Admin{Store: store, Pseudonyms: testenv.Pseudonymizer(t), LinkBase: "https://tend.example.org/", Actor: "cli:ops"}
	issued, err := a.Enroll(t.Context(), []roster.Entry{{Clinic: "northside", Team: "crisis", Clinician: "c-1"}, {Clinic: "northside", Team: "crisis", Clinician: "c-2"}})
	if err != nil || len(issued) != 2 || !strings.HasPrefix(issued[0].Link, "https://tend.example.org/#token=tp_") {
		t.Fatalf("enroll: %+v, %v", issued, err)
	}
	dir := &roster.Directory{}
	load := func() {
		if err := dir.Refresh(t.Context(), store); err != nil {
			t.Fatal(err)
		}
	}
	load()
	if m, ok := dir.ByToken(issued[0].Token); !ok || m.Team != "crisis" || m.Pseudonym != testenv.Pseudonymizer(t).Pseudonym("northside", "c-1") {
		t.Fatalf("the new link is %+v, %v", m, ok)
	}
	members, _ := store.Roster(t.Context(), "northside")
	for _, m := range members {
		if strings.Contains(m.TokenSHA256, issued[0].Token) || m.Clinician == "c-1" {
			t.Fatalf("the roster holds a token or a raw identifier: %+v", m)
		}
	}
	again, err := a.Apply(t.Context(), roster.Reissue, "northside", "c-1", "")
	load()
	if _, ok := dir.ByToken(issued[0].Token); err != nil || ok {
		t.Errorf("the old link still works after reissue (%v)", err)
	}
	if _, ok := dir.ByToken(again.Token); !ok {
		t.Error("the reissued link does not work")
	}
	if _, err := a.Apply(t.Context(), roster.Move, "northside", "c-1", "intake"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(t.Context(), roster.Remove, "northside", "c-2", ""); err != nil {
		t.Fatal(err)
	}
	load()
	if m, _ := dir.ByToken(again.Token); m.Team != "intake" {
		t.Errorf("after move the link's team is %q", m.Team)
	}
	if _, ok := dir.ByToken(issued[1].Token); ok {
		t.Error("a removed clinician's link still works")
	}
	if _, err := a.Apply(t.Context(), roster.Revoke, "northside", "c-2", ""); err == nil {
		t.Error("a removed clinician could be changed")
	}
	trail, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{})
	if err != nil || len(trail) < 4 {
		t.Errorf("audit trail: %d entries, %v", len(trail), err)
	}
}

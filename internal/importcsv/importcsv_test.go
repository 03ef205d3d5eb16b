package importcsv

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

const export = "clinic,team,clinician,submitted_at,instrument,answers\n" +
	"northside,crisis,c-1042,2026-11-20 17:05:00,miniz,3\n"

// TestDerivedIDsAreKeyed: the id of a row without one depends on the key —
// the same key gives the same id (a re-import counts once), another key
// another id, and it is not the plain hash of the row that anyone holding a
// guess of the clinician's identifier could recompute. Without a key such a
// row is refused.
func TestDerivedIDsAreKeyed(t *testing.T) {
	id := func(key string) string {
		rows, err := Read(strings.NewReader(export), []byte(key))
		if err != nil || len(rows) != 1 || rows[0].Err != nil {
			t.Fatalf("read: %v %+v", err, rows)
		}
		return rows[0].CheckIn.ID
	}
	a, again, b := id("key-a"), id("key-a"), id("key-b")
	if a != again || a == b {
		t.Errorf("ids %q, %q (same key), %q (other key)", a, again, b)
	}
	plain := sha256.Sum256([]byte(strings.Join(strings.Split(strings.Split(export, "\n")[1], ","), "\x1f")))
	if strings.Contains(a, hex.EncodeToString(plain[:12])) {
		t.Errorf("id %q is the plain hash of the row", a)
	}
	rows, err := Read(strings.NewReader(export), nil)
	if err != nil || rows[0].Err == nil || !strings.Contains(rows[0].Err.Error(), "TEND_IMPORT_KEY") {
		t.Errorf("a row without an id and no key: %v %+v", err, rows)
	}
}

// Package roster is who may check in: the clinicians a clinic enrolled, each
// with a personal check-in link whose token says who they are, so that a
// check-in's identity comes from enrolment, never from its body. The roster
// itself (pseudonyms, teams, the tokens' hashes) is in ClickHouse's private
// database; a Directory keeps ingest's copy of it.
package roster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/retry"
)

// NewToken returns a fresh personal token — opaque, 26 random base32
// characters (130 bits) — and its SHA-256 in hex, which is all the roster
// keeps.
func NewToken() (token, sha string) {
	token = "tp_" + rand.Text()
	return token, Hash(token)
}

// Hash is the SHA-256 of a token in hex.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Link is a clinician's personal check-in link: the page at base with the
// token in the fragment, which browsers never send to a server (so it is in
// no access log).
func Link(base, token string) string {
	return strings.TrimSuffix(base, "/") + "/#token=" + token
}

// Entry is one line of a roster file: a clinician to enrol.
type Entry struct{ Clinic, Team, Clinician string }

// ReadCSVFile reads the roster file at path, as ReadCSV.
func ReadCSVFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	defer f.Close()
	return ReadCSV(f)
}

// ReadCSV reads a roster file with a header naming clinic, team and
// clinician (the raw identifier as the clinic knows it; it is pseudonymized
// before anything is stored).
func ReadCSV(r io.Reader) ([]Entry, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("read roster: empty file")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"clinic", "team", "clinician"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("read roster: the header lacks the column %q", need)
		}
	}
	var out []Entry
	for i, rec := range recs[1:] {
		e := Entry{Clinic: strings.TrimSpace(rec[col["clinic"]]), Team: strings.TrimSpace(rec[col["team"]]), Clinician: strings.TrimSpace(rec[col["clinician"]])}
		if e.Clinic == "" || e.Team == "" || e.Clinician == "" {
			return nil, fmt.Errorf("read roster: line %d: clinic, team and clinician are required", i+2)
		}
		out = append(out, e)
	}
	return out, nil
}

// Directory is the roster as ingest consults it, by token and by
// clinician. It is a copy, refreshed from the store (Run): ingest keeps
// admitting enrolled clinicians while ClickHouse is down, and an enrolment
// or a revocation takes effect within one refresh.
type Directory struct {
	mu       sync.RWMutex
	byToken  map[string]ingest.Member // token SHA-256 → member
	byClinic map[string]ingest.Member // clinic \x00 pseudonym → member
}

var _ ingest.Roster = (*Directory)(nil)

// Load replaces the directory's contents with members; those who left are
// no longer admitted.
func (d *Directory) Load(members []clickhouse.Member) {
	byToken, byClinic := map[string]ingest.Member{}, map[string]ingest.Member{}
	for _, m := range members {
		if !m.Active() {
			continue
		}
		im := ingest.Member{Clinic: m.Clinic, Team: m.Team, Pseudonym: m.Clinician}
		byClinic[m.Clinic+"\x00"+m.Clinician] = im
		if m.TokenSHA256 != "" {
			byToken[m.TokenSHA256] = im
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.byToken, d.byClinic = byToken, byClinic
}

// ByToken is the member whose personal token this is.
func (d *Directory) ByToken(token string) (ingest.Member, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	m, ok := d.byToken[Hash(token)]
	return m, ok
}

// Enrolled is the member with pseudonym at clinic, if they are on its
// roster.
func (d *Directory) Enrolled(clinic, pseudonym string) (ingest.Member, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	m, ok := d.byClinic[clinic+"\x00"+pseudonym]
	return m, ok
}

// Refresh reloads the directory from store.
func (d *Directory) Refresh(ctx context.Context, store *clickhouse.Store) error {
	members, err := store.Roster(ctx, "")
	if err != nil {
		return err
	}
	d.Load(members)
	return nil
}

// Run refreshes the directory every interval until ctx ends; a failed
// refresh keeps the last copy and is logged.
func (d *Directory) Run(ctx context.Context, store *clickhouse.Store, every time.Duration, log *slog.Logger) {
	for {
		rctx, cancel := context.WithTimeout(ctx, every)
		err := d.Refresh(rctx, store)
		cancel()
		if err != nil && ctx.Err() == nil {
			log.Warn("roster refresh failed; ingest keeps its last copy", "err", err)
		}
		if !retry.Sleep(ctx, every) {
			return
		}
	}
}

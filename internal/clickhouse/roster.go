package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// Member is one clinician on a clinic's roster. Left is zero while they are
// on it; TokenSHA256 is empty once their personal link was revoked.
type Member struct {
	Clinic, Clinician, Team string // Clinician is a pseudonym
	TokenSHA256             string
	Enrolled, Left          time.Time
}

// Active reports whether m is on the roster.
func (m Member) Active() bool { return m.Left.IsZero() || m.Left.Unix() <= 0 }

const rosterColumns = "clinic, clinician, team, token_sha256, enrolled_at, left_at, version"

// PutMembers writes members, each replacing the clinician's earlier row
// (the version is the time of the write, in nanoseconds: of two
// administrators' edits of one row, the later wins).
func (s *Store) PutMembers(ctx context.Context, members ...Member) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cfg.Database+".roster ("+rosterColumns+")")
	if err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	defer batch.Abort()
	version := uint64(time.Now().UnixNano())
	for _, m := range members {
		left := m.Left
		if left.IsZero() {
			left = time.Unix(0, 0)
		}
		if err := batch.Append(m.Clinic, m.Clinician, m.Team, m.TokenSHA256, m.Enrolled.UTC(), left.UTC(), version); err != nil {
			return fmt.Errorf("write roster: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("write roster: %w", err)
	}
	return nil
}

func rosterSQL(cfg Config) string {
	return "SELECT clinic, clinician, team, token_sha256, enrolled_at, left_at FROM " + cfg.Database +
		".roster FINAL WHERE (? = '' OR clinic = ?) ORDER BY clinic, team, clinician"
}

// Roster returns the members of clinic (every clinic when it is ""), those
// who left included, by clinic, team and pseudonym.
func (s *Store) Roster(ctx context.Context, clinic string) ([]Member, error) {
	rows, err := s.conn.Query(ctx, rosterSQL(s.cfg), clinic, clinic)
	if err != nil {
		return nil, fmt.Errorf("read roster: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.Clinic, &m.Clinician, &m.Team, &m.TokenSHA256, &m.Enrolled, &m.Left); err != nil {
			return nil, fmt.Errorf("read roster: %w", err)
		}
		m.Enrolled = m.Enrolled.UTC()
		if m.Left.Unix() <= 0 {
			m.Left = time.Time{}
		} else {
			m.Left = m.Left.UTC()
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

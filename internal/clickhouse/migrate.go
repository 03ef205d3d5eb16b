package clickhouse

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema step, a file migrations/NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	// Statements are the file's statements with the database names filled in.
	Statements []Statement
}

// Statement is one statement of a migration. When Guard is set, the
// statement runs only if that query counts more than 0: a step that cannot
// be written idempotently (RENAME, a copy) says when it is still to do, so
// that a migration cut short is finished by the next run.
type Statement struct {
	SQL   string
	Guard string
}

// guardPrefix starts the comment line that gives the next statement its
// guard: "-- only if: SELECT count() FROM …".
const guardPrefix = "-- only if:"

// Migrations returns the embedded migrations in version order, rendered for
// the databases of cfg.
func Migrations(cfg Config) ([]Migration, error) {
	cfg = cfg.withDefaults()
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []Migration
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".sql")
		num, label, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		text, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(name).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, map[string]string{"DB": cfg.Database, "Reporting": cfg.ReportingDatabase}); err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: version, Name: label, Statements: splitStatements(buf.String())})
	}
	return ms, nil
}

// splitStatements splits SQL on semicolons that end a line, dropping
// comment-only lines but a guard's. Migrations keep string literals free of
// ";\n".
func splitStatements(sql string) []Statement {
	var out []Statement
	var cur strings.Builder
	var guard string
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if g, ok := strings.CutPrefix(trimmed, guardPrefix); ok {
			guard = strings.TrimSpace(g)
			continue
		}
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); stmt != "" {
				out = append(out, Statement{SQL: stmt, Guard: guard})
			}
			cur.Reset()
			guard = ""
		}
	}
	if stmt := strings.TrimSpace(cur.String()); stmt != "" {
		out = append(out, Statement{SQL: stmt, Guard: guard})
	}
	return out
}

// bootstrapStatements create the private database and the table that
// records applied migrations, before any migration runs.
func bootstrapStatements(cfg Config) []string {
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + cfg.Database,
		"CREATE TABLE IF NOT EXISTS " + cfg.Database + ".schema_migrations (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version",
	}
}

// Migrate applies the migrations not yet recorded in <db>.schema_migrations,
// in version order, and returns the versions it applied; then it mirrors
// the configured clinics' reporting (MirrorClinics). It is idempotent:
// every statement is CREATE … IF NOT EXISTS or has a guard that checks
// before it alters, so two processes migrating at once converge.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	return s.MigrateTo(ctx, math.MaxInt)
}

// MigrateTo is Migrate stopping after version last: a schema as an older
// release left it, for testing an upgrade from it.
func (s *Store) MigrateTo(ctx context.Context, last int) ([]int, error) {
	ms, err := Migrations(s.cfg)
	if err != nil {
		return nil, err
	}
	db := s.cfg.Database
	for _, stmt := range bootstrapStatements(s.cfg) {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("migrate: bootstrap: %w", err)
		}
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	var done []int
	for _, m := range ms {
		if applied[m.Version] || m.Version > last {
			continue
		}
		for i, stmt := range m.Statements {
			if err := s.apply(ctx, stmt); err != nil {
				return done, fmt.Errorf("migrate %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+db+".schema_migrations (version, name, applied_at)")
		if err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := batch.Append(uint32(m.Version), m.Name, time.Now().UTC()); err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := batch.Send(); err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	return done, s.MirrorClinics(ctx)
}

// apply runs stmt unless its guard counts nothing.
func (s *Store) apply(ctx context.Context, stmt Statement) error {
	if stmt.Guard != "" {
		var n uint64
		if err := s.conn.QueryRow(ctx, stmt.Guard).Scan(&n); err != nil {
			return fmt.Errorf("guard: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
	return s.conn.Exec(ctx, stmt.SQL)
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+s.cfg.Database+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[int(v)] = true
	}
	return applied, rows.Err()
}

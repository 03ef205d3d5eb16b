package clickhouse

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
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
	Statements []string
}

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
// comment-only lines. Migrations keep string literals free of ";\n".
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); stmt != "" {
				out = append(out, stmt)
			}
			cur.Reset()
		}
	}
	if stmt := strings.TrimSpace(cur.String()); stmt != "" {
		out = append(out, stmt)
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
// every statement is CREATE … IF NOT EXISTS or checks before it alters, so
// two processes migrating at once converge.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
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
		if applied[m.Version] {
			continue
		}
		for _, stmt := range m.Statements {
			if err := s.conn.Exec(ctx, stmt); err != nil {
				return done, fmt.Errorf("migrate %04d_%s: %w", m.Version, m.Name, err)
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

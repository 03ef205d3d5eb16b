package clickhouse

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/chdbtest"
)

// deploySQL is deploy/clickhouse/<name> with its placeholders replaced as
// its header tells operators to, and split into statements.
func deploySQL(t *testing.T, name string, placeholders ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "clickhouse", name))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(placeholders...).Replace(string(b))
	if strings.Contains(text, "@") {
		t.Fatalf("%s has a placeholder its header does not name", name)
	}
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		t.Fatalf("%s ends without a semicolon: %q", name, cur.String())
	}
	return stmts
}

// TestUsersSQLOnCurrentClickHouse checks deploy/clickhouse/users.sql and
// clinic.sql, the users and grants for current ClickHouse, on chDB 26.x.
// chDB refuses user management (its embedded default user has no
// access_management and no writable user directory), so each statement is
// parsed by the engine (formatQuery, which throws on a syntax error; EXPLAIN
// AST), each setting and privilege it names must exist in that engine, and
// the grants are checked: a clinic's reader gets SELECT on its clinic's
// database, a row policy on each of its tables, and nothing else.
func TestUsersSQLOnCurrentClickHouse(t *testing.T) {
	s := chdbtest.New(t)
	hash := func(pw string) string { h := sha256.Sum256([]byte(pw)); return hex.EncodeToString(h[:]) }
	clinic := "north-side"
	reader, db := ClinicReader(clinic), ClinicDatabase(Config{}, clinic)
	stmts := append(deploySQL(t, "users.sql", "@TEND_PASSWORD_SHA256@", hash("tend-pw")),
		deploySQL(t, "clinic.sql", "@CLINIC@", clinic, "@CLINIC_ID@", clinicSuffix(clinic), "@READER_PASSWORD_SHA256@", hash("reader-pw"))...)
	var readerGrants, policies []string
	for _, stmt := range stmts {
		quoted := "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(stmt) + "'"
		if _, err := s.Query("SELECT formatQuery("+quoted+")", "TSV"); err != nil {
			t.Errorf("ClickHouse %s cannot parse\n%s\nerror: %v", s.Version, stmt, err)
		}
		if _, err := s.Query("EXPLAIN AST "+stmt, "TSV"); err != nil {
			t.Errorf("ClickHouse %s: EXPLAIN AST\n%s\nerror: %v", s.Version, stmt, err)
		}
		flat := strings.Join(strings.Fields(stmt), " ")
		upper := strings.ToUpper(flat)
		if privs, _, ok := strings.Cut(strings.TrimPrefix(flat, "GRANT "), " ON "); strings.HasPrefix(upper, "GRANT ") && ok {
			for _, p := range strings.Split(privs, ",") {
				p = strings.TrimSpace(p)
				rows := s.MustRows(t, "SELECT count() FROM system.privileges WHERE privilege = '"+p+"' OR has(aliases, '"+p+"')")
				if rows[0][0] == "0" {
					t.Errorf("ClickHouse %s has no privilege %q (in %s)", s.Version, p, stmt)
				}
				for _, source := range []string{"URL", "REMOTE", "FILE", "SOURCES", "S3", "MYSQL", "POSTGRES", "JDBC", "ODBC", "HDFS", "ALL", "SHOW PROCESSLIST", "dictGet"} {
					if strings.EqualFold(p, source) {
						t.Errorf("a deploy SQL file grants %s: %s", p, stmt)
					}
				}
			}
		}
		if strings.HasPrefix(upper, "GRANT ") && strings.HasSuffix(flat, " TO "+reader) {
			readerGrants = append(readerGrants, flat)
		}
		if strings.HasPrefix(upper, "CREATE ROW POLICY") {
			policies = append(policies, flat)
		}
		if strings.HasPrefix(upper, "CREATE SETTINGS PROFILE") {
			for _, name := range []string{"readonly", "max_execution_time", "max_memory_usage", "max_result_rows", "max_rows_to_read", "max_concurrent_queries_for_user"} {
				if !strings.Contains(stmt, name+" = ") {
					t.Errorf("the reporting profile lacks %s", name)
				}
				if rows := s.MustRows(t, "SELECT count() FROM system.settings WHERE name = '"+name+"'"); rows[0][0] != "1" {
					t.Errorf("ClickHouse %s has no setting %s", s.Version, name)
				}
			}
			// Each limit is a constraint: READONLY, or (the one setting
			// Grafana's plugin sends) bounded by MIN and MAX.
			for _, line := range strings.Split(stmt, "\n")[1:] {
				line = strings.TrimSuffix(strings.TrimSpace(line), ",")
				if !strings.HasSuffix(line, " READONLY") &&
					!(strings.HasPrefix(line, "max_execution_time = ") && strings.Contains(line, " MIN 1 MAX ") && strings.HasSuffix(line, " CHANGEABLE_IN_READONLY")) {
					t.Errorf("the reporting profile's %q is a limit its user could change", line)
				}
			}
			if !strings.Contains(stmt, "readonly = 1 READONLY") {
				t.Errorf("the reporting profile must be readonly = 1:\n%s", stmt)
			}
		}
		if strings.HasPrefix(upper, "CREATE USER") && !strings.Contains(upper, "IDENTIFIED WITH SHA256_HASH BY '") {
			t.Errorf("a user without a password hash: %s", stmt)
		}
	}
	if want := []string{"GRANT tend_reporting_reader TO " + reader, "GRANT SELECT ON " + db + ".* TO " + reader}; !slices.Equal(readerGrants, want) {
		t.Errorf("%s's grants: %q, want %q", reader, readerGrants, want)
	}
	var wantPolicies []string
	for _, table := range reportingTables {
		wantPolicies = append(wantPolicies, "CREATE ROW POLICY OR REPLACE tend_clinic_only ON "+db+"."+table.name+
			" FOR SELECT USING clinic = '"+clinic+"' TO "+reader)
	}
	if !slices.Equal(policies, wantPolicies) {
		t.Errorf("row policies:\n%s\nwant one on each reporting table:\n%s", strings.Join(policies, "\n"), strings.Join(wantPolicies, "\n"))
	}
	// Applying it, where chDB allows: databases yes; users, roles,
	// profiles, quotas, policies and grants are refused for lack of a user
	// directory. Say so, so that a chDB that allows them is noticed.
	for _, stmt := range stmts {
		if _, err := s.Query(stmt, ""); err != nil {
			if strings.HasPrefix(stmt, "CREATE DATABASE") {
				t.Errorf("chDB rejected %s: %v", stmt, err)
			}
			continue
		}
		if !strings.HasPrefix(stmt, "CREATE DATABASE") {
			t.Logf("chDB applied: %s", firstLine(stmt))
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

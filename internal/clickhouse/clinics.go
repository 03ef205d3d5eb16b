package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/tendhq/tend/internal/checkin"
)

// Per-clinic reporting. Each clinic's leadership reads its own Grafana
// organization, whose ClickHouse user must read that clinic's rows and
// nothing else (design principle 3). ClickHouse 18.16 has neither row
// policies nor working users.xml row filters (measured: a <filter> is
// silently ignored), and a view does not help (reading it needs access to
// the database it reads). So each clinic gets a database of its own —
// <reporting database>_<clinic> — holding copies of the reporting tables
// with that clinic's rows only, kept in step by ClickHouse: a materialized
// view, in the private database where no reader sees it, copies each row
// inserted into tend_reporting for that clinic. Its reader is allowed that
// database only. On current ClickHouse deploy/clickhouse/clinic.sql grants
// the same and adds a row policy on the copies.
//
// The copies are made once, with the reporting tables' columns (CREATE
// TABLE … AS), and the views copy SELECT *: a migration that changes a
// reporting table must change the copies too (TestMirrorClinics compares
// their columns).

// reportingTables are the tables of the reporting database, each with the
// columns that identify a row within a clinic (never NULL), and whether a
// row is written once (plain MergeTree, read without FINAL: a second copy
// would show twice) or as counts replacing each other (read with FINAL).
var reportingTables = []struct {
	name, key string
	once      bool
}{
	{"team_periods", "team, instrument, score, period, period_start", true},
	{"alerts", "id", true},
	{"open_periods", "team, instrument, period, period_start", false},
	{"late_checkins", "team, instrument, period, period_start", false},
}

// clinicSuffix is the clinic's name as an identifier part ('-' is not one).
func clinicSuffix(clinic string) string { return strings.ReplaceAll(clinic, "-", "_") }

// ClinicDatabase is the database of the clinic's reporting rows.
func ClinicDatabase(cfg Config, clinic string) string {
	return cfg.withDefaults().ReportingDatabase + "_" + clinicSuffix(clinic)
}

// ClinicReader is the ClickHouse user of the clinic's Grafana organization,
// allowed ClinicDatabase only (scripts/clickhouse, clinic.sql).
func ClinicReader(clinic string) string { return "grafana_" + clinicSuffix(clinic) }

// CheckClinics refuses clinic names that are not valid, or that two of
// which would share a database.
func CheckClinics(clinics []string) error {
	seen := map[string]string{}
	for _, c := range clinics {
		if !checkin.IsName(c) {
			return fmt.Errorf("clinic %q: not a clinic name (a-z, 0-9, '-', '_')", c)
		}
		if other, ok := seen[clinicSuffix(c)]; ok {
			return fmt.Errorf("clinics %q and %q would share the database %s", other, c, clinicSuffix(c))
		}
		seen[clinicSuffix(c)] = c
	}
	return nil
}

// mirrorSchema creates the clinic's database, a copy of each reporting
// table, and the materialized views feeding the copies. Safe to repeat.
func mirrorSchema(cfg Config, clinic string) []string {
	cfg = cfg.withDefaults()
	cdb, rep := ClinicDatabase(cfg, clinic), cfg.ReportingDatabase
	stmts := []string{"CREATE DATABASE IF NOT EXISTS " + cdb}
	for _, t := range reportingTables {
		stmts = append(stmts,
			"CREATE TABLE IF NOT EXISTS "+cdb+"."+t.name+" AS "+rep+"."+t.name,
			"CREATE MATERIALIZED VIEW IF NOT EXISTS "+cfg.Database+"."+mirrorView(cfg, clinic, t.name)+
				" TO "+cdb+"."+t.name+" AS SELECT * FROM "+rep+"."+t.name+" WHERE "+clinicIs(clinic))
	}
	return stmts
}

// clinicIs selects a clinic's rows; a checked clinic name holds no quote.
func clinicIs(clinic string) string { return "clinic = '" + clinic + "'" }

// mirrorFill copies into the clinic's tables every row of the clinic that
// they lack: what was published before the views existed, or was lost by a
// dedupe racing a publication. Safe to repeat.
func mirrorFill(cfg Config, clinic string) []string {
	cfg = cfg.withDefaults()
	cdb, rep := ClinicDatabase(cfg, clinic), cfg.ReportingDatabase
	var stmts []string
	for _, t := range reportingTables {
		stmts = append(stmts, "INSERT INTO "+cdb+"."+t.name+" SELECT * FROM "+rep+"."+t.name+" WHERE "+clinicIs(clinic)+
			" AND ("+t.key+") NOT IN (SELECT "+t.key+" FROM "+cdb+"."+t.name+")")
	}
	return stmts
}

// copiedTwiceSQL finds the monthly partitions of a clinic's write-once
// table holding a row more than once.
func copiedTwiceSQL(cfg Config, clinic, table, key string) string {
	return "SELECT toYYYYMM(period_start) AS p FROM " + ClinicDatabase(cfg, clinic) + "." + table +
		" GROUP BY p HAVING count() > uniqExact(" + key + ") ORDER BY p"
}

// dedupeStatements rewrite one monthly partition of a clinic's write-once
// table with each row once. (OPTIMIZE … FINAL DEDUPLICATE would do it in
// one statement, but crashes ClickHouse 18.16: measured, a segmentation
// fault.) The scratch table is in the private database, out of readers'
// sight, and named by run, so that two processes migrating at once do not
// share it.
func dedupeStatements(cfg Config, clinic, table string, partition uint32, run string) []string {
	cfg = cfg.withDefaults()
	src := ClinicDatabase(cfg, clinic) + "." + table
	scratch := cfg.Database + ".mirror_" + clinicSuffix(clinic) + "_" + table + "_dedupe_" + run
	p := strconv.FormatUint(uint64(partition), 10)
	return []string{
		"CREATE TABLE " + scratch + " AS " + src,
		"INSERT INTO " + scratch + " SELECT DISTINCT * FROM " + src + " WHERE toYYYYMM(period_start) = " + p,
		"ALTER TABLE " + src + " REPLACE PARTITION " + p + " FROM " + scratch,
		"DROP TABLE " + scratch,
	}
}

// MirrorClinics gives each of cfg.Clinics its reporting database, fed from
// the reporting database from now on and filled with what it already holds.
//
// A row published while its clinic is first mirrored can be copied twice
// (by the view and by the fill): each run, and each retention run, removes
// such copies, then fills again what a publication racing that removal
// missed.
func (s *Store) MirrorClinics(ctx context.Context) error {
	if err := CheckClinics(s.cfg.Clinics); err != nil {
		return err
	}
	if err := s.dropOtherMirrors(ctx); err != nil {
		return err
	}
	for _, c := range s.cfg.Clinics {
		if err := s.execAll(ctx, "mirror clinic "+c, append(mirrorSchema(s.cfg, c), mirrorFill(s.cfg, c)...)); err != nil {
			return err
		}
	}
	return s.dedupeMirrors(ctx)
}

// mirrorView names the view copying table's rows of clinic.
func mirrorView(cfg Config, clinic, table string) string {
	return "mirror_" + clinicSuffix(clinic) + "_" + table
}

// dropOtherMirrors drops the views of clinics no longer configured: a
// view whose clinic's database the writer may no longer write (its
// users.xml entry removed) would fail every publication. The clinic's
// database is left to the operator.
func (s *Store) dropOtherMirrors(ctx context.Context) error {
	want := map[string]bool{}
	for _, c := range s.cfg.Clinics {
		for _, t := range reportingTables {
			want[mirrorView(s.cfg, c, t.name)] = true
		}
	}
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? AND engine = 'MaterializedView' AND startsWith(name, 'mirror_')", s.cfg.Database)
	if err != nil {
		return fmt.Errorf("list clinic mirrors: %w", err)
	}
	var drop []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("list clinic mirrors: %w", err)
		}
		if !want[name] {
			drop = append(drop, "DROP TABLE IF EXISTS "+s.cfg.Database+"."+name)
		}
	}
	rows.Close()
	return s.execAll(ctx, "drop the mirrors of clinics no longer configured", drop)
}

// dedupeMirrors removes rows copied twice into the clinics' write-once
// tables (partitioned by month of period_start), then fills again.
func (s *Store) dedupeMirrors(ctx context.Context) error {
	for _, c := range s.cfg.Clinics {
		deduped := false
		for _, t := range reportingTables {
			if !t.once {
				continue
			}
			rows, err := s.conn.Query(ctx, copiedTwiceSQL(s.cfg, c, t.name, t.key))
			if err != nil {
				return fmt.Errorf("mirror clinic %s: find copies in %s: %w", c, t.name, err)
			}
			var partitions []uint32
			for rows.Next() {
				var p uint32
				if err := rows.Scan(&p); err != nil {
					rows.Close()
					return fmt.Errorf("mirror clinic %s: %w", c, err)
				}
				partitions = append(partitions, p)
			}
			rows.Close()
			for _, p := range partitions {
				run := make([]byte, 6)
				if _, err := rand.Read(run); err != nil {
					return fmt.Errorf("mirror clinic %s: %w", c, err)
				}
				if err := s.execAll(ctx, "mirror clinic "+c+": dedupe", dedupeStatements(s.cfg, c, t.name, p, hex.EncodeToString(run))); err != nil {
					return err
				}
				deduped = true
			}
		}
		if deduped {
			if err := s.execAll(ctx, "mirror clinic "+c, mirrorFill(s.cfg, c)); err != nil {
				return err
			}
		}
	}
	return nil
}

// execAll runs stmts in order, stopping at the first error.
func (s *Store) execAll(ctx context.Context, what string, stmts []string) error {
	for _, stmt := range stmts {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// Package clickhouse is tend's store: the ClickHouse schema (versioned
// migrations embedded in the binary) and the reads and writes of check-ins.
//
// Every statement here runs on ClickHouse 18.16 (the server Debian ships) and
// on current ClickHouse; see shared/clickhouse.md for the rules that keeps.
package clickhouse

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Config says where ClickHouse is and which databases tend owns.
type Config struct {
	Addr     string // host:port of the native protocol, e.g. 127.0.0.1:9000
	User     string
	Password string
	// Database is the private database: pseudonymized check-ins.
	Database string
	// ReportingDatabase holds aggregates only; Grafana reads nothing else.
	ReportingDatabase string
	// Clinics are the clinics whose leadership reads the reporting data in
	// Grafana: each gets a reporting database of its own (MirrorClinics),
	// the only one its Grafana organization's ClickHouse user may read.
	Clinics []string
}

// Defaults for Config fields left empty.
const (
	DefaultAddr              = "127.0.0.1:9000"
	DefaultDatabase          = "tend"
	DefaultReportingDatabase = "tend_reporting"
)

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.User == "" {
		c.User = "default"
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.ReportingDatabase == "" {
		c.ReportingDatabase = DefaultReportingDatabase
	}
	return c
}

// Store is a connection pool to ClickHouse and tend's queries on it.
type Store struct {
	conn driver.Conn
	cfg  Config
}

// Open connects to ClickHouse over the native protocol (the HTTP protocol of
// clickhouse-go does not work with 18.16). It does not wait for the server:
// Ping does.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	conn, err := ch.Open(&ch.Options{
		Addr:             []string{cfg.Addr},
		Protocol:         ch.Native,
		Auth:             ch.Auth{Username: cfg.User, Password: cfg.Password},
		DialTimeout:      2 * time.Second,
		ReadTimeout:      60 * time.Second,
		MaxOpenConns:     8,
		MaxIdleConns:     4,
		ConnMaxLifetime:  10 * time.Minute,
		ConnOpenStrategy: ch.ConnOpenInOrder,
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", cfg.Addr, err)
	}
	return &Store{conn: conn, cfg: cfg}, nil
}

// Config returns the store's configuration with defaults applied.
func (s *Store) Config() Config { return s.cfg }

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse %s: %w", s.cfg.Addr, err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.conn.Close() }

// Conn exposes the underlying connection for tests that query tables
// directly, the way an operator with clickhouse-client would.
func (s *Store) Conn() driver.Conn { return s.conn }

// DropDatabases removes the store's private and reporting databases and
// the clinics' copies of the latter (<reporting>_*): for throwaway
// deployments (tests, tend bench), never called by the pipeline.
func (s *Store) DropDatabases(ctx context.Context) error {
	dbs := []string{s.cfg.Database, s.cfg.ReportingDatabase}
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.databases WHERE startsWith(name, ?)", s.cfg.ReportingDatabase+"_")
	if err != nil {
		return fmt.Errorf("list clinic databases: %w", err)
	}
	for rows.Next() {
		var db string
		if err := rows.Scan(&db); err != nil {
			rows.Close()
			return fmt.Errorf("list clinic databases: %w", err)
		}
		dbs = append(dbs, db)
	}
	rows.Close()
	for _, db := range dbs {
		if err := s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			return fmt.Errorf("drop database %s: %w", db, err)
		}
	}
	return nil
}

// WaitReady pings until ClickHouse answers or ctx ends.
func (s *Store) WaitReady(ctx context.Context) error {
	for {
		err := s.Ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clickhouse not ready: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ClientFlags registers the ClickHouse connection flags of a command. The
// password is not a flag: commands read it from the environment or a file.
func ClientFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "clickhouse-addr", DefaultAddr, "ClickHouse native protocol address `host:port`")
	fs.StringVar(&c.User, "clickhouse-user", "default", "ClickHouse user (password: TEND_CLICKHOUSE_PASSWORD or TEND_CLICKHOUSE_PASSWORD_FILE)")
	fs.StringVar(&c.Database, "clickhouse-database", DefaultDatabase, "private database for pseudonymized check-ins")
	fs.StringVar(&c.ReportingDatabase, "clickhouse-reporting-database", DefaultReportingDatabase, "reporting database (aggregates only; what Grafana reads)")
	ClinicsFlag(fs, &c.Clinics)
}

// ClinicsFlag registers --clinics (TEND_CLINICS).
func ClinicsFlag(fs *flag.FlagSet, clinics *[]string) {
	fs.Var((*clinicList)(clinics), "clinics", "comma-separated `clinics` whose leadership reads Grafana: each gets the reporting database <reporting database>_<clinic>, read by its own ClickHouse user grafana_<clinic>")
}

// clinicList is a comma-separated flag.Value of clinic names.
type clinicList []string

func (l *clinicList) String() string { return strings.Join(*l, ",") }

// Set replaces the list: a flag given twice, or the environment, is one list.
func (l *clinicList) Set(v string) (err error) {
	*l, err = ParseClinics(v)
	return err
}

// ParseClinics reads a comma-separated list of clinics (TEND_CLINICS, as
// scripts/clickhouse reads it too) and checks it.
func ParseClinics(v string) ([]string, error) {
	var clinics []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" {
			clinics = append(clinics, c)
		}
	}
	return clinics, CheckClinics(clinics)
}

package dashboards

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
)

// One Grafana organization per clinic. Grafana OSS has no datasource
// permissions: every viewer of an organization can query every datasource
// of it. So each clinic's leadership gets an organization of its own,
// holding tend's folder, dashboard and alert rules and a datasource whose
// ClickHouse user (clickhouse.ClinicReader) reads that clinic's reporting
// database (clickhouse.ClinicDatabase) and nothing else.
//
// tend reaches each organization with a token of a service account of that
// organization, and sends the organization's id with every request
// (X-Grafana-Org-Id, which gapi v0.27.0 sends from Config.OrgID). Current
// Grafana binds a service-account token to its organization and refuses a
// request naming another one (401, "API key does not belong to the
// requested organization"), so a token filed under the wrong clinic fails
// instead of putting one clinic's datasource into another clinic's
// organization. tend never holds a Grafana server-admin credential (which
// creating organizations would need): an operator creates each
// organization and its service account (role Admin) once.

// Org is one clinic's Grafana organization, as the operator configured it.
type Org struct {
	Clinic string
	ID     int64
	Token  string
}

// TokensEnv holds, one line per clinic, "<clinic> <organization id>
// <service-account token>" (or TokensEnv_FILE a file of them).
const TokensEnv = "TEND_GRAFANA_TOKEN"

// ParseOrgs reads TokensEnv's lines. Two clinics may not share an
// organization: its viewers would see both.
func ParseOrgs(text string) ([]Org, error) {
	var orgs []Org
	clinics, ids := map[string]bool{}, map[int64]string{}
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s line %d: want \"<clinic> <organization id> <token>\"", TokensEnv, i+1)
		}
		id, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || id < 1 {
			return nil, fmt.Errorf("%s line %d: organization id %q: not a positive number", TokensEnv, i+1, f[1])
		}
		if err := clickhouse.CheckClinics([]string{f[0]}); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", TokensEnv, i+1, err)
		}
		if clinics[f[0]] {
			return nil, fmt.Errorf("%s line %d: clinic %s is named twice", TokensEnv, i+1, f[0])
		}
		if other, ok := ids[id]; ok {
			return nil, fmt.Errorf("%s line %d: clinics %s and %s share organization %d: each clinic needs its own", TokensEnv, i+1, other, f[0], id)
		}
		clinics[f[0]], ids[id] = true, f[0]
		orgs = append(orgs, Org{Clinic: f[0], ID: id, Token: f[2]})
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("%s names no clinic: one line \"<clinic> <organization id> <token>\" per clinic", TokensEnv)
	}
	return orgs, nil
}

// ForClinic is cfg for clinic's organization: its reader, its database.
func (c Config) ForClinic(clinic, password string) Config {
	c = c.withDefaults()
	c.ClickHouseUser = clickhouse.ClinicReader(clinic)
	c.ReportingDatabase = clickhouse.ClinicDatabase(clickhouse.Config{ReportingDatabase: c.ReportingDatabase}, clinic)
	c.ClickHousePassword = password
	return c
}

// Target is one clinic's organization to provision: a client of it, and
// what goes into it.
type Target struct {
	Clinic string
	API    API
	Config Config
}

// Targets are the organizations TokensEnv names in the Grafana at url,
// each with its clinic's reader password from PasswordEnv.
func Targets(url string, cfg Config, getenv func(string) string) ([]Target, error) {
	tokens, err := envflag.Secret(getenv, TokensEnv)
	if err != nil {
		return nil, err
	}
	if tokens == "" {
		return nil, envflag.UsageError{Err: fmt.Errorf("set %s or %s_FILE: one line \"<clinic> <organization id> <service-account token>\" per clinic", TokensEnv, TokensEnv)}
	}
	orgs, err := ParseOrgs(tokens)
	if err != nil {
		return nil, err
	}
	passwords, err := ClinicPasswords(getenv)
	if err != nil {
		return nil, err
	}
	var targets []Target
	for _, o := range orgs {
		password, ok := passwords[o.Clinic]
		if !ok {
			return nil, fmt.Errorf("%s has no password for clinic %s's reader %s", PasswordEnv, o.Clinic, clickhouse.ClinicReader(o.Clinic))
		}
		api, err := NewGrafanaClient(url, o.Token, o.ID)
		if err != nil {
			return nil, err
		}
		targets = append(targets, Target{Clinic: o.Clinic, API: api, Config: cfg.ForClinic(o.Clinic, password)})
	}
	return targets, nil
}

// ClinicPasswords reads PasswordEnv (or PasswordEnv_FILE): one line per
// clinic, "<clinic> <password of its reader>". scripts/clickhouse writes
// such a file (.clickhouse/secrets/readers).
func ClinicPasswords(getenv func(string) string) (map[string]string, error) {
	text, err := envflag.Secret(getenv, PasswordEnv)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%s line %d: want \"<clinic> <password>\"", PasswordEnv, i+1)
		}
		out[f[0]] = f[1]
	}
	return out, nil
}

// ProvisionAll provisions each target's organization in turn; report
// lines begin with the clinic.
func ProvisionAll(ctx context.Context, targets []Target) ([]string, error) {
	if len(targets) == 0 {
		return nil, errors.New("provision: no clinic's organization to provision")
	}
	var report []string
	for _, t := range targets {
		lines, err := Provision(ctx, t.API, t.Config)
		for _, l := range lines {
			report = append(report, t.Clinic+": "+l)
		}
		if err != nil {
			return report, fmt.Errorf("clinic %s: %w", t.Clinic, err)
		}
	}
	return report, nil
}

// Flags registers how Grafana reaches ClickHouse: the address and the
// reporting database whose per-clinic copies the organizations read.
func Flags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.ClickHouseAddr, "clickhouse-readonly-addr", clickhouse.DefaultAddr, "ClickHouse native protocol `host:port` as Grafana reaches it")
	fs.StringVar(&c.ReportingDatabase, "clickhouse-reporting-database", clickhouse.DefaultReportingDatabase,
		"reporting database; each clinic's organization reads its copy <database>_<clinic> as user grafana_<clinic> (passwords: "+PasswordEnv+" or "+PasswordEnv+"_FILE, lines \"<clinic> <password>\")")
}

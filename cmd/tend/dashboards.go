package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
)

const dashboardsUsage = `Usage: tend dashboards <export|provision> [flags]   (flags: tend dashboards <subcommand> --help)

  export     write the dashboard JSON and Grafana file-provisioning files to --dir
  provision  install the folder, ClickHouse datasource and dashboard through
             Grafana's HTTP API at --grafana-url (token: TEND_GRAFANA_TOKEN)
`

// runDashboards is `tend dashboards export|provision`.
func runDashboards(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return subcommand("dashboards", dashboardsUsage, args, stdout, stderr, map[string]func([]string) error{
		"export":    func(args []string) error { return runDashboardsExport(args, getenv, stdout, stderr) },
		"provision": func(args []string) error { return runDashboardsProvision(ctx, args, getenv, stdout, stderr) },
	})
}

// grafanaClickHouseFlags registers how Grafana reaches ClickHouse: its own
// read-only user, which can read the reporting database only.
func grafanaClickHouseFlags(fs *flag.FlagSet, c *dashboards.Config) {
	fs.StringVar(&c.ClickHouseAddr, "clickhouse-readonly-addr", clickhouse.DefaultAddr, "ClickHouse native protocol `host:port` as Grafana reaches it")
	fs.StringVar(&c.ClickHouseUser, "clickhouse-readonly-user", dashboards.DefaultClickHouseUser, "ClickHouse user of Grafana, allowed the reporting database only (password: TEND_CLICKHOUSE_READONLY_PASSWORD or TEND_CLICKHOUSE_READONLY_PASSWORD_FILE)")
	fs.StringVar(&c.ReportingDatabase, "clickhouse-reporting-database", clickhouse.DefaultReportingDatabase, "reporting database the dashboards read")
}

func runDashboardsExport(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg dashboards.Config
	var dir string
	fs := envflag.New("dashboards export", "Writes the dashboard JSON and Grafana file-provisioning files (datasources/, dashboards/, json/) to --dir; "+
		"point Grafana's paths.provisioning there. The datasource file reads the password from Grafana's environment ("+dashboards.PasswordEnv+"): no secret is written.", stderr)
	fs.StringVar(&dir, "dir", "", "output `directory` (required)")
	grafanaClickHouseFlags(fs, &cfg)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if dir == "" {
		return usageError{Err: errors.New("dashboards export: --dir is required")}
	}
	if err := dashboards.Export(dir, cfg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote Grafana provisioning files to %s\n", dir)
	return nil
}

func runDashboardsProvision(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg dashboards.Config
	var url string
	fs := envflag.New("dashboards provision", "Installs tend's folder, ClickHouse datasource and dashboard through Grafana's HTTP API, "+
		"authenticated with a service-account token (TEND_GRAFANA_TOKEN or TEND_GRAFANA_TOKEN_FILE). Safe to repeat.", stderr)
	fs.StringVar(&url, "grafana-url", "", "Grafana base `URL`, e.g. http://127.0.0.1:3000 (required)")
	grafanaClickHouseFlags(fs, &cfg)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if url == "" {
		return usageError{Err: errors.New("dashboards provision: --grafana-url is required")}
	}
	api, err := grafanaClient(url, &cfg, getenv)
	if err != nil {
		return err
	}
	report, err := dashboards.Provision(ctx, api, cfg)
	for _, line := range report {
		fmt.Fprintln(stdout, line)
	}
	return err
}

// grafanaClient is the client of the Grafana at url, with the token and the
// read-only ClickHouse password (into cfg) from the environment or their
// files.
func grafanaClient(url string, cfg *dashboards.Config, getenv func(string) string) (dashboards.GrafanaClient, error) {
	token, err := envflag.Secret(getenv, "TEND_GRAFANA_TOKEN")
	if err != nil {
		return dashboards.GrafanaClient{}, err
	}
	if token == "" {
		return dashboards.GrafanaClient{}, usageError{Err: errors.New("set TEND_GRAFANA_TOKEN or TEND_GRAFANA_TOKEN_FILE to a Grafana service-account token")}
	}
	if cfg.ClickHousePassword, err = envflag.Secret(getenv, dashboards.PasswordEnv); err != nil {
		return dashboards.GrafanaClient{}, err
	}
	return dashboards.NewGrafanaClient(url, token)
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/envflag"
)

const dashboardsUsage = `Usage: tend dashboards <export|provision> [flags]   (flags: tend dashboards <subcommand> --help)

  export     write each clinic's dashboard and Grafana file-provisioning files to --dir
  provision  install the folder, ClickHouse datasource and dashboard in each clinic's
             Grafana organization at --grafana-url (tokens: TEND_GRAFANA_TOKEN)
`

// runDashboards is `tend dashboards export|provision`.
func runDashboards(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return subcommand("dashboards", dashboardsUsage, args, stdout, stderr, map[string]func([]string) error{
		"export":    func(args []string) error { return runDashboardsExport(args, getenv, stdout, stderr) },
		"provision": func(args []string) error { return runDashboardsProvision(ctx, args, getenv, stdout, stderr) },
	})
}

func runDashboardsExport(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg dashboards.Config
	var dir string
	var clinics []string
	fs := envflag.New("dashboards export", "Writes, for each clinic, the dashboard JSON and Grafana file-provisioning files (datasources/, dashboards/, json/) to --dir/<clinic>; "+
		"point that clinic's Grafana's paths.provisioning there. The datasource file reads the password from Grafana's environment ("+dashboards.PasswordEnv+"): no secret is written.", stderr)
	fs.StringVar(&dir, "dir", "", "output `directory` (required)")
	dashboards.Flags(fs, &cfg)
	clickhouse.ClinicsFlag(fs, &clinics)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if dir == "" {
		return usageError{Err: errors.New("dashboards export: --dir is required")}
	}
	if err := dashboards.Export(dir, cfg, clinics); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote Grafana provisioning files to %s\n", dir)
	return nil
}

func runDashboardsProvision(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg dashboards.Config
	var url string
	fs := envflag.New("dashboards provision", "Installs tend's folder, ClickHouse datasource, dashboard and alert rules in each clinic's Grafana organization through Grafana's HTTP API, "+
		"authenticated with a service-account token of that organization ("+dashboards.TokensEnv+" or "+dashboards.TokensEnv+"_FILE: lines \"<clinic> <organization id> <token>\"). Safe to repeat.", stderr)
	fs.StringVar(&url, "grafana-url", "", "Grafana base `URL`, e.g. http://127.0.0.1:3000 (required)")
	dashboards.Flags(fs, &cfg)
	if err := envflag.Parse(fs, args, getenv); err != nil {
		return err
	}
	if url == "" {
		return usageError{Err: errors.New("dashboards provision: --grafana-url is required")}
	}
	targets, err := dashboards.Targets(url, cfg, getenv)
	if err != nil {
		return err
	}
	report, err := dashboards.ProvisionAll(ctx, targets)
	for _, line := range report {
		fmt.Fprintln(stdout, line)
	}
	return err
}

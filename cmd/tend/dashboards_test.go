package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/dashboards/grafanatest"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/testenv"
)

func TestDashboardsExport(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr syncBuffer
	getenv := env(map[string]string{
		"TEND_DIR":                          dir,
		"TEND_CLINICS":                      "northside",
		"TEND_CLICKHOUSE_READONLY_PASSWORD": "northside s3cret",
	})
	if err := runDashboards(context.Background(), []string{"export", "--clickhouse-readonly-addr", "ch:9000"}, getenv, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	ds, err := os.ReadFile(filepath.Join(dir, "northside", "datasources", "tend.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"host: ch", "port: 9000", "username: grafana_northside", "defaultDatabase: tend_reporting_northside", "${TEND_CLICKHOUSE_READONLY_PASSWORD}"} {
		if !strings.Contains(string(ds), want) {
			t.Errorf("datasources/tend.yaml lacks %q:\n%s", want, ds)
		}
	}
	if strings.Contains(string(ds), "s3cret") {
		t.Error("datasources/tend.yaml holds the password")
	}
	for _, f := range []string{"dashboards/tend.yaml", "json/tend-teams.json"} {
		if _, err := os.Stat(filepath.Join(dir, "northside", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestDashboardsUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"publish"},
		{"export"}, // no --dir
		{"provision", "--grafana-url", "http://x"}, // no token
		{"provision", "--grafana-token", "t"},      // secrets are never flags
	} {
		var stdout, stderr syncBuffer
		err := runDashboards(context.Background(), args, env(nil), &stdout, &stderr)
		if exitCode(err) != 2 {
			t.Errorf("dashboards %q: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
}

func TestDashboardsProvisionReportsGrafanaErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer from-file" {
			t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		http.Error(w, `{"message":"invalid API key"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("northside 2 from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	getenv := env(map[string]string{"TEND_GRAFANA_URL": srv.URL, "TEND_GRAFANA_TOKEN_FILE": tokenFile, "TEND_CLICKHOUSE_READONLY_PASSWORD": "northside pw"})
	err := runDashboards(context.Background(), []string{"provision"}, getenv, &stdout, &stderr)
	var u usageError
	if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "401") {
		t.Errorf("provision against a Grafana refusing the token: %v, want its 401", err)
	}
}

// TestUpProvisionsGrafana: `tend up` with a Grafana URL installs the
// dashboards at start in the clinic's organization, reading the clinic's
// reporting database, against the strict fake of Grafana's API.
func TestUpProvisionsGrafana(t *testing.T) {
	fake, srv := grafanatest.New(t)
	ch := testenv.ClickHouseConfig(t)
	vars := map[string]string{
		"TEND_DATA_DIR": t.TempDir(), "TEND_NATS_LISTEN": "127.0.0.1:0", "TEND_HTTP_ADDR": "127.0.0.1:0", "TEND_METRICS_ADDR": "127.0.0.1:0",
		"TEND_CLICKHOUSE_ADDR": ch.Addr, "TEND_CLICKHOUSE_DATABASE": ch.Database, "TEND_CLICKHOUSE_REPORTING_DATABASE": ch.ReportingDatabase,
		"TEND_PSEUDONYM_KEY": testenv.TestKey, "TEND_GRAFANA_URL": srv.URL, "TEND_GRAFANA_TOKEN": "northside 1 " + grafanatest.Token,
		"TEND_CLINICS": "northside", "TEND_CLICKHOUSE_READONLY_PASSWORD": "northside pw",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() { done <- run(ctx, []string{"tend", "up"}, env(vars), nil, &out, &out) }()
	testenv.Eventually(t, 30*time.Second, "the dashboard in Grafana", func() bool {
		var ok bool
		fake.Locked(func() { _, ok = fake.Dashboards[dashboards.DashboardUID] })
		return ok
	})
	store := testenv.OpenStore(t, ch)
	testenv.Eventually(t, 30*time.Second, "the provisioning in the audit trail", func() bool {
		entries, err := store.AuditTrail(t.Context(), clickhouse.AuditFilter{Action: "provision"})
		return err == nil && len(entries) == 1 && entries[0].Target == srv.URL && entries[0].Outcome == "ok"
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tend up: %v\n%s", err, out.String())
	}
	fake.Locked(func() {
		ds := fake.Datasources[dashboards.DatasourceUID]
		if ds == nil || ds.JSONData.(map[string]any)["defaultDatabase"] != ch.ReportingDatabase+"_northside" {
			t.Errorf("datasource %+v does not read the clinic's reporting database %s_northside", ds, ch.ReportingDatabase)
		}
	})
}

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/dashboards"
	"github.com/tendhq/tend/dashboards/grafanatest"
	"github.com/tendhq/tend/ingest"
	"github.com/tendhq/tend/ingest/client"
	"github.com/tendhq/tend/internal/roster"
	"github.com/tendhq/tend/internal/testenv"
)

// TestSecretsNeverLogged runs `tend up` at debug level with every secret it
// knows — the pseudonym key, a clinic integration token, an admin token, a
// personal link's token, the Grafana token, the read-only ClickHouse
// password — provisions Grafana, takes check-ins with the right tokens and
// a wrong one, serves the personal space and the roster API, and greps
// everything it printed: no secret, and no raw clinician identifier,
// appears.
func TestSecretsNeverLogged(t *testing.T) {
	fake, srv := grafanatest.New(t)
	ch := testenv.ClickHouseConfig(t)
	dir := t.TempDir()
	const token, wrongToken, password = "tend_secret-access-token-of-northside", "tend_a-guessed-token", "ro-password-never-logged"
	const adminToken = "tend_secret-admin-token-of-northside"
	tokens, adminTokens := filepath.Join(dir, "tokens"), filepath.Join(dir, "admin-tokens")
	if err := os.WriteFile(tokens, []byte("northside "+ingest.HashToken(token)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(adminTokens, []byte("northside "+ingest.HashToken(adminToken)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"TEND_DATA_DIR": filepath.Join(dir, "data"), "TEND_NATS_LISTEN": "127.0.0.1:0", "TEND_HTTP_ADDR": "127.0.0.1:0", "TEND_METRICS_ADDR": "127.0.0.1:0",
		"TEND_CLICKHOUSE_ADDR": ch.Addr, "TEND_CLICKHOUSE_DATABASE": ch.Database, "TEND_CLICKHOUSE_REPORTING_DATABASE": ch.ReportingDatabase,
		"TEND_PSEUDONYM_KEY": testenv.TestKey, "TEND_INGEST_TOKENS": tokens, "TEND_ADMIN_TOKENS": adminTokens, "TEND_LOG_LEVEL": "debug",
		"TEND_GRAFANA_URL": srv.URL, "TEND_GRAFANA_TOKEN": "northside 1 " + grafanatest.Token, dashboards.PasswordEnv: "northside " + password,
	}
	// The clinician is on the roster (the integration token submits for
	// enrolled clinicians only), with a personal link, before tend up loads it.
	store := testenv.OpenStore(t, ch)
	issued, err := roster.Admin{Store: store, Pseudonyms: testenv.Pseudonymizer(t), Actor: "test"}.Enroll(t.Context(),
		[]roster.Entry{{Clinic: "northside", Team: "crisis", Clinician: "raw-clinician-id-4711"}})
	if err != nil {
		t.Fatal(err)
	}
	personal := issued[0].Token
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncBuffer
	go func() { done <- run(ctx, []string{"tend", "up"}, env(vars), nil, &out, &out) }()
	testenv.Eventually(t, 30*time.Second, "the dashboard in Grafana", func() bool {
		var ok bool
		fake.Locked(func() { _, ok = fake.Dashboards[dashboards.DashboardUID] })
		return ok
	})
	url := ingestURL(t, &out)
	c := testenv.CheckIns(1, 3, time.Now())[0]
	c.Clinic, c.Team, c.Clinician = "northside", "crisis", "raw-clinician-id-4711"
	body, _ := json.Marshal(c)
	for _, tok := range []string{token, personal, wrongToken} {
		status, resp, err := client.Client{URL: url, Token: tok}.Post(t.Context(), "/v1/checkins", body)
		if err != nil || (tok != wrongToken) != (status == http.StatusAccepted) {
			t.Fatalf("check-in with token %q: %d %s %v", tok, status, resp, err)
		}
	}
	for tok, path := range map[string]string{personal: "/v1/me", adminToken: "/v1/admin/roster"} {
		if status, resp, err := (client.Client{URL: url, Token: tok}).Do(t.Context(), "GET", path, nil); err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %s %v", path, status, resp, err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tend up: %v\n%s", err, out.String())
	}
	logs := out.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "grafana provisioned") {
		t.Fatalf("the run logged too little to tell anything:\n%s", logs)
	}
	for _, secret := range []string{token, adminToken, personal, wrongToken, grafanatest.Token, password, testenv.TestKey, "raw-clinician-id-4711"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q:\n%s", secret, logs)
		}
	}
}

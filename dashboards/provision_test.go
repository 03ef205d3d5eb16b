package dashboards

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tendhq/tend/dashboards/grafanatest"
)

func TestProvisionIsIdempotent(t *testing.T) {
	for _, password := range []string{"", "s3cret"} {
		t.Run("password="+password, func(t *testing.T) {
			fake, srv := grafanatest.New(t)
			api, err := NewGrafanaClient(srv.URL, grafanatest.Token, 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{ClickHouseAddr: "clickhouse.internal:9000", ClickHouseUser: "grafana", ClickHousePassword: password}

			report, err := Provision(context.Background(), api, cfg)
			if err != nil {
				t.Fatalf("first provision: %v (report %q)", err, report)
			}
			want := []string{"grafana health: ok", "folder tend: created", "datasource tend-clickhouse: created", "dashboard tend-teams: created", "alert rules tend-team-alerts: created"}
			if !slices.Equal(report, want) {
				t.Errorf("first report = %q, want %q", report, want)
			}
			first, writes := fake.State(t), fake.Writes

			report, err = Provision(context.Background(), api, cfg)
			if err != nil {
				t.Fatalf("second provision: %v", err)
			}
			wantDS := "unchanged"
			if password != "" {
				wantDS = "password set"
			}
			want = []string{"grafana health: ok", "folder tend: unchanged", "datasource tend-clickhouse: " + wantDS, "dashboard tend-teams: unchanged", "alert rules tend-team-alerts: unchanged"}
			if !slices.Equal(report, want) {
				t.Errorf("second report = %q, want %q", report, want)
			}
			if len(fake.Folders) != 1 || len(fake.Datasources) != 1 || len(fake.Dashboards) != 1 || len(fake.RuleGroups) != 1 {
				t.Fatalf("folders, datasources, dashboards, rule groups = %d, %d, %d, %d; want one each",
					len(fake.Folders), len(fake.Datasources), len(fake.Dashboards), len(fake.RuleGroups))
			}
			g := fake.RuleGroups[FolderUID+"/"+RuleGroupTitle]
			if r := g.Rules[0]; len(g.Rules) != 1 || *r.Condition != "C" || len(r.Data) != 3 || r.Data[0].DatasourceUID != DatasourceUID ||
				r.Data[0].RelativeTimeRange.From != 600 || r.Data[1].DatasourceUID != "__expr__" {
				t.Errorf("alert rule group %+v", g)
			}
			ds := fake.Datasources[DatasourceUID]
			if password == "" {
				if second := fake.State(t); second != first || fake.Writes != writes {
					t.Errorf("second provision changed Grafana:\nbefore %s\nafter  %s", first, second)
				}
			} else {
				// The password is written again (Grafana never returns it):
				// the datasource's version counter moves, nothing else.
				ds.Version--
				if second := fake.State(t); second != first {
					t.Errorf("second provision changed Grafana beyond the datasource version:\nbefore %s\nafter  %s", first, second)
				}
				ds.Version++
				if got := fake.Secrets[DatasourceUID]["password"]; got != password {
					t.Errorf("stored password = %q", got)
				}
			}

			wantJSON := map[string]any{"host": "clickhouse.internal", "port": float64(9000), "protocol": "native", "secure": false,
				"username": "grafana", "defaultDatabase": "tend_reporting", "queryTimeout": "30"}
			if ds.Type != PluginType || ds.Access != "proxy" || !sameJSON(ds.JSONData, wantJSON) {
				t.Errorf("datasource = %+v, jsonData %v; want %s, proxy, %v", ds, ds.JSONData, PluginType, wantJSON)
			}
			d := fake.Dashboards[DashboardUID]
			if d.FolderUID != FolderUID || d.Model["version"] != 1.0 || d.Model["title"] != dashboardTitle {
				t.Errorf("dashboard in folder %q, version %v, title %v", d.FolderUID, d.Model["version"], d.Model["title"])
			}
		})
	}
}

func TestProvisionChangesWhatDiffers(t *testing.T) {
	fake, srv := grafanatest.New(t)
	api, err := NewGrafanaClient(srv.URL, grafanatest.Token, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Provision(context.Background(), api, Config{}); err != nil {
		t.Fatal(err)
	}
	fake.Locked(func() {
		fake.Folders[FolderUID].Title = "renamed in the UI"
		fake.Dashboards[DashboardUID].Model["title"] = "edited in the UI"
	})
	report, err := Provision(context.Background(), api, Config{ClickHouseUser: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"grafana health: ok", "folder tend: updated", "datasource tend-clickhouse: updated", "dashboard tend-teams: updated", "alert rules tend-team-alerts: unchanged"}
	if !slices.Equal(report, want) {
		t.Errorf("report = %q, want %q", report, want)
	}
	if d := fake.Dashboards[DashboardUID]; d.Model["title"] != dashboardTitle || d.Model["version"] != 2.0 {
		t.Errorf("dashboard title %v version %v, want %q at version 2", d.Model["title"], d.Model["version"], dashboardTitle)
	}
	if u := fake.Datasources[DatasourceUID].JSONData.(map[string]any)["username"]; u != "reader" {
		t.Errorf("datasource username = %v", u)
	}
}

func TestFakeGrafanaIsStrict(t *testing.T) {
	_, srv := grafanatest.New(t)
	for _, c := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/api/folders/tend", "wrong", http.StatusUnauthorized},
		{"GET", "/api/auth/keys", grafanatest.Token, http.StatusNotFound},
		{"DELETE", "/api/folders/tend", grafanatest.Token, http.StatusMethodNotAllowed},
		{"POST", "/api/folders", grafanatest.Token, http.StatusBadRequest}, // empty body
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(""))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("X-Disable-Provenance", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}

	api, _ := NewGrafanaClient(srv.URL, "wrong", 1)
	if _, err := Provision(context.Background(), api, Config{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("provision with a wrong token: %v, want a 401", err)
	}
}

// TestGrafanaClientRefusesBodyLogging: with GF_LOG set, gapi would log the
// datasource's password in request bodies; the client is not made.
func TestGrafanaClientRefusesBodyLogging(t *testing.T) {
	t.Setenv("GF_LOG", "1")
	if _, err := NewGrafanaClient("http://127.0.0.1:3000", "token", 1); err == nil || !strings.Contains(err.Error(), "GF_LOG") {
		t.Fatalf("NewGrafanaClient with GF_LOG set: %v", err)
	}
}

// TestProvisionOrganizations: each clinic's organization gets tend's
// resources with a datasource reading that clinic's database as its
// reader, and nothing of another clinic; a token filed under the wrong
// clinic's organization is refused by Grafana before anything is written.
func TestProvisionOrganizations(t *testing.T) {
	fake, srv := grafanatest.New(t)
	north, south := fake.AddOrg("Northside", "glsa_north"), fake.AddOrg("South", "glsa_south")
	env := map[string]string{
		TokensEnv:   "north-side " + strconv.FormatInt(north.ID, 10) + " glsa_north\nsouth " + strconv.FormatInt(south.ID, 10) + " glsa_south\n",
		PasswordEnv: "north-side pw-north\nsouth pw-south\n",
	}
	targets, err := Targets(srv.URL, Config{ClickHouseAddr: "ch:9000"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	report, err := ProvisionAll(context.Background(), targets)
	if err != nil {
		t.Fatalf("%v (report %q)", err, report)
	}
	if len(report) != 10 || report[0] != "north-side: grafana health: ok" || report[7] != "south: datasource tend-clickhouse: created" {
		t.Errorf("report = %q", report)
	}
	for _, c := range []struct {
		org              *grafanatest.Org
		user, db, secret string
	}{{north, "grafana_north_side", "tend_reporting_north_side", "pw-north"}, {south, "grafana_south", "tend_reporting_south", "pw-south"}} {
		ds := c.org.Datasources[DatasourceUID]
		if ds == nil || len(c.org.Dashboards) != 1 || len(c.org.RuleGroups) != 1 {
			t.Fatalf("organization %s holds %d datasources, %d dashboards, %d rule groups", c.org.Name, len(c.org.Datasources), len(c.org.Dashboards), len(c.org.RuleGroups))
		}
		jd := ds.JSONData.(map[string]any)
		if jd["username"] != c.user || jd["defaultDatabase"] != c.db || c.org.Secrets[DatasourceUID]["password"] != c.secret {
			t.Errorf("organization %s's datasource: %v, password %q; want %s on %s", c.org.Name, jd, c.org.Secrets[DatasourceUID]["password"], c.user, c.db)
		}
	}
	if len(fake.Datasources) != 0 {
		t.Errorf("the main organization got %d datasources", len(fake.Datasources))
	}

	// south's token filed as north-side's: refused, nothing written.
	writes := fake.Writes
	env[TokensEnv] = "north-side " + strconv.FormatInt(north.ID, 10) + " glsa_south\n"
	env[PasswordEnv] = "north-side pw-north\n"
	targets, err = Targets(srv.URL, Config{}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ProvisionAll(context.Background(), targets); err == nil || !strings.Contains(err.Error(), "does not belong to the requested organization") {
		t.Errorf("a token of another organization: %v, want Grafana's 401", err)
	}
	if fake.Writes != writes {
		t.Errorf("%d writes with a token of another organization", fake.Writes-writes)
	}
}

func TestParseOrgs(t *testing.T) {
	for text, want := range map[string]string{
		"a 2 t1\nb 2 t2":  "share organization 2",
		"a 2 t1\na 3 t2":  "named twice",
		"a two t1":        "not a positive number",
		"a 0 t1":          "not a positive number",
		"a 2":             "want",
		"A 2 t1":          "not a clinic name",
		"":                "names no clinic",
		"# a comment\n\n": "names no clinic",
	} {
		if _, err := ParseOrgs(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseOrgs(%q) = %v, want %q", text, err, want)
		}
	}
	orgs, err := ParseOrgs("# clinic org token\nnorth-side 2 glsa_a\nsouth 3 glsa_b\n")
	if err != nil || len(orgs) != 2 || orgs[1] != (Org{Clinic: "south", ID: 3, Token: "glsa_b"}) {
		t.Errorf("ParseOrgs = %+v, %v", orgs, err)
	}
}

package dashboards

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"go.yaml.in/yaml/v3"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{ClickHouseAddr: "ch:9440", ClickHousePassword: "must-not-be-written"}
	if err := Export(dir, cfg, []string{"north-side", "south"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "south", "json", DashboardUID+".json")); err != nil {
		t.Errorf("no dashboard for the second clinic: %v", err)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if strings.Contains(string(b), cfg.ClickHousePassword) {
			t.Errorf("%s holds the password", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	var datasources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type, Access string
			JSONData                map[string]any    `yaml:"jsonData"`
			SecureJSONData          map[string]string `yaml:"secureJsonData"`
		}
	}
	readYAML(t, filepath.Join(dir, "north-side", "datasources", "tend.yaml"), &datasources)
	if len(datasources.Datasources) != 1 {
		t.Fatalf("datasources = %+v", datasources)
	}
	ds := datasources.Datasources[0]
	if ds.UID != DatasourceUID || ds.Type != PluginType || ds.JSONData["port"] != 9440 || ds.JSONData["host"] != "ch" ||
		ds.JSONData["username"] != "grafana_north_side" || ds.JSONData["defaultDatabase"] != "tend_reporting_north_side" || ds.JSONData["protocol"] != "native" ||
		ds.JSONData["queryTimeout"] != "30" {
		t.Errorf("datasource = %+v", ds)
	}
	if got := ds.SecureJSONData["password"]; got != "${"+PasswordEnv+"}" {
		t.Errorf("password = %q, want a reference to Grafana's environment", got)
	}

	var providers struct {
		Providers []struct {
			Folder    string
			FolderUID string `yaml:"folderUid"`
			Options   struct{ Path string }
		}
	}
	readYAML(t, filepath.Join(dir, "north-side", "dashboards", "tend.yaml"), &providers)
	if len(providers.Providers) != 1 || providers.Providers[0].FolderUID != FolderUID {
		t.Fatalf("providers = %+v", providers)
	}
	raw, err := os.ReadFile(filepath.Join(providers.Providers[0].Options.Path, DashboardUID+".json"))
	if err != nil {
		t.Fatalf("the provider's path holds no dashboard: %v", err)
	}

	// The JSON reads back through the SDK, queries as ClickHouse queries.
	plugins.RegisterDefaultPlugins()
	cog.NewRuntime().RegisterDataqueryVariant(QueryVariantConfig())
	var d dashboard.Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Panels[0].Panel.Targets[0].(Query); !ok {
		t.Errorf("query read back as %T, want Query", d.Panels[0].Panel.Targets[0])
	}
	want, err := Dashboard(cfg.ForClinic("north-side", ""))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if wantJSON, _ := json.Marshal(want); string(got) != string(wantJSON) {
		t.Error("exported dashboard differs from the clinic's Dashboard once read back")
	}
}

func TestDashboardPanels(t *testing.T) {
	d, err := Dashboard(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Uid != DashboardUID || *d.Title != dashboardTitle {
		t.Errorf("uid %q title %q", *d.Uid, *d.Title)
	}
	seen := map[uint32]bool{}
	for _, p := range d.Panels {
		id := *p.Panel.Id
		if id == 0 || seen[id] {
			t.Errorf("panel %q: id %d missing or reused", *p.Panel.Title, id)
		}
		seen[id] = true
		if p.Panel.Type != "timeseries" {
			continue
		}
		opts, err := json.Marshal(p.Panel.Options)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opts), `"legend":{`) || !strings.Contains(string(opts), `"tooltip":{"mode":"multi"`) {
			t.Errorf("panel %d: legend and tooltip not set: %s", id, opts)
		}
	}
	if len(seen) != 12 {
		t.Errorf("%d panels, want 12", len(seen))
	}
}

func TestDashboardRefusesOddDatabaseNames(t *testing.T) {
	if _, err := Dashboard(Config{ReportingDatabase: "x; DROP TABLE y"}); err == nil {
		t.Error("a database name that is not an identifier was accepted")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestQueryTimeoutWithinProfile: the max_execution_time Grafana's plugin
// sends with each query (the datasource's queryTimeout + 5 s, by
// clickhouse-go) is one the reporting profile of users.sql lets its user set;
// a larger one would fail every query on current ClickHouse.
func TestQueryTimeoutWithinProfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "clickhouse", "users.sql"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`max_execution_time = (\d+) MIN 1 MAX (\d+) CHANGEABLE_IN_READONLY`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatal("users.sql has no max_execution_time constraint")
	}
	if max, _ := strconv.Atoi(m[2]); QueryTimeoutSeconds+5 > max {
		t.Errorf("the plugin sends max_execution_time up to %d; users.sql allows at most %s", QueryTimeoutSeconds+5, m[2])
	}
	if def, _ := strconv.Atoi(m[1]); def > QueryTimeoutSeconds {
		t.Errorf("the profile's max_execution_time %d outlasts the datasource's queryTimeout %d", def, QueryTimeoutSeconds)
	}
}

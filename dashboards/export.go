package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/tendhq/tend/internal/clickhouse"
)

// PasswordEnv is the environment variable holding the clinics' read-only
// ClickHouse users' passwords ("<clinic> <password>" lines; tend reads
// them), and, in an exported datasource file, the one clinic's password
// its Grafana expands.
const PasswordEnv = "TEND_CLICKHOUSE_READONLY_PASSWORD"

// QueryTimeoutSeconds is the datasource's queryTimeout. The plugin runs
// each query with this deadline, and clickhouse-go then sends
// max_execution_time = the time left + 5 s along with it: the reporting
// profile of deploy/clickhouse/users.sql lets its user set that much and no
// more (MAX 35), so that the limit holds. (The plugin's default, 60, would
// be refused there.)
const QueryTimeoutSeconds = 30

// newDatasource is the ClickHouse datasource as plugin v4 reads it: the
// connection lives in jsonData (the top-level database and user fields are
// not read by the plugin). The password is left to the caller.
func newDatasource(cfg Config) (Datasource, error) {
	cfg = cfg.withDefaults()
	host, portText, err := net.SplitHostPort(cfg.ClickHouseAddr)
	if err != nil {
		return Datasource{}, fmt.Errorf("clickhouse address %q: %w", cfg.ClickHouseAddr, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return Datasource{}, fmt.Errorf("clickhouse address %q: port: %w", cfg.ClickHouseAddr, err)
	}
	return Datasource{
		Name:   datasourceName,
		UID:    DatasourceUID,
		Type:   PluginType,
		Access: "proxy",
		JSONData: map[string]any{
			"host":            host,
			"port":            int(port),
			"protocol":        "native",
			"secure":          false,
			"username":        cfg.ClickHouseUser,
			"defaultDatabase": cfg.ReportingDatabase,
			"queryTimeout":    strconv.Itoa(QueryTimeoutSeconds),
		},
	}, nil
}

// Export writes what Grafana's file provisioning needs for each clinic
// into dir/<clinic>:
//
//	datasources/tend.yaml   the ClickHouse datasource (the clinic's reader and database)
//	dashboards/tend.yaml    a provider loading the JSON below into folder "tend"
//	json/tend-teams.json    the dashboard
//
// File provisioning cannot create organizations, so each directory is for
// a Grafana of the clinic's own (point its paths.provisioning there); one
// Grafana with an organization per clinic is provisioned over the API
// instead (ProvisionAll). The datasource file refers to the password as
// ${TEND_CLICKHOUSE_READONLY_PASSWORD}, which Grafana expands from its own
// environment, so that no secret is ever written to disk (exported files
// tend to end up in repositories).
func Export(dir string, cfg Config, clinics []string) error {
	if len(clinics) == 0 {
		return errors.New("export: no clinics (--clinics)")
	}
	if err := clickhouse.CheckClinics(clinics); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, c := range clinics {
		if err := exportOrg(filepath.Join(dir, c), cfg.ForClinic(c, "")); err != nil {
			return fmt.Errorf("export clinic %s: %w", c, err)
		}
	}
	return nil
}

// exportOrg writes one Grafana's provisioning files into dir.
func exportOrg(dir string, cfg Config) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ds, err := newDatasource(cfg)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	model, err := Dashboard(cfg)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	dashJSON, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		return fmt.Errorf("export: encode dashboard: %w", err)
	}
	dsYAML, err := yaml.Marshal(map[string]any{
		"apiVersion": 1,
		"datasources": []map[string]any{{
			"name":           ds.Name,
			"uid":            ds.UID,
			"type":           ds.Type,
			"access":         ds.Access,
			"editable":       false,
			"jsonData":       ds.JSONData,
			"secureJsonData": map[string]string{"password": "${" + PasswordEnv + "}"},
		}},
	})
	if err != nil {
		return fmt.Errorf("export: encode datasource: %w", err)
	}
	jsonDir := filepath.Join(dir, "json")
	providerYAML, err := yaml.Marshal(map[string]any{
		"apiVersion": 1,
		"providers": []map[string]any{{
			"name":                  "tend",
			"type":                  "file",
			"folder":                folderTitle,
			"folderUid":             FolderUID,
			"disableDeletion":       true,
			"allowUiUpdates":        false,
			"updateIntervalSeconds": 60,
			"options":               map[string]any{"path": jsonDir},
		}},
	})
	if err != nil {
		return fmt.Errorf("export: encode dashboard provider: %w", err)
	}
	files := []struct {
		path string
		data []byte
	}{
		{filepath.Join(dir, "datasources", "tend.yaml"), dsYAML},
		{filepath.Join(dir, "dashboards", "tend.yaml"), providerYAML},
		{filepath.Join(jsonDir, DashboardUID+".json"), append(dashJSON, '\n')},
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

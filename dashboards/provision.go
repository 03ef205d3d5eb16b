package dashboards

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"reflect"
	"time"

	gapi "github.com/grafana/grafana-api-golang-client"

	"github.com/tendhq/tend/internal/retry"
)

// ErrNotFound is what an API returns for a resource Grafana does not have.
var ErrNotFound = errors.New("not found in Grafana")

// Datasource is a Grafana datasource as provisioning manages it.
type Datasource struct {
	UID, Name, Type, Access string
	JSONData                map[string]any
	// Password goes to secureJsonData; Grafana never returns it, and keeps
	// the stored one when an update carries none.
	Password string
}

// API is the part of Grafana's HTTP API that provisioning uses, so that the
// client behind it (gapi, archived upstream) can be swapped.
type API interface {
	Health() error
	FolderTitle(uid string) (string, error)
	CreateFolder(uid, title string) error
	UpdateFolder(uid, title string) error
	Datasource(uid string) (Datasource, error)
	CreateDatasource(Datasource) error
	UpdateDatasource(Datasource) error
	// Dashboard returns the stored model and its folder's uid.
	Dashboard(uid string) (map[string]any, string, error)
	// SaveDashboard creates or overwrites the dashboard of the model's uid.
	SaveDashboard(model map[string]any, folderUID, message string) error
	// RuleGroup returns the alert rule group title in the folder.
	RuleGroup(folderUID, title string) (RuleGroup, error)
	// SetRuleGroup creates or replaces an alert rule group.
	SetRuleGroup(folderUID string, g RuleGroup) error
}

// Provision makes Grafana hold tend's folder, datasource and dashboard as
// cfg describes them, and reports what it changed, one line per resource.
// It is idempotent: what already matches is left alone, so that a second
// run adds no dashboard version. The one exception is a datasource given a
// password: Grafana never returns the stored one, so it is written again
// (same content) to make a rotated password take effect.
func Provision(ctx context.Context, api API, cfg Config) ([]string, error) {
	want, err := newDatasource(cfg)
	if err != nil {
		return nil, err
	}
	want.Password = cfg.ClickHousePassword
	model, err := Model(cfg)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		what string
		do   func() (string, error)
	}{
		{"grafana health", func() (string, error) { return "ok", api.Health() }},
		{"folder " + FolderUID, func() (string, error) { return provisionFolder(api) }},
		{"datasource " + DatasourceUID, func() (string, error) { return provisionDatasource(api, want) }},
		{"dashboard " + DashboardUID, func() (string, error) { return provisionDashboard(api, model) }},
		{"alert rules " + RuleGroupTitle, func() (string, error) { return provisionRuleGroup(api, alertRuleGroup(cfg.withDefaults())) }},
	}
	var report []string
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return report, err
		}
		result, err := s.do()
		if err != nil {
			return report, fmt.Errorf("provision %s: %w", s.what, err)
		}
		report = append(report, s.what+": "+result)
	}
	return report, nil
}

func provisionFolder(api API) (string, error) {
	title, err := api.FolderTitle(FolderUID)
	switch {
	case errors.Is(err, ErrNotFound):
		return "created", api.CreateFolder(FolderUID, folderTitle)
	case err != nil:
		return "", err
	case title != folderTitle:
		return "updated", api.UpdateFolder(FolderUID, folderTitle)
	}
	return "unchanged", nil
}

func provisionDatasource(api API, want Datasource) (string, error) {
	have, err := api.Datasource(want.UID)
	switch {
	case errors.Is(err, ErrNotFound):
		return "created", api.CreateDatasource(want)
	case err != nil:
		return "", err
	}
	have.Password = want.Password
	if sameJSON(have, want) {
		if want.Password == "" {
			return "unchanged", nil
		}
		return "password set", api.UpdateDatasource(want)
	}
	return "updated", api.UpdateDatasource(want)
}

func provisionDashboard(api API, model map[string]any) (string, error) {
	have, folder, err := api.Dashboard(DashboardUID)
	switch {
	case errors.Is(err, ErrNotFound):
		return "created", api.SaveDashboard(model, FolderUID, "created by tend dashboards provision")
	case err != nil:
		return "", err
	}
	// Grafana adds its own id and version to the stored model.
	have = maps.Clone(have)
	delete(have, "id")
	delete(have, "version")
	if folder == FolderUID && sameJSON(have, model) {
		return "unchanged", nil
	}
	return "updated", api.SaveDashboard(model, FolderUID, "updated by tend dashboards provision")
}

func provisionRuleGroup(api API, want RuleGroup) (string, error) {
	have, err := api.RuleGroup(FolderUID, want.Title)
	switch {
	case errors.Is(err, ErrNotFound):
		return "created", api.SetRuleGroup(FolderUID, want)
	case err != nil:
		return "", err
	case sameRuleGroup(have, want):
		return "unchanged", nil
	}
	return "updated", api.SetRuleGroup(FolderUID, want)
}

// sameJSON compares two values as JSON, so that numbers decoded from
// Grafana's answers equal the ints tend builds.
func sameJSON(a, b any) bool {
	var x, y any
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil || json.Unmarshal(ja, &x) != nil || json.Unmarshal(jb, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// ProvisionRetrying is ProvisionAll for a Grafana that may still be
// starting next to tend: it tries up to 8 times over about four minutes,
// with exponential back-off, and returns the last error.
func ProvisionRetrying(ctx context.Context, targets []Target, log *slog.Logger) ([]string, error) {
	backoff := retry.Backoff{Min: time.Second, Max: time.Minute}
	for attempt := 1; ; attempt++ {
		report, err := ProvisionAll(ctx, targets)
		if err == nil || attempt == 8 {
			return report, err
		}
		wait := backoff.Next()
		log.Warn("grafana provisioning failed; retrying", "attempt", attempt, "err", err, "backoff", wait)
		if !retry.Sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// GrafanaClient is the API over Grafana's HTTP API, through gapi.
type GrafanaClient struct{ c *gapi.Client }

var _ API = GrafanaClient{}

// NewGrafanaClient returns a client of organization orgID of the Grafana
// at baseURL that authenticates with a token of a service account of that
// organization. Its requests carry X-Grafana-Org-Id (Grafana refuses them
// when the token is of another organization) and X-Disable-Provenance, so
// that what tend provisions stays editable in Grafana's UI; 429 and 5xx
// answers are retried.
//
// It refuses to run with GF_LOG set: gapi then logs every request body,
// and the datasource's carries the ClickHouse password.
func NewGrafanaClient(baseURL, token string, orgID int64) (GrafanaClient, error) {
	if os.Getenv("GF_LOG") != "" {
		return GrafanaClient{}, errors.New("GF_LOG is set: the Grafana client would log request bodies, which carry the datasource password; unset it")
	}
	c, err := gapi.New(baseURL, gapi.Config{
		APIKey:       token,
		OrgID:        orgID,
		HTTPHeaders:  map[string]string{"X-Disable-Provenance": "true"},
		Client:       &http.Client{Timeout: 30 * time.Second},
		NumRetries:   3,
		RetryTimeout: 2 * time.Second,
	})
	if err != nil {
		return GrafanaClient{}, fmt.Errorf("grafana url %q: %w", baseURL, err)
	}
	return GrafanaClient{c}, nil
}

// notFound maps gapi's 404 to ErrNotFound.
func notFound(err error) error {
	if errors.As(err, &gapi.ErrNotFound{}) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Health checks that Grafana answers and its database is ok.
func (g GrafanaClient) Health() error {
	h, err := g.c.Health()
	if err != nil {
		return err
	}
	if h.Database != "ok" {
		return fmt.Errorf("grafana database: %q", h.Database)
	}
	return nil
}

// FolderTitle returns the title of the folder uid.
func (g GrafanaClient) FolderTitle(uid string) (string, error) {
	f, err := g.c.FolderByUID(uid)
	if err != nil {
		return "", notFound(err)
	}
	return f.Title, nil
}

// CreateFolder creates a top-level folder.
func (g GrafanaClient) CreateFolder(uid, title string) error {
	_, err := g.c.NewFolder(title, uid)
	return err
}

// UpdateFolder renames the folder uid.
func (g GrafanaClient) UpdateFolder(uid, title string) error {
	return g.c.UpdateFolder(uid, title)
}

// Datasource returns the datasource uid, without its password.
func (g GrafanaClient) Datasource(uid string) (Datasource, error) {
	ds, err := g.c.DataSourceByUID(uid)
	if err != nil {
		return Datasource{}, notFound(err)
	}
	return Datasource{UID: ds.UID, Name: ds.Name, Type: ds.Type, Access: ds.Access, JSONData: ds.JSONData}, nil
}

// CreateDatasource creates ds.
func (g GrafanaClient) CreateDatasource(ds Datasource) error {
	_, err := g.c.NewDataSource(toGAPI(ds))
	return err
}

// UpdateDatasource overwrites the datasource of ds.UID.
func (g GrafanaClient) UpdateDatasource(ds Datasource) error {
	return g.c.UpdateDataSourceByUID(toGAPI(ds))
}

func toGAPI(ds Datasource) *gapi.DataSource {
	out := &gapi.DataSource{UID: ds.UID, Name: ds.Name, Type: ds.Type, Access: ds.Access, JSONData: ds.JSONData}
	if ds.Password != "" {
		out.SecureJSONData = map[string]any{"password": ds.Password}
	}
	return out
}

// Dashboard returns the dashboard uid's model and folder uid.
func (g GrafanaClient) Dashboard(uid string) (map[string]any, string, error) {
	d, err := g.c.DashboardByUID(uid)
	if err != nil {
		return nil, "", notFound(err)
	}
	return d.Model, d.Meta.FolderUID, nil
}

// SaveDashboard upserts the dashboard by its model's uid into folderUID.
func (g GrafanaClient) SaveDashboard(model map[string]any, folderUID, message string) error {
	_, err := g.c.NewDashboard(gapi.Dashboard{Model: model, FolderUID: folderUID, Overwrite: true, Message: message})
	return err
}

// RuleGroup returns the alert rule group title in folderUID.
func (g GrafanaClient) RuleGroup(folderUID, title string) (RuleGroup, error) {
	rg, err := g.c.AlertRuleGroup(folderUID, title)
	if err != nil {
		return RuleGroup{}, notFound(err)
	}
	out := RuleGroup{Title: rg.Title, IntervalSeconds: rg.Interval}
	for _, r := range rg.Rules {
		rule := AlertRule{UID: r.UID, Title: r.Title, Labels: r.Labels, Annotations: r.Annotations}
		if len(r.Data) > 0 {
			if m, ok := r.Data[0].Model.(map[string]any); ok {
				rule.SQL, _ = m["rawSql"].(string)
			}
		}
		out.Rules = append(out.Rules, rule)
	}
	return out, nil
}

// SetRuleGroup replaces the alert rule group g in folderUID. Each rule runs
// its SQL (A), reduces each series to its last value (B) and fires while
// that is above zero (C). No data means no alert.
func (g GrafanaClient) SetRuleGroup(folderUID string, rg RuleGroup) error {
	expr := map[string]any{"type": "__expr__", "uid": "__expr__"}
	out := gapi.RuleGroup{Title: rg.Title, FolderUID: folderUID, Interval: rg.IntervalSeconds}
	for _, r := range rg.Rules {
		out.Rules = append(out.Rules, gapi.AlertRule{
			UID: r.UID, Title: r.Title, FolderUID: folderUID, RuleGroup: rg.Title,
			Condition: "C", For: "0s", NoDataState: gapi.NoDataOk, ExecErrState: gapi.ErrError,
			Labels: r.Labels, Annotations: r.Annotations,
			Data: []*gapi.AlertQuery{
				{
					RefID: "A", DatasourceUID: DatasourceUID, QueryType: "table",
					// Grafana reads these as seconds (not a time.Duration).
					RelativeTimeRange: gapi.RelativeTimeRange{From: 600, To: 0},
					Model: map[string]any{"refId": "A", "datasource": map[string]any{"type": PluginType, "uid": DatasourceUID},
						"editorType": "sql", "format": int(FormatTable), "queryType": "table", "rawSql": r.SQL},
				},
				{
					RefID: "B", DatasourceUID: "__expr__",
					Model: map[string]any{"refId": "B", "datasource": expr, "type": "reduce", "expression": "A", "reducer": "last"},
				},
				{
					RefID: "C", DatasourceUID: "__expr__",
					Model: map[string]any{"refId": "C", "datasource": expr, "type": "threshold", "expression": "B",
						"conditions": []any{map[string]any{"evaluator": map[string]any{"type": "gt", "params": []any{0}}}}},
				},
			},
		})
	}
	return g.c.SetAlertRuleGroup(out)
}

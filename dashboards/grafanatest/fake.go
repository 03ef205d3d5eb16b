// Package grafanatest is a strict fake of the parts of Grafana's HTTP API
// tend provisions through, for tests (no Grafana server can run here).
package grafanatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
)

// Token is the service-account token of the fake's first organization
// (id 1, as in every Grafana).
const Token = "glsa_test_token"

// Fake is a strict stand-in for the endpoints of Grafana's HTTP API
// that Provision uses (no Grafana server can run here). Each request body
// is decoded into grafana-openapi-client-go's model of it — rejecting
// fields the model lacks, except those gapi always sends and Grafana
// ignores — and validated against Grafana's spec. Other paths get 404,
// other methods 405, a wrong token 401.
//
// Like Grafana, it keeps each organization's resources apart, and a
// service-account token belongs to one organization: a request acts in
// the token's organization, and one naming another in X-Grafana-Org-Id is
// refused with 401 ("API key does not belong to the requested
// organization"), as Grafana's API-key authentication does.
type Fake struct {
	t testing.TB

	mu sync.Mutex
	// Org is organization 1, which New creates with Token.
	*Org
	// Orgs are all organizations, by id.
	Orgs   map[int64]*Org
	tokens map[string]*Org
	nextID int64
	// Writes counts the requests that changed something.
	Writes int `json:"-"`
}

// Org is one Grafana organization and what it holds.
type Org struct {
	ID          int64
	Name        string
	Folders     map[string]*models.Folder
	Datasources map[string]*models.DataSource
	Secrets     map[string]map[string]string
	Dashboards  map[string]*Dashboard
	// RuleGroups are alert rule groups by "folder/group".
	RuleGroups map[string]*models.AlertRuleGroup
}

// Dashboard is a saved dashboard and its folder.
type Dashboard struct {
	Model     map[string]any
	FolderUID string
}

// New starts a fake Grafana with one organization; cleanup stops it.
func New(t testing.TB) (*Fake, *httptest.Server) {
	f := &Fake{t: t, Orgs: map[int64]*Org{}, tokens: map[string]*Org{}}
	f.Org = f.AddOrg("Main Org.", Token)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", f.health)
	mux.HandleFunc("GET /api/folders/{uid}", f.auth(f.getFolder))
	mux.HandleFunc("POST /api/folders", f.auth(f.createFolder))
	mux.HandleFunc("PUT /api/folders/{uid}", f.auth(f.updateFolder))
	mux.HandleFunc("GET /api/datasources/uid/{uid}", f.auth(f.getDatasource))
	mux.HandleFunc("POST /api/datasources", f.auth(f.createDatasource))
	mux.HandleFunc("PUT /api/datasources/uid/{uid}", f.auth(f.updateDatasource))
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", f.auth(f.getDashboard))
	mux.HandleFunc("POST /api/dashboards/db", f.auth(f.saveDashboard))
	mux.HandleFunc("GET /api/v1/provisioning/folder/{folder}/rule-groups/{group}", f.auth(f.getRuleGroup))
	mux.HandleFunc("PUT /api/v1/provisioning/folder/{folder}/rule-groups/{group}", f.auth(f.putRuleGroup))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// AddOrg creates an organization with a service account whose token is
// token, as a Grafana server admin does once per clinic.
func (f *Fake) AddOrg(name, token string) *Org {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := &Org{ID: int64(len(f.Orgs) + 1), Name: name, Folders: map[string]*models.Folder{}, Datasources: map[string]*models.DataSource{},
		Secrets: map[string]map[string]string{}, Dashboards: map[string]*Dashboard{}, RuleGroups: map[string]*models.AlertRuleGroup{}}
	f.Orgs[o.ID] = o
	f.tokens[token] = o
	return o
}

// handler serves a request in an organization.
type handler func(o *Org, w http.ResponseWriter, r *http.Request)

func (f *Fake) auth(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		defer f.mu.Unlock()
		o := f.tokens[token]
		if !ok || o == nil {
			reply(w, http.StatusUnauthorized, map[string]string{"message": "invalid API key"})
			return
		}
		if id := r.Header.Get("X-Grafana-Org-Id"); id != "" && id != strconv.FormatInt(o.ID, 10) {
			reply(w, http.StatusUnauthorized, map[string]string{"message": "API key does not belong to the requested organization"})
			return
		}
		if r.Header.Get("X-Disable-Provenance") != "true" {
			f.t.Errorf("%s %s without X-Disable-Provenance: true", r.Method, r.URL.Path)
		}
		h(o, w, r)
	}
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// decode reads the body into model strictly, then validates it with the
// spec. ignored are fields Grafana drops silently.
func decode(w http.ResponseWriter, r *http.Request, model interface {
	Validate(strfmt.Registry) error
}, ignored ...string) bool {
	var fields map[string]json.RawMessage
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &fields)
	}
	if err == nil {
		for _, k := range ignored {
			delete(fields, k)
		}
		body, _ = json.Marshal(fields)
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err = dec.Decode(model)
	}
	if err == nil {
		err = model.Validate(strfmt.Default)
	}
	if err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("bad request body for %T: %v", model, err)})
		return false
	}
	return true
}

func (f *Fake) health(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, models.HealthResponse{Database: "ok", Version: "12.0.0", Commit: "fake"})
}

func (f *Fake) getFolder(o *Org, w http.ResponseWriter, r *http.Request) {
	if folder, ok := o.Folders[r.PathValue("uid")]; ok {
		reply(w, http.StatusOK, folder)
		return
	}
	reply(w, http.StatusNotFound, map[string]string{"message": "folder not found"})
}

func (f *Fake) createFolder(o *Org, w http.ResponseWriter, r *http.Request) {
	var cmd models.CreateFolderCommand
	if !decode(w, r, &cmd) {
		return
	}
	if cmd.UID == "" || cmd.Title == "" || o.Folders[cmd.UID] != nil {
		reply(w, http.StatusConflict, map[string]string{"message": "folder uid missing or taken"})
		return
	}
	f.nextID++
	f.Writes++
	o.Folders[cmd.UID] = &models.Folder{ID: f.nextID, UID: cmd.UID, Title: cmd.Title, Version: 1, URL: "/dashboards/f/" + cmd.UID}
	reply(w, http.StatusOK, o.Folders[cmd.UID])
}

func (f *Fake) updateFolder(o *Org, w http.ResponseWriter, r *http.Request) {
	var cmd models.UpdateFolderCommand
	if !decode(w, r, &cmd) {
		return
	}
	folder := o.Folders[r.PathValue("uid")]
	if folder == nil {
		reply(w, http.StatusNotFound, map[string]string{"message": "folder not found"})
		return
	}
	f.Writes++
	folder.Title = cmd.Title
	folder.Version++
	reply(w, http.StatusOK, folder)
}

// gapi's DataSource always sends readOnly, which Grafana's datasource
// commands do not have (it is set by file provisioning only).
var datasourceIgnored = []string{"readOnly"}

func (f *Fake) getDatasource(o *Org, w http.ResponseWriter, r *http.Request) {
	if ds, ok := o.Datasources[r.PathValue("uid")]; ok {
		reply(w, http.StatusOK, ds)
		return
	}
	reply(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
}

func (f *Fake) createDatasource(o *Org, w http.ResponseWriter, r *http.Request) {
	var cmd models.AddDataSourceCommand
	if !decode(w, r, &cmd, datasourceIgnored...) {
		return
	}
	for _, ds := range o.Datasources {
		if ds.UID == cmd.UID || ds.Name == cmd.Name {
			reply(w, http.StatusConflict, map[string]string{"message": "data source with the same uid or name already exists"})
			return
		}
	}
	f.nextID++
	f.Writes++
	ds := &models.DataSource{ID: f.nextID, UID: cmd.UID, Name: cmd.Name, Type: cmd.Type, Access: cmd.Access, URL: cmd.URL,
		JSONData: cmd.JSONData, Version: 1, SecureJSONFields: map[string]bool{}}
	o.Datasources[cmd.UID] = ds
	o.setSecrets(ds, cmd.SecureJSONData)
	reply(w, http.StatusOK, map[string]any{"id": ds.ID, "name": ds.Name, "message": "Datasource added", "datasource": ds})
}

func (f *Fake) updateDatasource(o *Org, w http.ResponseWriter, r *http.Request) {
	var cmd models.UpdateDataSourceCommand
	if !decode(w, r, &cmd, datasourceIgnored...) {
		return
	}
	ds := o.Datasources[r.PathValue("uid")]
	if ds == nil || cmd.UID != ds.UID {
		reply(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
		return
	}
	f.Writes++
	ds.Name, ds.Type, ds.Access, ds.URL, ds.JSONData = cmd.Name, cmd.Type, cmd.Access, cmd.URL, cmd.JSONData
	ds.Version++
	o.setSecrets(ds, cmd.SecureJSONData)
	reply(w, http.StatusOK, map[string]any{"id": ds.ID, "name": ds.Name, "message": "Datasource updated", "datasource": ds})
}

// setSecrets keeps secrets not sent, as Grafana does.
func (o *Org) setSecrets(ds *models.DataSource, secrets map[string]string) {
	if o.Secrets[ds.UID] == nil {
		o.Secrets[ds.UID] = map[string]string{}
	}
	for k, v := range secrets {
		o.Secrets[ds.UID][k] = v
		ds.SecureJSONFields[k] = true
	}
}

func (f *Fake) getDashboard(o *Org, w http.ResponseWriter, r *http.Request) {
	d, ok := o.Dashboards[r.PathValue("uid")]
	if !ok {
		reply(w, http.StatusNotFound, map[string]string{"message": "Dashboard not found"})
		return
	}
	reply(w, http.StatusOK, map[string]any{"dashboard": d.Model, "meta": map[string]any{
		"slug": "tend-team-wellbeing", "folderUid": d.FolderUID, "folderId": o.Folders[d.FolderUID].ID, "url": "/d/" + r.PathValue("uid")}})
}

func (f *Fake) saveDashboard(o *Org, w http.ResponseWriter, r *http.Request) {
	var cmd models.SaveDashboardCommand
	if !decode(w, r, &cmd, "meta") {
		return
	}
	model, ok := cmd.Dashboard.(map[string]any)
	uid, _ := model["uid"].(string)
	if !ok || uid == "" || o.Folders[cmd.FolderUID] == nil {
		reply(w, http.StatusBadRequest, map[string]string{"message": "dashboard needs a uid and an existing folderUid"})
		return
	}
	old := o.Dashboards[uid]
	if old != nil && !cmd.Overwrite {
		reply(w, http.StatusPreconditionFailed, map[string]string{"status": "version-mismatch"})
		return
	}
	f.Writes++
	version, id := 1.0, float64(len(o.Dashboards)+1)
	if old != nil {
		version, id = old.Model["version"].(float64)+1, old.Model["id"].(float64)
	}
	model["version"], model["id"] = version, id
	o.Dashboards[uid] = &Dashboard{Model: model, FolderUID: cmd.FolderUID}
	reply(w, http.StatusOK, map[string]any{"id": id, "uid": uid, "status": "success", "version": version, "slug": "tend-team-wellbeing"})
}

func (f *Fake) getRuleGroup(o *Org, w http.ResponseWriter, r *http.Request) {
	g, ok := o.RuleGroups[r.PathValue("folder")+"/"+r.PathValue("group")]
	if !ok {
		reply(w, http.StatusNotFound, map[string]string{"message": "rule group not found"})
		return
	}
	reply(w, http.StatusOK, g)
}

// putRuleGroup replaces a rule group whole, as Grafana's provisioning API
// does; the folder must exist, and each rule must belong to the group and
// folder of the path.
func (f *Fake) putRuleGroup(o *Org, w http.ResponseWriter, r *http.Request) {
	var g models.AlertRuleGroup
	if !decode(w, r, &g) {
		return
	}
	folder, group := r.PathValue("folder"), r.PathValue("group")
	if _, ok := o.Folders[folder]; !ok {
		reply(w, http.StatusNotFound, map[string]string{"message": "folder not found"})
		return
	}
	for _, rule := range g.Rules {
		if rule.FolderUID == nil || *rule.FolderUID != folder || rule.RuleGroup == nil || *rule.RuleGroup != group {
			reply(w, http.StatusBadRequest, map[string]string{"message": "rule " + rule.UID + " is not of this folder and group"})
			return
		}
	}
	g.Title, g.FolderUID = group, folder
	o.RuleGroups[folder+"/"+group] = &g
	f.Writes++
	reply(w, http.StatusOK, g)
}

// Locked runs fn while no request is served: for reading or changing the
// fake's state as an operator in Grafana's UI would.
func (f *Fake) Locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

// State is everything the fake holds, as JSON.
func (f *Fake) State(t testing.TB) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Package dashboards is tend's Grafana side: the team wellbeing dashboard
// (as code, with Grafana's foundation SDK), the ClickHouse datasource it
// reads, and the two ways to install them — files for Grafana's file
// provisioning (Export) and Grafana's HTTP API (Provision).
//
// Every query reads the reporting database only, whose rows are aggregates
// over at least k respondents: the privacy boundary is in storage, so the
// dashboard never needs to hide anything itself. It shows suppressed
// team-weeks as "not enough responses", never as a number.
package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/tendhq/tend/internal/clickhouse"
)

// Names Grafana knows tend's resources by. Provisioning upserts by these, so
// they must never change.
const (
	DashboardUID  = "tend-teams"
	DatasourceUID = "tend-clickhouse"
	FolderUID     = "tend"

	dashboardTitle = "tend — team wellbeing"
	datasourceName = "tend ClickHouse"
	folderTitle    = "tend"
)

// DefaultClickHouseUser is Grafana's ClickHouse user unless told otherwise.
const DefaultClickHouseUser = "grafana"

// NotEnoughResponses is what the dashboard shows instead of the values of a
// suppressed team-week.
const NotEnoughResponses = "not enough responses"

// Config says where Grafana finds tend's reporting data.
type Config struct {
	// ClickHouseAddr is ClickHouse's native protocol address as Grafana
	// reaches it (default 127.0.0.1:9000).
	ClickHouseAddr string
	// ClickHouseUser should be a user that can read the reporting database
	// only (default DefaultClickHouseUser).
	ClickHouseUser string
	// ClickHousePassword is that user's password; it goes into Grafana's
	// encrypted secureJsonData.
	ClickHousePassword string
	// ReportingDatabase is the database the queries read (default
	// tend_reporting).
	ReportingDatabase string
}

func (c Config) withDefaults() Config {
	if c.ClickHouseAddr == "" {
		c.ClickHouseAddr = clickhouse.DefaultAddr
	}
	if c.ClickHouseUser == "" {
		c.ClickHouseUser = DefaultClickHouseUser
	}
	if c.ReportingDatabase == "" {
		c.ReportingDatabase = clickhouse.DefaultReportingDatabase
	}
	return c
}

// identifier is a database name that goes into SQL as it is.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// headlineScores are the scores the dashboard charts, with their titles.
var headlineScores = []struct{ name, title, help string }{
	{"burnout", "Burnout (ProQOL)", "Higher is worse."},
	{"secondary_traumatic_stress", "Secondary traumatic stress (ProQOL)", "Higher is worse."},
	{"compassion_satisfaction", "Compassion satisfaction (ProQOL)", "Higher is better."},
	{"self_compassion", "Self-compassion (SCS-SF)", "Higher is better."},
}

// Dashboard returns the team wellbeing dashboard for cfg.
func Dashboard(cfg Config) (dashboard.Dashboard, error) {
	cfg = cfg.withDefaults()
	if !identifier.MatchString(cfg.ReportingDatabase) {
		return dashboard.Dashboard{}, fmt.Errorf("reporting database %q: not a plain identifier", cfg.ReportingDatabase)
	}
	q := queries{db: cfg.ReportingDatabase}
	b := dashboard.NewDashboardBuilder(dashboardTitle).
		Uid(DashboardUID).
		Description("Team trends of burnout, secondary traumatic stress, compassion satisfaction and self-compassion. "+
			"Aggregates over at least k respondents only; smaller team-weeks show \""+NotEnoughResponses+"\".").
		Tags([]string{"tend"}).
		Timezone("utc").
		Time("now-26w", "now").
		Refresh("5m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewQueryVariableBuilder("clinic").
			Label("Clinic").
			Datasource(datasourceRef()).
			Query(variableQuery(q.clinics())).
			Definition(q.clinics()).
			AllowCustomValue(false).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Sort(dashboard.VariableSortAlphabeticalAsc)).
		WithVariable(dashboard.NewQueryVariableBuilder("team").
			Label("Team").
			Description("_all is the clinic total.").
			Datasource(datasourceRef()).
			Query(variableQuery(q.teams())).
			Definition(q.teams()).
			AllowCustomValue(false).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Sort(dashboard.VariableSortAlphabeticalAsc))

	var id uint32
	for i, s := range headlineScores {
		id++
		b = b.WithPanel(trendPanel(id, s.title+" — $team", s.help+" Weekly mean with its EWMA and control limits; gaps are weeks with "+NotEnoughResponses+".",
			grid(i%2, i/2), q.trend(s.name)))
	}
	id++
	b = b.WithPanel(trendPanel(id, "Participation — $team", "Respondents of the best-answered instrument over clinicians active in the trailing 12 weeks.",
		grid(0, 2), q.participation()).Unit("percentunit").Min(0).Max(1))
	id++
	b = b.WithPanel(trendPanel(id, "Share of clinicians in the high band — $team",
		"ProQOL scores ≥ 42; for self-compassion, the share in the SCS-SF low band (< 2.5), the risk side.",
		grid(1, 2), q.shareHigh()).Unit("percentunit").Min(0).Max(1))
	id++
	b = b.WithPanel(tablePanel(id, "Team-weeks in $clinic",
		"Every team of the clinic, week by week. Teams under the minimum group size show \""+NotEnoughResponses+"\", never a number.",
		grid(0, 3), q.teamWeeks()))
	id++
	b = b.WithPanel(tablePanel(id, "Alerts in $clinic", "Alert transitions (retracted ones left out).", grid(1, 3), q.alerts()))

	d, err := b.Build()
	if err != nil {
		return dashboard.Dashboard{}, fmt.Errorf("build dashboard %s: %w", DashboardUID, err)
	}
	return d, nil
}

// Model is the dashboard as Grafana's JSON model.
func Model(cfg Config) (map[string]any, error) {
	d, err := Dashboard(cfg)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode dashboard %s: %w", DashboardUID, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode dashboard %s: %w", DashboardUID, err)
	}
	return m, nil
}

func datasourceRef() common.DataSourceRef {
	typ, uid := PluginType, DatasourceUID
	return common.DataSourceRef{Type: &typ, Uid: &uid}
}

// sqlQuery is a raw SQL query of the ClickHouse plugin.
func sqlQuery(format Format, sql string) *queryBuilder {
	queryType := "table"
	if format == FormatTimeSeries {
		queryType = "timeseries"
	}
	return &queryBuilder{Query{RefID: "A", Datasource: datasourceRef(), EditorType: "sql", QueryType: queryType, Format: format, RawSQL: sql}}
}

// variableQuery is a query variable's query: the plugin's query object.
func variableQuery(sql string) dashboard.StringOrMap {
	return dashboard.StringOrMap{Map: map[string]any{
		"refId": "A", "editorType": "sql", "queryType": "table", "format": int(FormatTable), "rawSql": sql,
	}}
}

// grid places a panel in a two-column layout.
func grid(col, row int) dashboard.GridPos {
	return dashboard.GridPos{H: 9, W: 12, X: uint32(col * 12), Y: uint32(row * 9)}
}

func trendPanel(id uint32, title, help string, pos dashboard.GridPos, sql string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(id).
		Title(title).
		Description(help).
		Datasource(datasourceRef()).
		GridPos(pos).
		WithTarget(sqlQuery(FormatTimeSeries, sql)).
		NoValue(NotEnoughResponses).
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		ShowPoints(common.VisibilityModeAlways).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderNone))
}

func tablePanel(id uint32, title, help string, pos dashboard.GridPos, sql string) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Id(id).
		Title(title).
		Description(help).
		Datasource(datasourceRef()).
		GridPos(pos).
		WithTarget(sqlQuery(FormatTable, sql)).
		ShowHeader(true).
		NoValue(NotEnoughResponses)
}

// queries are the dashboard's SQL. They keep to what ClickHouse 18.16 and
// current ClickHouse both run (no CTEs, no window functions; toMonday, not
// toStartOfWeek), read the reporting database only, and read with FINAL, as
// recomputation rewrites rows with higher versions. ${clinic} and ${team}
// are the dashboard variables; $__dateFilter is the plugin's macro.
type queries struct{ db string }

func (q queries) clinics() string {
	return "SELECT DISTINCT clinic FROM " + q.db + ".team_weekly FINAL ORDER BY clinic"
}

func (q queries) teams() string {
	return "SELECT DISTINCT team FROM " + q.db + ".team_weekly FINAL WHERE clinic = '${clinic}' ORDER BY team"
}

// teamFilter selects the chosen team's rows in the dashboard's time range.
const teamFilter = "clinic = '${clinic}' AND team = '${team}' AND $__dateFilter(week)"

func (q queries) trend(score string) string {
	return "SELECT week, mean, ewma, ewma_ucl AS upper_control_limit, ewma_lcl AS lower_control_limit\n" +
		"FROM " + q.db + ".team_weekly FINAL\n" +
		"WHERE " + teamFilter + " AND score = '" + score + "'\n" +
		"ORDER BY week"
}

func (q queries) participation() string {
	return "SELECT week, max(participation) AS participation\n" +
		"FROM " + q.db + ".team_weekly FINAL\n" +
		"WHERE " + teamFilter + "\n" +
		"GROUP BY week ORDER BY week"
}

func (q queries) shareHigh() string {
	var cols []string
	for _, s := range headlineScores {
		cols = append(cols, "maxIf(share_high, score = '"+s.name+"') AS "+s.name)
	}
	return "SELECT week, " + strings.Join(cols, ", ") + "\n" +
		"FROM " + q.db + ".team_weekly FINAL\n" +
		"WHERE " + teamFilter + " AND score IN (" + scoreList() + ")\n" +
		"GROUP BY week ORDER BY week"
}

// teamWeeks shows suppressed rows as text in every value column, so that no
// panel option or override can ever render a number for them.
func (q queries) teamWeeks() string {
	value := func(expr, alias string) string {
		return "if(suppressed = 1, '" + NotEnoughResponses + "', toString(" + expr + ")) AS " + alias
	}
	return "SELECT week, if(team = '_all', 'clinic total', team) AS team_name, score, " +
		value("respondents", "respondents_text") + ", " +
		value("round(mean, 1)", "mean_text") + ", " +
		value("round(share_high * 100)", "share_high_percent") + ", " +
		value("round(participation * 100)", "participation_percent") + "\n" +
		"FROM " + q.db + ".team_weekly FINAL\n" +
		"WHERE clinic = '${clinic}' AND $__dateFilter(week) AND score IN (" + scoreList() + ")\n" +
		"ORDER BY week DESC, team, score"
}

func (q queries) alerts() string {
	return "SELECT week, if(team = '_all', 'clinic total', team) AS team_name, rule, toString(state) AS state_text,\n" +
		"  arrayStringConcat(arrayMap((n, v) -> concat(n, ' = ', toString(round(v, 2))), value_names, value_values), ', ') AS evidence,\n" +
		"  recorded_at\n" +
		"FROM " + q.db + ".alerts FINAL\n" +
		"WHERE clinic = '${clinic}' AND retracted = 0 AND $__dateFilter(week)\n" +
		"ORDER BY week DESC, team, rule"
}

func scoreList() string {
	var names []string
	for _, s := range headlineScores {
		names = append(names, "'"+s.name+"'")
	}
	return strings.Join(names, ", ")
}

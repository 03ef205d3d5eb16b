// Package dashboards is tend's Grafana side: the team wellbeing dashboard
// (as code, with Grafana's foundation SDK), the ClickHouse datasource it
// reads, and the two ways to install them — files for Grafana's file
// provisioning (Export) and Grafana's HTTP API (Provision).
//
// Every query reads the reporting database only, whose rows are aggregates
// over at least k respondents: the privacy boundary is in storage, so the
// dashboard never needs to hide anything itself. It shows suppressed
// team-periods as "not enough responses", never as a number.
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

// NotEnoughResponses is what the dashboard shows instead of the values of a
// suppressed team-period.
const NotEnoughResponses = "not enough responses"

// Config says where one Grafana organization finds its clinic's reporting
// data (ForClinic makes it from the deployment's).
type Config struct {
	// ClickHouseAddr is ClickHouse's native protocol address as Grafana
	// reaches it (default 127.0.0.1:9000).
	ClickHouseAddr string
	// ClickHouseUser should be a user that can read ReportingDatabase only:
	// the clinic's reader.
	ClickHouseUser string
	// ClickHousePassword is that user's password; it goes into Grafana's
	// encrypted secureJsonData.
	ClickHousePassword string
	// ReportingDatabase is the database the queries read (default
	// tend_reporting; a clinic's copy of it for ForClinic).
	ReportingDatabase string
}

func (c Config) withDefaults() Config {
	if c.ClickHouseAddr == "" {
		c.ClickHouseAddr = clickhouse.DefaultAddr
	}
	if c.ReportingDatabase == "" {
		c.ReportingDatabase = clickhouse.DefaultReportingDatabase
	}
	return c
}

// identifier is a database name that goes into SQL as it is.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// headlineScores are the scores the dashboard charts, with their instruments
// and titles. ProQOL, CBI and SCS-SF are published monthly, Mini-Z weekly.
var headlineScores = []struct{ instrument, name, title, help string }{
	{"proqol5", "burnout", "Burnout (ProQOL)", "Monthly mean; higher is worse."},
	{"proqol5", "secondary_traumatic_stress", "Secondary traumatic stress (ProQOL)", "Monthly mean; higher is worse."},
	{"proqol5", "compassion_satisfaction", "Compassion satisfaction (ProQOL)", "Monthly mean; higher is better."},
	{"scssf", "self_compassion", "Self-compassion (SCS-SF)", "Monthly mean; higher is better."},
	{"cbi", "work_burnout", "Work-related burnout (CBI)", "Monthly mean; higher is worse."},
	{"miniz", "burnout_level", "Burnout level (Mini-Z)", "Weekly mean; higher is worse."},
}

// instruments are the instruments of headlineScores, in order.
var instruments = []string{"proqol5", "scssf", "cbi", "miniz"}

// Dashboard returns the team wellbeing dashboard for cfg.
func Dashboard(cfg Config) (dashboard.Dashboard, error) {
	cfg = cfg.withDefaults()
	if !identifier.MatchString(cfg.ReportingDatabase) {
		return dashboard.Dashboard{}, fmt.Errorf("reporting database %q: not a plain identifier", cfg.ReportingDatabase)
	}
	q := queries{db: cfg.ReportingDatabase}
	b := dashboard.NewDashboardBuilder(dashboardTitle).
		Uid(DashboardUID).
		Description("Team period means of burnout, secondary traumatic stress, compassion satisfaction, self-compassion, CBI work burnout and Mini-Z burnout. "+
			"Aggregates over at least k respondents only; smaller groups show \""+NotEnoughResponses+"\".").
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
		b = b.WithPanel(trendPanel(id, s.title+" — $team", s.help+" Gaps are periods with "+NotEnoughResponses+".",
			grid(i%2, i/2), q.trend(s.instrument, s.name)))
	}
	id++
	b = b.WithPanel(trendPanel(id, "Participation — $team", "Respondents of each instrument's published period over the team's clinicians.",
		grid(0, 3), q.participation()).Unit("percentunit").Min(0).Max(1))
	id++
	b = b.WithPanel(tablePanel(id, "Share of clinicians in the high band (bucket) — $team",
		"Published in buckets of 20 %: \"0–20 %\" … \"at least 80 %\". ProQOL scores ≥ 42, CBI ≥ 50, Mini-Z ≥ 3; "+
			"for self-compassion the SCS-SF low band (< 2.5), the risk side; for compassion satisfaction high is the good side.",
		grid(1, 3), q.shareHigh()))
	id++
	b = b.WithPanel(tablePanel(id, "Teams of $clinic — latest published period",
		"Every team of the clinic in each instrument's latest published period. Teams under the minimum group size show \""+NotEnoughResponses+"\", never a number.",
		grid(0, 4), q.latestPeriod()))
	id++
	b = b.WithPanel(tablePanel(id, "Alerts in $clinic", "Alert transitions (firing, resolved) decided when a period is published.", grid(1, 4), q.alerts()))
	id++
	b = b.WithPanel(tablePanel(id, "Answered so far (open period) — $clinic",
		"How many have answered in periods not yet published: a count, never a score.", grid(0, 5), q.openPeriods()))
	id++
	b = b.WithPanel(tablePanel(id, "Late check-ins (not in published figures) — $clinic",
		"Check-ins stored after their period was published: counted here, never folded into the published figures.", grid(1, 5), q.lateCheckins()))

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
// current ClickHouse both run (no CTEs, no window functions, no DateTime64)
// and read the reporting database only. team_periods and alerts are plain
// MergeTree tables written once per period (no FINAL); open_periods and
// late_checkins are ReplacingMergeTree tables and are read with FINAL.
// ${clinic} and ${team} are the dashboard variables; $__dateFilter is the
// plugin's macro.
type queries struct{ db string }

func (q queries) clinics() string {
	return "SELECT DISTINCT clinic FROM " + q.db + ".team_periods ORDER BY clinic"
}

func (q queries) teams() string {
	return "SELECT DISTINCT team FROM " + q.db + ".team_periods WHERE clinic = '${clinic}' ORDER BY team"
}

// teamFilter selects the chosen team's rows in the dashboard's time range.
const teamFilter = "clinic = '${clinic}' AND team = '${team}' AND $__dateFilter(period_start)"

// teamName shows the clinic total as such.
const teamName = "if(team = '_all', 'clinic total', team) AS team_name"

// trend is the period means of one score: NULL (a gap) where suppressed.
func (q queries) trend(instrument, score string) string {
	return "SELECT period_start, if(suppressed = 1, NULL, mean) AS mean\n" +
		"FROM " + q.db + ".team_periods\n" +
		"WHERE " + teamFilter + " AND instrument = '" + instrument + "' AND score = '" + score + "'\n" +
		"ORDER BY period_start"
}

// participation is one series per instrument (every score of an instrument
// carries the same participation). maxIf over no rows is 0 on 18.16, not
// NULL: periods of other instruments must be gaps, never 0 %.
func (q queries) participation() string {
	var cols []string
	for _, in := range instruments {
		c := "instrument = '" + in + "' AND suppressed = 0 AND participation IS NOT NULL"
		cols = append(cols, "if(countIf("+c+") = 0, NULL, maxIf(participation, "+c+")) AS "+in)
	}
	return "SELECT period_start, " + strings.Join(cols, ", ") + "\n" +
		"FROM " + q.db + ".team_periods\n" +
		"WHERE " + teamFilter + " AND instrument IN (" + quoted(instruments) + ")\n" +
		"GROUP BY period_start ORDER BY period_start"
}

// shareBucket renders share_high as the bucket it is.
const shareBucket = "multiIf(share_high >= 0.8, 'at least 80 %', " +
	"concat(toString(toUInt8(round(share_high * 100))), '–', toString(toUInt8(round(share_high * 100)) + 20), ' %'))"

// shown shows suppressed rows as text in every value column, so that no panel
// option or override can ever render a number for them; a value not
// published for a row that is ('—') stays distinct from a suppressed one.
func shown(expr, alias string) string {
	return "if(suppressed = 1, '" + NotEnoughResponses + "', ifNull(toString(" + expr + "), '—')) AS " + alias
}

func (q queries) shareHigh() string {
	return "SELECT period_start, instrument, score, " + shown(shareBucket, "share_high_bucket") + "\n" +
		"FROM " + q.db + ".team_periods\n" +
		"WHERE " + teamFilter + " AND (instrument, score) IN (" + scorePairs() + ")\n" +
		"ORDER BY period_start DESC, instrument, score"
}

// latestPeriod is every team of the clinic in each instrument's latest
// published period.
func (q queries) latestPeriod() string {
	return "SELECT instrument, period_start, " + teamName + ", score, " +
		shown("respondents", "respondents_text") + ", " +
		shown("round(mean, 1)", "mean_text") + ", " +
		shown(shareBucket, "share_high_bucket") + ", " +
		shown("round(participation * 100)", "participation_percent") + "\n" +
		"FROM " + q.db + ".team_periods\n" +
		"WHERE clinic = '${clinic}' AND (instrument, score) IN (" + scorePairs() + ")\n" +
		"  AND (instrument, period_start) IN (SELECT instrument, max(period_start) FROM " + q.db + ".team_periods WHERE clinic = '${clinic}' GROUP BY instrument)\n" +
		"ORDER BY instrument, team_name, score"
}

func (q queries) alerts() string {
	return "SELECT period_start, " + teamName + ", instrument, rule, toString(state) AS state_text, published_at\n" +
		"FROM " + q.db + ".alerts\n" +
		"WHERE clinic = '${clinic}' AND $__dateFilter(period_start)\n" +
		"ORDER BY period_start DESC, team_name, instrument, rule"
}

// openPeriods is how many have answered so far in periods not yet published.
func (q queries) openPeriods() string {
	return "SELECT instrument, toString(period) AS period_length, period_start, " + teamName + ", respondents AS answered_so_far\n" +
		"FROM " + q.db + ".open_periods FINAL\n" +
		"WHERE clinic = '${clinic}'\n" +
		"  AND (team, instrument, period_start) NOT IN (SELECT team, instrument, period_start FROM " + q.db + ".team_periods WHERE clinic = '${clinic}')\n" +
		"ORDER BY instrument, period_start DESC, team_name"
}

// lateCheckins counts check-ins that arrived after their period was published.
func (q queries) lateCheckins() string {
	return "SELECT instrument, period_start, " + teamName + ", late AS late_checkins\n" +
		"FROM " + q.db + ".late_checkins FINAL\n" +
		"WHERE clinic = '${clinic}' AND late > 0 AND $__dateFilter(period_start)\n" +
		"ORDER BY period_start DESC, instrument, team_name"
}

func quoted(names []string) string {
	var out []string
	for _, n := range names {
		out = append(out, "'"+n+"'")
	}
	return strings.Join(out, ", ")
}

// scorePairs is the (instrument, score) tuples of headlineScores.
func scorePairs() string {
	var out []string
	for _, s := range headlineScores {
		out = append(out, "('"+s.instrument+"', '"+s.name+"')")
	}
	return strings.Join(out, ", ")
}

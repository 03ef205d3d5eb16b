package dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// PluginType is the ClickHouse datasource plugin (v4) the dashboards query.
const PluginType = "grafana-clickhouse-datasource"

// Format is the plugin's result format, a number in the query JSON.
type Format int

// The formats of plugin v4 (its src/types Format enum).
const (
	FormatTimeSeries Format = 0
	FormatTable      Format = 1
)

// Query is a ClickHouse plugin query in raw SQL. The foundation SDK ships no
// ClickHouse query type, so this is one following the SDK's how-to on custom
// query types: it is a dataquery variant any panel builder accepts.
type Query struct {
	RefID      string               `json:"refId"`
	Datasource common.DataSourceRef `json:"datasource"`
	EditorType string               `json:"editorType"`
	QueryType  string               `json:"queryType"`
	Format     Format               `json:"format"`
	RawSQL     string               `json:"rawSql"`
}

var _ variants.Dataquery = Query{}

// ImplementsDataqueryVariant marks Query as a dataquery for the SDK.
func (Query) ImplementsDataqueryVariant() {}

// DataqueryType is the plugin the query is for.
func (Query) DataqueryType() string { return PluginType }

// Equals reports whether other is the same query.
func (q Query) Equals(other variants.Dataquery) bool {
	o, ok := other.(Query)
	return ok && q.RefID == o.RefID && q.Format == o.Format && q.QueryType == o.QueryType &&
		q.EditorType == o.EditorType && q.RawSQL == o.RawSQL &&
		ptrEqual(q.Datasource.Type, o.Datasource.Type) && ptrEqual(q.Datasource.Uid, o.Datasource.Uid)
}

// Validate rejects a query Grafana could not run.
func (q Query) Validate() error {
	if q.RefID == "" || q.RawSQL == "" {
		return fmt.Errorf("clickhouse query %q: refId and rawSql are required", q.RefID)
	}
	return nil
}

// QueryVariantConfig lets the SDK's runtime unmarshal dashboards holding
// ClickHouse queries (cog.NewRuntime().RegisterDataqueryVariant).
func QueryVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: PluginType,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

// queryBuilder builds a Query for panel builders' WithTarget.
type queryBuilder struct{ q Query }

var _ cog.Builder[variants.Dataquery] = (*queryBuilder)(nil)

// Build returns the query, or why it is invalid.
func (b *queryBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		return nil, err
	}
	return b.q, nil
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
}

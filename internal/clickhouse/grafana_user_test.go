package clickhouse_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/testenv"
)

// TestGrafanaUserReadsReportingOnly checks the privacy boundary in storage:
// the user Grafana connects as (scripts/clickhouse defines it as the README
// tells operators to) reads the reporting database and nothing else, and
// writes nothing.
func TestGrafanaUserReadsReportingOnly(t *testing.T) {
	ctx := context.Background()
	admin, err := clickhouse.Open(clickhouse.Config{Addr: testenv.ClickHouseAddr()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Migrate(ctx); err != nil { // the default databases, as Grafana reads them
		t.Fatal(err)
	}
	grafana, err := clickhouse.Open(clickhouse.Config{Addr: testenv.ClickHouseAddr(), User: "grafana"})
	if err != nil {
		t.Fatal(err)
	}
	defer grafana.Close()
	var n uint64
	if err := grafana.Conn().QueryRow(ctx, "SELECT count() FROM tend_reporting.team_periods").Scan(&n); err != nil {
		t.Fatalf("grafana cannot read the reporting database: %v (scripts/clickhouse defines the user)", err)
	}
	if err := grafana.Conn().QueryRow(ctx, "SELECT count() FROM tend.checkins").Scan(&n); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("grafana read the private check-ins: %v", err)
	}
	if err := grafana.Conn().Exec(ctx, "CREATE TABLE tend_reporting.grafana_was_here (x UInt8) ENGINE = Memory"); err == nil {
		admin.Conn().Exec(ctx, "DROP TABLE tend_reporting.grafana_was_here")
		t.Error("grafana could create a table")
	}
}

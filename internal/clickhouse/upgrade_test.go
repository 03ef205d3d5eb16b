package clickhouse_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/testenv"
)

// TestUpgradeKeepsEveryCheckin, on the real server: check-ins stored by
// the release before 0005 (its 29-column table, written as its
// InsertCheckins wrote it) are all there after the upgrade, each score and
// context value as it was, and the reporter reads them as before.
func TestUpgradeKeepsEveryCheckin(t *testing.T) {
	ctx := context.Background()
	cfg := testenv.ClickHouseConfig(t)
	store, err := clickhouse.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.MigrateTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	cs := testenv.CheckIns(2000, 5, now)
	want := map[string]checkin.Scored{}
	for i := range cs {
		cs[i].SubmittedAt = cs[i].SubmittedAt.AddDate(0, -i%30, 0) // 30 months: three years
		if i%7 == 0 {
			cs[i].Context = nil
		} else if i%5 == 0 {
			cs[i].Context.Sessions = nil
		}
		want[cs[i].ID] = testenv.Scored(t, cs[i], now)
	}
	insertV1(t, store, want)
	if got := testenv.Count(t, store, "SELECT count() FROM "+cfg.Database+".checkins"); got != uint64(len(want)) {
		t.Fatalf("%d rows in the old table, want %d", got, len(want))
	}

	// The upgrade cut short after its rename (a crash): the next run
	// finishes it.
	ms, err := clickhouse.Migrations(cfg)
	if err != nil {
		t.Fatal(err)
	}
	upgrade := ms[4]
	if upgrade.Version != 5 || !strings.HasPrefix(upgrade.Statements[2].SQL, "RENAME TABLE") {
		t.Fatalf("migration %d: its third statement is not the rename", upgrade.Version)
	}
	for _, st := range upgrade.Statements[:3] {
		if err := store.Conn().Exec(ctx, st.SQL); err != nil {
			t.Fatal(err)
		}
	}
	applied, err := store.Migrate(ctx)
	if err != nil || len(applied) == 0 || applied[0] != 5 {
		t.Fatalf("upgrade applied %v: %v", applied, err)
	}
	rows, err := store.Conn().Query(ctx, "SELECT id, clinic, team, clinician, instrument, submitted_at, received_at, answers, "+
		"context_names, context_values, score_names, score_values FROM "+cfg.Database+".checkins FINAL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var (
			got                  checkin.Scored
			answers              []uint8
			ctxNames, scoreNames []string
			ctxValues            []float32
			scoreValues          []float64
		)
		if err := rows.Scan(&got.ID, &got.Clinic, &got.Team, &got.Clinician, &got.Instrument, &got.SubmittedAt, &got.ReceivedAt,
			&answers, &ctxNames, &ctxValues, &scoreNames, &scoreValues); err != nil {
			t.Fatal(err)
		}
		seen++
		w, ok := want[got.ID]
		if !ok {
			t.Fatalf("unexpected id %s", got.ID)
		}
		if got.Clinic != w.Clinic || got.Team != w.Team || got.Clinician != w.Clinician || got.Instrument != w.Instrument ||
			!got.SubmittedAt.Equal(w.SubmittedAt) || !got.ReceivedAt.Equal(w.ReceivedAt) || len(answers) != len(w.Answers) {
			t.Errorf("row %s: %+v, want %+v", got.ID, got.Event, w.Event)
		}
		if !slices.Equal(scoreValues, w.Scores) || strings.Join(scoreNames, ",") != strings.Join(instrument.ScoreOrder(w.Instrument), ",") {
			t.Errorf("row %s: scores %v %v, want %v", got.ID, scoreNames, scoreValues, w.Scores)
		}
		if wantNames, wantValues := wantContext(w.Context); strings.Join(ctxNames, ",") != strings.Join(wantNames, ",") || !slices.Equal(ctxValues, wantValues) {
			t.Errorf("row %s: context %v %v, want %v %v", got.ID, ctxNames, ctxValues, wantNames, wantValues)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Errorf("%d check-ins after the upgrade, want %d", seen, len(want))
	}
	if n := testenv.Count(t, store, "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"' AND name LIKE 'checkins_v%'"); n != 0 {
		t.Errorf("%d tables of the upgrade left behind", n)
	}
	if again, err := store.Migrate(ctx); err != nil || len(again) != 0 {
		t.Errorf("migrating again applied %v: %v", again, err)
	}
}

// insertV1 writes rows as the release before 0005 did: one Nullable column
// per context field and per score.
func insertV1(t *testing.T, store *clickhouse.Store, rows map[string]checkin.Scored) {
	t.Helper()
	cols := append([]string{"id", "clinic", "team", "clinician", "instrument", "submitted_at", "received_at", "stored_at", "answers",
		"sessions", "trauma_sessions", "hours_worked", "sleep_hours"}, instrument.ScoreNames()...)
	batch, err := store.Conn().PrepareBatch(context.Background(), "INSERT INTO "+store.Config().Database+".checkins ("+strings.Join(cols, ", ")+")")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		answers := make([]uint8, len(r.Answers))
		for i, a := range r.Answers {
			answers[i] = uint8(a)
		}
		var x checkin.Context
		if r.Context != nil {
			x = *r.Context
		}
		vals := []any{r.ID, r.Clinic, r.Team, r.Clinician, r.Instrument, r.SubmittedAt, r.ReceivedAt, r.ReceivedAt, answers,
			ptr[uint16](x.Sessions), ptr[uint16](x.TraumaSessions), ptr[float32](x.HoursWorked), ptr[float32](x.SleepHours)}
		for _, name := range instrument.ScoreNames() {
			var v *float64
			if i := slices.Index(instrument.ScoreOrder(r.Instrument), name); i >= 0 {
				v = &r.Scores[i]
			}
			vals = append(vals, v)
		}
		if err := batch.Append(vals...); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

func ptr[T uint16 | float32, S int | float64](v *S) *T {
	if v == nil {
		return nil
	}
	t := T(*v)
	return &t
}

// wantContext is what 0005 keeps of a context: the fields given, in order.
func wantContext(x *checkin.Context) (names []string, values []float32) {
	if x == nil {
		return nil, nil
	}
	for _, f := range []struct {
		name  string
		whole *int
		frac  *float64
	}{{"sessions", x.Sessions, nil}, {"trauma_sessions", x.TraumaSessions, nil}, {"hours_worked", nil, x.HoursWorked}, {"sleep_hours", nil, x.SleepHours}} {
		switch {
		case f.whole != nil:
			names, values = append(names, f.name), append(values, float32(*f.whole))
		case f.frac != nil:
			names, values = append(names, f.name), append(values, float32(*f.frac))
		}
	}
	return names, values
}

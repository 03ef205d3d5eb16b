package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/internal/trends"
	"github.com/tendhq/tend/processor"
)

// pipeline is a fresh tend pipeline: NATS, ClickHouse databases of its own,
// a processor and its reporter.
type pipeline struct {
	nats     *testenv.NATS
	store    *clickhouse.Store
	reporter *Reporter
}

func startPipeline(t testing.TB, rules trends.Rules) *pipeline {
	t.Helper()
	n := testenv.StartNATS(t)
	store := testenv.ClickHouse(t)
	r := New(store, n.JS, trends.DefaultConfig(), rules, WithLogger(quiet))
	p := processor.New(n.JS, store, processor.WithBatch(2000, 100*time.Millisecond), processor.WithLogger(quiet), processor.WithMarker(r))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { p.Run(ctx); done <- struct{}{} }()
	go func() { r.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return &pipeline{nats: n, store: store, reporter: r}
}

// events turns check-ins into the events ingest would publish.
func events(t testing.TB, cs []checkin.CheckIn) []*nats.Msg {
	t.Helper()
	p := testenv.Pseudonymizer(t)
	msgs := make([]*nats.Msg, len(cs))
	for i, c := range cs {
		data, err := json.Marshal(checkin.Event{CheckIn: p.Pseudonymize(c), ReceivedAt: c.SubmittedAt})
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = nats.NewMsg(stream.CheckinSubject(c.Clinic, c.Team))
		msgs[i].Data = data
		msgs[i].Header.Set(jetstream.MsgIDHeader, c.ID)
	}
	return msgs
}

// publish sends msgs with asynchronous publishes and waits for every ack.
func (pl *pipeline) publish(t testing.TB, msgs []*nats.Msg) {
	t.Helper()
	for chunk := range slices.Chunk(msgs, 2000) {
		for _, m := range chunk {
			if _, err := pl.nats.JS.PublishMsgAsync(m); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
		select {
		case <-pl.nats.JS.PublishAsyncComplete():
		case <-time.After(30 * time.Second):
			t.Fatal("publish acks timed out")
		}
	}
}

// settle waits until the processor acked everything and the reporter has
// recomputed every clinic it marked.
func (pl *pipeline) settle(t testing.TB) {
	t.Helper()
	cons, err := pl.nats.JS.Consumer(context.Background(), stream.Checkins, stream.ProcessorDurable)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Minute, "the processor to ack everything", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	select {
	case <-pl.reporter.Settled():
	case <-time.After(5 * time.Minute):
		t.Fatal("reporter did not settle")
	}
}

// reporting renders both reporting tables through one deterministic query
// each: every value, rounded to 9 decimals, in key order.
func (pl *pipeline) reporting(t testing.TB) []string {
	t.Helper()
	db := pl.store.Config().ReportingDatabase
	rows, err := pl.store.Conn().Query(context.Background(), "SELECT clinic, team, week, score, suppressed, respondents, "+
		"round(mean, 9), round(stddev, 9), round(share_high, 9), round(rolling_mean_4w, 9), round(slope_8w, 9), "+
		"round(ewma, 9), round(ewma_ucl, 9), round(ewma_lcl, 9), round(participation, 9) FROM "+db+".team_weekly FINAL "+
		"ORDER BY clinic, team, week, score")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var (
			clinic, team, score string
			week                time.Time
			suppressed          uint8
			respondents         *uint32
			vals                = make([]*float64, 9)
		)
		dest := []any{&clinic, &team, &week, &score, &suppressed, &respondents}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprint(clinic, " ", team, " ", week.Format(time.DateOnly), " ", score, " ", suppressed, " ", fmtPtr(respondents))
		for _, v := range vals {
			line += " " + fmtPtr(v)
		}
		out = append(out, line)
	}
	alerts, err := pl.store.Conn().Query(context.Background(), "SELECT id, clinic, team, rule, week, toString(state) FROM "+db+".alerts FINAL WHERE retracted = 0 ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer alerts.Close()
	for alerts.Next() {
		var id, clinic, team, rule, state string
		var week time.Time
		if err := alerts.Scan(&id, &clinic, &team, &rule, &week, &state); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{"alert", id, clinic, team, rule, week.Format(time.DateOnly), state}, " "))
	}
	return out
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "NULL"
	}
	return fmt.Sprint(*p)
}

// TestReportingOrderIndependent feeds the same 50,000 check-ins into two
// fresh pipelines — once in order; once shuffled, with 10 % duplicates and
// late arrivals for weeks already computed — and gets identical reporting
// tables.
func TestReportingOrderIndependent(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 check-ins through two pipelines")
	}
	cs := simulate.Workforce{Clinics: 6, TeamsPerClinic: 6, MinTeam: 3, MaxTeam: 15, Weeks: 26, PerWeek: 13,
		Deteriorating: 0.3, Seed: 42}.CheckIns()
	cs = cs[:min(len(cs), 50_000)]
	t.Logf("%d check-ins", len(cs))
	msgs := events(t, cs)

	inOrder := startPipeline(t, trends.DefaultRules())
	inOrder.publish(t, msgs)
	inOrder.settle(t)
	want := inOrder.reporting(t)

	// Late arrivals: check-ins of the oldest 4 weeks arrive only after the
	// reporter computed everything else, shuffled.
	rng := rand.New(rand.NewPCG(7, 7))
	cutoff := slices.MinFunc(cs, func(a, b checkin.CheckIn) int { return a.SubmittedAt.Compare(b.SubmittedAt) }).SubmittedAt.Add(4 * 7 * 24 * time.Hour)
	var early, late []*nats.Msg
	for _, i := range rng.Perm(len(cs)) {
		if cs[i].SubmittedAt.Before(cutoff) {
			late = append(late, msgs[i])
		} else {
			early = append(early, msgs[i])
		}
	}
	// Duplicates of 10 %: half dropped by JetStream (same Nats-Msg-Id), half
	// stored twice and counted once by ClickHouse.
	for _, i := range rng.Perm(len(cs))[:len(cs)/10] {
		dup := nats.NewMsg(msgs[i].Subject)
		dup.Data = msgs[i].Data
		if rng.IntN(2) == 0 {
			dup.Header.Set(jetstream.MsgIDHeader, msgs[i].Header.Get(jetstream.MsgIDHeader))
		}
		late = append(late, dup)
	}
	rng.Shuffle(len(late), func(i, j int) { late[i], late[j] = late[j], late[i] })
	other := startPipeline(t, trends.DefaultRules())
	other.publish(t, early)
	other.settle(t)
	other.publish(t, late)
	other.settle(t)
	got := other.reporting(t)

	if len(want) < 1000 {
		t.Fatalf("only %d reporting rows; the workforce should give many more", len(want))
	}
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("reporting differs at row %d of %d/%d:\n got %s\nwant %s", i, len(got), len(want), got[i], want[i])
			}
		}
		t.Fatalf("reporting has %d rows, want %d", len(got), len(want))
	}
}

// TestRecomputationCoalesces sends a burst of 10,000 check-ins for one team:
// the clinic is recomputed a handful of times, not once per check-in.
func TestRecomputationCoalesces(t *testing.T) {
	pl := startPipeline(t, trends.DefaultRules())
	cs := simulate.Workforce{Clinics: 1, TeamsPerClinic: 1, MinTeam: 12, MaxTeam: 12, Weeks: 20, PerWeek: 80,
		Instruments: []string{"miniz"}, Seed: 5}.CheckIns()
	cs = cs[:10_000]
	pl.publish(t, events(t, cs))
	pl.settle(t)
	recomputed := testutil.ToFloat64(pl.reporter.metrics.recomputed)
	if recomputed < 1 || recomputed > 20 {
		t.Errorf("clinic recomputed %v times for 10,000 check-ins, want between 1 and 20", recomputed)
	}
	t.Logf("10,000 check-ins, %v recomputations", recomputed)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

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
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/clickhouse"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/processor"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// pipeline is a fresh tend pipeline: NATS, ClickHouse databases of its own,
// a running processor, and a reporter the test drives pass by pass on a
// clock of its own.
type pipeline struct {
	nats     *testenv.NATS
	store    *clickhouse.Store
	reporter *Reporter

	mu  sync.Mutex
	now time.Time
}

func startPipeline(t testing.TB) *pipeline {
	t.Helper()
	n := testenv.StartNATS(t)
	store := testenv.ClickHouse(t)
	ctx, cancel := context.WithCancel(context.Background())
	claims, err := stream.EnsureClaims(ctx, n.JS, stream.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pl := &pipeline{nats: n, store: store, now: time.Now()}
	pl.reporter = New(store, claims, n.JS, DefaultConfig(), WithLogger(quiet), WithClock(pl.clock))
	p := processor.New(n.JS, store, processor.WithBatch(2000, 100*time.Millisecond), processor.WithLogger(quiet))
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return pl
}

func (pl *pipeline) clock() time.Time {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.now
}

// at sets the reporter's clock.
func (pl *pipeline) at(t time.Time) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.now = t
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

// publish sends msgs and waits until the processor stored and acked them.
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
	// The processor creates its consumer as it starts: look it up each time.
	testenv.Eventually(t, 5*time.Minute, "the processor to ack everything", func() bool {
		cons, err := pl.nats.JS.Consumer(context.Background(), stream.Checkins, stream.ProcessorDurable)
		if err != nil {
			return false
		}
		info, err := cons.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	})
}

// waitStored waits until n check-ins are stored: the consumer's counts can
// say "nothing pending" a moment before the last insert is visible.
func (pl *pipeline) waitStored(t testing.TB, n uint64) {
	t.Helper()
	testenv.Eventually(t, time.Minute, fmt.Sprintf("%d check-ins stored", n), func() bool {
		return testenv.Count(t, pl.store, "SELECT count() FROM "+pl.store.Config().Database+".checkins FINAL") >= n
	})
}

// pass runs one reporting pass and fails the test on an error.
func (pl *pipeline) pass(t testing.TB) Summary {
	t.Helper()
	s, err := pl.reporter.Pass(context.Background())
	if err != nil {
		t.Fatalf("reporting pass: %v", err)
	}
	return s
}

// rows runs a query of one String column on the reporting database as the
// reporting user reads it — every row, every version, no FINAL.
func (pl *pipeline) rows(t testing.TB, query string) []string {
	t.Helper()
	rows, err := pl.store.Conn().Query(context.Background(), strings.ReplaceAll(query, "REP.", pl.store.Config().ReportingDatabase+"."))
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

const figuresQuery = "SELECT concat(clinic, ' ', team, ' ', instrument, ' ', score, ' ', toString(period_start), ' ', toString(suppressed), ' ', " +
	"ifNull(toString(respondents), '-'), ' ', ifNull(toString(round(mean, 9)), '-'), ' ', ifNull(toString(round(stddev, 9)), '-'), ' ', " +
	"ifNull(toString(share_high), '-'), ' ', ifNull(toString(round(participation, 9)), '-')) FROM REP.team_periods " +
	"ORDER BY clinic, team, instrument, score, period_start"

// TestOpenPeriodNeverShowsAScore is the differencing attack over time, as
// the reporting user would mount it: six clinicians of one team check in
// one by one during a week. While the week is open the reporting database
// shows how many have answered, never a score; once it has closed (48 h
// grace, 10 min settled) it holds one version of each figure, and a late
// check-in, a resubmission and an erasure leave that version as it was.
func TestOpenPeriodNeverShowsAScore(t *testing.T) {
	pl := startPipeline(t)
	week := figures.Week.Start(time.Now()).AddDate(0, 0, -14) // a week that has ended
	answers := []int{1, 2, 3, 4, 5, 2}
	checkIn := func(id string, clinician, answer int, at time.Time) checkin.CheckIn {
		return checkin.CheckIn{ID: id, Clinic: "northside", Team: "crisis", Clinician: fmt.Sprintf("clinician-%d", clinician),
			SubmittedAt: at, Instrument: "miniz", Answers: []int{answer}}
	}
	pl.at(week.Add(72 * time.Hour)) // the week is open
	for i, a := range answers {
		pl.publish(t, events(t, []checkin.CheckIn{checkIn(fmt.Sprint("c", i), i, a, week.Add(time.Duration(i+1)*time.Hour))}))
		pl.waitStored(t, uint64(i+1))
		if s := pl.pass(t); s.Published != 0 {
			t.Fatalf("after check-in %d: published %d periods of an open week", i+1, s.Published)
		}
		if got := pl.rows(t, "SELECT toString(count()) FROM REP.team_periods"); got[0] != "0" {
			t.Fatalf("after check-in %d the reporting database holds %s figures of an open week", i+1, got[0])
		}
		want := fmt.Sprint(i + 1)
		if got := pl.rows(t, "SELECT toString(max(respondents)) FROM REP.open_periods WHERE team = 'crisis'"); got[0] != want {
			t.Fatalf("after check-in %d the open week shows %s respondents, want %s", i+1, got[0], want)
		}
	}

	// Closed, but within the 48 h grace window: still nothing.
	pl.at(week.AddDate(0, 0, 7).Add(47 * time.Hour))
	if s := pl.pass(t); s.Published != 0 {
		t.Fatal("published inside the grace window")
	}
	// Past the grace window, and settled: published once.
	pl.at(time.Now().Add(DefaultSettle + time.Minute))
	if s := pl.pass(t); s.Published != 1 {
		t.Fatalf("published %d periods, want 1", s.Published)
	}
	published := pl.rows(t, figuresQuery)
	mean := 17.0 / 6
	want := []string{
		fmt.Sprintf("northside _all miniz burnout_level %s 0 6 %v", week.Format(time.DateOnly), roundTo9(mean)),
		fmt.Sprintf("northside crisis miniz burnout_level %s 0 6 %v", week.Format(time.DateOnly), roundTo9(mean)),
	}
	if len(published) != 2 || !strings.HasPrefix(published[0], want[0]) || !strings.HasPrefix(published[1], want[1]) {
		t.Fatalf("published figures:\n%s\nwant rows starting\n%s", strings.Join(published, "\n"), strings.Join(want, "\n"))
	}

	// A late check-in, a resubmission (clinician 1, now 5) and an erasure
	// (clinician 2) are stored, or removed, but change nothing published.
	// (stored_at has whole seconds: "late" is stored after the published
	// check-ins' second, as the settle window guarantees in production.)
	time.Sleep(1100 * time.Millisecond)
	pl.publish(t, events(t, []checkin.CheckIn{
		checkIn("late", 6, 5, week.Add(100*time.Hour)),
		checkIn("resubmitted", 1, 5, week.Add(101*time.Hour)),
	}))
	p := testenv.Pseudonymizer(t)
	erased := p.Pseudonym("northside", "clinician-2")
	if _, err := pl.store.EraseClinician(context.Background(), "northside", erased); err != nil {
		t.Fatal(err)
	}
	// Their own reference leaves the alert memory kept with the claim too.
	if n, err := EraseClinician(context.Background(), pl.reporter.claims, "northside", erased); err != nil || n != 1 {
		t.Fatalf("erase from claims: %d claims, %v; want 1", n, err)
	}
	claim, err := pl.reporter.claims.Get(context.Background(), candidate{clinic: "northside", instrument: "miniz", start: week}.key())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(claim.Value()), erased) {
		t.Error("the claim still holds the erased clinician's pseudonym")
	}
	if !strings.Contains(string(claim.Value()), p.Pseudonym("northside", "clinician-3")) {
		t.Error("the claim lost the references of clinicians who were not erased")
	}
	pl.at(time.Now().Add(DefaultSettle + time.Minute))
	s := pl.pass(t)
	if s.Published != 0 || s.Late != 1 {
		t.Errorf("after late data: %+v, want nothing published and one late period", s)
	}
	if got := pl.rows(t, figuresQuery); !slices.Equal(got, published) {
		t.Errorf("a published figure changed:\n%s\nwas\n%s", strings.Join(got, "\n"), strings.Join(published, "\n"))
	}
	if got := pl.rows(t, "SELECT toString(max(late)) FROM REP.late_checkins WHERE team = 'crisis'"); got[0] != "2" {
		t.Errorf("late check-ins counted: %s, want 2", got[0])
	}
	// Replaying every pass changes nothing either.
	pl.pass(t)
	if got := pl.rows(t, figuresQuery); !slices.Equal(got, published) {
		t.Errorf("a repeated pass changed a published figure")
	}
}

// TestReplayGivesIdenticalPublication feeds the same check-ins into two
// fresh pipelines — in order; shuffled, with 10 % duplicates — and gets
// identical published figures and alerts.
func TestReplayGivesIdenticalPublication(t *testing.T) {
	end := figures.Month.Start(time.Now()).AddDate(0, 0, -1)
	cs := simulate.Workforce{Clinics: 3, TeamsPerClinic: 4, MinTeam: 6, MaxTeam: 14, Weeks: 30, PerWeek: 1,
		Instruments: []string{"proqol5", "miniz"}, Deteriorating: 0.3, Seed: 42, End: end}.CheckIns()
	t.Logf("%d check-ins", len(cs))
	msgs := events(t, cs)
	publishAll := func(msgs []*nats.Msg) []string {
		pl := startPipeline(t)
		pl.publish(t, msgs)
		pl.at(time.Now().Add(DefaultSettle + time.Minute))
		if s := pl.pass(t); s.Published == 0 {
			t.Fatal("nothing published")
		}
		return append(pl.rows(t, figuresQuery), pl.rows(t, "SELECT concat(id, ' ', clinic, ' ', team, ' ', instrument, ' ', rule, ' ', toString(period_start), ' ', toString(state)) FROM REP.alerts ORDER BY id")...)
	}
	want := publishAll(msgs)

	rng := rand.New(rand.NewPCG(7, 7))
	shuffled := slices.Clone(msgs)
	for _, i := range rng.Perm(len(msgs))[:len(msgs)/10] {
		dup := nats.NewMsg(msgs[i].Subject)
		dup.Data = msgs[i].Data
		shuffled = append(shuffled, dup) // without its Nats-Msg-Id: stored twice, counted once
	}
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	got := publishAll(shuffled)
	if len(want) < 200 {
		t.Fatalf("only %d published rows", len(want))
	}
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("publication differs at row %d of %d/%d:\n got %s\nwant %s", i, len(got), len(want), got[i], want[i])
			}
		}
		t.Fatalf("publication has %d rows, want %d", len(got), len(want))
	}
}

func roundTo9(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.9f", v), "0"), ".")
}

// TestExpireClaims: claims of periods before the window go, except each
// clinic's latest, which the next period starts from.
func TestExpireClaims(t *testing.T) {
	n := testenv.StartNATS(t)
	ctx := context.Background()
	claims, err := stream.EnsureClaims(ctx, n.JS, stream.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"p.a.miniz.20200106", "p.a.miniz.20200113", "p.a.miniz.20261123", "p.b.proqol5.20200101"} {
		if _, err := claims.Create(ctx, k, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	n1, err := ExpireClaims(ctx, claims, time.Date(2021, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n1 != 2 {
		t.Fatalf("expired %d claims, %v; want 2", n1, err)
	}
	lister, err := claims.ListKeysFiltered(ctx, "p.>")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for k := range lister.Keys() {
		left = append(left, k)
	}
	slices.Sort(left)
	if want := []string{"p.a.miniz.20261123", "p.b.proqol5.20200101"}; !slices.Equal(left, want) {
		t.Errorf("claims left %v, want %v", left, want)
	}
}

// TestParticipationOverTheRoster: a clinic that enrolled its clinicians
// gets participation as respondents ÷ roster, counting those enrolled
// during the period and not those who left before it.
func TestParticipationOverTheRoster(t *testing.T) {
	pl := startPipeline(t)
	week := figures.Week.Start(time.Now()).AddDate(0, 0, -14)
	p := testenv.Pseudonymizer(t)
	var members []clickhouse.Member
	for i := range 10 {
		members = append(members, clickhouse.Member{Clinic: "northside", Team: "crisis", Clinician: p.Pseudonym("northside", fmt.Sprintf("clinician-%d", i)), Enrolled: week.AddDate(0, -1, 0)})
	}
	gone := clickhouse.Member{Clinic: "northside", Team: "crisis", Clinician: p.Pseudonym("northside", "left-long-ago"), Enrolled: week.AddDate(0, -3, 0), Left: week.AddDate(0, -2, 0)}
	if err := pl.store.PutMembers(context.Background(), append(members, gone)...); err != nil {
		t.Fatal(err)
	}
	var cs []checkin.CheckIn
	for i, a := range []int{1, 2, 3, 4, 5, 2} {
		cs = append(cs, checkin.CheckIn{ID: fmt.Sprint("p", i), Clinic: "northside", Team: "crisis", Clinician: fmt.Sprintf("clinician-%d", i),
			SubmittedAt: week.Add(time.Duration(i+1) * time.Hour), Instrument: "miniz", Answers: []int{a}})
	}
	pl.publish(t, events(t, cs))
	pl.waitStored(t, 6)
	pl.at(time.Now().Add(DefaultSettle + time.Minute))
	if s := pl.pass(t); s.Published != 1 {
		t.Fatalf("published %d periods", s.Published)
	}
	if got := pl.rows(t, "SELECT toString(participation) FROM REP.team_periods WHERE team = 'crisis'"); len(got) != 1 || got[0] != "0.6" {
		t.Errorf("participation %v, want 0.6 (6 of the 10 enrolled)", got)
	}
}

// TestPeriodsPublishInOrder: a week that settled while the week before it
// is still receiving check-ins waits for it, so that every period starts
// from the alert state its predecessor left — as a recomputation from
// scratch would — whichever settled first.
func TestPeriodsPublishInOrder(t *testing.T) {
	pl := startPipeline(t)
	older := figures.Week.Start(time.Now()).AddDate(0, 0, -21)
	week := func(start time.Time, prefix string) []checkin.CheckIn {
		var cs []checkin.CheckIn
		for i := range 6 {
			cs = append(cs, checkin.CheckIn{ID: fmt.Sprint(prefix, i), Clinic: "northside", Team: "crisis", Clinician: fmt.Sprintf("clinician-%d", i),
				SubmittedAt: start.Add(time.Duration(i+1) * time.Hour), Instrument: "miniz", Answers: []int{1 + i%5}})
		}
		return cs
	}
	pl.publish(t, events(t, week(older.AddDate(0, 0, 7), "newer-")))
	pl.waitStored(t, 6)
	settled := time.Now()
	time.Sleep(3 * time.Second) // stored_at has whole seconds
	pl.publish(t, events(t, week(older, "older-")))
	pl.waitStored(t, 12)

	pl.at(settled.Add(DefaultSettle + time.Second)) // the newer week settled, the older not
	if s := pl.pass(t); s.Published != 0 || s.Pending != 2 {
		t.Fatalf("pass with the older week unsettled: %+v, want both pending", s)
	}
	pl.at(time.Now().Add(DefaultSettle + time.Minute))
	if s := pl.pass(t); s.Published != 2 {
		t.Fatalf("pass with both settled: %+v, want both published", s)
	}
}

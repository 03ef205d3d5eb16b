package reporting

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/internal/trends"
)

// weekly returns one ProQOL check-in per clinician per week for a team whose
// strain is strain(week).
func weekly(rng *rand.Rand, clinic, team string, clinicians, weeks int, start time.Time, strain func(week int) float64) []checkin.CheckIn {
	var out []checkin.CheckIn
	for w := range weeks {
		for c := range clinicians {
			out = append(out, checkin.CheckIn{
				ID:          fmt.Sprintf("%s-%s-%d-%d", clinic, team, w, c),
				Clinic:      clinic,
				Team:        team,
				Clinician:   fmt.Sprintf("%s-%d", team, c),
				SubmittedAt: start.Add(time.Duration(w)*7*24*time.Hour + time.Duration(c)*time.Hour),
				Instrument:  "proqol5",
				Answers:     simulate.Answers(rng, "proqol5", strain(w)+rng.NormFloat64()*0.03),
			})
		}
	}
	return out
}

// TestAlertsThroughPipeline runs three teams of one clinic through a real
// pipeline: one steady, one whose burnout steps up after 10 weeks, one of
// four clinicians. Only the second alerts; its transitions reach JetStream,
// the alerts table and the gauge; recomputing adds nothing.
func TestAlertsThroughPipeline(t *testing.T) {
	pl := startPipeline(t, trends.DefaultRules())
	rng := rand.New(rand.NewPCG(3, 3))
	const weeks = 16
	monday := time.Now().UTC().Truncate(24 * time.Hour)
	for monday.Weekday() != time.Monday {
		monday = monday.Add(-24 * time.Hour)
	}
	start := monday.Add(-(weeks - 1) * 7 * 24 * time.Hour)
	flat := func(int) float64 { return 0.35 }
	step := func(w int) float64 {
		if w >= 10 {
			return 0.5
		}
		return 0.35
	}
	var cs []checkin.CheckIn
	cs = append(cs, weekly(rng, "northside", "steady", 10, weeks, start, flat)...)
	cs = append(cs, weekly(rng, "northside", "rising", 10, weeks, start, step)...)
	cs = append(cs, weekly(rng, "northside", "tiny", 4, weeks, start, func(int) float64 { return 0.9 })...)
	pl.publish(t, events(t, cs))
	pl.settle(t)

	db := pl.store.Config().ReportingDatabase
	type alert struct {
		Team, Rule, State string
		Week              time.Time
	}
	var alerts []alert
	rows, err := pl.store.Conn().Query(t.Context(), "SELECT team, rule, toString(state), week FROM "+db+".alerts FINAL WHERE retracted = 0 ORDER BY team, rule, week")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a alert
		if err := rows.Scan(&a.Team, &a.Rule, &a.State, &a.Week); err != nil {
			t.Fatal(err)
		}
		alerts = append(alerts, a)
	}
	rows.Close()
	stepWeek := start.Add(10 * 7 * 24 * time.Hour)
	fired := false
	for _, a := range alerts {
		switch {
		case a.Team != "rising":
			t.Errorf("team %s alerted: %+v", a.Team, a)
		case a.Rule == "burnout_rising" && a.State == "firing":
			fired = true
			if a.Week.Before(stepWeek) || a.Week.After(stepWeek.Add(2*7*24*time.Hour)) {
				t.Errorf("burnout_rising fired in week %s, want within 3 weeks of the step in %s", a.Week.Format(time.DateOnly), stepWeek.Format(time.DateOnly))
			}
		}
	}
	if !fired {
		t.Fatalf("burnout_rising never fired for the rising team; alerts: %+v", alerts)
	}
	if n := testenv.Count(t, pl.store, "SELECT count() FROM "+db+".team_weekly FINAL WHERE team = 'tiny' AND (suppressed = 0 OR mean IS NOT NULL OR respondents IS NOT NULL)"); n != 0 {
		t.Errorf("the 4-person team has %d rows with values", n)
	}

	// Every transition is a JetStream event with the alert's id.
	published := pl.nats.StreamMessages(t, stream.Alerts)
	if published != uint64(len(alerts)) {
		t.Errorf("%d alert events on JetStream, %d alert rows", published, len(alerts))
	}
	cons, err := pl.nats.JS.OrderedConsumer(t.Context(), stream.Alerts, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var ev alertEvent
	if err := json.Unmarshal(msg.Data(), &ev); err != nil || ev.ID == "" || ev.Rule == "" || ev.Week == "" || len(ev.Values) == 0 {
		t.Errorf("alert event %s: %+v %v", msg.Data(), ev, err)
	}
	if msg.Subject() != stream.AlertSubject("northside", "rising") {
		t.Errorf("alert on %s", msg.Subject())
	}

	// The gauge shows the latest state of each (clinic, team, rule).
	latest := map[string]string{}
	for _, a := range alerts {
		latest[a.Rule] = a.State
	}
	// A reporter that never computed this clinic (another replica, or this one
	// restarted) sets the gauge from the recorded alerts.
	restarted := New(pl.store, pl.nats.JS, trends.DefaultConfig(), trends.DefaultRules(), WithLogger(quiet))
	restarted.reconcile(t.Context())
	for name, r := range map[string]*Reporter{"computing": pl.reporter, "restarted": restarted} {
		for rule, state := range latest {
			want := 0.0
			if state == "firing" {
				want = 1
			}
			if got := testutil.ToFloat64(r.metrics.alertActive.WithLabelValues("northside", "rising", rule)); got != want {
				t.Errorf("%s reporter: tend_team_alert_active{rule=%s} = %v, want %v", name, rule, got, want)
			}
		}
	}

	// Recomputing the same data yields no new transitions.
	pl.reporter.Mark("northside")
	select {
	case <-pl.reporter.Settled():
	case <-time.After(time.Minute):
		t.Fatal("reporter did not settle")
	}
	if again := pl.nats.StreamMessages(t, stream.Alerts); again != published {
		t.Errorf("recomputing published %d new alert events", again-published)
	}
	if n := testenv.Count(t, pl.store, "SELECT count() FROM "+db+".alerts"); n != uint64(len(alerts)) {
		t.Errorf("recomputing added alert rows: %d, want %d", n, len(alerts))
	}
}

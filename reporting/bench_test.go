package reporting

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
	"github.com/tendhq/tend/internal/trends"
)

// BenchmarkBurstToReporting measures what leadership waits for: with 2,000
// teams and 50,000 clinicians, a burst of 100,000 check-ins is published;
// the benchmark reports the seconds from the processor's last ack until the
// reporting tables reflect every check-in, and the store throughput.
//
//	make bench  (or: go test -run '^$' -bench BurstToReporting -benchtime 1x ./processor/)
func BenchmarkBurstToReporting(b *testing.B) {
	cs := simulate.Workforce{Clinics: 200, TeamsPerClinic: 10, MinTeam: 25, MaxTeam: 25, Weeks: 3, PerWeek: 1,
		Instruments: []string{"proqol5", "miniz"}, Deteriorating: 0.2, Seed: 9}.CheckIns()
	rng := rand.New(rand.NewPCG(9, 9))
	rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	cs = cs[:100_000]
	msgs := events(b, cs)
	for b.Loop() {
		pl := startPipeline(b, trends.DefaultRules())
		start := time.Now()
		pl.publish(b, msgs)
		cons, err := pl.nats.JS.Consumer(context.Background(), stream.Checkins, stream.ProcessorDurable)
		if err != nil {
			b.Fatal(err)
		}
		testenv.Eventually(b, 10*time.Minute, "the processor to ack the burst", func() bool {
			info, err := cons.Info(context.Background())
			return err == nil && info.NumPending == 0 && info.NumAckPending == 0
		})
		lastAck := time.Now()
		select {
		case <-pl.reporter.Settled():
		case <-time.After(10 * time.Minute):
			b.Fatal("reporting never caught up")
		}
		reflected := time.Since(lastAck)
		b.ReportMetric(reflected.Seconds(), "s-last-ack-to-reporting")
		b.ReportMetric(float64(len(cs))/lastAck.Sub(start).Seconds(), "checkins/s-stored")
		b.Logf("%d check-ins stored in %s; reporting reflected them %s after the last ack", len(cs), lastAck.Sub(start).Round(time.Millisecond), reflected.Round(time.Millisecond))
	}
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/figures"
	"github.com/tendhq/tend/internal/simulate"
	"github.com/tendhq/tend/reporting"
)

// CloseWeekOptions size the close-a-week measurement: clinics of teams of
// clinicians answering the weekly Mini-Z every week for Weeks weeks.
type CloseWeekOptions struct {
	Clinics, TeamsPerClinic, TeamSize, Weeks int
}

// Validate names the options out of range; Clinics 0 means no measurement.
func (o CloseWeekOptions) Validate() error {
	if o.Clinics < 0 || o.Weeks < 3 {
		return errors.New("--close-week-clinics must not be negative and --close-week-weeks must be at least 3")
	}
	return nil
}

// DefaultCloseWeek is the scale the reporting issue sets: 50,000 clinicians
// in 2,000 teams, two years of weekly history.
var DefaultCloseWeek = CloseWeekOptions{Clinics: 200, TeamsPerClinic: 10, TeamSize: 25, Weeks: 104}

// CloseWeek measures what publishing one week costs once years of history
// are stored: it loads Weeks−1 weeks of check-ins straight into databases of
// its own, publishes the week before last (so that the alert memory is as
// large as it gets), stores the last week and times the reporter's pass that
// publishes it, with the process's peak RSS during that pass. Its cost
// should follow the week's check-ins and the teams, never the history.
func CloseWeek(ctx context.Context, sys System, opt CloseWeekOptions, out io.Writer) error {
	store, drop, err := scratchStore(ctx, sys.ClickHouse, "_close")
	if err != nil {
		return err
	}
	defer drop()
	bucket := "TEND_BENCH_CLAIMS_" + sys.Tag
	claims, err := sys.JetStream.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("close week: claims bucket: %w", err)
	}
	defer sys.JetStream.DeleteKeyValue(context.WithoutCancel(ctx), bucket)
	p, err := checkin.NewPseudonymizer([]byte(strings.Repeat(sys.Tag+"-close-week-key-", 4)))
	if err != nil {
		return err
	}
	week := func(i int) error { // i weeks before the last full week
		start := figures.Week.Start(time.Now()).AddDate(0, 0, -7*(i+1))
		cs := simulate.Workforce{Clinics: opt.Clinics, TeamsPerClinic: opt.TeamsPerClinic, MinTeam: opt.TeamSize, MaxTeam: opt.TeamSize,
			Weeks: 1, PerWeek: 1, Instruments: []string{"miniz"}, Deteriorating: 0.2, Seed: uint64(i + 1),
			End: start.AddDate(0, 0, 7).Add(time.Minute)}.CheckIns()
		rows, err := scored(cs, p)
		if err != nil {
			return err
		}
		return store.InsertCheckins(ctx, rows)
	}

	begin := time.Now()
	for i := opt.Weeks - 1; i >= 2; i-- {
		if err := week(i); err != nil {
			return fmt.Errorf("close week: history: %w", err)
		}
	}
	fmt.Fprintf(out, "  close a week      history: %d clinicians, %d teams, %d weeks stored in %.0f s\n",
		opt.Clinics*opt.TeamsPerClinic*opt.TeamSize, opt.Clinics*opt.TeamsPerClinic, opt.Weeks-2, time.Since(begin).Seconds())

	// The history is not published (its periods are older than what the
	// reporter looks at): only the two last weeks are.
	time.Sleep(time.Second) // stored_at has whole seconds
	mark, _ := time.Now().UTC().Truncate(time.Second).MarshalText()
	if _, err := claims.Put(ctx, "watermark", mark); err != nil {
		return err
	}
	cfg := reporting.DefaultConfig()
	cfg.PublishAfter = 0
	clock := func() time.Time { return time.Now().Add(cfg.Settle + time.Minute) }
	r := reporting.New(store, claims, sys.JetStream, cfg, reporting.WithClock(clock),
		reporting.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err := week(1); err != nil {
		return err
	}
	if s, err := r.Pass(ctx); err != nil || s.Published != opt.Clinics {
		return fmt.Errorf("close week: publishing the week before: %+v, %v", s, err)
	}
	if err := week(0); err != nil {
		return err
	}

	settle()
	start := time.Now()
	s, err := r.Pass(ctx)
	if err != nil || s.Published != opt.Clinics {
		return fmt.Errorf("close week: %+v, %v", s, err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(out, "                    one week of %d clinics published in %.2f s, peak RSS %d MiB\n",
		opt.Clinics, elapsed.Seconds(), peakRSS()>>20)
	return nil
}

// resetPeakRSS resets the kernel's peak-RSS mark of this process (Linux:
// writing 5 to clear_refs), so that peakRSS measures what follows.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set size in bytes (VmHWM), or 0
// where /proc does not say.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// cpuTime is CPU time used so far: by this process (tend's code, its
// embedded NATS server and the bench's own clients) and by ClickHouse's
// queries, as system.events counts them (background merges are not).
type cpuTime struct{ self, clickhouse time.Duration }

// readCPU reads cpuTime; ClickHouse's through conn (an admin's: it reads
// system.events).
func readCPU(ctx context.Context, conn driver.Conn) (cpuTime, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuTime{}, fmt.Errorf("CPU time: %w", err)
	}
	var us uint64
	q := "SELECT sum(value) FROM system.events WHERE event IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds')"
	if err := conn.QueryRow(ctx, q).Scan(&us); err != nil {
		return cpuTime{}, fmt.Errorf("ClickHouse CPU time: %w", err)
	}
	return cpuTime{
		self:       time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		clickhouse: time.Duration(us) * time.Microsecond,
	}, nil
}

// perItem is the CPU time from before to after per item of n, in µs.
func perItem(before, after cpuTime, n int) (self, clickhouse float64) {
	return float64(after.self-before.self) / float64(n) / 1e3, float64(after.clickhouse-before.clickhouse) / float64(n) / 1e3
}

// settle brings the process to the state every measured phase starts
// from: garbage collected, its free memory returned to the OS, the peak
// RSS mark reset.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
}

// meter measures the phases of a bench run: CPU time read through conn (an
// admin's), merges waited for in the databases whose names hold tag.
type meter struct {
	conn driver.Conn
	tag  string
}

// waitMerged waits, up to a minute, until ClickHouse runs no merge in the
// run's databases: the merges a phase causes would otherwise run on into
// the next one.
func (m meter) waitMerged(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		var merges uint64
		if err := m.conn.QueryRow(ctx, "SELECT count() FROM system.merges WHERE position(database, ?) > 0", m.tag).Scan(&merges); err != nil {
			return fmt.Errorf("wait for ClickHouse's merges: %w", err)
		}
		if merges == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for ClickHouse's merges: %d still running: %w", merges, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// measure adds to p a round of fn handling n items, started with no merge
// running and a settled process.
func (m meter) measure(ctx context.Context, p *phase, n int, fn func() error) error {
	if err := m.waitMerged(ctx); err != nil {
		return err
	}
	settle()
	before, err := readCPU(ctx, m.conn)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	r := round{perSecond: rate(n, start), peakRSS: peakRSS()}
	after, err := readCPU(ctx, m.conn)
	if err != nil {
		return err
	}
	r.self, r.clickhouse = perItem(before, after, n)
	*p = append(*p, r)
	return nil
}

// round is one measurement of a phase.
type round struct {
	perSecond        float64 // items handled a second
	self, clickhouse float64 // CPU per item, µs: this process; ClickHouse's queries
	peakRSS          uint64  // the process's peak RSS during the round, bytes
}

// Figures of a round, for phase.median.
func perSecond(r round) float64     { return r.perSecond }
func selfCPU(r round) float64       { return r.self }
func clickhouseCPU(r round) float64 { return r.clickhouse }

// phase is the rounds of one phase.
type phase []round

// median is the median of a figure over the rounds.
func (p phase) median(figure func(round) float64) float64 {
	xs := make([]float64, len(p))
	for i, r := range p {
		xs[i] = figure(r)
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}

// peakRSS is the highest peak RSS of the rounds, bytes.
func (p phase) peakRSS() uint64 {
	var peak uint64
	for _, r := range p {
		peak = max(peak, r.peakRSS)
	}
	return peak
}

// String is the range of the rounds' rates, e.g. "3 rounds: 61200–70100/s".
func (p phase) String() string {
	lo, hi := p[0].perSecond, p[0].perSecond
	for _, r := range p {
		lo, hi = min(lo, r.perSecond), max(hi, r.perSecond)
	}
	return fmt.Sprintf("%d rounds: %.0f–%.0f/s", len(p), lo, hi)
}

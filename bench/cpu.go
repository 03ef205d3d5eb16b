package bench

import (
	"context"
	"fmt"
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

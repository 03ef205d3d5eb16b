// Package retry holds the waiting between attempts that every stage of tend
// shares: a store or broker outage is waited out with exponential back-off,
// and every wait ends early when the stage is told to stop.
package retry

import (
	"context"
	"time"
)

// Backoff doubles a wait from Min up to Max. The zero value waits Min = 0:
// set both.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next returns the wait before the next attempt and doubles the one after.
func (b *Backoff) Next() time.Duration {
	if b.cur < b.Min {
		b.cur = b.Min
	}
	d := b.cur
	b.cur = min(2*b.cur, b.Max)
	return d
}

// Reset starts again from Min, after a success.
func (b *Backoff) Reset() { b.cur = b.Min }

// Sleep waits for d or until ctx ends; it reports whether d elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

package ingest

import (
	"net/http"
	"strconv"
	"sync"
)

// admission bounds the requests in flight and the body bytes they hold.
type admission struct {
	mu                sync.Mutex
	requests, maxReqs int
	bytes, maxBytes   int64
}

func newAdmission(requests int, bytes int64) *admission {
	return &admission{maxReqs: max(requests, 1), maxBytes: max(bytes, MaxBatchBytes)}
}

// tryAcquire takes one request and n bytes if both are free.
func (a *admission) tryAcquire(n int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.requests+1 > a.maxReqs || a.bytes+n > a.maxBytes {
		return false
	}
	a.requests++
	a.bytes += n
	return true
}

func (a *admission) release(n int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests--
	a.bytes -= n
}

// admit reserves room for r, whose body may hold up to limit bytes, before
// its body is read; without room it answers 503 with Retry-After and
// reports false. The caller calls release when done.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, limit int64) (release func(), ok bool) {
	cost := limit
	if r.ContentLength >= 0 && r.ContentLength < limit {
		cost = r.ContentLength // the server reads no more than it declared
	}
	if !s.inFlight.tryAcquire(cost) {
		s.metrics.overloaded.Inc()
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
		w.Header().Set("Connection", "close") // the unread body is not drained
		encodeError(w, http.StatusServiceUnavailable, "too many requests in progress; retry later", nil)
		return nil, false
	}
	return func() { s.inFlight.release(cost) }, true
}

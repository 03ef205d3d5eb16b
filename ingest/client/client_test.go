package client

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestRetriesA503WithTheSameBody: a 503 is sent again after its
// Retry-After with the same body (the same check-in ids), up to Retries
// times; without Retries it is returned at once.
func TestRetriesA503WithTheSameBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		if len(bodies)%2 == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	body := []byte(`{"id":"0193a2c4-7d1e-7cc0-9a55-2f3b8f1d9e01"}`)
	if status, _, err := (Client{URL: srv.URL, Retries: 3}).Post(t.Context(), "/v1/checkins", body); err != nil || status != http.StatusAccepted {
		t.Fatalf("with retries: %d %v, want 202 after one 503", status, err)
	}
	if len(bodies) != 2 || bodies[0] != string(body) || bodies[1] != string(body) {
		t.Errorf("sent %q, want the same body twice", bodies)
	}
	if status, _, err := (Client{URL: srv.URL}).Post(t.Context(), "/v1/checkins", body); err != nil || status != http.StatusServiceUnavailable || len(bodies) != 3 {
		t.Errorf("without retries: %d %v after %d requests, want the 503 at once", status, err, len(bodies))
	}
}

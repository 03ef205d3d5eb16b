package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestDeadLettersKeptShortly: dead letters, which may hold a raw identifier
// published around ingest, leave after their own window, shorter than the
// check-ins', and a changed window reaches the existing stream.
func TestDeadLettersKeptShortly(t *testing.T) {
	n := testenv.StartNATS(t)
	ctx := context.Background()
	for _, age := range []time.Duration{0, time.Hour} {
		if err := stream.Ensure(ctx, n.JS, stream.Config{DeadLetterMaxAge: age}); err != nil {
			t.Fatal(err)
		}
		s, err := n.JS.Stream(ctx, stream.DeadLetter)
		if err != nil {
			t.Fatal(err)
		}
		want := age
		if want == 0 {
			want = stream.DefaultDeadLetterMaxAge
		}
		if got := s.CachedInfo().Config.MaxAge; got != want {
			t.Errorf("dead letters kept %v, want %v", got, want)
		}
	}
}

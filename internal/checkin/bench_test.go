package checkin_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/testenv"
)

// BenchmarkDecodeEvent measures what the processor does with each message
// before it inserts: decode, validate and score.
func BenchmarkDecodeEvent(b *testing.B) {
	now := time.Now()
	p := testenv.Pseudonymizer(b)
	var msgs [][]byte
	for _, c := range testenv.CheckIns(64, 1, now) {
		data, _ := json.Marshal(checkin.Event{CheckIn: p.Pseudonymize(c), ReceivedAt: c.SubmittedAt})
		msgs = append(msgs, data)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev, err := checkin.DecodeEvent(msgs[i%len(msgs)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ev.Score(now); err != nil {
			b.Fatal(err)
		}
	}
}

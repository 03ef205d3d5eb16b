package stream_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tendhq/tend/internal/stream"
	"github.com/tendhq/tend/internal/testenv"
)

// TestEraseDeadLettersExactly: erasing clinician c-1 deletes the dead letters
// of c-1 (by pseudonym, or by the raw identifier a producer published) and
// of no one else — not c-10…c-19, whose identifiers contain "c-1".
func TestEraseDeadLettersExactly(t *testing.T) {
	n := testenv.StartNATS(t)
	p := testenv.Pseudonymizer(t)
	const clinic = "northside"
	pub := func(clinician string, extra map[string]any) {
		t.Helper()
		ev := map[string]any{"clinic": clinic, "team": "crisis", "clinician": clinician}
		for k, v := range extra {
			ev[k] = v
		}
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.JS.Publish(t.Context(), stream.DeadLetterSubject("invalid"), data); err != nil {
			t.Fatal(err)
		}
	}
	// Erased: c-1's pseudonym, and c-1 published raw around ingest.
	pub(p.Pseudonym(clinic, "c-1"), nil)
	pub("c-1", nil)
	// Kept: everyone else, including identifiers that contain "c-1" and
	// the same raw identifier at another clinic.
	var kept []string
	for i := 10; i < 20; i++ {
		id := fmt.Sprintf("c-%d", i)
		pub(id, nil)
		pub(p.Pseudonym(clinic, id), nil)
		kept = append(kept, id)
	}
	pub("c-2", map[string]any{"note": "mentions c-1 in free text"})
	data, _ := json.Marshal(map[string]any{"clinic": "southside", "team": "crisis", "clinician": "c-1"})
	if _, err := n.JS.Publish(t.Context(), stream.DeadLetterSubject("invalid"), data); err != nil {
		t.Fatal(err)
	}
	before := n.StreamMessages(t, stream.DeadLetter)

	deleted, err := stream.EraseClinician(t.Context(), n.JS, clinic, p.Pseudonym(clinic, "c-1"), "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 2 {
		t.Errorf("deleted %d messages, want 2 (c-1's two dead letters)", deleted)
	}
	if got := n.StreamMessages(t, stream.DeadLetter); got != before-2 {
		t.Errorf("dead-letter stream holds %d messages, want %d", got, before-2)
	}
	s, err := n.JS.Stream(t.Context(), stream.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := s.OrderedConsumer(t.Context(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range n.StreamMessages(t, stream.DeadLetter) {
		msg, err := cons.Next()
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Clinic, Clinician string }
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Clinic == clinic && (ev.Clinician == "c-1" || ev.Clinician == p.Pseudonym(clinic, "c-1")) {
			t.Errorf("an erased dead letter is left: %s", msg.Data())
		}
	}
}

func TestDeadLetterOfNotJSON(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{"clinician=c-1 broken", true},
		{"clinician=c-10 broken", false},
		{"xc-1", false},
		{`{"clinician": "c-1"`, true}, // truncated JSON: token match
		{`{"clinician": "c-12"`, false},
	} {
		if got := stream.DeadLetterOf([]byte(tc.data), "northside", "pseudo", "c-1"); got != tc.want {
			t.Errorf("DeadLetterOf(%q) = %v, want %v", tc.data, got, tc.want)
		}
	}
}

package checkin

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fieldPath is what a client-facing error may name: a check-in field, an
// answer index, a context field, or the body as a whole.
var fieldPath = regexp.MustCompile(`^(body|id|clinic|team|clinician|submitted_at|instrument|answers(\[\d+\])?|context(\.[a-z_]+)?|[A-Za-z0-9_.-]{1,64})$`)

// FuzzDecode feeds arbitrary bytes through what ingest does with a body:
// never a panic, and every rejection is FieldErrors naming a field.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"id":"a","clinic":"north","team":"t","clinician":"c","submitted_at":"2026-11-20T17:05:00Z","instrument":"miniz","answers":[3]}`))
	f.Add([]byte(`{"clinic":"north","team":"t","clinician":"c","submitted_at":"2026-11-20T17:05:00Z","instrument":"cbi","answers":[0,25,50,75,100,0,25,50,75,100,0,25,50,75,100,0,25,50,75],"context":{"sessions":3,"trauma_sessions":4}}`))
	f.Add([]byte(`{"answers":"x"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"submitted_at":12}`))
	f.Add([]byte(`{"context":{"sleep_hours":-1}}`))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data)
		if err == nil {
			_, err = c.Validate(now)
		}
		if err == nil {
			return
		}
		var fe FieldErrors
		if !errors.As(err, &fe) || len(fe) == 0 {
			t.Fatalf("rejection %v is not FieldErrors", err)
		}
		for path, msg := range fe {
			if !fieldPath.MatchString(path) || msg == "" {
				t.Fatalf("rejection names %q: %q", path, msg)
			}
		}
	})
}

func TestPseudonym(t *testing.T) {
	p, err := NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Pseudonym("north", "c-1"), p.Pseudonym("north", "c-1")
	if a != b || len(a) != 64 || !pseudonymPattern.MatchString(a) {
		t.Errorf("pseudonym %q / %q: want stable 64 hex characters", a, b)
	}
	// The separator keeps ("ab", "c") and ("a", "bc") apart.
	if p.Pseudonym("ab", "c") == p.Pseudonym("a", "bc") {
		t.Error("pseudonyms of different (clinic, clinician) pairs collide")
	}
	if _, err := NewPseudonymizer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

// FuzzDecodersAgree: the fast decoders accept exactly what encoding/json
// accepts, with the same result.
func FuzzDecodersAgree(f *testing.F) {
	f.Add([]byte(`{"id":"a","clinic":"north","team":"t","clinician":"c","submitted_at":"2026-11-20T17:05:00Z","instrument":"miniz","answers":[3]}`))
	f.Add([]byte(`{"id":"a","clinic":"north","team":"t","clinician":"c","submitted_at":"2026-11-20T17:05:00Z","instrument":"miniz","answers":[3],"received_at":"2026-11-20T17:05:00.5Z","x":1}`))
	f.Add([]byte(`{"ID":"a","Answers":[1e0, 2],"context":{"sessions":3,"trauma_sessions":null}} `))
	f.Add([]byte(`{"clinic":"\u00e9\ud800","answers":[1,2]} x`))
	// Answers absent, null, empty, given twice, longer than any instrument's:
	// the decoders give answers room beforehand, and must still agree.
	f.Add([]byte(`{"id":"a","instrument":"miniz"}`))
	f.Add([]byte(`{"id":"a","answers":null}`))
	f.Add([]byte(`{"id":"a","answers":[]}`))
	f.Add([]byte(`{"answers":[1,2,3],"answers":[4]}`))
	f.Add([]byte(`{"answers":[` + strings.Repeat("1,", 40) + `1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, fastErr := Decode(data)
		strict, strictErr := decodeStrict(data)
		if (fastErr == nil) != (strictErr == nil) || !reflect.DeepEqual(fast, strict) {
			t.Fatalf("Decode = %+v, %v; encoding/json: %+v, %v", fast, fastErr, strict, strictErr)
		}
		fastEv, fastErr := DecodeEvent(data)
		strictEv, strictErr := decodeEventStrict(data)
		if (fastErr == nil) != (strictErr == nil) || !reflect.DeepEqual(fastEv, strictEv) {
			t.Fatalf("DecodeEvent = %+v, %v; encoding/json: %+v, %v", fastEv, fastErr, strictEv, strictErr)
		}
	})
}

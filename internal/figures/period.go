package figures

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/instrument"
)

// Length is the length of a reporting period: a calendar week or a calendar month,
// both in UTC. The zero value is not a valid length.
type Length uint8

const (
	// Week is the ISO week: Monday 00:00 UTC to the next Monday 00:00 UTC.
	Week Length = iota + 1
	// Month is the calendar month: the 1st 00:00 UTC to the next month's 1st.
	Month
)

// defaultLengths are the period lengths per instrument, chosen to respect each form's
// recall window: the ProQOL 5 asks about the last 30 days, and the CBI and the SCS-SF
// describe a lasting state, so they are reported monthly; the single Mini-Z item is
// reported weekly.
var defaultLengths = map[string]Length{
	"proqol5": Month,
	"cbi":     Month,
	"scssf":   Month,
	"miniz":   Week,
}

// DefaultLength is the period length of the named instrument when the configuration
// does not override it; ok is false for an unknown instrument.
func DefaultLength(instrumentName string) (l Length, ok bool) {
	l, ok = defaultLengths[instrumentName]
	return l, ok
}

// ParseLength parses "week" or "month".
func ParseLength(s string) (Length, error) {
	switch s {
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("period length %q: must be week or month", s)
}

// String is "week" or "month", and "invalid" for any other value.
func (l Length) String() string {
	switch l {
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return "invalid"
}

// Valid reports whether l is Week or Month.
func (l Length) Valid() bool { return l == Week || l == Month }

// MarshalText implements encoding.TextMarshaler ("week", "month").
func (l Length) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("period length %d is invalid", l)
	}
	return []byte(l.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler, accepting what ParseLength does.
func (l *Length) UnmarshalText(b []byte) error {
	v, err := ParseLength(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Start returns the start of the period containing t: for Week the Monday 00:00 UTC
// on or before t (ISO weeks start on Monday), for Month the 1st of t's month 00:00
// UTC. The result is in UTC. Start panics for an invalid length.
func (l Length) Start(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	switch l {
	case Week:
		sinceMonday := (int(t.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
		return time.Date(y, m, d-sinceMonday, 0, 0, 0, 0, time.UTC)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	}
	panic(fmt.Sprintf("figures: invalid period length %d", l))
}

// Next returns the start of the period after the one containing start (so a start
// that is not itself a period start is first moved back to one). Next panics for an
// invalid length.
func (l Length) Next(start time.Time) time.Time {
	s := l.Start(start)
	if l == Week {
		return s.AddDate(0, 0, 7)
	}
	return s.AddDate(0, 1, 0) // s is the 1st: no day-of-month overflow
}

// Lengths overrides the period length per instrument name; instruments it does not
// name keep their DefaultLength. A nil Lengths overrides nothing.
type Lengths map[string]Length

// ParseLengths parses a configuration value such as "miniz=month,cbi=week" (commas
// or whitespace between entries; an empty string overrides nothing). It refuses an
// unknown instrument, an invalid length and an instrument named twice.
func ParseLengths(s string) (Lengths, error) {
	out := Lengths{}
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		name, value, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("period lengths: %q is not instrument=length", entry)
		}
		if _, known := defaultLengths[name]; !known {
			return nil, fmt.Errorf("period lengths: unknown instrument %q (one of %s)", name, strings.Join(instrument.Names(), ", "))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("period lengths: instrument %q named twice", name)
		}
		l, err := ParseLength(value)
		if err != nil {
			return nil, fmt.Errorf("period lengths: %s: %w", name, err)
		}
		out[name] = l
	}
	return out, nil
}

// Of returns the period length of the named instrument: the override if there is
// one, else its DefaultLength. It errs for an unknown instrument or an invalid
// override.
func (o Lengths) Of(instrumentName string) (Length, error) {
	def, ok := DefaultLength(instrumentName)
	if !ok {
		return 0, fmt.Errorf("period length: unknown instrument %q", instrumentName)
	}
	l, set := o[instrumentName]
	if !set {
		return def, nil
	}
	if !l.Valid() {
		return 0, fmt.Errorf("period length of %s: invalid override %d", instrumentName, l)
	}
	return l, nil
}

// String formats the overrides as ParseLengths reads them, in instrument-name order.
func (o Lengths) String() string {
	parts := make([]string, 0, len(o))
	for _, name := range slices.Sorted(maps.Keys(o)) {
		parts = append(parts, name+"="+o[name].String())
	}
	return strings.Join(parts, ",")
}

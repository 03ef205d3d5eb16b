package figures

import (
	"testing"
	"time"

	"github.com/tendhq/tend/internal/instrument"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLengthStartNext(t *testing.T) {
	cases := []struct {
		l               Length
		at, start, next string
	}{
		// ISO weeks start on Monday 00:00 UTC.
		{Week, "2026-11-16T00:00:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"}, // a Monday
		{Week, "2026-11-22T23:59:59Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"}, // the Sunday after
		{Week, "2026-11-20T17:05:00Z", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{Week, "2026-01-01T12:00:00Z", "2025-12-29T00:00:00Z", "2026-01-05T00:00:00Z"}, // ISO week 1 of 2026
		{Week, "2024-02-29T08:00:00Z", "2024-02-26T00:00:00Z", "2024-03-04T00:00:00Z"},
		// A local time is read as the instant it is: Monday 01:00 in UTC+02 is Sunday 23:00 UTC.
		{Week, "2026-11-23T01:00:00+02:00", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{Month, "2026-11-20T17:05:00Z", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"},
		{Month, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{Month, "2026-01-31T10:00:00Z", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
		{Month, "2024-02-29T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{Month, "2026-03-01T00:30:00+01:00", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
	}
	for _, c := range cases {
		start := c.l.Start(utc(c.at))
		if !start.Equal(utc(c.start)) || start.Location() != time.UTC {
			t.Errorf("%s.Start(%s) = %s, want %s UTC", c.l, c.at, start, c.start)
		}
		if next := c.l.Next(start); !next.Equal(utc(c.next)) {
			t.Errorf("%s.Next(%s) = %s, want %s", c.l, start, next, c.next)
		}
		if next := c.l.Next(utc(c.at)); !next.Equal(utc(c.next)) {
			t.Errorf("%s.Next(%s) (not a start) = %s, want %s", c.l, c.at, next, c.next)
		}
	}
	// Consecutive periods tile time: every start is its own Start, and Next is strictly later.
	for _, l := range []Length{Week, Month} {
		s := l.Start(utc("2023-12-25T00:00:00Z"))
		for range 200 {
			n := l.Next(s)
			if !l.Start(n).Equal(n) || !n.After(s) || !l.Start(n.Add(-time.Nanosecond)).Equal(s) {
				t.Fatalf("%s: %s → %s does not tile", l, s, n)
			}
			s = n
		}
	}
}

func TestLengthText(t *testing.T) {
	for _, l := range []Length{Week, Month} {
		b, err := l.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Length
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("round trip of %s: %v, %v", l, back, err)
		}
		if p, err := ParseLength(l.String()); err != nil || p != l {
			t.Errorf("ParseLength(%q) = %v, %v", l, p, err)
		}
	}
	for _, bad := range []string{"", "Week", "weekly", "day", "month "} {
		if _, err := ParseLength(bad); err == nil {
			t.Errorf("ParseLength(%q) accepted", bad)
		}
	}
	var zero Length
	if zero.Valid() || zero.String() != "invalid" {
		t.Errorf("zero Length: valid %v, %q", zero.Valid(), zero)
	}
	if _, err := zero.MarshalText(); err == nil {
		t.Error("zero Length marshalled")
	}
}

func TestDefaultLength(t *testing.T) {
	want := map[string]Length{"proqol5": Month, "cbi": Month, "scssf": Month, "miniz": Week}
	for _, name := range instrument.Names() {
		l, ok := DefaultLength(name)
		if !ok || l != want[name] {
			t.Errorf("DefaultLength(%s) = %v, %v; want %v", name, l, ok, want[name])
		}
	}
	if _, ok := DefaultLength("phq9"); ok {
		t.Error("DefaultLength of an unknown instrument")
	}
}

func TestLengths(t *testing.T) {
	o, err := ParseLengths("miniz=month, cbi=week")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Length{"miniz": Month, "cbi": Week, "proqol5": Month, "scssf": Month} {
		if l, err := o.Of(name); err != nil || l != want {
			t.Errorf("Of(%s) = %v, %v; want %v", name, l, err, want)
		}
	}
	if s := o.String(); s != "cbi=week,miniz=month" {
		t.Errorf("String = %q", s)
	}
	if back, err := ParseLengths(o.String()); err != nil || len(back) != 2 || back["cbi"] != Week {
		t.Errorf("round trip: %v, %v", back, err)
	}
	if empty, err := ParseLengths(""); err != nil || len(empty) != 0 {
		t.Errorf("empty: %v, %v", empty, err)
	}
	var none Lengths
	if l, err := none.Of("miniz"); err != nil || l != Week {
		t.Errorf("nil Lengths: %v, %v", l, err)
	}
	for _, bad := range []string{"miniz", "miniz=day", "phq9=week", "miniz=week,miniz=month", "=week"} {
		if _, err := ParseLengths(bad); err == nil {
			t.Errorf("ParseLengths(%q) accepted", bad)
		}
	}
	if _, err := (Lengths{"miniz": 7}).Of("miniz"); err == nil {
		t.Error("invalid override accepted")
	}
	if _, err := none.Of("phq9"); err == nil {
		t.Error("unknown instrument accepted")
	}
}

package instrument

import (
	"slices"
	"testing"
)

// TestBandsSayWhoseTheyAre: every banded score's bands tile its range, each
// band agrees with BandOf at its lower bound (level and source), and each
// names its source — the
// CBI's low and moderate bands as tend's own, its high band as a
// convention, every other band as published.
func TestBandsSayWhoseTheyAre(t *testing.T) {
	for _, score := range ScoreNames() {
		info, _ := Info(score)
		if !info.Banded {
			if info.Bands != nil {
				t.Errorf("%s: no bands, yet Bands = %v", score, info.Bands)
			}
			continue
		}
		at := info.Min
		for _, b := range info.Bands {
			if b.From != at || b.To <= b.From {
				t.Errorf("%s: band %+v does not follow on from %v", score, b, at)
			}
			if got, _ := BandOf(score, b.From); got.Level != b.Level || got.Source != b.Source {
				t.Errorf("%s: BandOf(%v) = %+v, band says %+v", score, b.From, got, b)
			}
			want := SourcePublished
			if info.Instrument == "cbi" {
				want = map[string]string{LevelLow: SourceTend, LevelModerate: SourceTend, LevelHigh: SourceConvention}[b.Level]
			}
			if b.Source != want {
				t.Errorf("%s: %s band's source = %q, want %q", score, b.Level, b.Source, want)
			}
			at = b.To
		}
		if at != info.Max {
			t.Errorf("%s: bands end at %v, the range at %v", score, at, info.Max)
		}
	}
	miniz, _ := Info("burnout_level")
	if levels := []string{miniz.Bands[0].Level, miniz.Bands[1].Level}; len(miniz.Bands) != 2 || !slices.Equal(levels, []string{LevelLow, LevelHigh}) {
		t.Errorf("Mini-Z bands = %+v, want low and high only", miniz.Bands)
	}
}

package instrument

// Where a band comes from. Only SourcePublished is the instrument's own
// scoring key; the others must be labelled as what they are wherever a band
// is shown.
const (
	SourcePublished  = "published"  // the published scoring key or self-score sheet
	SourceConvention = "convention" // widely used, but its primary source is weak
	SourceTend       = "tend"       // tend's own split, published nowhere
)

// BandInfo is one band of a score, for those who chart or explain it: values
// from From (inclusive) up to To (exclusive; the top band includes the
// score's maximum) are Level, and Source says whose band it is.
type BandInfo struct {
	Level  string  `json:"level"`
	From   float64 `json:"from"`
	To     float64 `json:"to"`
	Source string  `json:"source"`
}

// bands lists d's bands from its lowest, skipping the moderate band of a
// scale that has none (the Mini-Z); nil for a score without bands.
func (d *scoreDef) bands() []BandInfo {
	if d.cut == nil {
		return nil
	}
	c := d.cut
	all := []BandInfo{
		{LevelLow, d.min, c.moderateFrom, c.source[LevelLow]},
		{LevelModerate, c.moderateFrom, c.highFrom, c.source[LevelModerate]},
		{LevelHigh, c.highFrom, d.max, c.source[LevelHigh]},
	}
	var out []BandInfo
	for _, b := range all {
		if b.From < b.To {
			out = append(out, b)
		}
	}
	return out
}

// published marks every level of a scale's bands as the published key's.
func published() map[string]string {
	return map[string]string{LevelLow: SourcePublished, LevelModerate: SourcePublished, LevelHigh: SourcePublished}
}

package wording

import (
	"fmt"
	"strings"
	"testing"
)

// miniz is a wording file in YAML for the Mini-Z, as a clinic writes one
// (the text here is a placeholder, not the form's).
const miniz = `
miniz:
  instructions: Using your own definition of burnout, please choose one.
  items:
    1: "Placeholder wording of the single item"
`

func TestParse(t *testing.T) {
	set, err := Parse([]byte(miniz))
	if err != nil {
		t.Fatal(err)
	}
	if f := set["miniz"]; len(f.Items) != 1 || f.Items[0] != "Placeholder wording of the single item" || f.Instructions == "" {
		t.Errorf("miniz = %+v", f)
	}
	// JSON is read the same, with item numbers as string keys.
	var items []string
	for i := 1; i <= 12; i++ {
		items = append(items, fmt.Sprintf("%q: \"item %d\"", fmt.Sprint(i), i))
	}
	set, err = Parse([]byte(`{"scssf": {"items": {` + strings.Join(items, ", ") + `}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if f := set["scssf"]; len(f.Items) != 12 || f.Items[11] != "item 12" {
		t.Errorf("scssf = %+v", f)
	}
	if got := set.Describe(); got != "scssf (12 items)" {
		t.Errorf("Describe = %q", got)
	}
}

// TestParseErrors: every error names the line, the instrument and the item.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"unknown instrument", "phq9:\n  items: {1: a}\n", "line 1: phq9: unknown instrument (want one of proqol5, scssf, cbi, miniz)"},
		{"item past the form", "miniz:\n  items:\n    1: a\n    2: b\n", "line 4: miniz.items.2: miniz has 1 item"},
		{"missing item", "scssf:\n  items:\n    1: a\n", "line 3: scssf.items.2: scssf item 2 has no wording (the form has 12 items)"},
		{"empty item", "miniz:\n  items:\n    1: \"  \"\n", "miniz.items.1: miniz item 1 has no wording"},
		{"not a number", "miniz:\n  items:\n    one: a\n", "line 3: miniz.items.one: not an item number"},
		{"no items", "miniz:\n  instructions: x\n", "line 2: miniz.items: is required: the wording of miniz's 1 item"},
		{"unknown field", "miniz:\n  item: {1: a}\n", "line 2: miniz.item: unknown field (want instructions or items)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v\nlacks %q", err, c.want)
			}
		})
	}
}

package feedback

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// parseExample parses deploy/feedback.example.yaml.
func parseExample(t *testing.T) *Config {
	t.Helper()
	data, err := os.ReadFile("../../deploy/feedback.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestParseExample(t *testing.T) {
	c := parseExample(t)
	if got := c.Defaults.Suggestions[KindBurnout]; got != builtinTexts[KindBurnout] {
		t.Errorf("defaults keep built-in texts not overridden; burnout = %q", got)
	}
	if got := c.Defaults.Support; len(got) != 1 || got[0].Hours != "Around the clock" {
		t.Errorf("defaults support = %+v", got)
	}
	want := Contact{Name: "Northside staff wellbeing service", URL: "https://intranet.example.org/northside/wellbeing", Hours: "Monday to Friday, 9:00–17:00"}
	if got := c.Clinics["northside"].Support[0]; got != want {
		t.Errorf("northside contact = %+v, want %+v", got, want)
	}
	if _, ok := c.Clinics["riverside"]; !ok {
		t.Error("riverside missing")
	}
}

func TestParseDefaults(t *testing.T) {
	for _, doc := range []string{"", "# nothing\n", "defaults:\nclinics:\n"} {
		c, err := Parse([]byte(doc))
		if err != nil {
			t.Fatalf("Parse(%q): %v", doc, err)
		}
		if !reflect.DeepEqual(c.Defaults, Default().Defaults) {
			t.Errorf("Parse(%q).Defaults = %+v, want Default()", doc, c.Defaults)
		}
	}
	// Default() written out is a valid file that reads back the same.
	data, err := yaml.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(Marshal(Default())): %v\n%s", err, data)
	}
	if !reflect.DeepEqual(c.Defaults, Default().Defaults) {
		t.Errorf("round trip = %+v", c.Defaults)
	}
}

func TestParseKeepsLiteralScalars(t *testing.T) {
	c, err := Parse([]byte("defaults:\n  support:\n    - name: Line\n      phone: 0800 123 456\n    - name: 112\n      phone: 0123\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Defaults.Support; got[0].Phone != "0800 123 456" || got[1].Name != "112" || got[1].Phone != "0123" {
		t.Errorf("support = %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string // each must appear in the error
	}{
		{"syntax", "defaults: [\n", []string{"yaml: "}},
		{"not a mapping", "- a\n", []string{"line 1: (top level): must be a mapping"}},
		{"unknown top-level field", "default:\n  support: []\n", []string{"line 1: default: unknown field (want defaults or clinics)"}},
		{
			"unknown section field", "clinics:\n  northside:\n    contacts: []\n",
			[]string{"line 3: clinics.northside.contacts: unknown field (want suggestions, support or crisis)"},
		},
		{
			"unknown kind", "defaults:\n  suggestions:\n    burnot: Rest.\n",
			[]string{"line 3: defaults.suggestions.burnot: unknown kind (want one of support, burnout,"},
		},
		{"empty text", "defaults:\n  suggestions:\n    burnout: \"\"\n", []string{"line 3: defaults.suggestions.burnout: must not be empty"}},
		{"text not a string", "defaults:\n  suggestions:\n    burnout: [a]\n", []string{"line 3: defaults.suggestions.burnout: must be a string"}},
		{"suggestions not a mapping", "defaults:\n  suggestions: [a]\n", []string{"line 2: defaults.suggestions: must be a mapping"}},
		{"support not a list", "defaults:\n  support:\n    name: EAP\n", []string{"line 3: defaults.support: must be a list"}},
		{
			"contact without name", "clinics:\n  northside:\n    support:\n      - phone: \"1\"\n",
			[]string{"line 4: clinics.northside.support[0].name: is required"},
		},
		{
			"contact with empty name", "clinics:\n  northside:\n    support:\n      - name: \"\"\n",
			[]string{"line 4: clinics.northside.support[0].name: must not be empty"},
		},
		{
			"contact unknown field", "defaults:\n  support:\n    - name: EAP\n      email: a@b\n",
			[]string{"line 4: defaults.support[0].email: unknown field (want name, phone, url or hours)"},
		},
		{
			"relative url", "defaults:\n  support:\n    - name: EAP\n      url: intranet/eap\n",
			[]string{"line 4: defaults.support[0].url: must be an absolute URL"},
		},
		{"duplicate key", "clinics:\n  a: {}\n  a: {}\n", []string{"line 3: clinics.a: duplicate key"}},
		{
			"several at once", "defaults:\n  suggestions:\n    x: y\nclinics:\n  b:\n    support:\n      - url: ftp\n",
			[]string{"line 3: defaults.suggestions.x: unknown kind", "line 7: clinics.b.support[0].url: must be an absolute URL", "clinics.b.support[0].name: is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

// TestResources: the crisis line and contacts are the clinic's, else the
// defaults', else built in — there is always one to show.
func TestResources(t *testing.T) {
	c, err := Parse([]byte(`
defaults:
  crisis: {name: Regional crisis line, phone: "0800 111"}
clinics:
  northside:
    crisis: {name: Northside on-call, phone: "0800 222"}
    support: [{name: Northside wellbeing}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Resources("northside"); r.Crisis.Phone != "0800 222" || r.Contacts[0].Name != "Northside wellbeing" {
		t.Errorf("northside: %+v", r)
	}
	if r := c.Resources("riverside"); r.Crisis.Phone != "0800 111" || r.Contacts[0].Name != builtinSupport[0].Name {
		t.Errorf("riverside: %+v", r)
	}
	if r := (&Config{}).Resources("x"); r.Crisis != builtinCrisis || len(r.Contacts) == 0 {
		t.Errorf("zero config: %+v", r)
	}
}

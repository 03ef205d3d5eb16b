package yamlconf

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type limits struct {
	On     bool               `yaml:"on"`
	Count  int                `yaml:"count"`
	Share  float64            `yaml:"share"`
	Name   string             `yaml:"name,omitempty"`
	Cuts   map[string]float64 `yaml:"cuts"`
	Nested struct {
		Size uint8 `yaml:"size"`
	} `yaml:"nested"`
	Skipped string `yaml:"-"`
}

func defaults() limits {
	l := limits{On: true, Count: 4, Share: 0.3, Name: "base", Cuts: map[string]float64{"a": 1, "b": 2}}
	l.Nested.Size = 7
	return l
}

func TestDecodeOverDefaults(t *testing.T) {
	for _, doc := range []string{"", "# nothing\n", "~\n", "cuts:\n", "nested: ~\ncount: null\n"} {
		l := defaults()
		if _, err := Decode([]byte(doc), &l); err != nil || !reflect.DeepEqual(l, defaults()) {
			t.Errorf("Decode(%q) = %+v, %v; want the defaults", doc, l, err)
		}
	}

	l := defaults()
	lines, err := Decode([]byte("count: 9\ncuts:\n  b: 5\n  c: 0.5\n  a: ~\nname: 0123\nnested:\n  size: 200\n"), &l)
	if err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.Count, want.Name, want.Nested.Size = 9, "0123", 200
	want.Cuts = map[string]float64{"a": 1, "b": 5, "c": 0.5}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("got %+v\nwant %+v", l, want)
	}
	wantLines := Lines{"count": 1, "cuts.b": 3, "cuts.c": 4, "name": 6, "nested.size": 8}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("lines = %v, want %v", lines, wantLines)
	}
}

func TestDecodeNilMap(t *testing.T) {
	var v struct {
		M map[string]int `yaml:"m"`
	}
	if _, err := Decode([]byte("m: {x: 1}\n"), &v); err != nil || v.M["x"] != 1 {
		t.Errorf("got %+v, %v", v, err)
	}
}

func TestDecodeAlias(t *testing.T) {
	l := defaults()
	lines, err := Decode([]byte("count: &n 12\ncuts: &c\n  z: 3\nnested:\n  size: *n\n"), &l)
	if err != nil {
		t.Fatal(err)
	}
	if l.Count != 12 || l.Nested.Size != 12 || l.Cuts["z"] != 3 {
		t.Errorf("got %+v", l)
	}
	if lines["nested.size"] != 1 { // the line of the anchored value
		t.Errorf("lines = %v", lines)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"cont: 1\n", "line 1: cont: unknown key (want one of on, count, share, name, cuts, nested)"},
		{"nested:\n  sise: 1\n", "line 2: nested.sise: unknown key (want one of size)"},
		{"Skipped: x\n", "line 1: Skipped: unknown key"},
		{"count: 1\ncount: 2\n", "line 2: count: duplicate key"},
		{"cuts:\n  a: 1\n  a: 2\n", "line 3: cuts.a: duplicate key"},
		{"on: maybe\n", "line 1: on: must be true or false"},
		{"count: four\n", "line 1: count: must be a whole number"},
		{"count: 1.5\n", "line 1: count: must be a whole number"},
		{"nested:\n  size: 300\n", "line 2: nested.size: must be a whole number"},
		{"share: [1]\n", "line 1: share: must be a number"},
		{"name: {a: b}\n", "line 1: name: must be a string"},
		{"cuts: 3\n", "line 1: cuts: must be a mapping"},
		{"cuts:\n  a: x\n", "line 2: cuts.a: must be a number"},
		{"- 1\n", "line 1: (top level): must be a mapping"},
		{"? [a]\n: 1\n", "line 1: (top level): keys must be non-empty strings"},
		{"count: [\n", "yaml: "},
	}
	for _, tt := range tests {
		l := defaults()
		_, err := Decode([]byte(tt.doc), &l)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
	}

	// Every problem is reported; a bad value keeps its default and the rest decode.
	l := defaults()
	lines, err := Decode([]byte("count: x\nshare: 0.5\ncuts:\n  a: y\n  b: 3\nfoo: 1\n"), &l)
	for _, want := range []string{"line 1: count:", "line 4: cuts.a:", "line 6: foo:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if l.Count != 4 || l.Share != 0.5 || l.Cuts["a"] != 1 || l.Cuts["b"] != 3 {
		t.Errorf("after errors: %+v", l)
	}
	if lines["share"] != 2 {
		t.Errorf("lines after errors = %v", lines)
	}

	if _, err := Decode(nil, l); err == nil {
		t.Error("Decode into a non-pointer: no error")
	}
}

func TestLinesErrorf(t *testing.T) {
	lines := Lines{"a.b": 3}
	if got := lines.Errorf("a.b", "must be %d", 1).Error(); got != "line 3: a.b: must be 1" {
		t.Errorf("known line: %q", got)
	}
	if got := Lines(nil).Errorf("a.c", "bad").Error(); got != "a.c: bad" {
		t.Errorf("unknown line: %q", got)
	}
}

// TestWalk covers the primitives a hand-written walker uses.
func TestWalk(t *testing.T) {
	root, err := Parse([]byte("x: &v |\n  text\nl:\n  - 0800 123\n  - ~\n  - [a]\nm: *v\nx: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	var d Decoder
	got := map[string]string{}
	isMapping := d.Mapping(root, "", func(e Entry) {
		switch e.Key {
		case "l":
			d.Sequence(e.Value, e.Path, func(path string, item *yaml.Node) {
				if s, ok := d.Scalar(item, path); ok {
					got[path] = s
				}
			})
		default:
			got[e.Path], _ = d.Scalar(e.Value, e.Path)
		}
	})
	if !isMapping {
		t.Error("Mapping = false for a mapping")
	}
	want := map[string]string{"x": "text", "l[0]": "0800 123", "l[1]": "", "m": "text"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	wantErr := "line 6: l[2]: must be a string\nline 8: x: duplicate key"
	if err := d.Err(); err == nil || err.Error() != wantErr {
		t.Errorf("Err = %v, want %q", err, wantErr)
	}

	d = Decoder{}
	empty, _ := Parse(nil)
	if d.Mapping(empty, "", func(Entry) { t.Error("fn called for null") }) {
		t.Error("Mapping = true for null")
	}
	d.Sequence(empty, "s", func(string, *yaml.Node) { t.Error("fn called for null") })
	scalar, _ := Parse([]byte("3\n"))
	d.Sequence(scalar, "s", nil)
	if err := d.Err(); err == nil || err.Error() != "line 1: s: must be a list" {
		t.Errorf("Err = %v", err)
	}
}

// FuzzDecode: any document decodes or fails with an error, never a panic, and a
// clean decode leaves no error behind for a value it could not set.
func FuzzDecode(f *testing.F) {
	for _, doc := range []string{"", "count: 9\ncuts:\n  b: 5\n", "a: &x {b: *x}\n", "- 1\n", "count: 1\ncount: 2\n"} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := defaults()
		lines, err := Decode(data, &l)
		if err == nil && lines == nil {
			t.Error("no error and no lines")
		}
	})
}

// Package yamlconf decodes YAML configuration strictly, naming the line and key of
// every problem, e.g. "line 3: burnout_rising.slope_per_week: must be a number".
//
// The configuration files tend reads (alert rules, feedback texts and contacts) are
// edited by hand at a clinic, by people who may never read tend's code. A typo there
// must fail loudly and point at the spot, rather than be ignored or silently win:
// unknown keys, duplicate keys and values of the wrong type are errors, and every
// error is reported, not just the first.
//
// Decode covers plain structs, maps and scalars by yaml tags. For anything else, walk
// the node tree with a Decoder's Mapping, Sequence and Scalar, reporting through
// Errorf in the same style.
package yamlconf

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse parses data as a YAML document and returns its root node; an empty document
// (nothing, or only comments) is null.
func Parse(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, nil
	}
	return doc.Content[0], nil
}

// A Decoder walks a YAML node tree and collects its errors, each naming the line and
// the key path of the offending node ("clinics.northside.support[0].url"); the empty
// path is the document's root, named "(top level)". Aliases are followed, and null is
// an empty mapping or sequence, or an empty string. The zero Decoder is ready to use.
type Decoder struct {
	errs  []error
	lines Lines // set by Decode
}

// Errorf records an error at n's line: "line N: path: message".
func (d *Decoder) Errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("line %d: %s", n.Line, message(path, format, args)))
}

// Err returns every error recorded so far, joined, or nil.
func (d *Decoder) Err() error { return errors.Join(d.errs...) }

// Entry is one key of a mapping, with its YAML path.
type Entry struct {
	Key     string
	Path    string     // the mapping's path, a dot and Key
	KeyNode *yaml.Node // for errors about the key itself, such as an unknown one
	Value   *yaml.Node
}

// Mapping calls fn for each key of the mapping n in document order, and reports
// whether n is a mapping. Null is an empty mapping (fn is not called, and Mapping
// returns false); keys that are not non-empty strings are errors, as are duplicate
// keys, which would otherwise silently win.
func (d *Decoder) Mapping(n *yaml.Node, path string, fn func(Entry)) bool {
	n = resolve(n)
	if isNull(n) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "must be a mapping")
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.Errorf(k, path, "keys must be non-empty strings")
			continue
		}
		e := Entry{Key: k.Value, Path: k.Value, KeyNode: k, Value: n.Content[i+1]}
		if path != "" {
			e.Path = path + "." + k.Value
		}
		if seen[e.Key] {
			d.Errorf(k, e.Path, "duplicate key")
			continue
		}
		seen[e.Key] = true
		fn(e)
	}
	return true
}

// Sequence calls fn for each item of the sequence n with the item's path, such as
// "support[0]"; null is an empty sequence.
func (d *Decoder) Sequence(n *yaml.Node, path string, fn func(path string, item *yaml.Node)) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, path, "must be a list")
		return
	}
	for i, item := range n.Content {
		fn(fmt.Sprintf("%s[%d]", path, i), item)
	}
}

// Scalar returns the literal text of the scalar n, trimmed (a block scalar ends in a
// newline), so that 0800 123 456 or 0123 stays as written; null is "". ok is false,
// and the error recorded, when n is not a scalar.
func (d *Decoder) Scalar(n *yaml.Node, path string) (s string, ok bool) {
	n = resolve(n)
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		d.Errorf(n, path, "must be a string")
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// Lines maps the path of each scalar Decode set to its line, so that a problem found
// later, such as a value out of range, can name its line too.
type Lines map[string]int

// Errorf returns an error in the Decoder's style, "line N: path: message", or
// "path: message" when path's line is not known (its value was not in the document).
func (l Lines) Errorf(path, format string, args ...any) error {
	msg := message(path, format, args)
	if line, ok := l[path]; ok {
		return fmt.Errorf("line %d: %s", line, msg)
	}
	return errors.New(msg)
}

// Decode decodes the YAML document data into v, a non-nil pointer, over v's current
// values, so that these are the defaults: a key missing or null keeps its value, and a
// map (with string keys) is merged into entry by entry. Struct fields are found by
// their yaml tag (the name before any comma); fields without one are not decoded.
// Scalars may be bools, integers, floats and strings; other kinds panic.
//
// The error joins every problem found. Then v still holds each value that did
// decode, and each bad one keeps its former value, so that the caller can go on to
// validate the rest; lines is returned for that too (nil on a YAML syntax error).
func Decode(data []byte, v any) (lines Lines, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("yamlconf: Decode needs a non-nil pointer, got %T", v)
	}
	root, err := Parse(data)
	if err != nil {
		return nil, err
	}
	d := &Decoder{lines: Lines{}}
	d.decode(root, "", rv.Elem())
	return d.lines, d.Err()
}

// decode decodes n into v, which keeps its value where n is null.
func (d *Decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.Mapping(n, path, func(e Entry) {
			f, ok := fieldByTag(v, e.Key)
			if !ok {
				d.Errorf(e.KeyNode, e.Path, "unknown key (want one of %s)", strings.Join(tags(v.Type()), ", "))
				return
			}
			d.decode(e.Value, e.Path, f)
		})
	case reflect.Map:
		d.Mapping(n, path, func(e Entry) {
			key := reflect.ValueOf(e.Key).Convert(v.Type().Key())
			elem := reflect.New(v.Type().Elem()).Elem()
			if old := v.MapIndex(key); old.IsValid() {
				elem.Set(old)
			}
			errs := len(d.errs)
			d.decode(e.Value, e.Path, elem)
			if len(d.errs) > errs {
				return // the entry keeps its former value, if any
			}
			if v.IsNil() {
				v.Set(reflect.MakeMap(v.Type()))
			}
			v.SetMapIndex(key, elem)
		})
	default:
		want := kindName(v.Kind())
		// yaml would truncate 1.5 into an integer, so ask for an integer's tag.
		whole := v.CanInt() || v.CanUint()
		if n.Kind != yaml.ScalarNode || (whole && n.ShortTag() != "!!int") || n.Decode(v.Addr().Interface()) != nil {
			d.Errorf(n, path, "must be %s", want)
			return
		}
		d.lines[path] = n.Line
	}
}

func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	for i := range v.NumField() {
		if tagName(v.Type().Field(i)) == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// tags lists the keys of struct type t in field order.
func tags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := tagName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	panic("yamlconf: cannot decode into a " + k.String())
}

func message(path, format string, args []any) string {
	if path == "" {
		path = "(top level)"
	}
	return path + ": " + fmt.Sprintf(format, args...)
}

// resolve follows aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

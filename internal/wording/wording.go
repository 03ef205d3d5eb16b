// Package wording reads a licensed questionnaire's item text. tend ships no
// item wording — the forms' terms forbid changing it and some forms need a
// licence — so a clinic that holds one provides the text in a file
// (--instrument-text), and the check-in page shows it verbatim; without it
// the page shows item numbers with the response anchors.
package wording

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tendhq/tend/internal/instrument"
	"github.com/tendhq/tend/internal/yamlconf"
)

// Form is the wording of one instrument, as its licensed form prints it.
type Form struct {
	// Instructions are the form's own instructions (optional).
	Instructions string `json:"instructions,omitempty"`
	// Items are the items' text, item 1 first.
	Items []string `json:"items"`
}

// Set is the wording of the instruments a clinic provides, by instrument.
type Set map[string]Form

// Parse reads a wording file, YAML or JSON (JSON is YAML), one entry per
// instrument and item:
//
//	proqol5:
//	  instructions: "…"   # optional
//	  items:
//	    1: "…"
//	    2: "…"
//
// Each instrument named must be one tend scores, with wording for every item
// it has and no other. Every error names the line, the instrument and the
// item, e.g. "line 9: proqol5.items.31: proqol5 has 30 items".
func Parse(data []byte) (Set, error) {
	root, err := yamlconf.Parse(data)
	if err != nil {
		return nil, err
	}
	var p parser
	set := Set{}
	p.Mapping(root, "", func(e yamlconf.Entry) {
		in, ok := instrument.Lookup(e.Key)
		if !ok {
			p.Errorf(e.KeyNode, e.Path, "unknown instrument (want one of %s)", strings.Join(instrument.Names(), ", "))
			return
		}
		set[e.Key] = p.form(e.Value, e.Path, in)
	})
	if err := p.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

type parser struct{ yamlconf.Decoder }

func (p *parser) form(n *yaml.Node, path string, in *instrument.Instrument) Form {
	f := Form{Items: make([]string, in.Items)}
	sawItems := false
	isMapping := p.Mapping(n, path, func(e yamlconf.Entry) {
		switch e.Key {
		case "instructions":
			f.Instructions, _ = p.Scalar(e.Value, e.Path)
		case "items":
			sawItems = true
			p.items(e.Value, e.Path, in, f.Items)
		default:
			p.Errorf(e.KeyNode, e.Path, "unknown field (want instructions or items)")
		}
	})
	if isMapping && !sawItems {
		p.Errorf(n, path+".items", "is required: the wording of %s's %s", in.Name, count(in.Items))
	}
	return f
}

// items fills items from a mapping of item number to text; every item of
// the form must have its wording.
func (p *parser) items(n *yaml.Node, path string, in *instrument.Instrument, items []string) {
	p.Mapping(n, path, func(e yamlconf.Entry) {
		item, err := strconv.Atoi(e.Key)
		switch {
		case err != nil:
			p.Errorf(e.KeyNode, e.Path, "not an item number")
		case item < 1 || item > in.Items:
			p.Errorf(e.KeyNode, e.Path, "%s has %s", in.Name, count(in.Items))
		default:
			items[item-1], _ = p.Scalar(e.Value, e.Path)
			items[item-1] = strings.TrimSpace(items[item-1])
		}
	})
	for i, text := range items {
		if text == "" {
			p.Errorf(n, fmt.Sprintf("%s.%d", path, i+1), "%s item %d has no wording (the form has %s)", in.Name, i+1, count(in.Items))
		}
	}
}

// Describe says what s holds, for a log line: "proqol5 (30 items), miniz (1 item)".
func (s Set) Describe() string {
	var parts []string
	for _, name := range instrument.Names() {
		if f, ok := s[name]; ok {
			parts = append(parts, fmt.Sprintf("%s (%s)", name, count(len(f.Items))))
		}
	}
	return strings.Join(parts, ", ")
}

// count says "1 item" or "n items".
func count(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

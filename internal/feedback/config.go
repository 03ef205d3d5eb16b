package feedback

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Config is the per-clinic feedback configuration, read from YAML:
//
//	defaults:              # applies to every clinic
//	  suggestions:         # kind -> text, overriding the built-in text
//	    burnout: "…"
//	  support:             # contacts when a clinic lists none
//	    - name: "…"
//	      phone: "…"       # optional
//	      url: "https://…" # optional
//	      hours: "…"       # optional
//	clinics:
//	  northside:           # clinic id as in check-ins
//	    suggestions: {…}   # per-kind overrides of the defaults
//	    support: […]       # replaces the default contacts for this clinic
//
// A text is resolved clinic → defaults → built in; contacts likewise, a non-empty list
// winning as a whole. The zero value and Default() give the built-in texts and a
// generic support contact, so every clinic gets good feedback without configuration.
type Config struct {
	Defaults Section            `yaml:"defaults"`
	Clinics  map[string]Section `yaml:"clinics"`
}

// Section holds suggestion texts by kind and support contacts, for the defaults or one
// clinic.
type Section struct {
	Suggestions map[string]string `yaml:"suggestions"`
	Support     []Contact         `yaml:"support"`
}

// builtinTexts are short, kind and concrete, after the practices instruments.md lists.
// They speak to the clinician directly and never judge or diagnose.
var builtinTexts = map[string]string{
	KindSupport: "You don't have to carry this alone. Please consider reaching out to one of the contacts " +
		"below: talking to someone is part of good care, and they are there for exactly this. " +
		"If you ever feel unsafe, contact your local emergency services.",
	KindBurnout: "Protect one boundary this week, such as a real lunch break or a finishing time you keep. " +
		"And put together a small self-soothing toolkit for hard days: a short walk, a favourite piece of music, " +
		"a few minutes of slow breathing.",
	KindSecondaryTraumaticStress: "Hearing about trauma day after day leaves its mark on anyone who cares. " +
		"Bring what stays with you to supervision or consultation, or to your employee assistance programme; " +
		"a workshop in compassion-focused approaches can also help.",
	KindSelfKindness: "When a self-critical thought comes up, try putting it in the words you would offer " +
		"a colleague in the same situation. Writing a few kind lines about one hard moment of your week can help too.",
	KindCommonHumanity: "Struggle and imperfection are part of this work for everyone who does it; " +
		"you are not the only one. Peer consultation or supervision is a good place to share a case that weighs on you.",
	KindMindfulness: "Try a few minutes of mindfulness or loving-kindness meditation. When a strong feeling comes up, " +
		"name it (\"this is frustration\", \"this is sadness\") without pushing it away or turning it up.",
	KindCompassionSatisfaction: "At the end of a day, notice one thing your work made better, however small. " +
		"Sharing it with a colleague helps keep the meaning of this work in view.",
	KindMaintenance: "Thank you for checking in. Whatever is helping you right now (rest, connection, " +
		"small kindnesses to yourself) is worth keeping up, especially in busy weeks.",
}

// builtinSupport names a resource nearly every clinic has, without inventing a phone
// number or address that could be wrong.
var builtinSupport = []Contact{{Name: "Your clinic's employee assistance programme"}}

// Kinds lists every suggestion kind in a stable order.
func Kinds() []string {
	return []string{
		KindSupport, KindBurnout, KindSecondaryTraumaticStress, KindSelfKindness,
		KindCommonHumanity, KindMindfulness, KindCompassionSatisfaction, KindMaintenance,
	}
}

// Default returns the built-in configuration with its texts and contact spelled out,
// e.g. to write a starting file.
func Default() *Config {
	return &Config{Defaults: Section{
		Suggestions: maps.Clone(builtinTexts),
		Support:     slices.Clone(builtinSupport),
	}}
}

// Load reads a YAML configuration file; see Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("feedback config: %w", err)
	}
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("feedback config %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a YAML configuration, rejects unknown fields and kinds, missing contact
// names and malformed URLs — each error naming its line and YAML path, e.g.
// "line 7: clinics.northside.support[0].name: is required" — and merges the defaults
// section over the built-in defaults.
func Parse(data []byte) (*Config, error) {
	c, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("feedback config: %w", err)
	}
	return c, nil
}

func parse(data []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	p := &parser{}
	c := &Config{}
	if len(doc.Content) > 0 {
		p.config(doc.Content[0], c)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	def := Default()
	maps.Copy(def.Defaults.Suggestions, c.Defaults.Suggestions)
	if len(c.Defaults.Support) > 0 {
		def.Defaults.Support = c.Defaults.Support
	}
	def.Clinics = c.Clinics
	return def, nil
}

// text resolves a kind's text for clinic: clinic override, then defaults, then built in.
func (c *Config) text(clinic, kind string) string {
	if t := c.Clinics[clinic].Suggestions[kind]; t != "" {
		return t
	}
	if t := c.Defaults.Suggestions[kind]; t != "" {
		return t
	}
	return builtinTexts[kind]
}

// contacts resolves clinic's support contacts; the result is the caller's to keep.
func (c *Config) contacts(clinic string) []Contact {
	for _, cs := range [][]Contact{c.Clinics[clinic].Support, c.Defaults.Support, builtinSupport} {
		if len(cs) > 0 {
			return slices.Clone(cs)
		}
	}
	return nil
}

// parser walks the YAML node tree by hand, rather than decoding into structs, so that
// every error names the path of the offending node and scalars such as phone numbers
// keep their literal text (0800 123 456 stays a string).
type parser struct{ errs []error }

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("line %d: %s: %s", n.Line, path, fmt.Sprintf(format, args...)))
}

func (p *parser) config(n *yaml.Node, c *Config) {
	p.mapping(n, "", func(e entry) {
		switch e.key {
		case "defaults":
			p.section(e.value, e.path, &c.Defaults)
		case "clinics":
			c.Clinics = map[string]Section{}
			p.mapping(e.value, e.path, func(e entry) {
				var s Section
				p.section(e.value, e.path, &s)
				c.Clinics[e.key] = s
			})
		default:
			p.errorf(e.keyNode, e.path, "unknown field (want defaults or clinics)")
		}
	})
}

func (p *parser) section(n *yaml.Node, path string, s *Section) {
	p.mapping(n, path, func(e entry) {
		switch e.key {
		case "suggestions":
			s.Suggestions = map[string]string{}
			p.mapping(e.value, e.path, func(e entry) {
				if !slices.Contains(Kinds(), e.key) {
					p.errorf(e.keyNode, e.path, "unknown kind (want one of %s)", strings.Join(Kinds(), ", "))
					return
				}
				if t, ok := p.scalar(e.value, e.path); ok && t == "" {
					p.errorf(e.value, e.path, "must not be empty")
				} else if ok {
					s.Suggestions[e.key] = t
				}
			})
		case "support":
			p.sequence(e.value, e.path, func(path string, v *yaml.Node) {
				s.Support = append(s.Support, p.contact(v, path))
			})
		default:
			p.errorf(e.keyNode, e.path, "unknown field (want suggestions or support)")
		}
	})
}

func (p *parser) contact(n *yaml.Node, path string) Contact {
	var c Contact
	named := false // a name key was given, so a problem with it is already reported
	p.mapping(n, path, func(e entry) {
		switch e.key {
		case "name":
			named = true
			var ok bool
			if c.Name, ok = p.scalar(e.value, e.path); ok && c.Name == "" {
				p.errorf(e.value, e.path, "must not be empty")
			}
		case "phone":
			c.Phone, _ = p.scalar(e.value, e.path)
		case "url":
			c.URL, _ = p.scalar(e.value, e.path)
			if c.URL != "" && !absoluteURL(c.URL) {
				p.errorf(e.value, e.path, "must be an absolute URL such as https://… or mailto:…")
			}
		case "hours":
			c.Hours, _ = p.scalar(e.value, e.path)
		default:
			p.errorf(e.keyNode, e.path, "unknown field (want name, phone, url or hours)")
		}
	})
	if !named && deref(n).Kind == yaml.MappingNode {
		p.errorf(n, path+".name", "is required")
	}
	return c
}

// entry is one key of a mapping with its YAML path.
type entry struct {
	key            string
	path           string
	keyNode, value *yaml.Node
}

// mapping calls fn for each key of a mapping node in document order; null is an empty
// mapping. Duplicate keys are errors: the second would silently win.
func (p *parser) mapping(n *yaml.Node, path string, fn func(entry)) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, orRoot(path), "must be a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errorf(k, orRoot(path), "keys must be non-empty strings")
			continue
		}
		e := entry{key: k.Value, path: k.Value, keyNode: k, value: n.Content[i+1]}
		if path != "" {
			e.path = path + "." + k.Value
		}
		if seen[e.key] {
			p.errorf(k, e.path, "duplicate key")
			continue
		}
		seen[e.key] = true
		fn(e)
	}
}

// sequence calls fn for each item of a sequence node with the item's path; null is an
// empty sequence.
func (p *parser) sequence(n *yaml.Node, path string, fn func(path string, v *yaml.Node)) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "must be a list")
		return
	}
	for i, v := range n.Content {
		fn(fmt.Sprintf("%s[%d]", path, i), v)
	}
}

// scalar returns a scalar's literal text, trimmed (block scalars end in a newline);
// null is "". ok is false, and the error recorded, when n is not a scalar.
func (p *parser) scalar(n *yaml.Node, path string) (s string, ok bool) {
	n = deref(n)
	if isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "must be a string")
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// absoluteURL accepts what a clinician can follow: https://host/…, mailto:…, tel:….
func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

// deref follows an alias (*anchor) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func orRoot(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

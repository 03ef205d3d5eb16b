package feedback

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tendhq/tend/internal/yamlconf"
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
//	  crisis:              # the crisis line, shown on every page (a contact)
//	    name: "…"
//	clinics:
//	  northside:           # clinic id as in check-ins
//	    suggestions: {…}   # per-kind overrides of the defaults
//	    support: […]       # replaces the default contacts for this clinic
//	    crisis: {…}        # replaces the default crisis line for this clinic
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
	Crisis      *Contact          `yaml:"crisis"`
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

// builtinCrisis is the crisis line of a clinic that configured none: tend
// cannot know the number where the clinician is, so it names the service.
var builtinCrisis = Contact{Name: "In a crisis, or if you may be in danger: call your local emergency number now"}

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
	crisis := builtinCrisis
	return &Config{Defaults: Section{
		Suggestions: maps.Clone(builtinTexts),
		Support:     slices.Clone(builtinSupport),
		Crisis:      &crisis,
	}}
}

// Parse reads a YAML configuration, rejects unknown fields and kinds, missing contact
// names and malformed URLs — each error naming its line and YAML path, e.g.
// "line 7: clinics.northside.support[0].name: is required" — and merges the defaults
// section over the built-in defaults. The caller names the file.
func Parse(data []byte) (*Config, error) {
	root, err := yamlconf.Parse(data)
	if err != nil {
		return nil, err
	}
	var p parser
	c := &Config{}
	p.config(root, c)
	if err := p.Err(); err != nil {
		return nil, err
	}
	def := Default()
	maps.Copy(def.Defaults.Suggestions, c.Defaults.Suggestions)
	if len(c.Defaults.Support) > 0 {
		def.Defaults.Support = c.Defaults.Support
	}
	if c.Defaults.Crisis != nil {
		def.Defaults.Crisis = c.Defaults.Crisis
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

// Resources are what a clinician can reach at any time, whatever their
// answers: the clinic's support contacts and its crisis line.
type Resources struct {
	Contacts []Contact `json:"contacts"`
	Crisis   Contact   `json:"crisis"`
}

// Resources resolves clinic's support contacts and crisis line (clinic,
// then defaults, then built in); the result is the caller's to keep.
func (c *Config) Resources(clinic string) Resources {
	r := Resources{Contacts: c.contacts(clinic), Crisis: builtinCrisis}
	for _, cr := range []*Contact{c.Clinics[clinic].Crisis, c.Defaults.Crisis} {
		if cr != nil {
			r.Crisis = *cr
			break
		}
	}
	return r
}

// parser walks the YAML node tree with yamlconf's primitives rather than with
// yamlconf.Decode, for what decoding by struct tags cannot do: suggestion kinds,
// contact names and URLs are checked where they stand, each with its own message, and
// scalars such as phone numbers keep their literal text (0800 123 456 stays a string).
type parser struct{ yamlconf.Decoder }

func (p *parser) config(n *yaml.Node, c *Config) {
	p.Mapping(n, "", func(e yamlconf.Entry) {
		switch e.Key {
		case "defaults":
			p.section(e.Value, e.Path, &c.Defaults)
		case "clinics":
			c.Clinics = map[string]Section{}
			p.Mapping(e.Value, e.Path, func(e yamlconf.Entry) {
				var s Section
				p.section(e.Value, e.Path, &s)
				c.Clinics[e.Key] = s
			})
		default:
			p.Errorf(e.KeyNode, e.Path, "unknown field (want defaults or clinics)")
		}
	})
}

func (p *parser) section(n *yaml.Node, path string, s *Section) {
	p.Mapping(n, path, func(e yamlconf.Entry) {
		switch e.Key {
		case "suggestions":
			s.Suggestions = map[string]string{}
			p.Mapping(e.Value, e.Path, func(e yamlconf.Entry) {
				if !slices.Contains(Kinds(), e.Key) {
					p.Errorf(e.KeyNode, e.Path, "unknown kind (want one of %s)", strings.Join(Kinds(), ", "))
					return
				}
				if t, ok := p.Scalar(e.Value, e.Path); ok && t == "" {
					p.Errorf(e.Value, e.Path, "must not be empty")
				} else if ok {
					s.Suggestions[e.Key] = t
				}
			})
		case "support":
			p.Sequence(e.Value, e.Path, func(path string, v *yaml.Node) {
				s.Support = append(s.Support, p.contact(v, path))
			})
		case "crisis":
			crisis := p.contact(e.Value, e.Path)
			s.Crisis = &crisis
		default:
			p.Errorf(e.KeyNode, e.Path, "unknown field (want suggestions, support or crisis)")
		}
	})
}

func (p *parser) contact(n *yaml.Node, path string) Contact {
	var c Contact
	named := false // a name key was given, so a problem with it is already reported
	isMapping := p.Mapping(n, path, func(e yamlconf.Entry) {
		switch e.Key {
		case "name":
			named = true
			var ok bool
			if c.Name, ok = p.Scalar(e.Value, e.Path); ok && c.Name == "" {
				p.Errorf(e.Value, e.Path, "must not be empty")
			}
		case "phone":
			c.Phone, _ = p.Scalar(e.Value, e.Path)
		case "url":
			c.URL, _ = p.Scalar(e.Value, e.Path)
			if c.URL != "" && !absoluteURL(c.URL) {
				p.Errorf(e.Value, e.Path, "must be an absolute URL such as https://… or mailto:…")
			}
		case "hours":
			c.Hours, _ = p.Scalar(e.Value, e.Path)
		default:
			p.Errorf(e.KeyNode, e.Path, "unknown field (want name, phone, url or hours)")
		}
	})
	if isMapping && !named {
		p.Errorf(n, path+".name", "is required")
	}
	return c
}

// absoluteURL accepts what a clinician can follow: https://host/…, mailto:…, tel:….
func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

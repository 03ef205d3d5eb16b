// Package checkin holds tend's v1 check-in contract: the JSON a clinician's app
// submits, the event that travels on JetStream, and the rules both must obey.
//
// Ingest and processor share it so that the processor can re-validate what a
// producer may have published straight to NATS (defense in depth).
package checkin

import (
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/tendhq/tend/internal/instrument"
)

// CheckIn is one clinician's answers to one instrument, as submitted (v1).
//
// On JetStream the same shape travels as an Event: Clinician then holds the
// keyed pseudonym, never the raw identifier.
type CheckIn struct {
	// ID is the idempotency key: a retry with the same ID counts once.
	// Ingest assigns a UUIDv7 when it is absent.
	ID          string    `json:"id"`
	Clinic      string    `json:"clinic"`
	Team        string    `json:"team"`
	Clinician   string    `json:"clinician"`
	SubmittedAt time.Time `json:"submitted_at"`
	Instrument  string    `json:"instrument"`
	Answers     []int     `json:"answers"`
	Context     *Context  `json:"context,omitempty"`
}

// Context is optional information about the clinician's working day. Each
// field is optional on its own.
type Context struct {
	Sessions       *int     `json:"sessions,omitempty"`
	TraumaSessions *int     `json:"trauma_sessions,omitempty"`
	HoursWorked    *float64 `json:"hours_worked,omitempty"`
	SleepHours     *float64 `json:"sleep_hours,omitempty"`
}

// Event is a check-in as it travels from ingest to the processor: the
// clinician identifier replaced by its pseudonym, plus when ingest received it.
type Event struct {
	CheckIn
	ReceivedAt time.Time `json:"received_at"`
}

// MaxFutureSkew is how far in the future submitted_at may lie (clock skew of
// the clinician's device).
const MaxFutureSkew = 5 * time.Minute

// FieldErrors maps a JSON field path ("team", "answers[3]",
// "context.sleep_hours") to what is wrong with it: the error type of every
// validation of a check-in, its instrument's answers included.
type FieldErrors = instrument.FieldErrors

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
)

var (
	// token is a safe NATS subject token: clinic and team become subject parts
	// (tend.checkins.<clinic>.<team>), so no dots, wildcards or spaces:
	// ^[a-z0-9][a-z0-9_-]{0,63}$.
	token = newASCIIRule(1, 64, lower+digits, lower+digits+"_-")
	// idPattern keeps ids printable and short: they travel as Nats-Msg-Id.
	// ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$.
	idPattern = newASCIIRule(1, 64, upper+lower+digits, upper+lower+digits+"._:-")
	// pseudonymPattern is HMAC-SHA256 in lower-case hex: ^[0-9a-f]{64}$.
	pseudonymPattern = newASCIIRule(64, 64, digits+"abcdef", digits+"abcdef")
)

// IsName reports whether s is a valid clinic or team name: what ingest
// accepts, and what may go into a NATS subject or a ClickHouse identifier.
func IsName(s string) bool { return token.MatchString(s) }

// asciiRule is a pattern of the contract — a first byte from one set, the
// others from another, a length within bounds — checked by table instead
// of a regular expression: the processor checks every event, and a
// regexp's match cost about ten times as much.
type asciiRule struct {
	min, max    int
	first, rest [256]bool
}

func newASCIIRule(min, max int, first, rest string) *asciiRule {
	r := &asciiRule{min: min, max: max}
	for i := range len(first) {
		r.first[first[i]] = true
	}
	for i := range len(rest) {
		r.rest[rest[i]] = true
	}
	return r
}

// MatchString reports whether s follows the rule.
func (r *asciiRule) MatchString(s string) bool {
	if len(s) < r.min || len(s) > r.max || !r.first[s[0]] {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !r.rest[s[i]] {
			return false
		}
	}
	return true
}

const (
	tokenRule       = "must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit"
	maxClinicianLen = 256
	// earliest is the earliest submitted_at accepted: ClickHouse DateTime
	// starts in 1970, and no survey export predates 2000.
	earliestYear = 2000
)

// Validate checks a check-in as submitted — required fields, safe clinic and
// team tokens, a plausible submitted_at, context ranges, and the answers
// against their instrument — and returns the instrument's scores. Every
// problem found is reported at once, as FieldErrors.
func (c *CheckIn) Validate(now time.Time) (instrument.Result, error) {
	errs := FieldErrors{}
	if c.Clinician == "" {
		errs["clinician"] = "is required"
	} else if len(c.Clinician) > maxClinicianLen {
		errs["clinician"] = fmt.Sprintf("must be at most %d characters", maxClinicianLen)
	}
	var res instrument.Result
	err := c.validate(errs, now, func() (err error) {
		res, err = instrument.Score(c.Instrument, c.Answers)
		return err
	})
	if err != nil {
		return instrument.Result{}, err
	}
	return res, nil
}

// Score checks an event read from JetStream exactly as ingest checks a
// check-in, and beyond that insists on an id and a pseudonymized clinician: a
// raw identifier published straight to NATS must never reach storage. It
// returns the event with its scores as stored (instrument.Values: no bands,
// no maps), which is all the processor needs.
func (e *Event) Score(now time.Time) (Scored, error) {
	errs := FieldErrors{}
	if e.ID == "" {
		errs["id"] = "is required"
	}
	if !pseudonymPattern.MatchString(e.Clinician) {
		errs["clinician"] = "must be a pseudonym (64 lower-case hex characters), never a raw identifier"
	}
	if e.ReceivedAt.IsZero() {
		errs["received_at"] = "is required"
	}
	var values []float64
	err := e.validate(errs, now, func() (err error) {
		values, err = instrument.Values(e.Instrument, e.Answers)
		return err
	})
	if err != nil {
		return Scored{}, err
	}
	return Scored{Event: *e, Scores: values}, nil
}

// validate adds the rules check-ins and events share to errs, and the
// errors of score (which scores the answers) when the instrument and
// answers are there to score.
func (c *CheckIn) validate(errs FieldErrors, now time.Time, score func() error) error {
	c.validateEnvelope(errs, now)
	if c.Instrument != "" && c.Answers != nil {
		err := score()
		var fe FieldErrors
		switch {
		case errors.As(err, &fe):
			maps.Copy(errs, fe)
		case err != nil:
			errs["answers"] = err.Error()
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (c *CheckIn) validateEnvelope(errs FieldErrors, now time.Time) {
	if c.ID != "" && !idPattern.MatchString(c.ID) {
		errs["id"] = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'"
	}
	for _, f := range [...]struct{ field, v string }{{"clinic", c.Clinic}, {"team", c.Team}} {
		switch {
		case f.v == "":
			errs[f.field] = "is required"
		case !token.MatchString(f.v):
			errs[f.field] = tokenRule
		}
	}
	switch {
	case c.SubmittedAt.IsZero():
		errs["submitted_at"] = "is required (RFC 3339, e.g. 2026-11-20T17:05:00Z)"
	case c.SubmittedAt.After(now.Add(MaxFutureSkew)):
		errs["submitted_at"] = fmt.Sprintf("must not be more than %s in the future", MaxFutureSkew)
	case c.SubmittedAt.Year() < earliestYear:
		errs["submitted_at"] = fmt.Sprintf("must not be before %d", earliestYear)
	}
	if c.Instrument == "" {
		errs["instrument"] = "is required"
	}
	if c.Answers == nil {
		errs["answers"] = "is required"
	}
	if c.Context != nil {
		c.Context.validate(errs)
	}
}

// Context ranges: generous bounds that still catch typos and unit mistakes
// (minutes for hours, a day's total for a week's).
func (x *Context) validate(errs FieldErrors) {
	intRange := func(field string, v *int, max int) {
		if v != nil && (*v < 0 || *v > max) {
			errs["context."+field] = fmt.Sprintf("must be between 0 and %d", max)
		}
	}
	floatRange := func(field string, v *float64, max float64) {
		if v != nil && (*v < 0 || *v > max) {
			errs["context."+field] = fmt.Sprintf("must be between 0 and %g", max)
		}
	}
	intRange("sessions", x.Sessions, 40)
	intRange("trauma_sessions", x.TraumaSessions, 40)
	floatRange("hours_worked", x.HoursWorked, 24)
	floatRange("sleep_hours", x.SleepHours, 24)
	if x.Sessions != nil && x.TraumaSessions != nil && *x.TraumaSessions > *x.Sessions {
		errs["context.trauma_sessions"] = "must not exceed context.sessions"
	}
}

// Scored is an event with the scores its instrument yields, as stored: the
// values of instrument.ScoreOrder(Instrument), in that order.
type Scored struct {
	Event
	Scores []float64
}

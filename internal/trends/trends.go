// Package trends turns clinicians' weekly check-in scores into the team metrics of the
// reporting database and the alert transitions derived from them. It is pure
// computation (apart from reading an alert-rules file): the caller loads observations
// from storage and writes the rows and transitions back.
//
// Two properties shape everything here (design principles 2 and 3):
//
//   - Results depend on the set of observations only. Names are numbered in sorted
//     order, every loop runs in a sorted order and every floating-point sum is taken
//     in a fixed order, so shuffled input gives bit-identical output.
//   - Nothing published lets anyone recover a group of fewer than k clinicians: small
//     groups are suppressed, complementary suppression protects them from subtraction
//     against the clinic total, and every derived metric (rolling mean, slope, EWMA)
//     is computed from published weekly values only.
package trends

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tendhq/tend/internal/instrument"
)

// Observation is one vote: a clinician's latest check-in of one instrument in one ISO
// week. The caller has deduplicated: at most one Observation per clinic, team,
// clinician, week and instrument.
type Observation struct {
	Clinic, Team, Clinician string // Clinician is a pseudonym
	// Week is the Monday 00:00 UTC starting the ISO week. Any instant of the week is
	// accepted and treated as that Monday.
	Week       time.Time
	Instrument string
	// Scores are that check-in's scores by instrument.ScoreNames name. Only the scores
	// of Instrument count; other names and non-finite values are ignored.
	Scores map[string]float64
}

// Config holds the parameters of the team metrics (instruments.md, "Team metrics").
type Config struct {
	MinGroupSize  int     // k: fewest distinct respondents a published value may describe; default 5, never below 3
	Lambda        float64 // EWMA smoothing weight λ, default 0.3
	BaselineWeeks int     // published weeks forming a series' EWMA baseline, default 8
	RollingWeeks  int     // calendar weeks of rolling_mean_4w, default 4
	SlopeWeeks    int     // calendar weeks of slope_8w, default 8
	SlopeMinWeeks int     // published weeks slope_8w needs within its window, default 4
	RosterWeeks   int     // calendar weeks of activity that put a clinician on the roster, default 12
}

// DefaultConfig returns the parameters instruments.md specifies.
func DefaultConfig() Config {
	return Config{
		MinGroupSize:  5,
		Lambda:        0.3,
		BaselineWeeks: 8,
		RollingWeeks:  4,
		SlopeWeeks:    8,
		SlopeMinWeeks: 4,
		RosterWeeks:   12,
	}
}

// Validate reports every parameter out of range, naming it. A group size below 3 is
// refused whatever the deployment asks for: with 2, each of two respondents could
// subtract their own answer and read the other's.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.MinGroupSize < 3 {
		bad("MinGroupSize must be at least 3, got %d", c.MinGroupSize)
	}
	if !(c.Lambda > 0 && c.Lambda <= 1) {
		bad("Lambda must be in (0, 1], got %g", c.Lambda)
	}
	if c.BaselineWeeks < 2 {
		bad("BaselineWeeks must be at least 2 (a standard deviation needs two weeks), got %d", c.BaselineWeeks)
	}
	if c.RollingWeeks < 1 {
		bad("RollingWeeks must be at least 1, got %d", c.RollingWeeks)
	}
	if c.SlopeWeeks < 2 {
		bad("SlopeWeeks must be at least 2, got %d", c.SlopeWeeks)
	}
	if c.SlopeMinWeeks < 2 || c.SlopeMinWeeks > c.SlopeWeeks {
		bad("SlopeMinWeeks must be between 2 and SlopeWeeks (%d), got %d", c.SlopeWeeks, c.SlopeMinWeeks)
	}
	if c.RosterWeeks < 1 {
		bad("RosterWeeks must be at least 1, got %d", c.RosterWeeks)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("trends config: %w", err)
	}
	return nil
}

// ClinicTotal is the Team value of a clinic-wide row. It cannot clash with a real team:
// team tokens start with [a-z0-9].
const ClinicTotal = "_all"

// Row is one reporting row: one score of one team (or the clinic total) in one week.
//
// A row exists when the group has at least one value of the score that week. When it
// is suppressed, every pointer is nil; otherwise Respondents, Mean, Stddev, ShareHigh,
// RollingMean4w and Participation are set, and Slope8w, EWMA, UCL and LCL are set when
// defined (see Compute).
type Row struct {
	Clinic, Team string
	Week         time.Time // Monday 00:00 UTC
	Score        string

	Suppressed  bool
	Respondents *uint32

	Mean, Stddev, ShareHigh, RollingMean4w, Slope8w, EWMA, UCL, LCL, Participation *float64
}

// Compute returns the reporting rows of every clinic in obs, which must hold the
// complete history of each clinic it mentions (baselines and rosters reach back to the
// first week). There is one row per clinic, team, week and score where the team has at
// least one value of that score that week, and one per clinic, week and score for the
// clinic total (Team == ClinicTotal). Rows are sorted by clinic, team (as strings, so
// ClinicTotal sorts after teams starting with a digit and before those starting with a
// letter), week and score name. Compute panics if cfg is invalid: a bad group size must
// never publish anything.
//
// Weekly values of a group (a team, or the clinic total) and a score:
//
//   - respondents: the number of votes. In a team that is its distinct clinicians. The
//     clinic total is the union of its teams' votes, so that it is exactly the sum of
//     its parts: a clinician who checked in for two teams in one week counts once per
//     team (suppression still counts them once, see below).
//   - mean; stddev, the population standard deviation (divides by n: the group is the
//     whole team that week, not a sample); share_high, the fraction of values for
//     which instrument.High holds.
//
// Suppression, per clinic, week and score, with k = cfg.MinGroupSize:
//
//   - A team with fewer than k respondents is suppressed.
//   - Complementary suppression: let S be the suppressed teams (each has at least one
//     respondent, or it would have no row). The clinic total is suppressed when its
//     distinct clinicians number fewer than k, or when S is non-empty and its distinct
//     clinicians number fewer than k. tend hides the clinic total rather than a second
//     team: team trends are what leadership acts on, and one small team must not
//     blank out a large one.
//
// So the clinic total minus the published teams, the only aggregate subtraction can
// produce, always covers 0 or at least k distinct clinicians. A suppressed row has
// every value nil, Respondents included.
//
// Derived values use published weeks only (final suppression decisions), so each is a
// function of published weekly aggregates and no suppressed week leaks through them:
//
//   - rolling_mean_4w: the mean of all values of the published weeks among the
//     trailing cfg.RollingWeeks calendar weeks (w−3…w), i.e. the respondent-weighted
//     mean of their weekly means.
//   - slope_8w: the least-squares slope, in points per week (x in calendar weeks), of
//     the published weekly means among the trailing cfg.SlopeWeeks calendar weeks; nil
//     unless at least cfg.SlopeMinWeeks weeks there are published.
//   - ewma, ucl, lcl: an EWMA chart over the group's published weeks in order, with
//     t the 1-based index among them. The baseline is the first cfg.BaselineWeeks
//     published weeks: μ0 the mean and σ the population standard deviation of their
//     weekly means, σ floored at 1 % of the score's range (instrument.Info) so that a
//     perfectly flat baseline does not alarm on a rounding difference. z_0 = μ0,
//     z_t = λ·x_t + (1−λ)·z_{t−1}, and UCL/LCL = μ0 ± 3σ·√(λ/(2−λ)·(1−(1−λ)^(2t))).
//     All three are nil until the baseline is complete: they are set for t > cfg.BaselineWeeks.
//   - participation: the group's distinct clinicians with any observation that week
//     over its roster, the distinct clinicians with any observation in the trailing
//     cfg.RosterWeeks calendar weeks (w−11…w). It is the same on every score row of the
//     week. It reveals head counts only, never an answer.
func Compute(cfg Config, obs []Observation) []Row {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	// Clinics are independent: they are aggregated in parallel, then each writes its
	// rows into its own stretch of the output, in clinic order.
	names, groups := groupBy(identity(len(obs)), func(i int) string { return obs[i].Clinic })
	clinics := make([]*clinic, len(names))
	parallel(len(names), func(i int) { clinics[i] = newClinic(cfg, names[i], obs, groups[i]) })
	start := make([]int, len(clinics)+1)
	for i, c := range clinics {
		start[i+1] = start[i] + c.rowCount()
	}
	rows := make([]Row, start[len(clinics)])
	parallel(len(clinics), func(i int) {
		clinics[i].rows(rows[start[i]:start[i+1]])
		clinics[i] = nil
	})
	return rows
}

// scoreDefs are the scores Compute reports, sorted by name, which is the row order
// within a week; scoreIndex maps a name to its position.
var scoreDefs, scoreIndex = newScoreTable()

type scoreDef struct {
	name       string
	instrument string
	sigmaFloor float64 // 1 % of the documented range: the least σ an EWMA baseline gets
}

// instrumentScores lists each instrument's scores as positions in scoreDefs.
var instrumentScores = func() map[string][]int {
	m := make(map[string][]int)
	for s, d := range scoreDefs {
		m[d.instrument] = append(m[d.instrument], s)
	}
	return m
}()

func newScoreTable() ([]scoreDef, map[string]int) {
	names := instrument.ScoreNames()
	slices.Sort(names)
	defs := make([]scoreDef, len(names))
	index := make(map[string]int, len(names))
	for i, name := range names {
		info, _ := instrument.Info(name)
		defs[i] = scoreDef{name: name, instrument: info.Instrument, sigmaFloor: (info.Max - info.Min) / 100}
		index[name] = i
	}
	return defs, index
}

const (
	secondsPerDay  = 24 * 60 * 60
	secondsPerWeek = 7 * secondsPerDay
)

// weekNumber numbers ISO weeks consecutively, week 0 starting on Monday 1969-12-29
// (the Unix epoch was a Thursday), so that window arithmetic is integer arithmetic.
func weekNumber(t time.Time) int64 {
	s := t.Unix() + 3*secondsPerDay
	n := s / secondsPerWeek
	if s%secondsPerWeek < 0 {
		n--
	}
	return n
}

// weekStart is the Monday 00:00 UTC of week n.
func weekStart(n int64) time.Time {
	return time.Unix(n*secondsPerWeek-3*secondsPerDay, 0).UTC()
}

// finite reports whether v is usable in a sum.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Package simulate makes realistic synthetic check-ins: clinics, teams of
// clinicians checking in week after week with answers that follow their
// team's strain, some teams deteriorating. The demo of `tend up --demo`, the
// tests and the benchmarks share it.
package simulate

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tendhq/tend/internal/checkin"
	"github.com/tendhq/tend/internal/instrument"
)

// Workforce describes synthetic clinics. The same Workforce gives the same
// check-ins.
type Workforce struct {
	Clinics        int
	TeamsPerClinic int
	// ClinicNames and TeamNames name clinics and teams in order; past the
	// names given they are clinic-NN and team-NN.
	ClinicNames, TeamNames []string
	// MinTeam and MaxTeam bound the clinicians per team.
	MinTeam, MaxTeam int
	Weeks            int
	// PerWeek is the most check-ins a clinician submits in a week (at least
	// one); repeats of an instrument in a week exercise "latest counts".
	PerWeek     int
	Instruments []string // default: every instrument
	// Deteriorating is the share of teams whose strain rises over the weeks.
	Deteriorating float64
	Seed          uint64
	// End is when the last week ends (default: now).
	End time.Time
}

// CheckIns generates the workforce's check-ins in submission order.
func (w Workforce) CheckIns() []checkin.CheckIn {
	rng := rand.New(rand.NewPCG(w.Seed, 11))
	insts := w.Instruments
	if len(insts) == 0 {
		insts = instrument.Names()
	}
	end := w.End
	if end.IsZero() {
		end = time.Now()
	}
	end = end.UTC().Truncate(time.Second).Add(-time.Minute)
	start := end.Add(-time.Duration(w.Weeks) * 7 * 24 * time.Hour)
	var out []checkin.CheckIn
	for c := range w.Clinics {
		for t := range w.TeamsPerClinic {
			size := w.MinTeam + rng.IntN(w.MaxTeam-w.MinTeam+1)
			base := 0.25 + 0.3*rng.Float64()
			rising := rng.Float64() < w.Deteriorating
			for week := range w.Weeks {
				strain := base
				if rising {
					strain += 0.4 * float64(week) / float64(max(w.Weeks-1, 1))
				}
				for clin := range size {
					if rng.Float64() < 0.1 { // skipped this week
						continue
					}
					n := 1 + rng.IntN(max(w.PerWeek, 1))
					for k := range n {
						name := insts[rng.IntN(len(insts))]
						at := start.Add(time.Duration(week)*7*24*time.Hour + time.Duration(rng.IntN(7*24*3600))*time.Second)
						out = append(out, checkin.CheckIn{
							ID:          fmt.Sprintf("w%d-%s-%d-%d-%d-%d-%d", w.Seed, end.Format("20060102"), c, t, week, clin, k),
							Clinic:      nameAt(w.ClinicNames, "clinic", c),
							Team:        nameAt(w.TeamNames, "team", t),
							Clinician:   fmt.Sprintf("c%02d-%02d-%03d", c, t, clin),
							SubmittedAt: at,
							Instrument:  name,
							Answers:     Answers(rng, name, strain),
						})
					}
				}
			}
		}
	}
	return out
}

// nameAt is names[i], or prefix-NN past the names given.
func nameAt(names []string, prefix string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s-%02d", prefix, i)
}

// Flags registers the workforce on fs, with `tend simulate`'s defaults.
func (w *Workforce) Flags(fs *flag.FlagSet) {
	fs.IntVar(&w.Clinics, "clinics", 3, "clinics")
	fs.IntVar(&w.TeamsPerClinic, "teams", 4, "teams per clinic")
	fs.IntVar(&w.MinTeam, "min-team", 3, "fewest clinicians in a team")
	fs.IntVar(&w.MaxTeam, "max-team", 12, "most clinicians in a team")
	fs.IntVar(&w.Weeks, "weeks", 26, "weeks of history, ending today")
	fs.IntVar(&w.PerWeek, "per-week", 2, "most check-ins a clinician submits in a week")
	fs.Float64Var(&w.Deteriorating, "deteriorating", 0.25, "share of teams whose strain rises")
	fs.Func("instruments", "instruments to answer, comma-separated (default: all)", func(s string) error {
		w.Instruments = strings.Split(s, ",")
		return nil
	})
	fs.Uint64Var(&w.Seed, "seed", 1, "random seed")
}

// Validate names what in w is out of range.
func (w Workforce) Validate() error {
	if w.Clinics < 1 || w.TeamsPerClinic < 1 || w.MinTeam < 1 || w.MaxTeam < w.MinTeam || w.Weeks < 1 || w.PerWeek < 1 {
		return errors.New("--clinics, --teams, --weeks, --per-week and --min-team must be at least 1, and --max-team at least --min-team")
	}
	for _, name := range w.Instruments {
		if _, ok := instrument.Lookup(name); !ok {
			return fmt.Errorf("--instruments: unknown instrument %q (known: %s)", name, strings.Join(instrument.Names(), ", "))
		}
	}
	return nil
}

package trends

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/instrument"
)

// randomClinic generates a clinic of 1–6 teams of 1–15 clinicians over up to 20
// weeks, each clinician answering each week with a clinic-wide probability and each
// instrument with probability ½, scored by the real instrument keys. About one
// clinician in ten also works in another team (same pseudonym).
func randomClinic(rng *rand.Rand, clinic string) []Observation {
	type member struct{ team, clin string }
	var members []member
	for t := range 1 + rng.IntN(6) {
		team := fmt.Sprintf("t%d", t)
		for i := range 1 + rng.IntN(15) {
			clin := fmt.Sprintf("%s-c%d", team, i)
			if len(members) > 0 && rng.IntN(10) == 0 {
				clin = members[rng.IntN(len(members))].clin
			}
			if !slices.Contains(members, member{team, clin}) {
				members = append(members, member{team, clin})
			}
		}
	}
	first, weeks := rng.IntN(4), 1+rng.IntN(20)
	answerRate := 0.3 + 0.7*rng.Float64()
	var obs []Observation
	for _, m := range members {
		for w := first; w < first+weeks; w++ {
			if rng.Float64() > answerRate {
				continue
			}
			for _, name := range instrument.Names() {
				if rng.IntN(2) == 0 {
					continue
				}
				in, _ := instrument.Lookup(name)
				answers := make([]int, in.Items)
				for i := range answers {
					answers[i] = in.Allowed[rng.IntN(len(in.Allowed))]
				}
				res, err := instrument.Score(name, answers)
				if err != nil {
					panic(err)
				}
				obs = append(obs, Observation{Clinic: clinic, Team: m.team, Clinician: m.clin, Week: wk(w), Instrument: name, Scores: res.Scores})
			}
		}
	}
	return obs
}

// groupKey names one clinic-week-score.
type groupKey struct {
	clinic, week, score string
}

func TestComputeProperties(t *testing.T) {
	for _, k := range []int{3, 5, 7} {
		t.Run(fmt.Sprint("k=", k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 42))
			var obs []Observation
			for c := range 150 {
				obs = append(obs, randomClinic(rng, fmt.Sprintf("clinic%03d", c))...)
			}
			cfg := cfgK(k)
			rows := Compute(cfg, obs)
			checkRows(t, k, obs, rows)

			shuffled := slices.Clone(obs)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if !reflect.DeepEqual(rows, Compute(cfg, shuffled)) {
				t.Error("shuffled observations give different rows")
			}
			checkNoLeak(t, cfg, obs, rows)
		})
	}
}

// checkRows checks every row against the observations: the row set, its order,
// suppressed ⇔ no values, published ⇒ at least k respondents and the right values, and
// that subtraction against the clinic total recovers no group smaller than k.
func checkRows(t *testing.T, k int, obs []Observation, rows []Row) {
	t.Helper()
	// truth[group][team] = the team's values by clinician.
	truth := map[groupKey]map[string]map[string]float64{}
	for _, o := range obs {
		for s, v := range o.Scores {
			g := groupKey{o.Clinic, o.Week.Format("2006-01-02"), s}
			if truth[g] == nil {
				truth[g] = map[string]map[string]float64{}
			}
			if truth[g][o.Team] == nil {
				truth[g][o.Team] = map[string]float64{}
			}
			truth[g][o.Team][o.Clinician] = v
		}
	}
	wantRows := 0
	for _, teams := range truth {
		wantRows += len(teams) + 1
	}
	if len(rows) != wantRows {
		t.Errorf("%d rows, want %d", len(rows), wantRows)
	}
	if !slices.IsSortedFunc(rows, func(a, b Row) int {
		return strings.Compare(a.Clinic+"\x00"+a.Team+"\x00"+a.Week.Format("2006-01-02")+"\x00"+a.Score,
			b.Clinic+"\x00"+b.Team+"\x00"+b.Week.Format("2006-01-02")+"\x00"+b.Score)
	}) {
		t.Error("rows not sorted by clinic, team, week, score")
	}

	byGroup := map[groupKey]map[string]Row{}
	for _, r := range rows {
		g := groupKey{r.Clinic, r.Week.Format("2006-01-02"), r.Score}
		if byGroup[g] == nil {
			byGroup[g] = map[string]Row{}
		}
		byGroup[g][r.Team] = r

		values := []*float64{r.Mean, r.Stddev, r.ShareHigh, r.RollingMean4w, r.Slope8w, r.EWMA, r.UCL, r.LCL, r.Participation}
		if r.Suppressed {
			if r.Respondents != nil || slices.ContainsFunc(values, func(p *float64) bool { return p != nil }) {
				t.Fatalf("suppressed row with values: %+v", r)
			}
			continue
		}
		if r.Respondents == nil || r.Mean == nil || r.Stddev == nil || r.ShareHigh == nil || r.RollingMean4w == nil || r.Participation == nil {
			t.Fatalf("published row without values: %+v", r)
		}
		if (r.EWMA == nil) != (r.UCL == nil) || (r.EWMA == nil) != (r.LCL == nil) {
			t.Fatalf("EWMA and limits not set together: %+v", r)
		}
		if int(*r.Respondents) < k {
			t.Fatalf("published row with %d < %d respondents: %+v", *r.Respondents, k, r)
		}
		if *r.Participation <= 0 || *r.Participation > 1 {
			t.Fatalf("participation %v", *r.Participation)
		}
		if r.Team != ClinicTotal {
			vals := truth[g][r.Team]
			var sum float64
			for _, v := range vals {
				sum += v
			}
			if int(*r.Respondents) != len(vals) || math.Abs(*r.Mean-sum/float64(len(vals))) > 1e-9 {
				t.Fatalf("row %+v: want %d respondents, mean %v", r, len(vals), sum/float64(len(vals)))
			}
		}
	}

	for g, teams := range truth {
		total, ok := byGroup[g][ClinicTotal]
		if !ok {
			t.Fatalf("%v: no clinic total", g)
		}
		all, hidden := map[string]bool{}, map[string]bool{}
		for team, vals := range teams {
			r, ok := byGroup[g][team]
			if !ok {
				t.Fatalf("%v: no row for team %s", g, team)
			}
			for c := range vals {
				all[c] = true
				if r.Suppressed {
					hidden[c] = true
				}
			}
		}
		if total.Suppressed {
			continue // nothing to subtract from; published teams are each ≥ k
		}
		if len(all) < k {
			t.Fatalf("%v: clinic total published over %d < %d clinicians", g, len(all), k)
		}
		if len(hidden) > 0 && len(hidden) < k {
			t.Fatalf("%v: total − published teams recovers %d < %d clinicians", g, len(hidden), k)
		}
	}
}

// checkNoLeak changes every value hidden in a suppressed team row and checks that no
// published team row changes: derived metrics must not carry suppressed weeks.
func checkNoLeak(t *testing.T, cfg Config, obs []Observation, rows []Row) {
	t.Helper()
	type teamWeekScore struct{ clinic, team, week, score string }
	hidden := map[teamWeekScore]bool{}
	for _, r := range rows {
		if r.Suppressed && r.Team != ClinicTotal {
			hidden[teamWeekScore{r.Clinic, r.Team, r.Week.Format("2006-01-02"), r.Score}] = true
		}
	}
	changed := make([]Observation, len(obs))
	for i, o := range obs {
		changed[i] = o
		changed[i].Scores = map[string]float64{}
		for s, v := range o.Scores {
			if hidden[teamWeekScore{o.Clinic, o.Team, o.Week.Format("2006-01-02"), s}] {
				v += 7
			}
			changed[i].Scores[s] = v
		}
	}
	again := Compute(cfg, changed)
	if len(again) != len(rows) {
		t.Fatalf("%d rows after changing hidden values, want %d", len(again), len(rows))
	}
	for i, r := range rows {
		if r.Team != ClinicTotal && !reflect.DeepEqual(r, again[i]) {
			t.Fatalf("changing suppressed values changed a team row:\n%+v\n%+v", r, again[i])
		}
	}
}

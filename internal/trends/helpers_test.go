package trends

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// week0 is the Monday of the first week in tests: 2026-01-05.
var week0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func wk(n int) time.Time { return week0.AddDate(0, 0, 7*n) }

// votes builds one clinician-week observation per value, clinicians named prefix1,
// prefix2, … in the order of vals.
func votes(clinic, team, prefix string, week int, instr, score string, vals ...float64) []Observation {
	var obs []Observation
	for i, v := range vals {
		obs = append(obs, Observation{
			Clinic: clinic, Team: team, Clinician: fmt.Sprintf("%s%d", prefix, i+1),
			Week: wk(week), Instrument: instr, Scores: map[string]float64{score: v},
		})
	}
	return obs
}

// repeat returns n copies of v.
func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func cfgK(k int) Config {
	c := DefaultConfig()
	c.MinGroupSize = k
	return c
}

// find returns the row of clinic, team, week and score, failing the test if absent.
func find(t *testing.T, rows []Row, clinic, team string, week int, score string) Row {
	t.Helper()
	for _, r := range rows {
		if r.Clinic == clinic && r.Team == team && r.Week.Equal(wk(week)) && r.Score == score {
			return r
		}
	}
	t.Fatalf("no row %s/%s week %d %s", clinic, team, week, score)
	return Row{}
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %.6f", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-9*max(1, math.Abs(want)) {
		t.Errorf("%s = %.12f, want %.12f", what, *got, want)
	}
}

func isNil(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want nil", what, *got)
	}
}

func respondents(r Row) int {
	if r.Respondents == nil {
		return -1
	}
	return int(*r.Respondents)
}

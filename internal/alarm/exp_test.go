package alarm

import (
	"math"
	"os"
	"strconv"
	"testing"
)

func envF(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func TestExperiment(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	monthlyRun := os.Getenv("EXP") == "m"
	cad := weekly
	if monthlyRun {
		cad = monthly
	}
	p, _ := DefaultParamsFor("burnout", map[bool]Cadence{true: Monthly, false: Weekly}[monthlyRun])
	p.RefWeight = envF("REFW", p.RefWeight)
	p.Slack = envF("SLACK", p.Slack)
	p.Fire = envF("FIRE", p.Fire)
	p.ShockFloor = envF("FLOOR", p.ShockFloor)
	p.ShockSD = envF("SHOCK", p.ShockSD)
	p.ShockWeight = envF("SHOCKW", p.ShockWeight)
	p.ShockClip = envF("SCLIP", p.ShockClip)
	p.PhiMax = envF("PHIMAX", p.PhiMax)
	p.Discount = envF("DISC", p.Discount)
	p.MinHistory = int(envF("MINH", float64(p.MinHistory)))
	teams := int(envF("TEAMS", 800))
	scs := append(scenarios, monthShockScenario)
	for _, sc := range scs {
		r := runScenario(sc, cad, p, teams, 3, int(envF("DET", 500)), 1)
		t.Logf("%-16s FA/50y %6.3f (%d in %.0f)  +1SD med %v never %.2f  +0.5SD med %v never %.2f", sc.name,
			50*float64(r.falseAlerts)/r.teamYears, r.falseAlerts, r.teamYears, r.medianUp1, r.neverUp1, r.medianUpHalf, r.neverUpHalf)
	}
}

func TestExpTiming(t *testing.T) {
	if os.Getenv("EXPT") == "" {
		t.Skip()
	}
	p, _ := DefaultParamsFor("burnout", Monthly)
	p.ShockSD = envF("SHOCK", p.ShockSD)
	p.ShockWeight = envF("SHOCKW", p.ShockWeight)
	p.Discount = envF("DISC", p.Discount)
	byYear := make([]int, 6)
	var taus []float64
	for i := range 1000 {
		decs := simTeam(monthShockScenario, monthly, p, uint64(i), 72, -1, 0)
		for j, d := range decs {
			if d.Transition == Firing {
				byYear[j/12]++
			}
			if j == 71 && d.SE > 0 {
				taus = append(taus, d.SE)
			}
		}
	}
	t.Log(byYear)
}

func TestExpZ(t *testing.T) {
	if os.Getenv("EXPZ") == "" {
		t.Skip()
	}
	for _, cad := range []cadence{monthly, weekly} {
		p, _ := DefaultParamsFor("burnout", map[bool]Cadence{true: Monthly, false: Weekly}[cad.perYear == 12])
		p.Discount = envF("DISC", p.Discount)
		p.ShockClip = envF("SCLIP", p.ShockClip)
		p.ShockSD = envF("SHOCK", p.ShockSD)
		p.PhiMax = envF("PHIMAX", p.PhiMax)
		for _, sc := range append(scenarios, monthShockScenario) {
			var n, sz, sz2, lag float64
			for i := range 300 {
				decs := simTeam(sc, cad, p, uint64(i), 3*cad.perYear, -1, 0)
				prev := math.NaN()
				for _, d := range decs {
					if d.Evaluated {
						n++
						sz += d.Z
						sz2 += d.Z * d.Z
						if !math.IsNaN(prev) {
							lag += prev * d.Z
						}
						prev = d.Z
					} else {
						prev = math.NaN()
					}
				}
			}
			t.Logf("%s %-16s mean z %.3f  var z %.3f  lag1 %.3f", cad.name, sc.name, sz/n, sz2/n-(sz/n)*(sz/n), lag/n)
		}
	}
}

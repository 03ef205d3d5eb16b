package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/feedback"
)

// TestConfigFilesNamed: an unreadable or bad alert-rules or feedback file is reported
// with what it is and, for a bad one, its path, line and key.
func TestConfigFilesNamed(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	missing := filepath.Join(dir, "missing.yaml")

	_, _, err := ReportingConfig(Config{MinGroupSize: 5, AlertRules: missing})
	if err == nil || !strings.HasPrefix(err.Error(), "alert rules: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing alert rules: %v", err)
	}
	rules := write("rules.yaml", "burnout_rising:\n  slope_per_week: -1\n")
	_, _, err = ReportingConfig(Config{MinGroupSize: 5, AlertRules: rules})
	if want := "alert rules " + rules + ": line 2: burnout_rising.slope_per_week: must be greater than 0, got -1"; err == nil || err.Error() != want {
		t.Errorf("bad alert rules: %v, want %q", err, want)
	}
	rules = write("good-rules.yaml", "participation_drop:\n  enabled: false\n")
	if _, r, err := ReportingConfig(Config{MinGroupSize: 5, AlertRules: rules}); err != nil || r.ParticipationDrop.Enabled {
		t.Errorf("good alert rules: %+v, %v", r, err)
	}

	if _, err := readConfig("feedback config", missing, feedback.Parse); err == nil || !strings.HasPrefix(err.Error(), "feedback config: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing feedback config: %v", err)
	}
	fb := write("feedback.yaml", "clinics: 3\n")
	_, err = readConfig("feedback config", fb, feedback.Parse)
	if want := "feedback config " + fb + ": line 1: clinics: must be a mapping"; err == nil || err.Error() != want {
		t.Errorf("bad feedback config: %v, want %q", err, want)
	}
}

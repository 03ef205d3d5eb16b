package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tendhq/tend/internal/feedback"
	"github.com/tendhq/tend/internal/wording"
)

// TestConfigFilesNamed: a k below 5 or a bad period length is refused; an unreadable or bad feedback file is reported
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

	if _, err := ReportingConfig(Config{MinGroupSize: 4}); err == nil || !strings.Contains(err.Error(), "at least 5") {
		t.Errorf("k = 4 accepted: %v", err)
	}
	if _, err := ReportingConfig(Config{MinGroupSize: 5, Periods: "miniz=fortnight"}); err == nil || !strings.Contains(err.Error(), "fortnight") {
		t.Errorf("bad --periods accepted: %v", err)
	}
	var err error
	if _, err := readConfig("feedback config", missing, feedback.Parse); err == nil || !strings.HasPrefix(err.Error(), "feedback config: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing feedback config: %v", err)
	}
	fb := write("feedback.yaml", "clinics: 3\n")
	_, err = readConfig("feedback config", fb, feedback.Parse)
	if want := "feedback config " + fb + ": line 1: clinics: must be a mapping"; err == nil || err.Error() != want {
		t.Errorf("bad feedback config: %v, want %q", err, want)
	}
	// A wording file that misses an item stops start, naming instrument and item.
	text := write("wording.yaml", "miniz:\n  items:\n    2: x\n")
	_, err = readConfig("instrument text", text, wording.Parse)
	if want := "instrument text " + text + ": line 3: miniz.items.2: miniz has 1 item"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("bad instrument text: %v, want %q", err, want)
	}
}

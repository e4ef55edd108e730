package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTUINoOutput: tmonbench tui over a folder without output (or none)
// says what to run and exits with status 1 before starting the UI.
func TestTUINoOutput(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "none")} {
		code, _, stderr := tmon(t, "tui", "--out", dir)
		if want := "tmonbench tui: no tmonbench output in " + dir + ": run tmonbench replay FILE first\n"; code != 1 || stderr != want {
			t.Errorf("%s: status %d, stderr %q, want 1 and %q", dir, code, stderr, want)
		}
		if strings.Contains(stderr, "\x1b[") {
			t.Errorf("%s: the UI started", dir)
		}
	}
}

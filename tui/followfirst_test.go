package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFollowShownBeforeFirstPart: a TUI opened on a replay still running
// whose flows folder holds no part yet (the store makes the table's
// folder at the run's start, its first part when a flow ends) showed the
// Flows screen "not loaded", with DuckDB's "No files found that match
// the pattern" on the status line, and kept it after the parts came and
// the replay ended (a trial, lab tcp-mix at --speed realtime: 16 flows
// on disk, none shown until another screen was chosen and Flows again).
// The screen in view is now loaded as its parts come: lab/ftp's 84 flows
// (its replay's flows table, as TestDrillDown counts them).
func TestFollowShownBeforeFirstPart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	staging := filepath.Join(out, fmt.Sprintf(".tmon-run-%d-test", os.Getpid()))
	if err := os.CopyFS(staging, os.DirFS(replayed(t, ftpLab))); err != nil {
		t.Fatal(err)
	}
	flows := filepath.Join(t.TempDir(), "flows")
	if err := os.Rename(filepath.Join(staging, "flows"), flows); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(staging, "flows", "date=__HIVE_DEFAULT_PARTITION__"), 0o755); err != nil {
		t.Fatal(err)
	}
	setRunState(t, staging, true)

	m, press, _ := screenModel(t, out)
	press("2")
	if s := plain(m); strings.Contains(s, "row 1 of") {
		t.Fatalf("Flows of a run with no flows part:\n%s", s)
	}

	// the flows' parts come
	if err := os.RemoveAll(filepath.Join(staging, "flows")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(flows, filepath.Join(staging, "flows")); err != nil {
		t.Fatal(err)
	}
	drive(t, m, outputCheckMsg{})
	if s := plain(m); !strings.Contains(s, "row 1 of 84") || m.e.errMsg != "" {
		t.Fatalf("Flows after its parts came: error %q\n%s", m.e.errMsg, s)
	}
}

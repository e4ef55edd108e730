package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/queries"
)

// TestFollowStagedReplay: a replay writes its run into a staging folder
// inside the output (<out>/.tmon-run-<pid>-XXXX, run.json "running":
// engine/store.BeginRun) and moves it in place when it ends, run.json
// last (Run.Finish). A TUI opened on the output of a first replay read
// the staging folder (queries.Open) but never followed it: the output
// had no run.json of its own, so the check stopped there (59 flows kept
// while 83 were written); at the end the run counted as a new one
// replacing the output: every screen reset, the cursor on row 1. Now the
// run is the staging folder's (its key stays when it moves in), its
// appends are followed, the move reopens the views on the output with
// the cursor on its row, and the status line says what is shown while
// the replay runs.
func TestFollowStagedReplay(t *testing.T) {
	done, more := followPair(t)
	out := filepath.Join(t.TempDir(), "out")
	staging := filepath.Join(out, fmt.Sprintf(".tmon-run-%d-test", os.Getpid()))
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(done, staging); err != nil {
		t.Fatal(err)
	}
	setRunState(t, staging, true)
	if st := queries.State(out); !st.Running || st.Dir != staging {
		t.Fatalf("State: %+v, want a running replay staged in %s", st, staging)
	}

	m, press, expect := screenModel(t, out)
	expect("a staged replay", stagedNote)
	press("2", "down", "down", "down")
	tb := activeTable(t, m)
	if tb.total != 59 {
		t.Fatalf("%d flows, want 59", tb.total)
	}
	sel, line := fmt.Sprint(tb.rows[tb.cur].Values), tb.cur-tb.top

	// the replay writes on
	moveIn(t, m, more, staging, "flows/date=2016-10-15", "flow_counters/date=2016-10-15")
	expect("the staged replay's appends", "of 83", stagedNote)
	tb = activeTable(t, m)
	if got := fmt.Sprint(tb.rows[tb.cur].Values); got != sel {
		t.Fatalf("cursor on %s after the appends, want %s", got, sel)
	}

	// it ends: the tables move in, run.json last
	endStaged(t, staging, out, func() { drive(t, m, outputCheckMsg{}) }) // between the renames: no run.json, nothing done
	drive(t, m, outputCheckMsg{})
	expect("the replay moved in place", "of 83")
	if s := plain(m); strings.Contains(s, stagedNote) || strings.Contains(s, "replaced") {
		t.Fatalf("after the replay ended:\n%s", s)
	}
	abs, _ := filepath.Abs(out)
	if m.e.dbDir != abs {
		t.Fatalf("views read %s, want %s", m.e.dbDir, abs)
	}
	tb = activeTable(t, m)
	if got := fmt.Sprint(tb.rows[tb.cur].Values); got != sel || tb.cur-tb.top != line {
		t.Fatalf("cursor on %s line %d after the move, want %s line %d", got, tb.cur-tb.top, sel, line)
	}
	if !strings.HasPrefix(toString(tb.rows[tb.cur].Key[1]), filepath.ToSlash(abs)+"/flows/") {
		t.Fatalf("row's part file %v, want one under %s/flows", tb.rows[tb.cur].Key[1], abs)
	}
}

// endStaged ends a staged replay as the store does: the run state set
// done, staging's tables moved into out, then (after between, when set)
// its run.json, and staging removed.
func endStaged(t *testing.T, staging, out string, between func()) {
	t.Helper()
	setRunState(t, staging, false)
	ents, err := os.ReadDir(staging)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != queries.ManifestName {
			if err := os.Rename(filepath.Join(staging, e.Name()), filepath.Join(out, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if between != nil {
		between()
	}
	if err := os.Rename(filepath.Join(staging, queries.ManifestName), filepath.Join(out, queries.ManifestName)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(staging); err != nil {
		t.Fatal(err)
	}
}

package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestAppenderSetConfig: a collector's switch-over rewrites run.json at
// once with the configuration in force (hash, text, since when), the run
// still marked running with its PID; Close keeps it; the rest of the
// manifest (command, start) is the first one's.
func TestAppenderSetConfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := OpenAppend(out, Manifest{Command: []string{"tmonbench", "collector"}, ConfigHash: "h1", Config: "v1", Started: started})
	if err != nil {
		t.Fatal(err)
	}
	since := started.Add(time.Hour)
	if err := a.SetConfig("h2", "v2", since); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.ConfigHash != "h2" || m.Config != "v2" || !m.ConfigSince.Equal(since) || m.State != StateRunning || m.PID == 0 ||
		!m.Started.Equal(started) || len(m.Command) != 2 {
		t.Errorf("after SetConfig: %+v", m)
	}
	before := time.Now()
	a.SetFinished(time.Now().UTC())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if m, _ = ReadManifest(out); m.ConfigHash != "h2" || m.Config != "v2" || !m.ConfigSince.Equal(since) || m.State != "" {
		t.Errorf("after Close: %+v", m)
	}
	// finished is what SetFinished gave (the command's wall clock at its
	// end), from Close on, as a replay's run.json has it (a new user found
	// live and collector outputs without one); a restarted collector is
	// running again: no finished until its own end
	if m.Finished.Before(before) || m.Finished.After(time.Now()) {
		t.Errorf("finished %v after Close at %v", m.Finished, before)
	}
	a, err = OpenAppend(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ = ReadManifest(out); !m.Finished.IsZero() || m.State != StateRunning {
		t.Errorf("reopened: finished %v, state %q", m.Finished, m.State)
	}
	a.SetFinished(time.Now().UTC())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if m2, _ := ReadManifest(out); !m2.Finished.After(before) {
		t.Errorf("finished %v after the second Close", m2.Finished)
	}
}

// TestAppenderTables: an appended output's run.json says what its tables
// hold from Close on (it said "tables": null for every live and
// collector output): every table, the rows of every run that appended to
// the folder, counted from the part files' footers.
func TestAppenderTables(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for run, flows := range []int{2, 3} {
		a, err := OpenAppend(out, Manifest{})
		if err != nil {
			t.Fatal(err)
		}
		b := &observe.Batch{Flows: make([]observe.Flow, flows), Events: []observe.Event{{Kind: "probe_start"}}}
		if err := a.Write(b); err != nil {
			t.Fatal(err)
		}
		if m, _ := ReadManifest(out); m.Tables != nil {
			t.Errorf("run %d: tables while running: %v (counted at Close)", run, m.Tables)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != len(observe.Tables) {
		t.Errorf("%d tables in run.json, want every one of %d: %v", len(m.Tables), len(observe.Tables), m.Tables)
	}
	// 2 + 3 flows and one event per run, each Write one part per table
	// with rows, after the schema-only part of every table the first
	// OpenAppend wrote (every view exists from the start)
	if f := m.Tables["flows"]; f.Rows != 5 || f.Files != 3 || f.Bytes <= 0 {
		t.Errorf("flows: %+v, want 5 rows in 3 files", f)
	}
	if e := m.Tables["events"]; e.Rows != 2 || e.Files != 3 {
		t.Errorf("events: %+v, want 2 rows in 3 files", e)
	}
	if o := m.Tables["oneway_loss"]; o.Rows != 0 || o.Files != 1 {
		t.Errorf("oneway_loss: %+v, want 0 rows in its schema-only file", o)
	}
}

// TestAppendTakesNewConfig: a collector restarted on its output records
// the configuration it now runs, not the first process's: a review found
// an output written before probe keys were redacted kept them in clear in
// run.json across an upgraded collector's restart (only a switch-over
// rewrote it), and a restart with an edited config kept the old hash.
// The start and command stay the first process's; the hash's change
// dates ConfigSince at the new start, an unchanged hash keeps it.
func TestAppendTakesNewConfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := OpenAppend(out, Manifest{Command: []string{"tmonbench", "collector"}, ConfigHash: "h1", Config: "probes: [{name: A, key: secret-a}]", Started: started})
	if err != nil {
		t.Fatal(err)
	}
	a.SetFinished(started.Add(time.Minute))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	restarted := started.Add(time.Hour)
	if a, err = OpenAppend(out, Manifest{ConfigHash: "h2", Config: "probes: [{name: A, key: redacted}]", Started: restarted}); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.ConfigHash != "h2" || m.Config != "probes: [{name: A, key: redacted}]" || !m.ConfigSince.Equal(restarted) || !m.Started.Equal(started) || len(m.Command) != 2 {
		t.Errorf("restarted: %+v", m)
	}
	if b, _ := os.ReadFile(filepath.Join(out, ManifestName)); strings.Contains(string(b), "secret-a") {
		t.Errorf("run.json still holds the key:\n%s", b)
	}
	a.SetFinished(restarted.Add(time.Minute))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if a, err = OpenAppend(out, Manifest{ConfigHash: "h2", Config: "probes: [{name: A, key: redacted}]", Started: restarted.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if m, _ = ReadManifest(out); !m.ConfigSince.Equal(restarted) {
		t.Errorf("the same config moved config_since to %v", m.ConfigSince)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}

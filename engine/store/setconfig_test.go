package store

import (
	"path/filepath"
	"testing"
	"time"
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

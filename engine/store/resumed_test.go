package store

import (
	"path/filepath"
	"testing"
	"time"
)

// TestResumedStart: a collector restarted on its output keeps the output's
// first start in run.json's started and says when the process writing it
// now started in resumed (a trial: query's "still running (pid N, started
// T)" gave the first, killed process's T beside the new pid).
func TestResumedStart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "coll")
	first, second := time.Unix(1700000000, 0).UTC(), time.Unix(1700000600, 0).UTC()
	a, err := OpenAppend(out, Manifest{Mode: ModeCollector, Started: first})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if m, err := ReadManifest(out); err != nil || !m.Started.Equal(first) || !m.Resumed.IsZero() {
		t.Fatalf("first run: started %v resumed %v (%v); want %v and none", m.Started, m.Resumed, err, first)
	}
	b, err := OpenAppend(out, Manifest{Mode: ModeCollector, Started: second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if m, err := ReadManifest(out); err != nil || !m.Started.Equal(first) || !m.Resumed.Equal(second) {
		t.Errorf("restarted: started %v resumed %v (%v); want %v and %v", m.Started, m.Resumed, err, first, second)
	}
}

package store

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestOtherModeRefused: a replay refuses a collector's output and a
// collector refuses a replay's, with a message that says which (not "not a
// tmonbench output", which it is), naming the command refused (a merge
// was told "a replay will not replace it").
func TestOtherModeRefused(t *testing.T) {
	dir := t.TempDir()
	coll := filepath.Join(dir, "coll")
	app, err := OpenAppend(coll, Manifest{Mode: ModeCollector})
	if err != nil {
		t.Fatal(err)
	}
	app.Close()
	_, err = BeginRun(coll, testManifest())
	if !errors.Is(err, ErrOtherMode) || errors.Is(err, ErrNotRunDir) || !strings.Contains(err.Error(), "is the output of tmonbench collector") || strings.Contains(err.Error(), "not a tmonbench output") {
		t.Errorf("replay into a collector's output: %v", err)
	}
	if !strings.Contains(err.Error(), "; tmonbench replay will not replace it") {
		t.Errorf("replay into a collector's output: %v", err)
	}
	if _, err = BeginRun(coll, Manifest{Mode: "merge"}); !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "; tmonbench merge will not replace it") {
		t.Errorf("merge into a collector's output: %v", err)
	}
	rep := filepath.Join(dir, "rep")
	r, err := BeginRun(rep, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	_, err = OpenAppend(rep, Manifest{Mode: ModeCollector})
	if !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "is the output of tmonbench replay") {
		t.Errorf("collector into a replay's output: %v", err)
	}
}

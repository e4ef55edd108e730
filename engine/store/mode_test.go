package store

import (
	"errors"
	"path/filepath"
	"slices"
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

// TestIrreplaceableRefused: a new-user trial replayed a capture into the
// folder of its live capture (`--out` defaults to ./tmon-out for both)
// and lost the live tables without a word, though a collector's output
// was already refused; a second live run into it removed them too. The
// outputs of a collector and of a live run hold observations no capture
// file stands behind: replay, merge and live refuse them (ErrOtherMode,
// the folder untouched); a replay's output is still replaced by all three.
func TestIrreplaceableRefused(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live")
	a, err := OpenReplace(live, Manifest{Mode: ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	coll := filepath.Join(dir, "coll")
	if a, err = OpenAppend(coll, Manifest{Mode: ModeCollector}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	for _, out := range []struct{ dir, mode string }{{live, "live"}, {coll, "collector"}} {
		before := listTree(t, out.dir)
		for _, by := range []string{ModeReplay, "merge"} {
			_, err := BeginRun(out.dir, Manifest{Mode: by})
			if !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "is the output of tmonbench "+out.mode+" (") || !strings.Contains(err.Error(), "tmonbench "+by+" will not replace it") {
				t.Errorf("%s into a %s output: %v", by, out.mode, err)
			}
		}
		_, err := OpenReplace(out.dir, Manifest{Mode: ModeLive})
		if !errors.Is(err, ErrOtherMode) || !strings.Contains(err.Error(), "tmonbench live will not replace it") {
			t.Errorf("live into a %s output: %v", out.mode, err)
		}
		// A second live run into a live run's output is the same command,
		// not "another" (the fourth new-user trial read it so).
		if want := "store: refusing to write into an existing tmonbench output: " + out.dir + " is the output of tmonbench " + out.mode + " ("; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("live into a %s output: %v, want it to begin %q", out.mode, err, want)
		}
		if after := listTree(t, out.dir); !slices.Equal(after, before) {
			t.Errorf("the %s output changed:\n%s\nwas\n%s", out.mode, after, before)
		}
	}
	rep := filepath.Join(dir, "rep")
	replay := func() {
		r, err := BeginRun(rep, testManifest())
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Finish(); err != nil {
			t.Fatal(err)
		}
	}
	replay()
	replay()                                                             // a replay's output is replaced by a replay
	if a, err = OpenReplace(rep, Manifest{Mode: ModeLive}); err != nil { // and by live
		t.Fatal(err)
	}
	a.Close()
}

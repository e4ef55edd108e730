package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// watchedFile writes text to path and starts a switcher on it (the file
// loaded as the running version), closed at the test's end.
func watchedFile(t *testing.T, path, text string) *switcher {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return watchedConfig(t, path)
}

// watchedConfig starts a switcher on the config at path (loaded as the running
// version), closed at the test's end.
func watchedConfig(t *testing.T, path string) *switcher {
	t.Helper()
	cfg, err := acceptConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := watchConfig(path, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sw.close)
	return sw
}

// waitEvent returns the watcher's events up to the first of kind (a
// minute only bounds a hang: the watcher settles 100 ms after an edit).
func waitEvent(t *testing.T, sw *switcher, kind string) []pendingEvent {
	t.Helper()
	var got []pendingEvent
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, e := range sw.drainEvents() {
			if got = append(got, e); e.Kind == kind {
				return got
			}
		}
	}
	t.Fatalf("no %s event within a minute; events: %+v", kind, got)
	return nil
}

// TestSwitchKeyOnlyEdit: a version whose only change is a probe's key
// (config.Hash leaves keys out) is a new version, accepted and due with
// its key, and rotating the key back is one again (a trial's collector
// kept the old keys and refused every PDU, "bad tag", until restarted).
func TestSwitchKeyOnlyEdit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	const v = "interval_s: 10\nprobes: [{name: A, key: %q}]\n"
	sw := watchedFile(t, path, strings.Replace(v, "%q", `"k1"`, 1))
	for _, key := range []string{"k2", "k1"} {
		os.WriteFile(path, []byte(strings.Replace(v, "%q", `"`+key+`"`, 1)), 0o644)
		ev := waitEvent(t, sw, "config_accepted")
		if m := ev[len(ev)-1].Message; !strings.Contains(m, "validated (probe keys changed): takes effect at once") {
			t.Errorf("key %s: config_accepted %q", key, m)
		}
		next := sw.due(time.Now().UnixNano())
		if next == nil || string(next.ProbeKey("A")) != key {
			t.Fatalf("key %s: the version due is %v", key, next)
		}
	}
}

// TestSwitchEmptyFileRejected: an empty, blank or comments-only file
// written during a run is rejected as a start refuses it (config.Parse),
// and the running version stays: nothing is due. The comments-only file
// was accepted, its classes the default ones.
func TestSwitchEmptyFileRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	sw := watchedFile(t, path, "interval_s: 10\n")
	for _, text := range []string{"", " \n\n\t\n", "# interval_s: 20\n"} {
		os.WriteFile(path, []byte(text), 0o644)
		ev := waitEvent(t, sw, "config_rejected")
		if m := ev[len(ev)-1].Message; m != "new version rejected: "+path+": empty: no setting, no class (only blanks or comments): write the settings that change the default, or leave the file out to run the default (tmonbench config prints it): the running configuration goes on" {
			t.Errorf("%q: config_rejected %q", text, m)
		}
		if c := sw.due(time.Now().UnixNano()); c != nil {
			t.Errorf("%q: version %s due", text, c.Hash())
		}
	}
}

// TestSwitchSuperseded: a version accepted to take effect later, replaced
// before it does, is said to be (config_superseded), and so is one
// replaced by the running version written back.
func TestSwitchSuperseded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	running := "interval_s: 10\n"
	sw := watchedFile(t, path, running)
	later := "valid_from: 2099-01-01T00:00:00Z\n"
	os.WriteFile(path, []byte(later+"interval_s: 20\n"), 0o644)
	waitEvent(t, sw, "config_accepted")
	x := sw.pending.Hash()
	os.WriteFile(path, []byte(later+"interval_s: 30\n"), 0o644)
	ev := waitEvent(t, sw, "config_superseded")
	y := sw.pending.Hash()
	want := "configuration " + x + ` (valid_from "2099-01-01T00:00:00Z") replaced by configuration ` + y + " before it took effect: it never will"
	if m := ev[len(ev)-1].Message; m != want {
		t.Errorf("config_superseded %q, want %q", m, want)
	}
	os.WriteFile(path, []byte(running), 0o644)
	ev = waitEvent(t, sw, "config_superseded")
	if m := ev[len(ev)-1].Message; !strings.HasPrefix(m, "configuration "+y+" ") || !strings.Contains(m, " (the running one) before") {
		t.Errorf("written back: config_superseded %q", m)
	}
	if sw.pending != nil {
		t.Errorf("version %s still pending", sw.pending.Hash())
	}
}

// TestSwitchSymlinkTarget: with --config a symlink into another folder,
// an edit of its target is a new version, and so is an edit of the new
// target once the link is replaced.
func TestSwitchSymlinkTarget(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	os.Mkdir(filepath.Join(dir, "other"), 0o755)
	target := filepath.Join(dir, "real", "c.yaml")
	os.WriteFile(target, []byte("interval_s: 10\n"), 0o644)
	link := filepath.Join(dir, "c.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	sw := watchedConfig(t, link)
	os.WriteFile(target, []byte("interval_s: 20\n"), 0o644)
	waitEvent(t, sw, "config_accepted")
	if c := sw.due(time.Now().UnixNano()); c == nil || c.IntervalS != 20 {
		t.Fatalf("after the target's edit, due: %v", c)
	}
	other := filepath.Join(dir, "other", "c.yaml")
	os.WriteFile(other, []byte("interval_s: 30\n"), 0o644)
	tmp := link + ".new"
	os.Symlink(other, tmp)
	os.Rename(tmp, link) // the link replaced, as ln -sfn does
	waitEvent(t, sw, "config_accepted")
	sw.due(time.Now().UnixNano())
	os.WriteFile(other, []byte("interval_s: 40\n"), 0o644)
	waitEvent(t, sw, "config_accepted")
	if c := sw.due(time.Now().UnixNano()); c == nil || c.IntervalS != 40 {
		t.Fatalf("after the new target's edit, due: %v", c)
	}
}

// TestSwitchSymlinkChain: with --config a chain of two symlinks (c.yaml ->
// mid/link.yaml -> real/c.yaml, each in its own folder), an edit of the
// file, the middle link replaced (ln -sfn, as a deployment tool flips a
// "current" link), and then an edit of the middle link's new target are
// each a new version. The watcher followed the final target only: the
// middle link's folder was not watched, and its replacement went unseen.
func TestSwitchSymlinkChain(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"real", "other", "mid"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	target := filepath.Join(dir, "real", "c.yaml")
	os.WriteFile(target, []byte("interval_s: 10\n"), 0o644)
	mid := filepath.Join(dir, "mid", "link.yaml")
	if err := os.Symlink("../real/c.yaml", mid); err != nil { // relative, as ln -s often is
		t.Fatal(err)
	}
	link := filepath.Join(dir, "c.yaml")
	if err := os.Symlink(mid, link); err != nil {
		t.Fatal(err)
	}
	sw := watchedConfig(t, link)
	if want := []string{link, mid, target}; !slices.Equal(sw.chain, want) {
		t.Errorf("chain %q, want %q", sw.chain, want)
	}
	os.WriteFile(target, []byte("interval_s: 20\n"), 0o644)
	waitEvent(t, sw, "config_accepted")
	if c := sw.due(time.Now().UnixNano()); c == nil || c.IntervalS != 20 {
		t.Fatalf("after the file's edit, due: %v", c)
	}
	other := filepath.Join(dir, "other", "c.yaml")
	os.WriteFile(other, []byte("interval_s: 30\n"), 0o644)
	tmp := mid + ".new"
	os.Symlink(other, tmp)
	os.Rename(tmp, mid) // the middle link replaced
	waitEvent(t, sw, "config_accepted")
	if c := sw.due(time.Now().UnixNano()); c == nil || c.IntervalS != 30 {
		t.Fatalf("after the middle link's replacement, due: %v", c)
	}
	os.WriteFile(other, []byte("interval_s: 40\n"), 0o644)
	waitEvent(t, sw, "config_accepted")
	if c := sw.due(time.Now().UnixNano()); c == nil || c.IntervalS != 40 {
		t.Fatalf("after the new target's edit, due: %v", c)
	}
	if sw.dirs[filepath.Join(dir, "real")] {
		t.Errorf("the old target's folder is still watched: %v", sw.dirs)
	}
}

// TestSwitchWrittenBeforeWatch: a version written after the running one
// was loaded but before the watch started raised no file event; the
// watcher's first look at the file finds it (a collector's key change,
// written right after its "listening on" line, was lost until the next
// edit in one CI run of three). The running version itself is no event.
func TestSwitchWrittenBeforeWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	const v = "interval_s: 10\nprobes: [{name: A, key: %q}]\n"
	if err := os.WriteFile(path, []byte(strings.Replace(v, "%q", `"k1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	running, err := acceptConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(strings.Replace(v, "%q", `"k2"`, 1)), 0o644)
	sw, err := watchConfig(path, running, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sw.close()
	waitEvent(t, sw, "config_accepted")
	if next := sw.due(time.Now().UnixNano()); next == nil || string(next.ProbeKey("A")) != "k2" {
		t.Fatalf("the version due is %v, want the one with key k2", next)
	}

	// The running version is no event: one edit after the start gives
	// one config_accepted, that edit's.
	path = filepath.Join(t.TempDir(), "c.yaml")
	same := watchedFile(t, path, "interval_s: 10\n")
	os.WriteFile(path, []byte("interval_s: 20\n"), 0o644)
	ev := waitEvent(t, same, "config_accepted")
	for _, e := range ev[:len(ev)-1] {
		t.Errorf("event before the edit's: %+v", e)
	}
	if next := same.due(time.Now().UnixNano()); next == nil || next.IntervalS != 20 {
		t.Fatalf("the version due is %v, want interval_s 20", next)
	}
}

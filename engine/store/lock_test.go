package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestOneRunPerFolder: while a run writes an output folder, a second
// replay or collector into it is refused with ErrBusy naming the holder;
// once the first ends, the folder is free (issue 13.7).
func TestOneRunPerFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	a, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = BeginRun(out, Manifest{})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "another tmonbench run (process ") {
		t.Fatalf("second replay: %v", err)
	}
	if _, err := OpenAppend(out, Manifest{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("collector into a replay's folder while it runs: %v", err)
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	b, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatalf("after the first run: %v", err)
	}
	b.Abort()
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("beside out: %v, want out only (no lock file left)", ents)
	}
	col := filepath.Join(t.TempDir(), "col")
	c, err := OpenAppend(col, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAppend(col, Manifest{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("two collectors into one folder: %v", err)
	}
	c.Close()
	if c2, err := OpenAppend(col, Manifest{}); err != nil {
		t.Fatalf("after Close: %v", err)
	} else {
		c2.Close()
	}
}

// TestStaleStagingRemoved: a killed replay's staging folder beside the
// output is removed by the next run; a folder of the same name pattern
// holding anything else is left alone.
func TestStaleStagingRemoved(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	stale := filepath.Join(parent, "out.tmp-12345")
	os.MkdirAll(filepath.Join(stale, "flows"), 0o755)
	os.WriteFile(filepath.Join(stale, "flows", "part-00000.parquet"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(stale, "flows", ".part-00001.parquet.tmp"), []byte("x"), 0o644)
	old := filepath.Join(parent, "out.tmp-777.old")
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, ManifestName), []byte("{}"), 0o644)
	foreign := filepath.Join(parent, "out.tmp-999")
	os.MkdirAll(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("x"), 0o644)
	r, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	if len(r.Stale) != 2 {
		t.Errorf("removed %v, want the two staging folders", r.Stale)
	}
	for _, p := range []string{stale, old} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there", p)
		}
	}
	if _, err := os.Stat(filepath.Join(foreign, "thesis.tex")); err != nil {
		t.Errorf("a foreign folder was touched: %v", err)
	}
}

// TestReplaceTakesLockFirst: tmonbench live replaces a replay's output
// (OpenReplace), but a second run refused with ErrBusy leaves the running
// one's output untouched; once free, the old rows are gone and a folder
// tmonbench did not write is never emptied. A live output itself is not
// replaced (TestIrreplaceableRefused).
func TestReplaceTakesLockFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	run, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Write(&observe.Batch{Flows: testFlows}); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(); err != nil {
		t.Fatal(err)
	}
	a, err := OpenReplace(out, Manifest{Mode: ModeLive})
	if err != nil {
		t.Fatal(err)
	}
	// Only run.json and the schema-only parts an Appender starts with
	// (every table exists from the start): the replay's rows are gone.
	for _, f := range listTree(t, out) {
		if f != ManifestName && f != LockName && rowsIn(filepath.Join(out, f)) != 0 {
			t.Errorf("after replace: %s has rows, want only %s and schema-only parts", f, ManifestName)
		}
	}
	// The lock is still the file locked: a second run is busy, not let
	// in to replace this one's output (the replace removed the lock file,
	// and a second live run locked a new one and emptied the folder).
	if err := a.Write(&observe.Batch{Flows: testFlows}); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, out)
	if _, err := OpenReplace(out, Manifest{Mode: ModeLive}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second live run while the first writes: %v", err)
	}
	if got := listTree(t, out); !slices.Equal(got, before) {
		t.Fatalf("refused run changed the output:\n%v\nwant\n%v", got, before)
	}
	a.Close()
	// A replay's output is replaced too (OpenAppend refuses it).
	r := filepath.Join(t.TempDir(), "replay")
	run, err = BeginRun(r, Manifest{Inputs: []Input{{Path: "A.pcap", SizeBytes: 24}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(); err != nil {
		t.Fatal(err)
	}
	if c, err := OpenReplace(r, Manifest{}); err != nil {
		t.Fatalf("replace a replay's output: %v", err)
	} else {
		// what was replaced, for live's warning: the replay's run.json
		if old, ok := c.Replaced(); !ok || old.Mode != ModeReplay || len(old.Inputs) != 1 || old.Inputs[0].Path != "A.pcap" {
			t.Errorf("Replaced() = %+v, %v; want the replay's run.json", old, ok)
		}
		c.Close()
	}
	if c, err := OpenReplace(filepath.Join(t.TempDir(), "new"), Manifest{Mode: ModeLive}); err != nil {
		t.Fatal(err)
	} else {
		if old, ok := c.Replaced(); ok {
			t.Errorf("Replaced() of a new folder = %+v, true", old)
		}
		c.Close()
	}
	proj := t.TempDir()
	os.WriteFile(filepath.Join(proj, "main.go"), []byte("package main"), 0o644)
	if _, err := OpenReplace(proj, Manifest{}); !errors.Is(err, ErrNotRunDir) {
		t.Fatalf("folder with a user's file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(proj, "main.go")); err != nil {
		t.Fatal("user's file removed")
	}
}

// listTree lists the files under dir, relative and sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestLockInsideOut: the lock file is inside the output folder, so a run
// needs write access to --out only (issue 9: an --out the user may write
// inside a parent they may not was refused). While a replay and a
// collector run, nothing is written beside the folder; the lock file does
// not make the folder "hold files but no run.json", and is gone after.
func TestLockInsideOut(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	r, err := BeginRun(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, LockName)); err != nil {
		t.Errorf("replay: no lock file in out: %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("replay: beside out while it runs: %v, want out only", ents)
	}
	r.Abort()
	col := filepath.Join(parent, "col")
	if err := os.Mkdir(col, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := OpenReplace(col, Manifest{})
	if err != nil {
		t.Fatalf("collector into an empty folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(col, LockName)); err != nil {
		t.Errorf("collector: no lock file in out: %v", err)
	}
	c.Close()
	if _, err := os.Stat(filepath.Join(col, LockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("collector: lock file left after Close: %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 || ents[0].Name() != "col" {
		t.Errorf("beside the folders: %v, want col only (the aborted run removed the out it created)", ents)
	}
}

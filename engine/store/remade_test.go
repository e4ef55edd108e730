package store

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestAppenderRemakesRemovedFolders: a table folder an operator removes
// under a running collector (rm -r out/flows) is made again by the next
// Write, and the rows written after the removal are kept: flows' new row
// in a new part, rtt_samples, which gets no row, a schema-only part (its
// view exists again). Each removal is counted once in FoldersRemade.
// Before, an Appender that had seen a folder took it as there for good:
// the empty table's folder stayed missing (its view gone), and the
// folders made again for rows were not fsynced in the output folder.
func TestAppenderRemakesRemovedFolders(t *testing.T) {
	out, a, all := appenderWritten(t)
	if got := a.FoldersRemade(); got != nil {
		t.Fatalf("FoldersRemade before any removal: %v", got)
	}
	for _, table := range []string{observe.TableFlows, observe.TableRTTSamples} {
		if err := os.RemoveAll(filepath.Join(out, table)); err != nil {
			t.Fatal(err)
		}
	}
	flows := observe.Batch{Flows: all.Flows}
	for range 2 { // the second Write finds both folders there: counted once
		if err := a.Write(&flows); err != nil {
			t.Fatalf("Write after the removal: %v", err)
		}
	}
	stats := FolderStats(out)
	if got := stats[observe.TableFlows]; got.Rows != 2 || got.Files != 2 {
		t.Errorf("flows after the removal: %+v, want the 2 rows written since in 2 parts", got)
	}
	if got := stats[observe.TableRTTSamples]; got.Rows != 0 || got.Files != 1 {
		t.Errorf("rtt_samples after the removal: %+v, want 1 schema-only part", got)
	}
	want := map[string]int{observe.TableFlows: 1, observe.TableRTTSamples: 1}
	if got := a.FoldersRemade(); !maps.Equal(got, want) {
		t.Errorf("FoldersRemade = %v, want %v", got, want)
	}
}

// TestAppenderRemadeFoldersSynced: the table folders a running
// collector's Appender makes again after an operator removed them (rm -r
// out/flows, out/rtt_samples) are durable with the parts written into
// them: every entry made, the table folder, its partition folders and
// the part files, has its parent folder fsynced (fsync(2): a new name is
// durable once its folder is synced; mkdirDurable, and the part's atomic
// write for its own folder), the output folder included for the table
// folder. The folders synced are recorded through syncDir. Without
// mkdirDurable's sync of the parent (os.MkdirAll), out, out/flows and its
// date= folder were never synced: a crash could lose the rows written
// after the removal though the collector counted them written.
func TestAppenderRemadeFoldersSynced(t *testing.T) {
	out, a, all := appenderWritten(t)
	var mu sync.Mutex
	synced := map[string]bool{}
	orig := syncDir
	syncDir = func(dir string) error {
		mu.Lock()
		synced[dir] = true
		mu.Unlock()
		return orig(dir)
	}
	defer func() { syncDir = orig }()

	tables := []string{observe.TableFlows, observe.TableRTTSamples}
	for _, table := range tables {
		if err := os.RemoveAll(filepath.Join(out, table)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Write(&observe.Batch{Flows: all.Flows}); err != nil {
		t.Fatalf("Write after the removal: %v", err)
	}
	for _, table := range tables {
		n := 0
		err := filepath.WalkDir(filepath.Join(out, table), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			n++
			if !synced[filepath.Dir(p)] {
				t.Errorf("%s made again, its folder %s never fsynced", p, filepath.Dir(p))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 2 {
			t.Errorf("%s: %d entries, want the folder made again and a part", table, n)
		}
	}
}

// appenderWritten opens an Appender on a new output folder out and writes
// one row of each table (fillRows) to it, as a collector's first drain;
// the Appender is closed at the test's end.
func appenderWritten(t *testing.T) (out string, a *Appender, all *observe.Batch) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "out")
	a, err := OpenAppend(out, testManifest())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	all = new(observe.Batch)
	fillRows(all, 1)
	if err := a.Write(all); err != nil {
		t.Fatal(err)
	}
	return out, a, all
}

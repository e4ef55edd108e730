package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestSummaryNamesRemadeFolders: a collector's or live run's summary
// says which table folders were removed under it and made again
// (store.Appender.FoldersRemade), as it says its warnings.
func TestSummaryNamesRemadeFolders(t *testing.T) {
	out := filepath.Join(t.TempDir(), "col")
	app, err := store.OpenAppend(out, store.Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var b strings.Builder
	printAppended(&b, app)
	if strings.Contains(b.String(), "remade") {
		t.Errorf("nothing removed, yet: %q", b.String())
	}
	if err := os.RemoveAll(filepath.Join(out, observe.TableEvents)); err != nil {
		t.Fatal(err)
	}
	if err := app.Write(&observe.Batch{}); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	printAppended(&b, app)
	if want := "folders remade  events 1  ("; !strings.Contains(b.String(), want) {
		t.Errorf("summary %q, want a line with %q", b.String(), want)
	}
}

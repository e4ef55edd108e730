package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestNotableUnwritten: an event whose write into the events table fails
// is not counted as written: a collector on a full disk logged "the
// collector_write_failed event could not be written either", and its
// summary still named the event among those in the tables. The failure
// is injected by putting a file where the events folder goes (the write
// fails with ENOTDIR, as it fails with ENOSPC on a full disk); the event
// is counted Unwritten, and NoSpace stays false (the cause was not space).
// An event written normally counts as before.
func TestNotableUnwritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	a, err := OpenAppend(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ev := func(kind string) *observe.Batch {
		return &observe.Batch{Events: []observe.Event{{Time: 1_700_000_000e9, Source: "collector", Severity: observe.SevError, Kind: kind, Count: 1}}}
	}
	if err := a.Write(ev("written")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, observe.TableEvents)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Write(ev("collector_write_failed")); err == nil {
		t.Fatal("a write into a file taken for a folder succeeded")
	}
	n := a.Notable()
	if got := n[EventKey{observe.SevError, "collector_write_failed"}]; got != (EventTotal{Events: 1, Count: 1, Unwritten: 1}) {
		t.Errorf("failed write: %+v, want 1 event, 1 unwritten", got)
	}
	if got := n[EventKey{observe.SevError, "written"}]; got != (EventTotal{Events: 1, Count: 1}) {
		t.Errorf("written: %+v, want 1 event, none unwritten", got)
	}
}

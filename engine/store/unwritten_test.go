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

// TestNotableWritePlanCrash: a journalled write (WritePlan, the durable
// collector's) counts its events after the events table is written, as
// Write does. It counted them before: a write that failed (here the
// events folder is a file, as a full disk refuses it) left the event
// counted as written in no table. The collector then stops; its restart
// (a new Appender on the same folder, the disk fixed) redoes the
// journalled plan: that process counts the event once, written, and the
// events table holds it once (1 row: the plan's part replaced, never a
// second copy).
func TestNotableWritePlanCrash(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c")
	a, err := OpenAppend(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(out, observe.TableEvents)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b := &observe.Batch{Events: []observe.Event{{Time: 1_700_000_000e9, Source: "collector", Severity: observe.SevError, Kind: "collector_write_failed", Count: 1}}}
	plan := a.Plan(b) // journalled before the write, in the collector
	if err := a.WritePlan(b, plan); err == nil {
		t.Fatal("a planned write into a file taken for a folder succeeded")
	}
	key := EventKey{observe.SevError, "collector_write_failed"}
	if got := a.Notable()[key]; got != (EventTotal{Events: 1, Count: 1, Unwritten: 1}) {
		t.Errorf("failed planned write: %+v, want 1 event, 1 unwritten", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Remove(dir); err != nil { // the disk fixed
		t.Fatal(err)
	}
	r, err := OpenAppend(out, Manifest{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.WritePlan(b, plan); err != nil { // the journal's redo
		t.Fatal(err)
	}
	if got := FolderStats(out)[observe.TableEvents].Rows; got != 1 {
		t.Errorf("events table: %d rows after the redo, want 1", got)
	}
	if got := r.Notable()[key]; got != (EventTotal{Events: 1, Count: 1}) {
		t.Errorf("restarted appender: %+v, want 1 event, none unwritten", got)
	}
}

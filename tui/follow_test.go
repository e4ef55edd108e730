package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestTUIFollowsAppends: a collector writing into the output a TUI
// browses adds part files (a new partition folder of flows and
// flow_counters when a new probe's rows come, the first folder of a
// table that had none); the TUI kept what it had loaded ("(no flows)" 90
// s after 467 flows were written). Now the output check
// (outputCheckMsg) sees the folders change and refreshes the overview
// and the screen in view in place; a check with nothing changed runs no
// query. The appended parts are those a replay of
// testdata/pcap/ntp/zeek_ntp.pcap writes (probe zeek_ntp): 12 IP
// packets of 1,080 frame bytes (tshark -q -z io,stat,0,ip), less 12
// Ethernet headers of 14 bytes: 912 IP bytes.
func TestTUIFollowsAppends(t *testing.T) {
	dir := t.TempDir()
	out, more := filepath.Join(dir, "out"), filepath.Join(dir, "more")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, filepath.Join("testdata", "stepback.pcap"))
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", more, capture(t, "pcap/ntp/zeek_ntp.pcap"))
	// the events table has no folder yet: its rows come later
	if err := os.RemoveAll(filepath.Join(out, "events")); err != nil {
		t.Fatal(err)
	}

	m, press, expect := screenModel(t, out)
	expect("before the appends", "captures stepback.pcap", "stepback ")
	if s := plain(m); strings.Contains(s, "zeek_ntp") {
		t.Fatalf("rows before they were written:\n%s", s)
	}
	press("2", "down", "down")
	flows := activeTable(t, m)
	if len(flows.rows) < 3 {
		t.Fatalf("%d flows of stepback.pcap, want 3 or more", len(flows.rows))
	}
	sel := fmt.Sprint(flows.rows[flows.cur].Values)

	// nothing written: the check runs no query
	ids := m.e.nextID
	drive(t, m, outputCheckMsg{})
	if m.e.nextID != ids {
		t.Fatalf("output unchanged: %d queries run", m.e.nextID-ids)
	}

	// a collector's appends: new partitions, and a table's first folder,
	// each renamed in whole (the store renames its parts in)
	appendParts := func(parts ...string) {
		t.Helper()
		for _, p := range parts {
			if err := os.Rename(filepath.Join(more, p), filepath.Join(out, p)); err != nil {
				t.Fatal(err)
			}
		}
		drive(t, m, outputCheckMsg{})
	}
	appendParts("flows/date=2016-10-15", "flow_counters/date=2016-10-15")
	expect("flows after the appends", "zeek_ntp ")
	flows = activeTable(t, m)
	if got := fmt.Sprint(flows.rows[flows.cur].Values); got != sel {
		t.Fatalf("selected row after the refresh %s, want %s", got, sel)
	}
	press("1")
	expect("overview after the appends", "zeek_ntp")
	row := ""
	for _, l := range strings.Split(plain(m), "\n") {
		if strings.HasPrefix(l, "zeek_ntp ") {
			row = l
		}
	}
	if f := strings.Fields(row); len(f) < 11 || !strings.Contains(row, " 12 ") || !strings.Contains(row, " 912 ") {
		t.Fatalf("overview's zeek_ntp row %q, want 12 IP packets, 912 IP bytes", row)
	}

	// appended while the overview is shown: the Flows screen refreshes
	// when shown again, on its row
	appendParts("events")
	press("2")
	flows = activeTable(t, m)
	if got := fmt.Sprint(flows.rows[flows.cur].Values); got != sel {
		t.Fatalf("selected row after coming back %s, want %s", got, sel)
	}
	press("7")
	expect("the events table's first rows", "zeek_ntp")
}

// TestTUIFollowsSameTickPart: a folder's mtime is coarse (one kernel
// tick before Linux 6.13): a part renamed in within the tick of the
// folder's previous change, after a check read the folder, leaves its
// mtime as it was, and the watch, which reads a folder's entries only
// when its mtime or size changed, never saw the part. Here the folder's
// mtime and the part count are set as such a rename leaves them
// (os.Chtimes back to the mtime the check read): a folder modified less
// than settleTime before a check is read again at the next one.
func TestTUIFollowsSameTickPart(t *testing.T) {
	out := t.TempDir()
	leaf := filepath.Join(out, "flows", "date=2026-12-07", "probe=A")
	if err := os.MkdirAll(leaf, 0o755); err != nil {
		t.Fatal(err)
	}
	part := func(n int) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(leaf, fmt.Sprintf("part-%05d.parquet", n)), []byte("PAR1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	part(0)
	var w outputWatch
	if changed, tables := w.changed(out); changed || fmt.Sprint(tables) != "[flows]" {
		t.Fatalf("first look: changed %v, tables %v; want false, [flows]", changed, tables)
	}
	fi, err := os.Stat(leaf)
	if err != nil {
		t.Fatal(err)
	}
	part(1)
	if err := os.Chtimes(leaf, fi.ModTime(), fi.ModTime()); err != nil { // the same tick
		t.Fatal(err)
	}
	if changed, _ := w.changed(out); !changed {
		t.Fatal("a part added in the tick of the folder's last change: not seen")
	}
	if changed, _ := w.changed(out); changed {
		t.Fatal("nothing added since: changed")
	}
}

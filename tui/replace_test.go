package tui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// TestOutputReplaced: with the TUI open on an output, `tmonbench replay
// --out` of another capture replaced it; the overview kept the previous
// run's captures, the Flows screen its rows, and enter on an old row said
// "no flows row", while screens loaded since showed the new run. Now the
// check of the output (outputCheckMsg, every outputPoll) sees another
// run's run.json (its started time), reopens the output, drops the
// drilled screens and reloads every screen from the new run, and the
// status line says so. testdata/stepback.pcap's probe is "stepback";
// testdata/pcap/ntp/zeek_ntp.pcap's is "zeek_ntp" (a probe is named after
// its capture file).
func TestOutputReplaced(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	replay := func(capture string) {
		t.Helper()
		testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, capture)
	}
	replay(filepath.Join("testdata", "stepback.pcap"))
	m, press, expect := screenModel(t, out)
	expect("first run", "captures stepback.pcap")
	press("2")
	expect("first run's flows", "stepback ")
	press("enter")
	expect("a flow of the first run", "probe stepback")

	// a collector's or live run's appends rewrite run.json with the same
	// run: not a replacement (the database stays open)
	db := m.e.db
	editRunJSON(t, out, func(man map[string]any) {
		man["tables"] = map[string]any{"flows": map[string]any{"files": 2, "rows": 99, "bytes": 1}}
	})
	drive(t, m, outputCheckMsg{})
	if m.e.db != db || len(m.stack) != 1 || strings.Contains(plain(m), "reloaded") {
		t.Fatalf("run.json of the same run rewritten: reloaded:\n%s", plain(m))
	}

	replay(capture(t, "pcap/ntp/zeek_ntp.pcap"))
	drive(t, m, outputCheckMsg{})
	if len(m.stack) != 0 {
		t.Fatalf("%d drilled screens of the previous run kept", len(m.stack))
	}
	expect("flows of the new run", "output replaced by a new run: reloaded", "zeek_ntp ")
	if s := plain(m); strings.Contains(s, "stepback") {
		t.Fatalf("the previous run's rows still shown:\n%s", s)
	}
	press("enter")
	expect("a flow of the new run", "probe zeek_ntp")
	press("esc", "1")
	expect("overview of the new run", "captures zeek_ntp.pcap")
	if s := plain(m); strings.Contains(s, "stepback") {
		t.Fatalf("the overview shows the previous run:\n%s", s)
	}
}

package tui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/tmonbench/tmonbench/internal/testout"
)

// The status line and the key map, as a new user met them: a note stays
// until the next key only, the brush is never pushed off the line, a
// moved capture says where it was, an empty folder is refused before the
// UI starts, and a key bound to two actions is refused at load.

// TestStatusNoteClears: "wrote N packets to …" goes with the next key
// (it stayed on every screen); with a brush, a long note does not push
// the brush off the status line.
func TestStatusNoteClears(t *testing.T) {
	out := replayed(t, ftpLab)
	t.Chdir(t.TempDir())
	m, press, expect := screenModel(t, out)
	press("4", "enter", "p")
	expect("packets", "3624 packets")
	press("w")
	expect("w", "wrote 3624 packets to ")
	press("1")
	if s := plain(m); strings.Contains(s, "wrote 3624") {
		t.Fatalf("the note stayed on the overview:\n%s", s)
	}
	press("b", "right", "right", "b")
	expect("brush", "every screen now shows the brushed range")
	press("right")
	if m.e.status != "" {
		t.Fatalf("status %q after the next key", m.e.status)
	}
	m.e.status = "wrote 3624 packets to " + strings.Repeat("/a/long/folder", 10) + "/x.pcap"
	if l := ansi.Strip(m.statusLine(80)); !strings.HasPrefix(l, "brush 2026-11-29 14:57:38") {
		t.Fatalf("status line at 80 columns %q: the brush is not first", l)
	}
}

// TestFilterErrorEsc: esc after a filter that failed (/ether host …, an
// engine/filter error: the sieve sees IP headers only) clears its error
// line, as the trial expected (it stayed until the next action): esc on
// the table with no filter, esc leaving the filter prompt (the filter
// shown before stays), esc clearing that filter. Another error (a sort
// the column cannot take) is not the filter's: esc leaves it. teatest at
// 120×40 on the lab FTP capture's Flows screen (84 flows, 28 of them on
// port 20: tmonbench query over the flows table).
func TestFilterErrorEsc(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitText(t, tm, "Throughput")
	tm.Send(keyMsg("2"))
	waitIdle(t, tm)
	view := func() (string, string) {
		v := inspect(t, tm, "the screen and its error", func(m *Model) [2]string { return [2]string{ansi.Strip(m.View()), m.e.errMsg} })
		return v[0], v[1]
	}
	typed := func(text string) {
		tm.Send(keyMsg("/"))
		tm.Send(keyMsg("ctrl+u"))
		tm.Type(text)
		tm.Send(keyMsg("enter"))
		waitIdle(t, tm)
	}
	const bad = `error: filter "ether host 00:11:22:33:44:55": filter: unsupported primitive "ether"`
	check := func(step string, wantErr bool, want ...string) {
		t.Helper()
		waitIdle(t, tm)
		v, errMsg := view()
		if got := strings.Contains(strings.Join(strings.Fields(v), " "), bad); got != wantErr {
			t.Errorf("%s: error line shown %v, want %v (error %q):\n%s", step, got, wantErr, errMsg, v)
		}
		for _, w := range want {
			if !strings.Contains(v, w) {
				t.Errorf("%s: screen lacks %q:\n%s", step, w, v)
			}
		}
	}
	typed("ether host 00:11:22:33:44:55")
	check("no filter, bad filter", true, "of 84")
	tm.Send(keyMsg("esc"))
	check("no filter, esc", false, "of 84")

	typed("port 20")
	check("port 20", false, "filter: port 20", "of 28")
	typed("ether host 00:11:22:33:44:55")
	check("port 20, bad filter", true, "filter: port 20", "of 28")
	tm.Send(keyMsg("/"))
	tm.Send(keyMsg("esc"))
	check("port 20, / esc", false, "filter: port 20", "of 28")

	typed("ether host 00:11:22:33:44:55")
	check("port 20, bad filter again", true, "filter: port 20", "of 28")
	tm.Send(keyMsg("esc"))
	check("port 20, esc", false, "of 84")

	// an error that is not the filter's stays
	tm.Send(inspectMsg(func(m *Model) { m.e.errMsg = "cannot sort by x (BLOB)" }))
	tm.Send(keyMsg("esc"))
	if _, errMsg := view(); errMsg != "cannot sort by x (BLOB)" {
		t.Errorf("esc cleared another error: %q", errMsg)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(time.Minute))
}

// TestMovedCapture: a capture file moved after its replay: the Packets
// screen and the status line name the missing path and say it moved
// since the replay (no "reading packets …" left on the screen).
func TestMovedCapture(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "A.pcap")
	b, err := os.ReadFile(capture(t, ftpLab))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pcap, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tmon-out")
	testout.Run(t, "replay", "-q", "--progress", "never", "--out", out, pcap)
	if err := os.Rename(pcap, filepath.Join(dir, "moved.pcap")); err != nil {
		t.Fatal(err)
	}
	m, press, _ := screenModel(t, out)
	press("4", "enter")
	press("p")
	want := "capture file " + pcap + " is missing: it moved or was deleted since the replay"
	if !strings.HasPrefix(m.e.errMsg, want) {
		t.Fatalf("error %q, want %q", m.e.errMsg, want)
	}
	s := plain(m)
	if strings.Contains(s, "reading packets") || !strings.Contains(strings.Join(strings.Fields(s), " "), "error: "+want[:40]) {
		t.Fatalf("packets screen of a moved capture:\n%s", s)
	}
}

// TestCheckOutput: an empty folder, or none, is refused before the UI
// starts (it showed "loading ./tmon-out …" forever); an output is not.
func TestCheckOutput(t *testing.T) {
	empty := t.TempDir()
	for _, dir := range []string{empty, filepath.Join(empty, "none")} {
		err := CheckOutput(dir)
		if want := "no tmonbench output in " + dir + ": run tmonbench replay FILE first"; err == nil || err.Error() != want || !errors.Is(err, ErrNoOutput) {
			t.Errorf("%s: %v, want %q", dir, err, want)
		}
	}
	file := filepath.Join(empty, "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	if err, want := CheckOutput(file), "no tmonbench output: "+file+" is a file; --out names the folder replay, live or collector wrote"; err == nil || err.Error() != want || !errors.Is(err, ErrNoOutput) {
		t.Errorf("a file: %v, want %q", err, want)
	}
	if err := CheckOutput(replayed(t, ftpLab)); err != nil {
		t.Fatal(err)
	}
	// inside the TUI (a live run still starting): no "loading" forever
	m := newTestModel(t, empty)
	drive(t, m, runCmd(m.Init())...)
	if s := plain(m); strings.Contains(s, "loading") || !strings.Contains(s, "waiting for tmonbench output in "+empty) {
		t.Fatalf("overview over no output:\n%s", s)
	}
}

// TestKeyClash: a remap giving one key to two remapped actions (quit:
// [x], help: [x]) is refused at load, naming both; the default key map
// has none. A key given takes precedence over a default (a review: a
// keys file binding brush_mark to m was refused once the row view took m
// as its default): quit: [j] leaves down ↓ alone, brush_mark: [m] leaves
// row without a key (disabled, not in the help).
func TestKeyClash(t *testing.T) {
	def := DefaultKeyMap()
	if err := def.clashes(nil); err != nil {
		t.Fatalf("default key map: %v", err)
	}
	_, err := New(Options{Out: t.TempDir(), Keys: map[string][]string{"quit": {"x"}, "help": {"x"}}, Renderer: testRenderer()})
	if want := `tui: key "x" is bound to both help and quit`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("quit: [x], help: [x]: %v, want %q", err, want)
	}
	j := DefaultKeyMap()
	if err := j.Remap(map[string][]string{"quit": {"j"}}); err != nil {
		t.Fatalf("quit: [j]: %v", err)
	}
	if got := j.Down.Keys(); len(got) != 1 || got[0] != "down" || j.Down.Help().Key != "↓" {
		t.Errorf("quit: [j]: down keeps %q (help %q), want [down] (↓)", got, j.Down.Help().Key)
	}
	bm := DefaultKeyMap()
	if err := bm.Remap(map[string][]string{"brush_mark": {"m"}}); err != nil {
		t.Fatalf("brush_mark: [m]: %v", err)
	}
	if bm.Row.Enabled() || len(bm.Row.Keys()) != 0 || bm.BrushMark.Keys()[0] != "m" {
		t.Errorf("brush_mark: [m]: row keeps %q (enabled %v), brush_mark %q", bm.Row.Keys(), bm.Row.Enabled(), bm.BrushMark.Keys())
	}
	km := DefaultKeyMap()
	if err := km.Remap(map[string][]string{"quit": {"x"}, "down": {"j", "n"}}); err != nil {
		t.Fatalf("no clash: %v", err)
	}
}

// TestStripOneInstant: flows all seen at one instant (a live run's first
// rows) give no "IP bytes per 0 s"; before any flow, a live overview says
// the run's interval.
func TestStripOneInstant(t *testing.T) {
	m, _, _ := screenModel(t, replayed(t, ftpLab))
	const at = 1795964259178000000
	m.tabs[0].(*overview).strip = &stripData{lo: at, hi: at, vals: make([]float64, 118), n: 118}
	m.e.snap = &LiveStatus{Flows: []LiveFlow{{IntervalS: 10}}}
	s := plain(m)
	if strings.Contains(s, "per 0 s") || !strings.Contains(s, "IP bytes of the flows so far, all seen at 14:57:39.178000 (intervals of 10 s)") {
		t.Fatalf("strip of one instant:\n%s", s)
	}
	// a live run with no flow written: the config's interval (Options.IntervalS)
	m.e.snap, m.e.ivS = &LiveStatus{}, 60
	m.tabs[0].(*overview).strip = &stripData{vals: make([]float64, 118), n: 118}
	if s := plain(m); !strings.Contains(s, "no flows to add up yet: the live panel counts them now") {
		t.Fatalf("live strip before any flow:\n%s", s)
	}
}

// TestErrorLineNoPackage: a failed query's line on the status line is
// DuckDB's first line without the package it came through (it read
// "error: queries: Catalog Error: ..."; the commands say "tmonbench
// query: Catalog Error: ...").
func TestErrorLineNoPackage(t *testing.T) {
	var e env
	e.setErr(errors.New("queries: Catalog Error: Table with name nosuch does not exist!\nDid you mean \"flows\"?"))
	if want := "Catalog Error: Table with name nosuch does not exist!"; e.errMsg != want {
		t.Errorf("error line %q, want %q", e.errMsg, want)
	}
}

// TestCheckOutputOtherFolders: a folder holding folders that are not
// tables (a source tree, a home directory: `tmonbench tui --out .` run
// from the wrong place) is no output: CheckOutput says so, and tmonbench
// tui exits 1 with that line, where it opened on "waiting for tmonbench
// output in ..." and waited until q (a trial: --out a folder with a
// subfolder ro/). A folder of a table (flows/) still counts, as a
// collector's output whose tables are all still empty.
func TestCheckOutputOtherFolders(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"ro", "src", "docs"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := CheckOutput(dir)
	if want := "no tmonbench output in " + dir + ": run tmonbench replay FILE first"; err == nil || err.Error() != want || !errors.Is(err, ErrNoOutput) {
		t.Fatalf("%v, want %q", err, want)
	}
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutput(dir); err != nil {
		t.Fatalf("with flows/: %v", err)
	}
}

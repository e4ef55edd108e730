package tui

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testout"
	"github.com/tmonbench/tmonbench/queries"
)

// fakeLive plays a list of snapshots, one per poll, then repeats the last.
type fakeLive struct {
	mu    sync.Mutex
	snaps []LiveStatus
	i     int
}

func (f *fakeLive) Status() LiveStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snaps[min(f.i, len(f.snaps)-1)]
	f.i++
	return s
}

// liveSnaps: probe A, interface if0 (the names of the lab FTP replay, so
// the overview's drops column takes the live numbers), one second apart:
// 1000, 3000 (+2000 pkt/s), 3500 packets (+500 pkt/s, 3 kernel drops, 7
// PDUs unacknowledged, long retry), then the run ends.
func liveSnaps() []LiveStatus {
	const base = int64(1_800_000_000_000_000_000)
	mk := func(k int, pk uint64, drops int64, unacked int, longRetry, done bool) LiveStatus {
		return LiveStatus{TimeNs: base + int64(k)*1e9, State: "capturing", Done: done,
			Ifaces:   []LiveIface{{Probe: "A", Iface: "if0", Packets: pk, Bytes: 200 * pk, KernelDrops: drops}},
			Probes:   []LiveProbe{{Name: "A", Packets: pk, Bytes: 200 * pk, Flows: pk / 100, Malformed: 2}},
			Channels: []LiveChannel{{Probe: "A", Collector: "local", Sent: pk / 50, Acked: pk/50 - uint64(unacked), Unacked: unacked, LongRetry: longRetry}},
		}
	}
	snaps := []LiveStatus{mk(0, 1000, 0, 0, false, false), mk(1, 3000, 0, 2, false, false), mk(2, 3500, 3, 7, true, false), mk(3, 3500, 3, 0, false, true)}
	snaps[1].Flows = liveFlows(0)
	snaps[2].Flows = liveFlows(1)
	snaps[3].Flows = liveFlows(1)
	return snaps
}

// liveFlows are the engines' busiest flows of interval k (10 s each from
// the lab's first second): six flows of class all, each also in class
// ftp (the same traffic), in interval 1 the control connection 21 grows
// past the data connections.
func liveFlows(k int) []LiveFlow {
	const start = int64(1_795_964_250_000_000_000) // 2026-11-29 14:57:30 UTC
	mk := func(class string, id uint64, sport, dport uint16, pk, by uint64) LiveFlow {
		return LiveFlow{Probe: "A", Iface: "if0", Class: class, FlowID: id, IntervalStartNs: start + int64(k)*10e9, IntervalS: 10,
			CoveredStartNs: start + int64(k)*10e9, CoveredS: 10, Protocol: 6,
			SrcAddr: "198.51.100.10", DstAddr: "10.10.1.100", SrcPort: sport, DstPort: dport, Packets: pk, Bytes: by}
	}
	ctl := uint64(900)
	if k == 1 {
		ctl = 9_000_000
	}
	var fs []LiveFlow
	for _, c := range []string{"ftp", "all"} { // largest first per class, as the engines give them
		fs = append(fs,
			mk(c, 40, 20, 47000, 3624, 5_431_336), mk(c, 42, 20, 47002, 700, 1_048_576), mk(c, 44, 20, 47004, 200, 262_144),
			mk(c, 46, 20, 47006, 100, 131_072), mk(c, 48, 20, 47008, 12, 12_977), mk(c, 2, 21, 33488, 46, ctl))
	}
	return fs
}

// lineWith returns the first line of s holding every want.
func lineWith(s string, want ...string) string {
	for _, l := range strings.Split(s, "\n") {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			return l
		}
	}
	return ""
}

// TestLiveOverview drives snapshots into the model: the status line
// carries the capture rate (differences of successive snapshots), kernel
// drops and the PDU transport state; the overview's live panel and its
// drops column follow each snapshot; the end of the run is said.
func TestLiveOverview(t *testing.T) {
	out := replayed(t, ftpLab)
	snaps := liveSnaps()
	// 4 heartbeats at the end: sent, never acknowledged (they made "sent
	// 74 acked 70 unacked 0" look like 4 PDUs lost)
	snaps[3].Channels[0].Sent += 4
	snaps[3].Channels[0].Heartbeats = 4
	m := liveModel(t, out, snaps)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	for i, want := range []struct{ status, panel string }{
		// the first snapshot: no rate yet ("·", not 0: a trial's live
		// --tui read 0 pkt/s while packets were counted)
		{"capturing 1,000 pkts · · pkt/s · drops 0 · unacked 0", "A if0 1,000 · 200,000 10 2 0"},
		{"capturing 3,000 pkts · 2,000 pkt/s · drops 0 · unacked 2", "A if0 3,000 2,000 600,000 30 2 0"},
		{"capturing 3,500 pkts · 500 pkt/s · drops 3 · unacked 7 · LONG RETRY", "A if0 3,500 500 700,000 35 2 3"},
		{"capturing (ended) 3,500 pkts · 0 pkt/s · drops 3 · unacked 0", "A if0 3,500 0 700,000 35 2 3"},
	} {
		s := snaps[i]
		drive(t, m, liveMsg{st: &s})
		v := plain(m)
		lines := strings.Split(v, "\n")
		if st := lines[len(lines)-2]; !strings.HasPrefix(st, want.status) {
			t.Errorf("snapshot %d: status line\n%q\nwant prefix\n%q", i, st, want.status)
		}
		panel := lineWith(v, "A ", "if0")
		if got := strings.Join(strings.Fields(panel), " "); got != want.panel {
			t.Errorf("snapshot %d: live panel row %q, want %q", i, got, want.panel)
		}
		// the Parquet part of the overview: A/if0's drops column is live
		row := lineWith(v, "A ", "if0", "all", "7,799")
		if f := strings.Fields(row); len(f) == 0 || f[len(f)-1] != want.panel[len(want.panel)-1:] {
			t.Errorf("snapshot %d: overview row %q: drops want %s", i, row, want.panel[len(want.panel)-1:])
		}
	}
	v := plain(m)
	for _, w := range []string{"Live · capturing · ended", "A→local sent 74 (4 heartbeats) acked 70 unacked 0 ok", "ended · pkt/s over its last 3 s (peak 2,000)"} {
		if !strings.Contains(v, w) {
			t.Errorf("final screen lacks %q:\n%s", w, v)
		}
	}
	if m.e.liveHist.prevNs != snaps[3].TimeNs {
		t.Errorf("history did not take the last snapshot")
	}
}

// TestGoldenLive: the overview of a live run at 120×40 (256 colours),
// polled by the program itself until the run has ended.
func TestGoldenLive(t *testing.T) {
	golden.RequireEqual(t, []byte(liveGoldenView(t, 120, 40)))
}

// liveGoldenView is the final screen of TestGoldenLive's run on a
// terminal of w×h.
func liveGoldenView(t *testing.T, w, h int) string {
	t.Helper()
	out := replayed(t, ftpLab)
	m := liveModel(t, out, liveSnaps())
	m.e.livePoll = 20 * time.Millisecond
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	waitText(t, tm, "Live · capturing · ended", "Throughput", "(peak 2,000)")
	// the overview's reload at the end of the run done, nothing in flight
	// (polls go on every 20 ms: a reload skipped while a query ran is
	// retried at the next one)
	deadline := time.Now().Add(time.Minute)
	for {
		if inspect(t, tm, "the overview's reload at the end of the run", func(m *Model) bool { return m.tabs[0].(*overview).sawDone && len(m.e.inflight) == 0 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the overview did not reload at the end of the run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(time.Minute)).(*Model)
	return fm.View()
}

// sgrColour finds SGR sequences that set a colour (30-38, 40-48, 90-97,
// 100-107), not bold, underline or reverse.
var sgr = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

func hasColour(s string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			if len(p) == 2 && (p[0] == '3' || p[0] == '4' || p[0] == '9') && p != "39" && p != "49" || len(p) == 3 && p[0] == '1' && p[1] == '0' {
				return true
			}
		}
	}
	return false
}

// TestNoColour: with the default renderer (the one `tmonbench tui` uses),
// CLICOLOR_FORCE gives colours even off a terminal (the check can fail),
// and NO_COLOR takes every colour away on every screen — the cursor row
// and active tab stay visible by reverse video, a brush on the overview's
// strip by the ┣━━┫ line under it.
func TestNoColour(t *testing.T) {
	out := replayed(t, ftpLab)
	screens := func() map[string]string {
		m, err := New(Options{Out: out})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		v := map[string]string{}
		drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
		v["overview"] = m.View()
		drive(t, m, keyMsg("b"), keyMsg("right"), keyMsg("right"), keyMsg("right"), keyMsg("b"))
		v["brushed overview"] = m.View()
		drive(t, m, keyMsg("2"))
		v["flows"] = m.View()
		drive(t, m, keyMsg("enter"))
		v["detail"] = m.View()
		drive(t, m, keyMsg("8"))
		v["sql"] = m.View()
		return v
	}
	t.Setenv("CLICOLOR_FORCE", "1")
	for name, v := range screens() {
		if !hasColour(v) {
			t.Errorf("CLICOLOR_FORCE=1: %s screen without colour (the check cannot see colours)", name)
		}
	}
	t.Setenv("NO_COLOR", "1")
	for name, v := range screens() {
		if hasColour(v) {
			t.Errorf("NO_COLOR=1: %s screen has colours:\n%q", name, v)
		}
		if !strings.Contains(v, "\x1b[7m") && !strings.Contains(v, ";7m") {
			t.Errorf("NO_COLOR=1: %s screen has no reverse video (active tab, cursor)", name)
		}
		if name == "brushed overview" && !regexp.MustCompile(`\n ┣━━┫ *\n`).MatchString(ansi.Strip(v)) {
			t.Errorf("NO_COLOR=1: the brush is not marked without colours:\n%s", ansi.Strip(v))
		}
		if lines := strings.Split(ansi.Strip(v), "\n"); len(lines) != 24 {
			t.Errorf("%s: %d lines at 80×24", name, len(lines))
		}
		for i, l := range strings.Split(ansi.Strip(v), "\n") {
			if w := ansi.StringWidth(l); w > 80 {
				t.Errorf("%s line %d is %d cells wide at 80×24", name, i, w)
			}
		}
	}
}

// TestLiveTableNotWrittenYet: while a live run has written some tables
// and not yet flows (a realtime replay's first seconds), the screens that
// read flows say so on the status line instead of DuckDB's catalog error;
// once the run has ended, a missing table is an error again.
func TestLiveTableNotWrittenYet(t *testing.T) {
	src := replayed(t, ftpLab)
	// with the manifest, flows has a view over no file; without it (a
	// run that has not finished writes it last), no view at all
	for _, manifest := range []bool{true, false} {
		out := filepath.Join(t.TempDir(), "tmon-out")
		if err := os.CopyFS(out, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		gone := []string{"flows", "flow_counters"}
		if !manifest {
			gone = append(gone, "_manifest.json")
		}
		for _, tb := range gone {
			if err := os.RemoveAll(filepath.Join(out, tb)); err != nil {
				t.Fatal(err)
			}
		}
		snaps := liveSnaps()
		m := liveModel(t, out, snaps)
		s := snaps[1]
		drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s})
		drive(t, m, keyMsg("2"), keyMsg("L")) // the written flows table (2 alone shows the engines' flows)
		lines := strings.Split(plain(m), "\n")
		st := lines[len(lines)-2]
		if !strings.Contains(st, "no flows rows written yet") && !strings.Contains(st, "no flow_counters rows written yet") || strings.Contains(st, "error") {
			t.Errorf("manifest %v: status line during the run: %q", manifest, st)
		}
		m.e.snap.Done = true
		lines = strings.Split(plain(m), "\n")
		if st := lines[len(lines)-2]; !strings.Contains(st, "error") {
			t.Errorf("manifest %v: status line after the run: %q, want the error", manifest, st)
		}
	}
	for msg, want := range map[string]string{
		`Catalog Error: Table with name flows does not exist!`:            "flows",
		`Catalog Error: Table with name "tcp_connections" does not exist`: "tcp_connections",
		`Binder Error: column x not found`:                                "",
	} {
		if got, ok := missingTable(msg); got != want || ok != (want != "") {
			t.Errorf("missingTable(%q) = %q, %v", msg, got, ok)
		}
	}
}

// TestLiveFlowsScreen: in a live run the Flows screen shows the engines'
// busiest flows of the last closed interval from the snapshots (no
// query), sorted by bytes; the cursor stays on its flow when the next
// snapshot reorders them; s sorts by the column under the column cursor;
// enter opens the flow; L switches to the written flows table (loaded
// then, from Parquet) and back.
func TestLiveFlowsScreen(t *testing.T) {
	m, snaps := liveFlowsScreen(t)
	s2 := snaps[2]
	expect := screenHas(t, m)
	v := expect("live", "row 1 of 12 · sorted by bytes ↓ · live: the engines' last closed interval, 14:57:30.000000 +10 s · L: written table")
	first := strings.Fields(lineWith(v, "47000/tcp"))
	if want := []string{"A", "if0", "all", "198.51.100.10:20>10.10.1.100:47000/tcp", "3,624", "5,431,336", "4.345", "40"}; strings.Join(first, " ") != strings.Join(want, " ") {
		t.Fatalf("first row %q, want %q", first, want)
	}
	lt := m.tabs[1].(*liveFlowsTab)
	if !lt.needLoad || len(m.e.inflight) != 0 {
		t.Fatalf("the live view queried: table asked %v, %d in flight", !lt.needLoad, len(m.e.inflight))
	}
	drive(t, m, keyMsg("down")) // A ftp 40: the control connection overtakes it in the next interval
	expect("down", "row 2 of 12")
	drive(t, m, liveMsg{st: &s2})
	expect("next snapshot", "row 4 of 12", "interval, 14:57:40.000000 +10 s")
	if lt.at != (liveFlowKey{"A", "ftp", 40}) {
		t.Fatalf("cursor on %+v", lt.at)
	}
	drive(t, m, keyMsg("right"), keyMsg("right"), keyMsg("right"), keyMsg("right"), keyMsg("s")) // packets
	v = expect("sort", "row 1 of 12 · sorted by packets ↓")
	rows := strings.Split(v, "\n")
	if f := strings.Fields(rows[3]); len(f) < 8 || f[4] != "3,624" {
		t.Fatalf("first row by packets %q", rows[3])
	}
	drive(t, m, keyMsg("s"))
	expect("sort up", "row 1 of 12 · sorted by packets ↑")
	drive(t, m, keyMsg("L"))
	// the written table says so, as the RTT screen's does (L: the way back)
	expect("written", "row 1 of 84 · sorted by bytes ↓", "· written table · L: live rows")
	if lt.needLoad {
		t.Fatal("the written table was not loaded")
	}
	drive(t, m, keyMsg("L"), keyMsg("enter"))
	d, ok := m.active().(*detail)
	if !ok || d.ref != (flowRef{probe: "A", flowID: 48}) { // packets ↑: flow 48 (12 packets), class all first
		t.Fatalf("enter opened %T %+v", m.active(), d)
	}
}

// TestLiveFlowsFilterKeys: on the live Flows screen, / opens the filter
// of the written flows table (the live view has none) and the text typed
// next is the filter's: typing "tcp port 21" and enter filters the written
// table. The keys used to do nothing there, so the text was read as keys
// ("p" opened packets, enter a flow). c opens the column chooser the same
// way.
func TestLiveFlowsFilterKeys(t *testing.T) {
	m, _ := liveFlowsScreen(t)
	expect := screenHas(t, m)
	expect("live", "row 1 of 12 · sorted by bytes ↓ · live")
	drive(t, m, keyMsg("/"))
	lt := m.tabs[1].(*liveFlowsTab)
	if lt.live || !lt.typing() {
		t.Fatalf("/ on the live view: live %v, typing a filter %v", lt.live, lt.typing())
	}
	for _, r := range "tcp port 21" {
		drive(t, m, keyMsg(string(r)))
	}
	drive(t, m, keyMsg("enter"))
	if _, ok := m.active().(*liveFlowsTab); !ok {
		t.Fatalf("typing the filter opened %T", m.active())
	}
	v := expect("filtered", "filter: tcp port 21")
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "/tcp") && !strings.Contains(l, ":21>") && !strings.Contains(l, ":21/tcp") {
			t.Errorf("a row the filter leaves out: %q", l)
		}
	}
	drive(t, m, keyMsg("esc"), keyMsg("L"))
	expect("live again", "· live")
	drive(t, m, keyMsg("c"))
	if lt.live {
		t.Fatal("c on the live view stayed there")
	}
}

// TestLiveRowsScreens: in a live run the TCP, FTP, RTT, One-way and Events
// screens list the engines' latest rows from the snapshots
// (LiveStatus.Recent, loaded into DuckDB's live_* tables), newest first,
// not the written Parquet parts. The rows here are the lab FTP replay's
// own (its 21 TCP connections, 16 FTP transfers, 21 RTT samples, 11
// events, read back from its output): a first snapshot carries the first
// 10 connections, the TCP screen lists them; the cursor moved to the third
// row stays on its connection when the next snapshot brings all 21; a
// pcap filter works over the live rows; L shows the written table (21
// rows) and back; enter opens the connection's flow; the other screens
// list their rows and load nothing before the first snapshot. A cursor
// on the first row follows the newest row; rows that fit are all shown.
// A database reopened during the run waits for the next snapshot's rows
// without an error.
func TestLiveRowsScreens(t *testing.T) {
	out := replayed(t, ftpLab)
	written := &observe.Batch{}
	for _, name := range observe.RecentTables {
		written.Append(testout.ReadBatch(t, out, observe.TableNamed(name)))
	}
	if len(written.TCPConnections) != 21 || len(written.FTPTransfers) != 16 || len(written.RTTSamples) != 21 || len(written.Events) != 11 {
		t.Fatalf("the replay wrote %v", written.Len())
	}
	snaps := liveSnaps()
	first := &observe.Batch{TCPConnections: written.TCPConnections[:10]}
	snaps[1].Recent, snaps[1].RecentRows = first, 10
	snaps[2].Recent, snaps[2].RecentRows = written, uint64(written.Rows())
	m := liveModel(t, out, snaps)
	expect := screenHas(t, m)
	drive(t, m, tea.WindowSizeMsg{Width: 160, Height: 40})
	drive(t, m, keyMsg("3"))
	expect("before any snapshot", "live: waiting for the engines' first rows")
	s0, s1, s2 := snaps[0], snaps[1], snaps[2]
	drive(t, m, liveMsg{st: &s0})
	expect("no rows yet", "no rows · sorted by start_time ↓ · live: the engines' latest 256 rows · L: written table")
	drive(t, m, liveMsg{st: &s1})
	expect("first rows", "row 1 of 10 · sorted by start_time ↓ · live")
	tab := m.tabs[2].(*pagedTable)
	newest := slices.MaxFunc(first.TCPConnections, func(a, b observe.TCPConnection) int { return cmp.Compare(a.StartTime, b.StartTime) })
	if got := queries.Int64(tab.current()["conn_id"]); got != int64(newest.ConnID) {
		t.Fatalf("first row is connection %d, want the newest, %d", got, newest.ConnID)
	}
	// a cursor on the first row follows the newest row
	mid := s1
	mid.Recent, mid.RecentRows = &observe.Batch{TCPConnections: written.TCPConnections[:15]}, 15
	drive(t, m, liveMsg{st: &mid})
	expect("more rows", "row 1 of 15 · sorted by start_time ↓ · live")
	newest = slices.MaxFunc(mid.Recent.TCPConnections, func(a, b observe.TCPConnection) int { return cmp.Compare(a.StartTime, b.StartTime) })
	if got := queries.Int64(tab.current()["conn_id"]); got != int64(newest.ConnID) {
		t.Fatalf("the cursor on the first row is on connection %d, want the newest, %d", got, newest.ConnID)
	}
	// a cursor on another row stays on it, and rows that fit are all shown
	drive(t, m, keyMsg("down"), keyMsg("down"))
	at := queries.Int64(tab.current()["conn_id"])
	drive(t, m, liveMsg{st: &s2})
	expect("all rows", "of 21 · sorted by start_time ↓ · live")
	if got := queries.Int64(tab.current()["conn_id"]); got != at || tab.top != 0 {
		t.Fatalf("after the refresh the cursor is on connection %d (was on %d), first row shown %d", got, at, tab.top)
	}
	drive(t, m, keyMsg("/"))
	for _, r := range "tcp port 21" {
		drive(t, m, keyMsg(string(r)))
	}
	drive(t, m, keyMsg("enter"))
	control := 0
	for _, c := range written.TCPConnections {
		if c.ServerPort == 21 || c.ClientPort == 21 {
			control++
		}
	}
	expect("filter", fmt.Sprintf("row 1 of %d", control), "filter: tcp port 21")
	drive(t, m, keyMsg("esc"), keyMsg("L"))
	expect("written", "row 1 of 21 · sorted by start_time ↑ · written table · L: live rows")
	drive(t, m, keyMsg("L"))
	expect("live again", "row 1 of 21 · sorted by start_time ↓ · live")
	drive(t, m, keyMsg("enter"))
	if _, ok := m.active().(*detail); !ok {
		t.Fatalf("enter on a live connection opened %T", m.active())
	}
	drive(t, m, keyMsg("esc"))
	for _, c := range []struct {
		key  string
		rows int
	}{{"4", 16}, {"5", 21}, {"7", 11}} {
		drive(t, m, keyMsg(c.key))
		expect("screen "+c.key, fmt.Sprintf("row 1 of %d · sorted by", c.rows), "· live: the engines' latest 256 rows")
	}
	if m.e.liveRows != s2.RecentRows || !m.e.liveReady {
		t.Fatalf("live rows %d loaded (ready %v), snapshot has %d", m.e.liveRows, m.e.liveReady, s2.RecentRows)
	}
	// a database reopened during the run (the run wrote a new table) has
	// no live rows until the next snapshot: the screen waits, no error
	drive(t, m, keyMsg("3"))
	m.e.db.Close()
	m.e.db = nil
	drive(t, m, reopenMsg{})
	expect("reopened", "live: waiting for the engines' first rows")
	if m.e.errMsg != "" {
		t.Fatalf("after the reopen: error %q", m.e.errMsg)
	}
	drive(t, m, liveMsg{st: &s2})
	expect("reloaded", "row 1 of 21 · sorted by start_time ↓ · live")
}

// TestLiveFlowPackets: p on a live Flows row opens the flow's packets from
// its first packet (LiveFlow.FirstSeenNs, flows.first_seen) to the end of
// its last closed interval, not that interval alone: the lab FTP replay's
// largest transfer (flow 40 of class ftp, 198.51.100.10:40171 >
// 10.10.1.100:37982, first seen 14:57:40.040554667, its SYN-ACK) seen in
// a 1 s interval starting at 14:57:42 lists from 14:57:40.040554 on, the
// 2,935 packets tcpdump counts in that direction before 14:57:43.
func TestLiveFlowPackets(t *testing.T) {
	out := replayed(t, ftpLab)
	s := liveSnaps()[1]
	s.Flows = []LiveFlow{{Probe: "A", Iface: "if0", Class: "ftp", FlowID: 40, IntervalStartNs: 1795964262_000000000, IntervalS: 1, CoveredStartNs: 1795964262_000000000, CoveredS: 1,
		FirstSeenNs: 1795964260040554667, Protocol: 6, SrcAddr: "198.51.100.10", DstAddr: "10.10.1.100", SrcPort: 40171, DstPort: 37982,
		Packets: 1000, Bytes: 1_500_000}}
	m := liveModel(t, out, []LiveStatus{s})
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s})
	drive(t, m, keyMsg("2"))
	drive(t, m, keyMsg("p"))
	v := plain(m)
	// tcpdump -nn -tt -r A.pcap 'src host 198.51.100.10 and src port 40171 and dst host 10.10.1.100
	// and dst port 37982' | awk '$1 < 1795964263.0' | wc -l: 2935
	if !strings.Contains(v, "Packets of 198.51.100.10:40171>10.10.1.100:37982/tcp so far  2935 packets · one direction") {
		t.Fatalf("p opened:\n%s", v)
	}
	if l := lineWith(v, "14:57:40.040554"); l == "" || !strings.Contains(l, "198.51.100.10.40171 > 10.10.1.100.37982") {
		t.Fatalf("the flow's first packet is not listed first:\n%s", v)
	}
}

// TestLiveFlowsBrush: in a live run a brushed time range shows the written
// flows of that range on the Flows screen (the engines' last interval is
// one moment, which the brush cannot narrow), and clearing the brush (B,
// on the Flows screen itself) brings the live view back. The lab FTP replay's flows alive between
// 14:57:40 and 14:57:41 are counted by DuckDB over the written flows.
func TestLiveFlowsBrush(t *testing.T) {
	out := replayed(t, ftpLab)
	snaps := liveSnaps()
	m := liveModel(t, out, snaps)
	s1 := snaps[1]
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s1}, keyMsg("2"))
	if v := plain(m); !strings.Contains(v, "live: the engines' last closed interval") {
		t.Fatalf("not the live view:\n%s", v)
	}
	lo, hi := int64(1795964260_000000000), int64(1795964261_000000000)
	var want int
	if err := m.e.db.QueryRow("SELECT count(*) FROM flows WHERE epoch_ns(first_seen) <= ? AND epoch_ns(last_seen) >= ?", hi, lo).Scan(&want); err != nil || want == 0 {
		t.Fatalf("%d flows in the range: %v", want, err)
	}
	m.e.brush, m.e.brushGen = brush{lo: lo, hi: hi}, m.e.brushGen+1
	drive(t, m, keyMsg("1"), keyMsg("2"))
	if v := plain(m); !strings.Contains(v, fmt.Sprintf("row 1 of %d · sorted by bytes ↓", want)) {
		t.Fatalf("brushed: want the %d written flows of the range:\n%s", want, v)
	}
	drive(t, m, keyMsg("B")) // B clears the brush here too, not only on the overview
	if v := plain(m); !strings.Contains(v, "live: the engines' last closed interval") || m.e.brush.active() {
		t.Fatalf("brush cleared with B on Flows: not the live view:\n%s", v)
	}
}

// screenHas returns a check that m's screen holds every want (the step
// names the failure) and returns the screen.
func screenHas(t *testing.T, m *Model) func(step string, want ...string) string {
	return func(step string, want ...string) string {
		t.Helper()
		v := plain(m)
		for _, w := range want {
			if !strings.Contains(v, w) {
				t.Fatalf("%s: screen lacks %q:\n%s", step, w, v)
			}
		}
		return v
	}
}

// TestNoFlowsSaysWhy: a snapshot without flows says whether no interval
// has closed yet or the last one had no packets (a trial read "no
// interval has closed" after traffic stopped).
func TestNoFlowsSaysWhy(t *testing.T) {
	s := liveSnaps()[0]
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	expect := screenHas(t, m)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s})
	expect("before", "Busiest flows  none yet: no interval has closed")
	quiet := s
	quiet.Probes = []LiveProbe{{Name: "A", Packets: 1000, Intervals: 3}}
	drive(t, m, liveMsg{st: &quiet})
	expect("quiet", "Busiest flows  none: the last closed interval had no packets")
	drive(t, m, keyMsg("2"))
	expect("flows", "none: the last closed interval had no packets · L: written table")
}

// TestLiveFlowsNarrow: at 80 columns the live Flows screen shrinks its
// name column and scrolls sideways with the column cursor, so every
// column can be read (a trial saw packets, bytes, Mbit/s and flow_id cut
// to "p…" with no way to reach them); the columns beyond the edge are
// left out whole and counted on the info line.
func TestLiveFlowsNarrow(t *testing.T) {
	s := liveSnaps()[1]
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24}, liveMsg{st: &s}, keyMsg("2"))
	header := func() string { return strings.Split(plain(m), "\n")[2] }
	if h := header(); !strings.Contains(h, "packets") || !strings.Contains(h, "bytes↓") || ansi.StringWidth(h) > 80 {
		t.Fatalf("header at 80 columns: %q", h)
	}
	// the columns that do not fit are left out whole and said (Mbit/s
	// was cut to "Mbi…" at the edge, flow_id out of sight unsaid)
	for i, l := range strings.Split(plain(m), "\n")[2:6] {
		if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
			t.Errorf("line %d cut at the edge: %q", i+2, l)
		}
	}
	if info := strings.Split(plain(m), "\n")[1]; !strings.Contains(info, " more →") { // flow_id, or more (the short form at 80: TestLiveFlowsInfoAt80)
		t.Errorf("info line %q does not say columns are beyond the edge", info)
	}
	for range 7 {
		drive(t, m, keyMsg("right"))
	}
	if h := header(); !strings.Contains(h, "Mbit/s") || !strings.Contains(h, "flow_id") {
		t.Fatalf("header with the column cursor on flow_id: %q", h)
	}
	if row := lineWith(plain(m), "4.345"); !strings.HasSuffix(strings.TrimSpace(row), " 40") {
		t.Fatalf("the busiest flow's row does not show its Mbit/s and flow id: %q", row)
	}
}

// TestLiveFlowNotWrittenYet: enter on a live flow whose row the run has
// not written yet (a flow's row is written when it ends) says so in the
// screen, not "loading flow …" for ever, and esc goes back.
func TestLiveFlowNotWrittenYet(t *testing.T) {
	s := liveSnaps()[1]
	s.Flows = []LiveFlow{{Probe: "A", Iface: "if0", Class: "all", FlowID: 99999, IntervalStartNs: 1795964262_000000000, IntervalS: 1, CoveredStartNs: 1795964262_000000000, CoveredS: 1,
		Protocol: 17, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 5000, DstPort: 6000, Packets: 1, Bytes: 100}}
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	expect := screenHas(t, m)
	drive(t, m, tea.WindowSizeMsg{Width: 160, Height: 40}, liveMsg{st: &s}, keyMsg("2"))
	drive(t, m, keyMsg("enter"))
	expect("enter", "flow 99999 of probe A has not ended yet: the run writing it is still going (a flow's row is written when it ends: idle, evicted or at the end of the run)", "esc: back")
	if lines := strings.Split(plain(m), "\n"); strings.Contains(lines[len(lines)-2], "error") {
		t.Errorf("a flow not ended yet is no error: status line %q", lines[len(lines)-2])
	}
	drive(t, m, keyMsg("esc"))
	expect("back", "live: the engines' last closed interval")
}

// TestNoticeUntilFirstKey: what the command warned about before the TUI
// took the terminal (live --tui: the capture's offloads) is on the status
// line when the TUI opens, until the first key (a trial saw the warning
// only after quitting).
func TestNoticeUntilFirstKey(t *testing.T) {
	const notice = "warning: vB has offloads on (gro): turn them off with: ethtool -K vB gro off"
	m, err := New(Options{Out: replayed(t, ftpLab), Renderer: testRenderer(), Notice: notice})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	lines := strings.Split(plain(m), "\n")
	if st := lines[len(lines)-2]; !strings.Contains(st, notice) {
		t.Fatalf("status line at start %q, want the notice", st)
	}
	drive(t, m, keyMsg("2"))
	lines = strings.Split(plain(m), "\n")
	if st := lines[len(lines)-2]; strings.Contains(st, "offloads") {
		t.Fatalf("status line after a key %q, want the notice gone", st)
	}
}

// liveModel is a model over out fed by a fakeLive playing snaps, closed
// with the test.
// liveFlowsScreen returns a live model over the lab FTP replay at 120x40,
// started, on the live Flows screen of its second snapshot, and the
// snapshots.
func liveFlowsScreen(t *testing.T) (*Model, []LiveStatus) {
	t.Helper()
	snaps := liveSnaps()
	m := liveModel(t, replayed(t, ftpLab), snaps)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	s1 := snaps[1]
	drive(t, m, liveMsg{st: &s1}, keyMsg("2"))
	return m, snaps
}

func liveModel(t *testing.T, out string, snaps []LiveStatus) *Model {
	t.Helper()
	m, err := New(Options{Out: out, Renderer: testRenderer(), Live: &fakeLive{snaps: snaps}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestLiveOverviewNotWrittenYet: a realtime replay writes its tables at
// its end, so for the whole run its overview said "loading ./tmon-out …"
// (a tmux trial at 5 s and 8 s into the lab FTP capture), without its
// hint line, while the status line said no flows rows were written. It
// now says so under the output's name, its hint below.
func TestLiveOverviewNotWrittenYet(t *testing.T) {
	src := replayed(t, ftpLab)
	out := filepath.Join(t.TempDir(), "tmon-out")
	if err := os.CopyFS(out, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	for _, tb := range []string{"flows", "flow_counters", "_manifest.json"} {
		if err := os.RemoveAll(filepath.Join(out, tb)); err != nil {
			t.Fatal(err)
		}
	}
	m := liveStarted(t, out)
	v := plain(m)
	if strings.Contains(v, "loading") || !strings.Contains(v, "no flows rows written yet: a replay writes its tables at its end") || !strings.Contains(v, overviewHint) {
		t.Fatalf("the overview of a run that has not written flows:\n%s", v)
	}
}

// liveStarted returns the live model of out (liveModel, liveSnaps) sized
// 120x40, shown its second snapshot, and started (its Init run).
func liveStarted(t *testing.T, out string) *Model {
	t.Helper()
	snaps := liveSnaps()
	m := liveModel(t, out, snaps)
	s := snaps[1]
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s})
	drive(t, m, runCmd(m.Init())...)
	return m
}

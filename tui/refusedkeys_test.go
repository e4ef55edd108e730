package tui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestRefusedKeysSayWhy: L outside a live run and w outside a Packets
// screen did nothing and said nothing (a new user's trial): each now
// leaves a note in the status line, as other refused keys do; in a live
// run, L on a screen without live rows (the overview) says so too; so
// does m (whole row) off a table screen.
func TestRefusedKeysSayWhy(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	press("2")
	expect("flows", "sorted by bytes")
	press("L")
	if !strings.Contains(m.e.status, "L: live rows only in a live run") {
		t.Fatalf("L on a written run: status %q", m.e.status)
	}
	expect("L", "L: live rows only in a live run")
	press("w")
	if !strings.Contains(m.e.status, "w: writes packets from a Packets screen") {
		t.Fatalf("w on the Flows screen: status %q", m.e.status)
	}
	expect("w", "w: writes packets from a Packets screen (p opens one)")

	// m (whole row) on the overview, a flow page and a Packets screen,
	// which have no table row under a cursor, said nothing
	for _, step := range []struct {
		keys       []string
		what, want string
	}{
		{[]string{"1"}, "the overview", "Overview"},
		{[]string{"4", "enter"}, "a flow page", "TCP connections"},
		{[]string{"4", "enter", "p"}, "a Packets screen", "3624 packets"},
	} {
		press(step.keys...)
		press("m")
		if m.e.status != "m: opens a table row whole, on a table screen" {
			t.Fatalf("m on %s: status %q", step.what, m.e.status)
		}
		expect("m on "+step.what, step.want, "m: opens a table row whole, on a table screen")
		press("1")
	}

	lm, _ := liveFlowsScreen(t)
	drive(t, lm, keyMsg("1"), keyMsg("L"))
	if lm.e.status != "L: this screen has no live rows" {
		t.Fatalf("L on the live overview: status %q", lm.e.status)
	}
}

// TestChooserScreenKeys: the column chooser took every key until esc or
// enter, 1–8 and tab included; a screen key now closes it and changes
// the screen (the chooser has no text to type: its own keys are up,
// down, space, x, enter, esc), its hint line says so, and a column
// toggled before stays toggled.
func TestChooserScreenKeys(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	press("2")
	expect("flows", "sorted by bytes")
	press("c")
	expect("chooser", "Columns of flows", "screen keys leave it")
	press("3")
	expect("3", "sorted by")
	if m.cur != 2 {
		t.Fatalf("3 in the chooser: on screen %d, want the TCP screen (2)", m.cur)
	}
	flows := m.tabs[1].(*pagedTable)
	if flows.chooser {
		t.Fatal("the chooser stayed open behind the TCP screen")
	}
	press("2", "c", "tab")
	if m.cur != 2 || flows.chooser {
		t.Fatalf("tab in the chooser: screen %d, chooser open %v", m.cur, flows.chooser)
	}
	// its own keys stay its own: space toggles the table's first column
	press("2", "c")
	first := flows.cols[0].Name
	on := slices.Contains(flows.show, first)
	press(" ", "enter")
	if flows.chooser || m.cur != 1 || slices.Contains(flows.show, first) == on {
		t.Fatalf("space, enter in the chooser: screen %d, chooser %v, columns %v", m.cur, flows.chooser, flows.show)
	}
}

// TestInfoLineKeepsFront: the Error golden's info line read
// "… · sorted by bytes ↓": not a cut front but the row position's "…"
// (loading), which never came (the table could not be described); it now
// says "not loaded" (TestGoldenError, TestGoldenAt80/Error; the status
// line says why). A window narrower than the info line cuts its end, never
// its front (what the screen shows): at 40 columns the Flows screen's
// line starts "row 1 of 84" (84 flows: tmonbench query over the lab FTP
// capture's flows table) and is one line of at most 40 cells.
func TestInfoLineKeepsFront(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	press("2")
	expect("flows", "row 1 of 84 · sorted by bytes ↓")
	drive(t, m, tea.WindowSizeMsg{Width: 40, Height: 24})
	lines := strings.Split(plain(m), "\n")
	info := strings.TrimRight(lines[1], " ")
	// the short forms (pagedTable.infoLine) fit it whole: row, sort, the 5 columns beyond the edge
	if info != "row 1 of 84 · by bytes ↓ · 5 more →" || ansi.StringWidth(info) > 40 {
		t.Fatalf("info line at 40 columns %q", info)
	}
	if !strings.HasPrefix(lines[2], "probe") {
		t.Fatalf("the header is not below the info line: %q", lines[2])
	}
}

// TestLiveFlowsFit: at 100×30 the live Flows screen elided its flow names
// in the middle ("10.99.0.2:8080….0.1:56910/tcp", a tmux trial of the lab
// FTP replay) while its probe column was 10 wide for "A" and its bytes 12
// wide for "5,431,336": the columns had fixed widths. They are now as wide
// as their header and cells, the room left going to the name, as on a
// written table: the snapshot's names (38 cells at most) are whole, every
// column is shown, and the probe column is as wide as its header.
func TestLiveFlowsFit(t *testing.T) {
	s := liveSnaps()[1]
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30}, liveMsg{st: &s}, keyMsg("2"))
	lines := strings.Split(plain(m), "\n")
	if !strings.HasPrefix(lines[2], "probe interface class name ") || !strings.Contains(lines[2], "flow_id") {
		t.Fatalf("header at 100 columns: %q", lines[2])
	}
	for _, f := range s.Flows {
		if lineWith(strings.Join(lines, "\n"), " "+f.name()+" ") == "" {
			t.Fatalf("no row with the whole name %q:\n%s", f.name(), strings.Join(lines, "\n"))
		}
	}
}

// TestLiveFlowsInfoAt80: at 80x24 the live Flows screen's info line keeps,
// uncut, the row, the sort, the interval its rows are of (liveFlows(0):
// 14:57:30 UTC, 10 s) and the key back to the written table, and the
// written table's line keeps its key to the live rows: a trial read "row
// 1 of 12 · sorted by bytes ↓ · 1 more column → · live: … · L: written
// table" (the interval lost) and "... · written table · L: live ro…".
func TestLiveFlowsInfoAt80(t *testing.T) {
	s := liveSnaps()[1]
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24}, liveMsg{st: &s}, keyMsg("2"))
	info := strings.TrimRight(strings.Split(plain(m), "\n")[1], " ")
	if want := "row 1 of 12 · by bytes ↓ · 1 more → · live: 14:57:30.000000 +10 s · L: written"; info != want {
		t.Errorf("live rows' info line at 80 columns:\n%q\nwant\n%q", info, want)
	}
	drive(t, m, keyMsg("L"))
	info = strings.TrimRight(strings.Split(plain(m), "\n")[1], " ")
	if want := "row 1 of 84 · by bytes ↓ · 3 more → · written · L: live rows"; info != want {
		t.Errorf("written table's info line at 80 columns:\n%q\nwant\n%q", info, want)
	}
	if got := liveInfoLine(200, 1, 12, "bytes ↓", 0, 1, "14:57:30.000000", 10); got != "row 1 of 12 · sorted by bytes ↓ · 1 more column → · live: the engines' last closed interval, 14:57:30.000000 +10 s · L: written table" {
		t.Errorf("at 200 columns, the long form: %q", got)
	}
}

package tui

import (
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// TestLiveOverviewTinyWindow: on a 40×10 terminal the live overview shows
// the engines' counters, the legend below them: a tmux trial of live
// --tui at 40×10 saw the legend's six wrapped lines fill the body and no
// number at all ("Live · capturing  captured B: snaplen-", "cut", "IP
// bytes: on the wire", ...). liveSnaps' second snapshot: A on if0, 3,000
// packets, 600,000 captured bytes (200 a packet), 2,000 pkt/s over its
// second. At 120×40 the legend stays above (TestGoldenLive).
func TestLiveOverviewTinyWindow(t *testing.T) {
	out := replayed(t, ftpLab)
	snaps := liveSnaps()
	m := liveModel(t, out, snaps)
	drive(t, m, tea.WindowSizeMsg{Width: 40, Height: 10})
	for i := range 2 {
		s := snaps[i]
		drive(t, m, liveMsg{st: &s})
	}
	v := plain(m)
	if n := strings.Count(v, "\n") + 1; n > 10 {
		t.Errorf("%d lines on a 10-line terminal:\n%s", n, v)
	}
	row := strings.Fields(lineWith(v, "A ", "if0"))
	if len(row) < 4 || row[2] != "3,000" || !strings.HasPrefix(row[3], "2,000") { // the line is cut at 40 columns: "2,000…"
		t.Errorf("no counters row A if0 3,000 2,000 (packets, pkt/s) at 40×10:\n%s", v)
	}
	if !strings.Contains(v, "Live · capturing") || !strings.Contains(v, "captured") {
		t.Errorf("no title or header at 40×10:\n%s", v)
	}
	// the legend below, wrapped on its own: its first item whole (it was
	// cut "captured B: snaplen-" / "cut" after the title)
	if lineWith(v, "captured B: snaplen-cut") == "" {
		t.Errorf("legend's first item cut at 40×10:\n%s", v)
	}
}

// TestOneHeartbeatSingular: the live panel's PDU line of a channel that
// sent one heartbeat (a quiet live run) read "sent 25 (1 heartbeats)" in
// a tmux trial; 4 stay plural (TestLiveOverview).
func TestOneHeartbeatSingular(t *testing.T) {
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	s := liveSnaps()[0]
	s.Channels[0].Sent, s.Channels[0].Heartbeats = 21, 1
	e.snap = &s
	if p := livePanel(e, 120, 20); !strings.Contains(p, "PDUs: A→local sent 21 (1 heartbeat) acked 20 unacked 0 ok") {
		t.Errorf("one heartbeat:\n%s", p)
	}
}

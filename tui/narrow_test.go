package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
)

// At 80×24 (the README: "80×24 fits every screen") every screen's footer
// keeps "? help" and "q quit" (other hints go first), the ? page keeps
// every key (its columns reflow), and the overview's probe table keeps
// every count on one line a row (narrowProbeTable); the throughput
// caption and the protocol mix fit.

// TestNarrowFooters: teatest at 80×24, each top-level screen, a drilled-in
// flow and the ? page.
func TestNarrowFooters(t *testing.T) {
	out := replayed(t, ftpLab)
	m := newTestModel(t, out)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	waitText(t, tm, "Throughput", "Protocols")
	waitIdle(t, tm)
	view := func() string {
		return inspect(t, tm, "the screen", func(m *Model) string { return ansi.Strip(m.View()) })
	}
	check := func(name string, want ...string) {
		t.Helper()
		waitIdle(t, tm)
		v := view()
		lines := strings.Split(v, "\n")
		foot := lines[len(lines)-1]
		if !strings.Contains(foot, "? help") || !strings.Contains(foot, "q quit") || strings.Contains(foot, "…") {
			t.Errorf("%s: footer %q lacks ? help or q quit", name, foot)
		}
		for _, w := range want {
			if !strings.Contains(v, w) {
				t.Errorf("%s: screen lacks %q:\n%s", name, w, v)
			}
		}
		if len(lines) != 24 {
			t.Errorf("%s: %d lines", name, len(lines))
		}
	}
	// the overview's probe table: every count is there, a row on one line
	check("overview", "IP bytes", "flows", "malf", "drops", "8,150,454")
	if l := lineWith(view(), "14:57:38.548973"); !strings.Contains(l, "8,150,454") || !strings.HasSuffix(strings.TrimSpace(l), "·") {
		t.Errorf("overview: probe row %q, want its counts on its line", l)
	}
	// the strip's caption fits (keys left to ? help) and the protocol
	// mix keeps its share on the bar's line (7.8 MiB, not 8,150,454 B)
	ov := view()
	if l := lineWith(ov, "Throughput"); !strings.Contains(l, "IP bytes per") || strings.Contains(l, "…") || ansi.StringWidth(l) > 80 {
		t.Errorf("overview: throughput caption %q", l)
	}
	if l := lineWith(ov, "tcp ", "all "); !strings.Contains(l, "7.8 MiB 100.0%") {
		t.Errorf("overview: protocol mix line %q, want 7.8 MiB 100.0%% on it", l)
	}
	for i, name := range []string{"flows", "tcp", "ftp", "rtt", "one-way", "events", "sql"} {
		tm.Send(keyMsg(string(rune('2' + i))))
		check(name)
	}
	tm.Send(keyMsg("2"))
	waitIdle(t, tm)
	tm.Send(keyMsg("enter"))
	waitText(t, tm, "Counters over time")
	check("flow detail", "Counters over time")
	tm.Send(keyMsg("?"))
	check("help", "b brush start/end", "B clear brush", "? help", "q quit", "PgDn", "L live/written rows")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(time.Minute))
}

// TestResizeRedrawsStrip: a 120×40 session resized to 80×24 while another
// screen is shown draws the overview's strip 78 buckets wide when it comes
// back (the trial saw the 118-bucket strip cut with …).
func TestResizeRedrawsStrip(t *testing.T) {
	m, press, _ := screenModel(t, replayed(t, ftpLab))
	o := m.tabs[0].(*overview)
	if o.strip == nil || len(o.strip.vals) != 118 {
		t.Fatalf("strip at 120 columns: %+v", o.strip)
	}
	press("2")
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	press("1")
	if o.strip == nil || len(o.strip.vals) != 78 {
		t.Fatalf("strip after the resize to 80 columns: %v buckets, want 78", o.strip)
	}
	for i, l := range strings.Split(plain(m), "\n") {
		if strings.Contains(l, "█…") || ansi.StringWidth(l) > 80 {
			t.Errorf("line %d cut or too wide: %q", i, l)
		}
	}
}

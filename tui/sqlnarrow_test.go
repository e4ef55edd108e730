package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// TestSQLNarrowLeavesOut: at 80 columns the SQL screen leaves out whole
// the result's columns that do not fit, as the table screens do
// (fitColumns), and says how many ("N more columns →"). A new-user trial
// saw the tcp query's sixth column cut at the window's edge: header
// "duration_s …", values "…" (the FTP lab capture: 9 columns, probe class
// client server start_time duration_s state ...).
func TestSQLNarrowLeavesOut(t *testing.T) {
	out := replayed(t, ftpLab)
	m, press, expect := screenModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 30})
	press("8")
	s := m.active().(*sqlScreen)
	s.pick = slices.IndexFunc(s.named, func(n queries.Named) bool { return n.Name == "tcp" })
	if s.pick < 0 {
		t.Fatal("no named query tcp")
	}
	press("enter")
	expect("result", "client", "server")
	screen := plain(m)
	hdr := strings.Fields(lineWith(screen, "probe", "client", "server"))
	if len(hdr) == 0 {
		t.Fatalf("no header line:\n%s", screen)
	}
	for _, h := range hdr {
		if !slices.Contains(s.res.Columns, h) {
			t.Errorf("header %q: %q is not a whole column name (cut at the edge?)\n%s", strings.Join(hdr, " "), h, screen)
		}
	}
	hidden := len(s.res.Columns) - len(hdr)
	if hidden <= 0 {
		t.Fatalf("every one of %d columns shown at 80 columns; the test wants some left out:\n%s", len(s.res.Columns), screen)
	}
	want := fmt.Sprintf("%d more columns →", hidden)
	if hidden == 1 {
		want = "1 more column →"
	}
	if lineWith(screen, "rows 1–", want) == "" {
		t.Errorf("no %q in the hint line:\n%s", want, screen)
	}
	for _, l := range strings.Split(screen, "\n") {
		if ansi.StringWidth(l) > 80 {
			t.Errorf("a line %d wide: %q", ansi.StringWidth(l), l)
		}
		if strings.HasSuffix(strings.TrimRight(l, " "), " …") {
			t.Errorf("a cell cut at the edge: %q", l)
		}
	}
}

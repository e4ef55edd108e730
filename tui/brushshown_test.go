package tui

import (
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestBrushShownOnFlows (new-user trial): with a brush set on the
// overview's strip, the Flows screen gave no sign that its rows were of
// the brushed range only. At 80 columns its info line says the range, as
// it says a filter ("brush 14:57:38.548973–…": the strip starts at the
// lab capture's first packet, `tshark -r testdata/lab/ftp/A.pcap -c 1 -T
// fields -e frame.time_epoch`: 1795964258.548973135, 14:57:38.548973 UTC),
// and the help line names the key that clears it (B); B on the Flows
// screen clears it: every flow back (84, the capture's), no brush said.
func TestBrushShownOnFlows(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	press := func(k ...string) {
		for _, x := range k {
			drive(t, m, keyMsg(x))
		}
	}
	press("1", "g", "b")
	for range 25 {
		press("right")
	}
	press("b", "2")
	lines := strings.Split(plain(m), "\n")
	info, help := lines[1], lines[len(lines)-1]
	if !strings.Contains(info, "  brush 14:57:38.548973–14:57:") || strings.Contains(info, "row 1 of 84 ") ||
		!strings.HasPrefix(help, "B clear brush • ") || !strings.Contains(help, "? help") {
		t.Errorf("brushed Flows at 80 columns: info line %q, help line %q: want the range after the rows' count, and B first in the help", info, help)
	}
	// once (the sixth trial's D6: the status line said it too)
	said := regexp.MustCompile(`brush (2026-11-29 )?14:57:38\.548973`)
	if v := plain(m); len(said.FindAllString(v, -1)) != 1 {
		t.Errorf("brushed Flows at 80 columns: the brush said %d times, want once (the info line):\n%s", len(said.FindAllString(v, -1)), v)
	}
	// the overview says it in its status line (its strip marks it)
	press("1")
	if v := plain(m); len(said.FindAllString(v, -1)) != 1 {
		t.Errorf("brushed overview: the brush said %d times, want once:\n%s", len(said.FindAllString(v, -1)), v)
	}
	press("2")
	press("B")
	lines = strings.Split(plain(m), "\n")
	info, help = lines[1], lines[len(lines)-1]
	if !strings.HasPrefix(info, "row 1 of 84 ") || strings.Contains(info, "brush") || strings.Contains(help, "clear brush") {
		t.Errorf("after B: info line %q, help line %q: want every flow and no brush", info, help)
	}
}

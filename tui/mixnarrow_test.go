package tui

import (
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestMixFits60: at 60×20 the overview's protocol mix keeps each
// protocol on its line: "tcp", its bar and its 7.8 MiB (the lab FTP
// capture's 8,150,454 IP bytes, TestNarrowFooters), the share left to
// the bar. A trial at 60 columns saw "100.0%" wrapped to a line of its
// own, at the start of the Classes column's second row.
func TestMixFits60(t *testing.T) {
	m, press, _ := screenModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 60, Height: 20})
	press("1")
	v := plain(m)
	lonePct := regexp.MustCompile(`^\s*\d+\.\d%`)
	for i, l := range strings.Split(v, "\n") {
		if lonePct.MatchString(l) || ansi.StringWidth(l) > 60 {
			t.Errorf("line %d: %q: a share wrapped, or wider than 60", i, l)
		}
	}
	if l := lineWith(v, "tcp ", "all "); !strings.Contains(l, "7.8 MiB") || !strings.Contains(l, "█") {
		t.Errorf("protocol mix line %q, want tcp, its bar and 7.8 MiB on it:\n%s", l, v)
	}
}

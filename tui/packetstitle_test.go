package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestPacketsTitleWhole: at 100 columns the Packets screen's title keeps
// the flow's whole name, 41 characters (the lab FTP capture's largest
// transfer, 3624 packets one way: TestWriteNamesByDirection), its count
// on its line; "w writes a pcap" goes to the next. The title was cut to
// half the width, "…:37982/t…", at a trial's 100 columns.
func TestPacketsTitleWhole(t *testing.T) {
	m, press, expect := screenModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	press("4", "enter", "p")
	expect("packets", "3624 packets")
	l := lineWith(plain(m), "Packets of ")
	if !strings.Contains(l, "Packets of 198.51.100.10:40171>10.10.1.100:37982/tcp  3624 packets") || strings.Contains(l, "…") {
		t.Errorf("title line %q, want the flow's whole name and its count", l)
	}
}

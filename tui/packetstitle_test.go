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

// TestPacketsTitleFit: the Packets title shortens at whole parts of
// itself and of the flow's name (packetSel.fitTitle), never inside an
// address:port: at 60 columns, 46 cells beside "3624 packets", it was
// "Packets of 198.51.100.10:40171>10.10.1.100:37…" (port 37 read).
func TestPacketsTitleFit(t *testing.T) {
	s := packetSel{lead: "Packets of ", name: "198.51.100.10:40171>10.10.1.100:37982/tcp", tail: " so far"}
	v6 := packetSel{lead: "packet of ", name: "[2001:db8::1]:53>[2001:db8::2]:33000/udp dscp 46 vlan 100", tail: " at A"}
	for _, c := range []struct {
		sel  packetSel
		w    int
		want string
	}{
		{s, 100, "Packets of 198.51.100.10:40171>10.10.1.100:37982/tcp so far"},
		{s, 58, "198.51.100.10:40171>10.10.1.100:37982/tcp so far"},
		{s, 46, "198.51.100.10:40171>10.10.1.100:37982/tcp"},
		{s, 40, "198.51.100.10:40171>10.10.1.100:37982/…"},
		{s, 38, "198.51.100.10:40171>…"},
		{s, 20, "…"},
		{s, 0, ""},
		{v6, 60, "[2001:db8::1]:53>[2001:db8::2]:33000/udp dscp 46 vlan 100"},
		{v6, 56, "[2001:db8::1]:53>[2001:db8::2]:33000/udp dscp 46 …"},
		{v6, 47, "[2001:db8::1]:53>[2001:db8::2]:33000/udp …"},
		{v6, 39, "[2001:db8::1]:53>[2001:db8::2]:33000/…"},
		{v6, 37, "[2001:db8::1]:53>…"},
	} {
		if got := c.sel.fitTitle(c.w); got != c.want {
			t.Errorf("%q at %d: %q, want %q", c.sel.lead+c.sel.name+c.sel.tail, c.w, got, c.want)
		}
	}
}

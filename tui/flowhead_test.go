package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	tea "github.com/charmbracelet/bubbletea"
)

// TestFlowHeaderWraps: the flow page's header at 100 columns wraps
// between its items and cuts none (a trial saw "bytes 5,431,336 (5.2 Mi"
// at the window's edge, "B)" lost). The lab FTP capture at A's largest
// flow, Flows' first row sorted by bytes:
// 198.51.100.10:40171>10.10.1.100:37982/tcp, 3,624 packets of 5,431,336
// IP bytes (tshark -r testdata/lab/ftp/A.pcap -Y 'ip.src==198.51.100.10
// && tcp.srcport==40171 && tcp.dstport==37982' -T fields -e ip.len,
// summed), 11.832 Mbit/s over its 3.672336 s.
func TestFlowHeaderWraps(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("2"))
	drive(t, m, keyMsg("enter"))
	s := plain(m)
	lines := strings.Split(s, "\n")
	for _, l := range lines[1:5] {
		if strings.HasSuffix(strings.TrimRight(l, " "), "…") || ansi.StringWidth(strings.TrimRight(l, " ")) > 100 {
			t.Fatalf("a header line is cut at 100 columns: %q\n%s", l, s)
		}
	}
	for _, want := range []string{"packets 3,624", "bytes 5,431,336 (5.2 MiB)", "11.832 Mbit/s", "(p: packets)", "proto 6"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the header lacks %q:\n%s", want, s)
		}
	}
}

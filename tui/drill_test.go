package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestDrillDown drives the keys of the whole path through Update (every
// Cmd run synchronously): overview → FTP table → the largest transfer's
// flow (its TCP connection's handshake RTT) → its packets → back out →
// flows filtered → detail → a brush from the overview narrows the flows.
// Expected values: the lab truth (ftp_transfers.csv: file-5M.bin, 5242880
// bytes) and the output (tmonbench query).
func TestDrillDown(t *testing.T) {
	out := replayed(t, ftpLab)
	m := newTestModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, runCmd(m.Init())...)
	expect := func(step string, want ...string) {
		t.Helper()
		s := plain(m)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Fatalf("%s: screen lacks %q:\n%s", step, w, s)
			}
		}
	}
	press := func(k ...string) {
		for _, x := range k {
			drive(t, m, keyMsg(x))
		}
	}
	expect("overview", "Throughput", "7,799")

	// at most five keys from the overview: 4, enter, p
	press("4")
	expect("ftp", "file-5M.bin", "5242880", "row 1 of 16")
	press("enter")
	expect("detail", "Flow A/39", "TCP connections", "handshake_syn_synack_ms 0.021571", "tcp_handshake")
	press("p")
	expect("packets", "3624 packets", "Flags [S.]", "IPv4      198.51.100.10 > 10.10.1.100")
	// numbered by their frames in the file, as Wireshark's No.: tshark -r
	// testdata/lab/ftp/A.pcap -Y 'tcp.srcport==40171 && tcp.dstport==37982'
	// -T fields -e frame.number gives 1952, 1956, 1958 ... (they were
	// numbered 1, 2, 3: trial3 D2)
	expect("frames", " 1952 14:57:40.040554 IP 198.51.100.10.40171 > 10.10.1.100.37982: Flags [S.]", " 1956 14:57:40.041087 ")
	press("down", "down")
	expect("packet 3", "── frame 1958 of A.pcap (3 of 3624):")
	press("r")
	expect("both directions", "4438 packets", "both directions")
	press("esc")
	expect("back to detail", "Flow A/39")
	press("esc")
	expect("back to ftp", "file-5M.bin")

	// flows: sort by packets (column cursor on packets), filter, drill
	press("2")
	expect("flows", "row 1 of 84", "sorted by bytes ↓")
	press("right", "right", "right", "right", "s")
	expect("sort", "sorted by packets ↓")
	press("/")
	for _, r := range "port 20" {
		press(string(r))
	}
	press("enter")
	expect("filter", "filter: port 20", "of 28") // select count(*) from flows where 20 in (src_port, dst_port)
	press("G")
	expect("bottom", "row 28 of 28")
	press("g", "enter")
	expect("flow detail from flows", "Flow A/54", "198.51.100.10:20>10.10.1.100:53299/tcp")
	press("G")
	expect("detail bottom", "FTP transfers", "class command", "ftp   RETR    file-1M.bin 1048576", "Events in the flow's span") // class: the default config's ftp
	press("esc", "esc")
	expect("filter cleared", "row 1 of 84")

	// column chooser: hide "interface"
	press("c", "down", "down", "space", "enter") // columns: flow_id, probe, interface, ...
	if strings.Contains(strings.Split(plain(m), "\n")[2], "interface") {
		t.Fatalf("interface still shown:\n%s", plain(m))
	}

	// brush: the first quarter of the strip
	press("1", "g", "b")
	for range 25 {
		press("right")
	}
	press("b")
	expect("brush", "brush 2026-11-29 14:57:38")
	press("2")
	s := plain(m)
	if strings.Contains(s, "row 1 of 84") || !strings.Contains(s, "row 1 of") {
		t.Fatalf("brush did not narrow the flows:\n%s", s)
	}
	press("1", "B", "2")
	expect("brush cleared", "row 1 of 84")

	// help from the key map, then quit
	press("?")
	expect("help", "brush start/end", "write pcap")
	m.Update(keyMsg("q"))
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q does not quit")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q does not quit")
	}
}

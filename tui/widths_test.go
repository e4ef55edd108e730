package tui

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestFitColumns: columns fitted to a window shrink their text columns
// (the widest first, key columns last, down to their least) and leave the
// columns that still do not fit out whole, never cut at the edge.
func TestFitColumns(t *testing.T) {
	name := len("[2001:db8:85a3::8a2e:370:7334]:49152>[2001:db8:85a3::8a2e:370:7335]:53/udp")
	if name != 74 {
		t.Fatalf("name is %d columns", name)
	}
	cases := []struct {
		what           string
		natural, least []int
		key            []bool
		w              int
		want           []int
		wantN          int
	}{
		// name, class, packets, bytes: all whole on 200 columns
		{"room", []int{74, 7, 9, 11}, []int{16, 7, 9, 11}, []bool{true, false, false, false}, 200, []int{74, 7, 9, 11}, 4},
		// on 80 columns the name gives 6 (74+1+7+1+9+1+11 = 104: 24 too many)
		{"name shrinks", []int{74, 7, 9, 11}, []int{16, 7, 9, 11}, []bool{true, false, false, false}, 80, []int{50, 7, 9, 11}, 4},
		// the Flows table at 80 (out1: probe 25, interface 9, class 5,
		// name 48, packets 7, bytes 5, first_seen 26...): the probe gives
		// first (to 16), then the name, the dated times left out
		{"flows", []int{25, 9, 5, 48, 7, 5, 26, 26, 7}, []int{16, 9, 5, 26, 7, 5, 26, 26, 7},
			[]bool{false, false, false, true, false, false, false, false, false}, 80, []int{16, 9, 5, 33, 7, 5}, 6},
		// two text columns, no key: the widest gives first, then both in turn
		{"widest first", []int{30, 20, 5}, []int{16, 16, 5}, []bool{false, false, false}, 40, []int{16, 17, 5}, 3},
		// too narrow for one column: it is cut to the window
		{"one column", []int{26}, []int{26}, []bool{false}, 20, []int{20}, 1},
		{"none", nil, nil, nil, 80, []int{}, 0},
	}
	for _, c := range cases {
		got, n := fitColumns(c.natural, c.least, c.key, c.w)
		if n != c.wantN || !slices.Equal(got, c.want) {
			t.Errorf("%s: fitColumns = %v, %d, want %v, %d", c.what, got, n, c.want, c.wantN)
		}
	}
}

// TestFlowsFit80: at 80 columns the Flows table cut its last column at the
// window's edge ("name                                 …", packets, bytes
// and the rest out of sight with nothing said). Now every column shown is
// whole under its whole header, the name elided in the middle (both ends
// of the flow stay), and the info line says how many columns are beyond
// the edge; → to the last column shows them, the info line then counting
// those on the left.
func TestFlowsFit80(t *testing.T) {
	m := newTestModel(t, replayed(t, "pcap/ipv6/chrissanders_http_ip4and6.pcapng"))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("2"))
	all := flowsSpec().cols
	check := func(step string) (shown []string, info string) {
		t.Helper()
		lines := strings.Split(plain(m), "\n")
		info, hdr := lines[1], lines[2]
		shown = strings.Fields(hdr)
		for i, l := range lines[2 : len(lines)-2] {
			if l = strings.TrimRight(l, " "); ansi.StringWidth(l) > 80 || strings.HasSuffix(l, "…") {
				t.Errorf("%s: line %d cut at the edge: %q", step, i+2, l)
			}
		}
		for _, h := range shown {
			if !slices.Contains(all, h) {
				t.Errorf("%s: header %q is not a whole column name: %q", step, h, hdr)
			}
		}
		return shown, info
	}
	shown, info := check("first")
	if len(shown) < 5 || !slices.Contains(shown, "name") || !slices.Contains(shown, "bytes") {
		t.Fatalf("first: header %v", shown)
	}
	if hidden := len(all) - len(shown); !strings.Contains(info, plural(hidden)+" →") {
		t.Errorf("first: info line %q does not say %d more columns", info, hidden)
	}
	// a row's name keeps both ends: the source's start, the port and protocol
	if l := lineWith(plain(m), "…", "/tcp"); !strings.HasPrefix(strings.Fields(l)[3], "[2001:db8:1:2::") && !strings.HasPrefix(strings.Fields(l)[3], "172.16.16.1") {
		t.Errorf("a flow name not elided in the middle: %q", l)
	}
	for range len(all) {
		drive(t, m, keyMsg("right"))
	}
	shown, info = check("scrolled")
	if shown[len(shown)-1] != "flow_id" || strings.Contains(info, "→") || !strings.Contains(info, "← ") {
		t.Errorf("scrolled to flow_id: header %v, info %q", shown, info)
	}
}

func plural(n int) string {
	if n == 1 {
		return "1 more column"
	}
	return strconv.Itoa(n) + " more columns"
}

// TestFlowsNameWhole80: the row's name (tableSpec.key) gives its width
// last and keeps two fifths of the window: at 80 columns the lab FTP
// capture's largest flow, 198.51.100.10:40171>10.10.1.100:37982/tcp (41
// columns; tshark -q -z conv,tcp: 3624 frames, 5482 kB from 40171 to
// 37982, that is 5,431,336 B of IP and 3624 × 14 B of Ethernet), shows whole
// beside its packets and bytes, first_seen left out (with a third of
// the window it read 198.51.100.10…00:37982/tcp, its source port lost,
// to make room for first_seen).
func TestFlowsNameWhole80(t *testing.T) {
	m := newTestModel(t, replayed(t, ftpLab))
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, runCmd(m.Init())...)
	drive(t, m, keyMsg("2"))
	row := strings.Fields(strings.Split(plain(m), "\n")[3])
	if want := []string{"A", "if0", "ftp", "198.51.100.10:40171>10.10.1.100:37982/tcp", "3624", "5431336"}; !slices.Equal(row, want) {
		t.Errorf("first row at 80 columns %q, want %q", row, want)
	}
}

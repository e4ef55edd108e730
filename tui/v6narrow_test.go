package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestFlowsNarrowIPv6Distinct: at 60 columns the Flows screen of an IPv6
// ICMP capture writes each flow's name so that no two rows read alike:
// its long IPv6 addresses as their first and last groups (3ffe…80da, as
// `tmonbench query` writes them), one label per address for the column,
// and never cut inside an address or a label. A new-user trial saw rows
// "…/icmp6" (both ends elided whole, 4 of the 13 flows alike). The
// capture (testdata/pcap/ipv6/zeek_communityid_icmp6.pcap) holds 13
// distinct ICMPv6 flows of class all (`tmonbench query --sql "select
// name from flows"`: 13 names, no two equal).
func TestFlowsNarrowIPv6Distinct(t *testing.T) {
	out := replayed(t, "pcap/ipv6/zeek_communityid_icmp6.pcap")
	m, press, expect := screenModel(t, out)
	drive(t, m, tea.WindowSizeMsg{Width: 60, Height: 30})
	press("2")
	expect("flows", "row 1 of 13", "/icmp6")
	seen := map[string]bool{}
	n := 0
	for _, l := range strings.Split(plain(m), "\n") {
		if !strings.HasSuffix(strings.TrimRight(l, " "), "/icmp6") {
			continue
		}
		f := strings.Fields(l)
		name := f[len(f)-1]
		n++
		if seen[name] {
			t.Errorf("two rows read %q:\n%s", name, plain(m))
		}
		seen[name] = true
		if strings.HasPrefix(name, "…") || strings.Contains(name, ":…") || strings.Contains(name, "…:") {
			t.Errorf("%q: an address or label cut", name)
		}
	}
	if n != 13 {
		t.Errorf("%d flow rows, want 13:\n%s", n, plain(m))
	}
}

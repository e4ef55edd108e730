package tui

import (
	"strings"
	"testing"
)

// TestIPv6Endpoints: the flow detail of an IPv6 TCP connection, opened
// from the TCP screen, writes its endpoints [address]:port (RFC 5952 §6),
// as the flows names do, in its header and its TCP connections section;
// unbracketed, 2001:db8:1:2::1002:35023 reads as an address of its own.
// The capture holds one HTTP connection over IPv4 and then one over IPv6
// (`tshark -q -z conv,tcp`: 2001:db8:1:2::1002:35023 <->
// 2001:db8:1:2::1000:80).
func TestIPv6Endpoints(t *testing.T) {
	out := replayed(t, "pcap/ipv6/chrissanders_http_ip4and6.pcapng")
	m, press, expect := screenModel(t, out)
	press("3")
	expect("tcp", "row 1 of 2", "2001:db8:1:2::1002")
	press("down", "enter")
	expect("detail", "TCP connections", "[2001:db8:1:2::1002]:35023 > [2001:db8:1:2::1000]:80")
	d := activeDetail(t, m)
	if !strings.Contains(d.content, "[2001:db8:1:2::1002]:35023 > [2001:db8:1:2::1000]:80 proto 6") &&
		!strings.Contains(d.content, "[2001:db8:1:2::1000]:80 > [2001:db8:1:2::1002]:35023 proto 6") {
		t.Errorf("the detail's header lacks the bracketed endpoints:\n%s", d.content)
	}
}

// TestFmtSpan: the overview's capture span stays within its 9 columns
// and readable at any length (a 3-year capture read "96970194.886").
func TestFmtSpan(t *testing.T) {
	for _, c := range []struct {
		ns   int64
		want string
	}{
		{0, "0.000 s"}, {7_426_000_000, "7.426 s"}, {999_999_000_000, "999.999 s"},
		{1000e9, "0h16m40s"}, {(27*3600 + 5*60 + 12) * 1e9, "27h05m12s"},
		{96970194_886_000_000, "1122d08h"},
	} {
		if got := fmtSpan(c.ns); got != c.want || len(got) > 9 {
			t.Errorf("fmtSpan(%d) = %q, want %q (9 columns at most)", c.ns, got, c.want)
		}
	}
}

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

package main

import (
	"net/netip"
	"strings"
	"testing"
)

// TestSelfCapture: a live probe on vt1 sending to a collector reached
// through vt1 counted its own PDUs (udp flows to the collector's port in
// the summary). The collector is warned of when the route to it leaves by
// a captured interface, or its address is on a captured interface's
// subnet; not when neither (the route by eth0, eth0 not captured). The
// line names the flow and the filter that leaves it out.
func TestSelfCapture(t *testing.T) {
	vt1 := capturedIface{Name: "vt1", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/24"), netip.MustParsePrefix("fd00:9::/64")}}
	lo := capturedIface{Name: "lo", Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, c := range []struct {
		name   string
		coll   collectorRoute
		ifaces []capturedIface
		want   string
	}{
		{"route", collectorRoute{Name: "c", Addr: netip.MustParseAddrPort("192.0.2.7:4739"), Iface: "vt1"}, []capturedIface{vt1},
			"probe A: collector c (192.0.2.7:4739): the route to it leaves by captured interface vt1: the probe captures its own PDUs (udp to 192.0.2.7 port 4739, and the acknowledgements back) and counts them as a flow; leave them out with --filter 'not (udp and host 192.0.2.7 and port 4739)', or the same in the config's class filters"},
		{"subnet", collectorRoute{Name: "c", Addr: netip.MustParseAddrPort("10.9.0.2:4739")}, []capturedIface{lo, vt1},
			"collector c (10.9.0.2:4739): its address is on the subnet of captured interface vt1"},
		{"subnet6", collectorRoute{Name: "c6", Addr: netip.MustParseAddrPort("[fd00:9::2]:5000"), Iface: "eth0"}, []capturedIface{vt1},
			"--filter 'not (udp and host fd00:9::2 and port 5000)'"},
		{"loopback", collectorRoute{Name: "c", Addr: netip.MustParseAddrPort("127.0.0.1:4739"), Iface: "lo"}, []capturedIface{lo}, "captured interface lo"},
		{"elsewhere", collectorRoute{Name: "c", Addr: netip.MustParseAddrPort("192.0.2.7:4739"), Iface: "eth0"}, []capturedIface{vt1, lo}, ""},
		{"route unknown", collectorRoute{Name: "c", Addr: netip.MustParseAddrPort("192.0.2.7:4739")}, []capturedIface{vt1}, ""},
	} {
		got := selfCapture("A", []collectorRoute{c.coll}, c.ifaces)
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("%s: %q, want no warning", c.name, got)
			}
			continue
		}
		if len(got) != 1 || !strings.Contains(got[0], c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

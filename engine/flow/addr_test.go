package flow

import (
	"net/netip"
	"testing"
	"unsafe"
)

// TestAddrPairRoundTrip: PackAddrs keeps every address as it was: invalid,
// IPv4, IPv6, and an IPv4-mapped IPv6 address, which stays IPv6 (the
// Is4 bit is what tells them apart, not the 16 bytes).
func TestAddrPairRoundTrip(t *testing.T) {
	addrs := []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("::")}
	for _, s := range addrs {
		for _, d := range addrs {
			p := PackAddrs(s, d)
			if p.Src() != s || p.Dst() != d {
				t.Errorf("PackAddrs(%v, %v) gives back %v, %v", s, d, p.Src(), p.Dst())
			}
		}
	}
	if PackAddrs(netip.Addr{}, netip.Addr{}) != (AddrPair{}) {
		t.Error("two invalid addresses are not the zero AddrPair")
	}
	if n := unsafe.Sizeof(ckey{}); n != 48 {
		t.Errorf("ckey is %d bytes, want 48", n)
	}
}

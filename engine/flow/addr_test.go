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

// TestKeyRoundTripAndDistinct: every field of a Key survives the table's
// compact word form (Flow.Key gives back the Key the flow was looked up
// with, each field at its maximum, IPv4, IPv6, IPv4-mapped and invalid
// addresses), and two keys that differ in one field only are two flows.
func TestKeyRoundTripAndDistinct(t *testing.T) {
	addrs := []netip.Addr{{}, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	base := Key{Class: 0xffff, Iface: 0xfffe, IPVersion: 6, Protocol: 0xff, DSCP: 63, Folded: 3, SrcPort: 0xfffd, DstPort: 0xfffc, VLAN: 4095}
	var keys []Key
	for _, s := range addrs {
		for _, d := range addrs {
			k := base
			k.SrcAddr, k.DstAddr = s, d
			keys = append(keys, k)
		}
	}
	for i := range 9 { // base with one field changed
		k := base
		k.SrcAddr, k.DstAddr = addrs[1], addrs[3]
		switch i {
		case 0:
			k.Class--
		case 1:
			k.Iface--
		case 2:
			k.IPVersion = 4
		case 3:
			k.Protocol--
		case 4:
			k.DSCP--
		case 5:
			k.Folded = 1
		case 6:
			k.SrcPort--
		case 7:
			k.DstPort--
		case 8:
			k.VLAN--
		}
		keys = append(keys, k)
	}
	tb := New(1, len(keys), 0)
	for i, k := range keys {
		f, created := tb.Lookup(k, 1, nil)
		if !created {
			t.Fatalf("key %d (%+v) found an earlier key's flow %+v", i, k, f.Key())
		}
		if got := f.Key(); got != k {
			t.Errorf("key %d: Flow.Key() = %+v, want %+v", i, got, k)
		}
	}
	for i, k := range keys {
		if f := tb.Get(k); f == nil || f.Key() != k {
			t.Errorf("key %d: Get does not find its flow", i)
		}
	}
}

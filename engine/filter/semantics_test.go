package filter

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Hand-built dissections, filled as dissect.Dissect fills them.

func v4(src, dst string, proto uint8) dissect.Dissection {
	return dissect.Dissection{
		Meta:      pkt.Meta{WireLen: 74},
		Flags:     dissect.HasIP,
		EtherType: 0x0800,
		IPVersion: 4, IPHdrLen: 20,
		SrcAddr: netip.MustParseAddr(src), DstAddr: netip.MustParseAddr(dst),
		Protocol: proto,
	}
}

func v6(src, dst string, proto uint8) dissect.Dissection {
	d := v4("0.0.0.0", "0.0.0.0", proto)
	d.EtherType, d.IPVersion, d.IPHdrLen = 0x86DD, 6, 40
	d.SrcAddr, d.DstAddr = netip.MustParseAddr(src), netip.MustParseAddr(dst)
	return d
}

func withPorts(d dissect.Dissection, sp, dp uint16) dissect.Dissection {
	d.SrcPort, d.DstPort = sp, dp
	d.Flags |= dissect.HasL4
	switch d.Protocol {
	case dissect.ProtoTCP:
		d.Flags |= dissect.HasTCP
	case dissect.ProtoUDP:
		d.Flags |= dissect.HasUDP
	}
	return d
}

var (
	// 10.0.0.1:1234 -> 10.0.0.2:80 SYN, DSCP 46 (EF), 74 bytes.
	tcpSyn = func() dissect.Dissection {
		d := withPorts(v4("10.0.0.1", "10.0.0.2", dissect.ProtoTCP), 1234, 80)
		d.TCPFlags, d.TOS = dissect.TCPSyn, 46<<2
		return d
	}()
	// The second fragment of a UDP datagram: no transport header.
	udpFrag2 = func() dissect.Dissection {
		d := v4("10.0.0.1", "10.0.0.2", dissect.ProtoUDP)
		d.Flags |= dissect.IsFrag
		d.FragOff = 1480
		return d
	}()
	// The first fragment of a DNS response (offset 0, MF set).
	udpFrag1 = func() dissect.Dissection {
		d := withPorts(v4("10.0.0.2", "10.0.0.1", dissect.ProtoUDP), 53, 5353)
		d.Flags |= dissect.IsFrag
		d.MoreFrags = true
		return d
	}()
	// IPv6 DNS query without extension headers.
	dns6 = withPorts(v6("2001:db8::1", "2001:db8::53", dissect.ProtoUDP), 40000, 53)
	// IPv6 first fragment of a DNS response: fragment header (48 bytes of
	// IP headers); libpcap's port test does not look past it.
	dns6Frag = func() dissect.Dissection {
		d := withPorts(v6("2001:db8::53", "2001:db8::1", dissect.ProtoUDP), 53, 40000)
		d.Flags |= dissect.IsFrag | dissect.HasV6FragHdr
		d.MoreFrags, d.IPHdrLen = true, 48
		return d
	}()
	// IPv6 MLD report behind a hop-by-hop header: libpcap's icmp6 is false.
	mld = func() dissect.Dissection {
		d := v6("fe80::1", "ff02::16", dissect.ProtoICMPv6)
		d.Flags |= dissect.HasL4 | dissect.HasICMP
		d.IPHdrLen = 48
		d.Data = make([]byte, 48) // next header (byte 6) 0: hop-by-hop options, then ICMPv6
		return d
	}()
	// ICMP port unreachable from a router, quoting a DNS query to 8.8.8.8.
	icmpErr = func() dissect.Dissection {
		d := v4("192.168.1.254", "192.168.1.10", dissect.ProtoICMP)
		d.Flags |= dissect.HasL4 | dissect.HasICMP | dissect.HasInner
		d.ICMPType, d.ICMPCode = 3, 3
		d.InnerSrcAddr, d.InnerDstAddr = netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("8.8.8.8")
		d.InnerProtocol, d.InnerSrcPort, d.InnerDstPort = dissect.ProtoUDP, 33000, 53
		return d
	}()
	// ARP in VLAN 5 (Dissect returns ErrNotIP, VLANs filled).
	arpVLAN = dissect.Dissection{Meta: pkt.Meta{WireLen: 64}, NVLAN: 1, VLANs: [2]uint16{5}}
	// Q-in-Q: S-tag 10, C-tag 20, IPv4 TCP.
	qinq = func() dissect.Dissection {
		d := tcpSyn
		d.NVLAN, d.VLANs = 2, [2]uint16{10, 20}
		return d
	}()
	// Three tags (only two IDs kept).
	triple = func() dissect.Dissection {
		d := tcpSyn
		d.NVLAN, d.VLANs = 3, [2]uint16{1, 2}
		return d
	}()
)

func TestSemantics(t *testing.T) {
	type pc struct {
		name string
		d    dissect.Dissection
		want bool
	}
	cases := []struct {
		filter string
		pkts   []pc
	}{
		{"", []pc{{"syn", tcpSyn, true}, {"arp", arpVLAN, true}}},
		{"ip", []pc{{"syn", tcpSyn, true}, {"dns6", dns6, false}, {"arp", arpVLAN, false}}},
		{"ip6", []pc{{"syn", tcpSyn, false}, {"dns6", dns6, true}, {"mld", mld, true}}},
		{"not ip", []pc{{"arp", arpVLAN, true}, {"syn", tcpSyn, false}}},
		{"tcp", []pc{{"syn", tcpSyn, true}, {"frag2", udpFrag2, false}}},
		// proto tests match every fragment; port tests only offset 0.
		{"udp", []pc{{"frag2", udpFrag2, true}, {"frag1", udpFrag1, true}, {"dns6frag", dns6Frag, true}}},
		{"port 53", []pc{{"frag1", udpFrag1, true}, {"frag2", udpFrag2, false}, {"dns6", dns6, true}, {"dns6frag", dns6Frag, false}}},
		{"not port 53", []pc{{"frag2", udpFrag2, true}, {"arp", arpVLAN, true}, {"frag1", udpFrag1, false}}},
		{"udp src port 53", []pc{{"frag1", udpFrag1, true}, {"dns6", dns6, false}}},
		{"tcp port 53", []pc{{"frag1", udpFrag1, false}}},
		{"dst portrange 5000-6000", []pc{{"frag1", udpFrag1, true}, {"syn", tcpSyn, false}}},
		{"src and dst portrange 50-6000", []pc{{"frag1", udpFrag1, true}, {"syn", tcpSyn, true}}},
		{"src and dst portrange 1000-6000", []pc{{"frag1", udpFrag1, false}, {"syn", tcpSyn, false}}},
		{"icmp6", []pc{{"mld", mld, false}}},
		{"ip6 proto 58", []pc{{"mld", mld, false}}},
		{"ip6 proto 0", []pc{{"mld", mld, true}, {"dns6", dns6, false}}},
		{"ip6 proto 44", []pc{{"dns6frag", dns6Frag, true}, {"dns6", dns6, false}, {"mld", mld, false}}},
		{"ip6 proto 17", []pc{{"dns6frag", dns6Frag, true}, {"dns6", dns6, true}}},
		{"proto 17", []pc{{"dns6frag", dns6Frag, true}, {"frag2", udpFrag2, true}}},
		{"ip proto 17", []pc{{"dns6frag", dns6Frag, false}, {"frag2", udpFrag2, true}}},
		// libpcap's abbreviations: ah is proto 51, esp 50, pim 103, in
		// both versions (gen_proto_abbrev, gen_proto(N, Q_DEFAULT))
		{"ah", []pc{{"ah4", v4("10.0.0.1", "10.0.0.2", 51), true}, {"ah6", v6("2001:db8::1", "2001:db8::2", 51), true}, {"esp4", v4("10.0.0.1", "10.0.0.2", 50), false}, {"syn", tcpSyn, false}}},
		{"esp", []pc{{"esp6", v6("2001:db8::1", "2001:db8::2", 50), true}, {"ah4", v4("10.0.0.1", "10.0.0.2", 51), false}}},
		{"pim and ip6", []pc{{"pim6", v6("fe80::1", "ff02::d", 103), true}, {"pim4", v4("10.0.0.1", "224.0.0.13", 103), false}}},
		// host tests the outer header only, not the quoted packet.
		{"host 8.8.8.8", []pc{{"icmperr", icmpErr, false}}},
		{"host 192.168.1.10", []pc{{"icmperr", icmpErr, true}}},
		{"icmp and dst host 192.168.1.10", []pc{{"icmperr", icmpErr, true}}},
		{"port 53 or 33000", []pc{{"icmperr", icmpErr, false}}},
		{"net 10.0.0.0/30", []pc{{"syn", tcpSyn, true}, {"dns6", dns6, false}}},
		{"src net 10.0.0.2/31", []pc{{"syn", tcpSyn, false}}},
		{"dst net 10.0.0.2/31", []pc{{"syn", tcpSyn, true}}},
		{"src and dst net 10.0.0.0/30", []pc{{"syn", tcpSyn, true}}},
		{"net 2001:db8::/32", []pc{{"dns6", dns6, true}, {"syn", tcpSyn, false}}},
		{"net 2001:db8::/127", []pc{{"dns6", dns6, true}}},
		{"dst net 2001:db8::52/127", []pc{{"dns6", dns6, true}}},
		{"src net 2001:db8::52/127", []pc{{"dns6", dns6, false}}},
		{"ip6 host 2001:db8::53 and udp dst port 53", []pc{{"dns6", dns6, true}, {"dns6frag", dns6Frag, false}}},
		{"net ::/0", []pc{{"dns6", dns6, true}, {"syn", tcpSyn, false}}},
		{"net 0.0.0.0/0", []pc{{"syn", tcpSyn, true}, {"dns6", dns6, false}}},
		{"tcp-syn", []pc{{"syn", tcpSyn, true}, {"frag2", udpFrag2, false}}},
		{"tcp-syn and not tcp-ack", []pc{{"syn", tcpSyn, true}}},
		{"tcp-ack or tcp-rst or tcp-fin", []pc{{"syn", tcpSyn, false}}},
		{"dscp 46", []pc{{"syn", tcpSyn, true}, {"dns6", dns6, false}, {"arp", arpVLAN, false}}},
		{"not dscp 46", []pc{{"arp", arpVLAN, true}}},
		{"len = 74", []pc{{"syn", tcpSyn, true}, {"arp", arpVLAN, false}}},
		{"len < 74", []pc{{"syn", tcpSyn, false}, {"arp", arpVLAN, true}}},
		{"len != 74", []pc{{"syn", tcpSyn, false}, {"arp", arpVLAN, true}}},
		{"greater 74", []pc{{"syn", tcpSyn, true}}},
		{"len > 4294967295", []pc{{"syn", tcpSyn, false}}},
		{"len < 0", []pc{{"syn", tcpSyn, false}}},
		// vlan primitives test the tags in the order they are written
		// (libpcap moves its offsets at each `vlan`), and the network
		// layer is seen through the tags whatever the filter says.
		{"vlan", []pc{{"arp", arpVLAN, true}, {"syn", tcpSyn, false}, {"qinq", qinq, true}}},
		{"vlan 5", []pc{{"arp", arpVLAN, true}}},
		{"vlan 20", []pc{{"qinq", qinq, false}}},
		{"vlan 10 and vlan 20", []pc{{"qinq", qinq, true}}},
		{"vlan and vlan 20", []pc{{"qinq", qinq, true}}},
		{"vlan 10 or vlan 20", []pc{{"qinq", qinq, true}}},
		{"vlan 20 or vlan 10", []pc{{"qinq", qinq, false}}},
		{"vlan and vlan and not vlan", []pc{{"qinq", qinq, true}, {"triple", triple, false}}},
		{"vlan and vlan and vlan", []pc{{"triple", triple, true}, {"qinq", qinq, false}}},
		{"vlan 10 and tcp port 80", []pc{{"qinq", qinq, true}}},
		{"tcp port 80", []pc{{"qinq", qinq, true}}},
		{"host 10.0.0.1 and not (10.0.0.2 or 10.0.0.3)", []pc{{"syn", tcpSyn, false}}},
		{"host 10.0.0.1 and not (10.0.0.3 or 10.0.0.4)", []pc{{"syn", tcpSyn, true}}},
		{"tcp or udp and icmp", []pc{{"syn", tcpSyn, false}}}, // (tcp or udp) and icmp
		{"icmp and icmp or tcp", []pc{{"syn", tcpSyn, true}}},
	}
	var all []string
	for _, c := range cases {
		all = append(all, c.filter)
	}
	multi, err := Compile(all)
	if err != nil {
		t.Fatal(err)
	}
	for ci, c := range cases {
		e, err := Parse(c.filter)
		if err != nil {
			t.Fatalf("%q: %v", c.filter, err)
		}
		single, err := Compile([]string{c.filter})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.pkts {
			if got := e.Match(&p.d); got != p.want {
				t.Errorf("%q on %s: Expr.Match = %v, want %v", c.filter, p.name, got, p.want)
			}
			var s Set
			single.Match(&p.d, &s)
			if got := s.Has(0); got != p.want || s.Count() != b2i(p.want) {
				t.Errorf("%q on %s: single-class sieve = %v, want %v", c.filter, p.name, got, p.want)
			}
			multi.Match(&p.d, &s)
			if got := s.Has(ci); got != p.want {
				t.Errorf("%q on %s: class %d of the %d-class sieve = %v, want %v", c.filter, p.name, ci, len(all), got, p.want)
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A packet belongs to every class whose filter it passes.
func TestSieveSeveralClasses(t *testing.T) {
	s, err := Compile([]string{
		"tcp",                      // 0
		"udp",                      // 1
		"host 10.0.0.1",            // 2
		"port 80 and tcp-syn",      // 3
		"not net 10.0.0.0/8",       // 4
		"",                         // 5
		"dscp 46 and dst 10.0.0.2", // 6
	})
	if err != nil {
		t.Fatal(err)
	}
	var got Set
	d := tcpSyn
	s.Match(&d, &got)
	var want Set
	for _, c := range []int{0, 2, 3, 5, 6} {
		want.Add(c)
	}
	if got != want {
		t.Errorf("classes %v, want %v", members(&got), members(&want))
	}
	d = dns6
	s.Match(&d, &got)
	if m := members(&got); len(m) != 3 || m[0] != 1 || m[1] != 4 || m[2] != 5 {
		t.Errorf("dns6 classes %v, want [1 4 5]", m)
	}
}

func members(s *Set) []int {
	var m []int
	s.ForEach(func(c int) { m = append(m, c) })
	return m
}

func TestSet(t *testing.T) {
	var s Set
	if !s.Empty() || s.Count() != 0 || s.Next(0) != -1 {
		t.Fatal("zero Set not empty")
	}
	for _, c := range []int{0, 63, 64, 200, 255, 256, -1} {
		s.Add(c)
	}
	if s.Count() != 5 || !s.Has(63) || !s.Has(255) || s.Has(256) || s.Has(-1) || s.Has(1) {
		t.Errorf("set %v", members(&s))
	}
	var it []int
	for c := s.Next(0); c >= 0; c = s.Next(c + 1) {
		it = append(it, c)
	}
	if len(it) != 5 || it[0] != 0 || it[1] != 63 || it[2] != 64 || it[3] != 200 || it[4] != 255 {
		t.Errorf("Next walk %v", it)
	}
	if s.Next(65) != 200 || s.Next(256) != -1 {
		t.Errorf("Next(65) = %d", s.Next(65))
	}
	s.Clear()
	if !s.Empty() {
		t.Error("Clear")
	}
}

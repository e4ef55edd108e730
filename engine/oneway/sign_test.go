package oneway

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// pktSpec describes a synthetic packet; the zero value of a field is the
// reference packet's.
type pktSpec struct {
	v6           bool
	proto        string // udp, tcp, icmp, icmp6
	src, dst     string
	sport, dport uint16
	ttl, tos     uint8
	id           uint16
	flowLabel    uint32
	opts         []layers.IPv4Option
	echoID       uint16
	payload      string
	pad          int // link padding bytes after the datagram
}

func build(t *testing.T, s pktSpec) ([]byte, dissect.Dissection) {
	t.Helper()
	if s.src == "" {
		s.src, s.dst = "10.10.1.100", "198.51.100.10"
		if s.v6 {
			s.src, s.dst = "2001:db8::1", "2001:db8::2"
		}
	}
	if s.ttl == 0 {
		s.ttl = 64
	}
	if s.sport == 0 {
		s.sport, s.dport = 49107, 9000
	}
	if s.echoID == 0 {
		s.echoID = 3443
	}
	if s.payload == "" {
		s.payload = "0123456789abcdef-payload"
	}
	if s.proto == "" {
		s.proto = "udp"
	}
	var ls []gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	var ipProto layers.IPProtocol
	switch s.proto {
	case "udp":
		ipProto = layers.IPProtocolUDP
	case "tcp":
		ipProto = layers.IPProtocolTCP
	case "icmp":
		ipProto = layers.IPProtocolICMPv4
	case "icmp6":
		ipProto = layers.IPProtocolICMPv6
	}
	if s.v6 {
		ip := &layers.IPv6{Version: 6, TrafficClass: s.tos, FlowLabel: s.flowLabel, NextHeader: ipProto, HopLimit: s.ttl,
			SrcIP: net.ParseIP(s.src), DstIP: net.ParseIP(s.dst)}
		ls, nl = append(ls, ip), ip
	} else {
		ip := &layers.IPv4{Version: 4, TOS: s.tos, Id: s.id, TTL: s.ttl, Protocol: ipProto, Options: s.opts,
			SrcIP: net.ParseIP(s.src).To4(), DstIP: net.ParseIP(s.dst).To4()}
		ls, nl = append(ls, ip), ip
	}
	switch s.proto {
	case "udp":
		u := &layers.UDP{SrcPort: layers.UDPPort(s.sport), DstPort: layers.UDPPort(s.dport)}
		_ = u.SetNetworkLayerForChecksum(nl)
		ls = append(ls, u)
	case "tcp":
		c := &layers.TCP{SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport), Seq: 1000, ACK: true, Ack: 5, Window: 512, DataOffset: 5}
		_ = c.SetNetworkLayerForChecksum(nl)
		ls = append(ls, c)
	case "icmp":
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: s.echoID, Seq: 1})
	case "icmp6":
		c := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}
		_ = c.SetNetworkLayerForChecksum(nl)
		ls = append(ls, c, &layers.ICMPv6Echo{Identifier: s.echoID, SeqNumber: 1})
	}
	ls = append(ls, gopacket.Payload(s.payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	data := append(buf.Bytes(), make([]byte, s.pad)...)
	var d dissect.Dissection
	if err := dissect.New().Dissect(data, pkt.Meta{CapLen: uint32(len(data)), WireLen: uint32(len(data)), LinkType: pkt.LinkRaw}, &d); err != nil {
		t.Fatal(err)
	}
	return data, d
}

func sign(t *testing.T, mask Mask, s pktSpec) uint64 {
	t.Helper()
	data, d := build(t, s)
	sg, err := NewSigner(64, mask)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := sg.Sign(&d, data)
	if !ok {
		t.Fatal("not signed")
	}
	return v
}

func TestSignMasks(t *testing.T) {
	base := Mask(0)
	nat, _ := ParseMask([]string{"src_addr", "src_port", "l4_checksum"})
	all, _ := ParseMask(maskNames)
	for _, c := range []struct {
		name string
		mask Mask
		a, b pktSpec
		same bool
	}{
		{"ttl always masked", base, pktSpec{}, pktSpec{ttl: 63}, true},
		{"ttl always masked v6", base, pktSpec{v6: true}, pktSpec{v6: true, ttl: 1}, true},
		{"padding excluded", base, pktSpec{}, pktSpec{pad: 20}, true},
		{"payload signed", all, pktSpec{}, pktSpec{payload: "0123456789abcdef-payloaD"}, false},
		{"NAT unmasked", base, pktSpec{}, pktSpec{src: "198.51.100.1", dst: "198.51.100.10", sport: 16908, dport: 9000}, false},
		{"NAT masked", nat, pktSpec{}, pktSpec{src: "198.51.100.1", dst: "198.51.100.10", sport: 16908, dport: 9000}, true},
		{"NAT masked tcp", nat, pktSpec{proto: "tcp"}, pktSpec{proto: "tcp", src: "198.51.100.1", dst: "198.51.100.10", sport: 16908, dport: 9000}, true},
		{"NAT masked, dst port differs", nat, pktSpec{}, pktSpec{src: "198.51.100.1", dst: "198.51.100.10", sport: 16908, dport: 9001}, false},
		{"NAT masked, dst differs", nat, pktSpec{}, pktSpec{src: "198.51.100.1", dst: "198.51.100.11", sport: 16908, dport: 9000}, false},
		{"icmp echo id as port", nat, pktSpec{proto: "icmp"}, pktSpec{proto: "icmp", src: "198.51.100.1", dst: "198.51.100.10", echoID: 7}, true},
		{"icmp echo id unmasked", mustMaskT(t, "src_addr", "l4_checksum"), pktSpec{proto: "icmp"}, pktSpec{proto: "icmp", src: "198.51.100.1", dst: "198.51.100.10", echoID: 7}, false},
		{"icmp6 echo id", mustMaskT(t, "dst_port", "l4_checksum"), pktSpec{proto: "icmp6", v6: true}, pktSpec{proto: "icmp6", v6: true, echoID: 9}, true},
		{"tos", mustMaskT(t, "tos"), pktSpec{}, pktSpec{tos: 0xb8}, true},
		{"tos unmasked", base, pktSpec{}, pktSpec{tos: 0xb8}, false},
		{"tos v6", mustMaskT(t, "tos"), pktSpec{v6: true}, pktSpec{v6: true, tos: 0xb8}, true},
		{"flow label", mustMaskT(t, "flow_label"), pktSpec{v6: true}, pktSpec{v6: true, flowLabel: 0x12345}, true},
		{"flow label unmasked", mustMaskT(t, "tos"), pktSpec{v6: true}, pktSpec{v6: true, flowLabel: 0x12345}, false},
		{"ip id", mustMaskT(t, "ip_id"), pktSpec{}, pktSpec{id: 77}, true},
		{"ip id unmasked", base, pktSpec{}, pktSpec{id: 77}, false},
		{"ip options", mustMaskT(t, "ip_options"),
			pktSpec{opts: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}}},
			pktSpec{opts: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{8, 10, 0, 0, 1}}}}, true},
		{"ip options unmasked", base,
			pktSpec{opts: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{4, 0, 0, 0, 0}}}},
			pktSpec{opts: []layers.IPv4Option{{OptionType: 7, OptionLength: 7, OptionData: []byte{8, 10, 0, 0, 1}}}}, false},
	} {
		if got := sign(t, c.mask, c.a) == sign(t, c.mask, c.b); got != c.same {
			t.Errorf("%s: equal signatures %v, want %v", c.name, got, c.same)
		}
	}
}

func mustMaskT(t *testing.T, names ...string) Mask { return mustMask(t, names...) }

func TestSignWidth(t *testing.T) {
	data, d := build(t, pktSpec{})
	s64, _ := NewSigner(64, 0)
	s16, _ := NewSigner(16, 0)
	full, _ := s64.Sign(&d, data)
	low, _ := s16.Sign(&d, data)
	if low != full&0xffff {
		t.Errorf("16-bit signature %x is not the low bits of %x", low, full)
	}
	if _, err := NewSigner(15, 0); err == nil {
		t.Error("15 bits accepted")
	}
	var none dissect.Dissection
	if _, ok := s16.Sign(&none, nil); ok || s16.Stats.NotIP != 1 {
		t.Error("non-IP dissection signed")
	}
	// truncated capture: signed over what is there, counted
	if _, ok := s16.Sign(&d, data[:len(data)-4]); !ok || s16.Stats.Truncated != 1 {
		t.Errorf("truncated: stats %+v", s16.Stats)
	}
}

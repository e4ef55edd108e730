package dissect_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// quoted6Frames are the 4 frames of testdata/icmp6-quoted-ext.pcap,
// written by TestICMPv6QuotedExtensionHeaders with internal/capgen (go
// test -update rewrites it):
//
//  1. UDP [2001:db8::1]:40000 > [2001:db8::2]:5001 behind an
//     Authentication Header (RFC 4302: payload length 4, 24 bytes)
//  2. ICMPv6 Destination Unreachable, port unreachable (1/4), from
//     2001:db8::2 quoting frame 1's packet
//  3. UDP [2001:db8::1]:40002 > [2001:db8::2]:5001 behind a Destination
//     Options header (PadN) and the same AH
//  4. ICMPv6 Packet Too Big (2/0) quoting frame 3's packet
func quoted6Frames() []capgen.Frame {
	ah := append([]byte{17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, make([]byte, 12)...) // SPI 0x100, sequence 1, 12-byte ICV
	ext := func(f []byte, next byte, hdrs ...byte) []byte {
		g := append([]byte(nil), f[:54]...)
		binary.BigEndian.PutUint16(g[18:], uint16(len(f)-54+len(hdrs)))
		g[20] = next
		return append(append(g, hdrs...), f[54:]...)
	}
	udp := func(port uint16) []byte {
		return capgen.UDP{Src: netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), port), Dst: capgen.AP("[2001:db8::2]:5001"),
			Payload: bytes.Repeat([]byte{'q'}, 20)}.Frame()
	}
	f1 := ext(udp(40000), 51, ah...)
	f3 := ext(udp(40002), 60, append([]byte{51, 0, 1, 4, 0, 0, 0, 0}, ah...)...)
	icmpErr := func(typ, code byte, quoted []byte) []byte {
		body := append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, quoted[14:]...)
		if typ == 2 {
			binary.BigEndian.PutUint32(body[4:], 1280) // MTU
		}
		g := append([]byte(nil), quoted[:54]...)
		copy(g[0:6], quoted[6:12])
		copy(g[6:12], quoted[0:6])
		copy(g[22:38], quoted[38:54]) // from the quoted packet's destination
		copy(g[38:54], quoted[22:38])
		binary.BigEndian.PutUint16(g[18:], uint16(len(body)))
		g[20] = 58
		// checksum over the pseudo-header (RFC 8200 §8.1) and the message
		sum := uint32(len(body)) + 58
		pseudo := append(append([]byte(nil), g[22:54]...), body...)
		for i := 0; i+1 < len(pseudo); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(pseudo[i:]))
		}
		if len(pseudo)%2 == 1 {
			sum += uint32(pseudo[len(pseudo)-1]) << 8
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		binary.BigEndian.PutUint16(body[2:], ^uint16(sum))
		return append(g, body...)
	}
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: f1},
		{TimeNs: capgen.Ms(1), Data: icmpErr(1, 4, f1)},
		{TimeNs: capgen.Ms(2), Data: f3},
		{TimeNs: capgen.Ms(3), Data: icmpErr(2, 0, f3)},
	}
}

// TestICMPv6QuotedExtensionHeaders: the flow of a packet an ICMPv6 error
// quotes is found behind the extension headers the dissector walks in the
// packet itself, AH included (RFC 4302 §2.2: length in 4-octet units
// minus 2), as tshark 4.0.17 reads it (-r testdata/icmp6-quoted-ext.pcap
// -T fields -e icmpv6.type -e ah.spi -e udp.srcport -e udp.dstport:
// frame 2 type 1, SPI 0x100, UDP 40000 > 5001; frame 4 type 2, 40002 >
// 5001). Before, the quoted walk stopped at AH: protocol 51, no ports,
// and the error counted on no flow (no icmp6_error metric).
func TestICMPv6QuotedExtensionHeaders(t *testing.T) {
	path := capgen.Golden(t, "testdata/icmp6-quoted-ext.pcap", capgen.PCAP(quoted6Frames(), false))
	wantPorts := map[uint64][2]uint16{1: {40000, 5001}, 2: {40000, 5001}, 3: {40002, 5001}, 4: {40002, 5001}}
	dissectEach(t, path, 4, func(_ int, m pkt.Meta, err error, x *dissect.Dissection) {
		if err != nil {
			t.Fatalf("frame %d: %v", m.Frame, err)
		}
		w := wantPorts[m.Frame]
		if m.Frame%2 == 1 { // the packet itself
			if x.Protocol != dissect.ProtoUDP || x.SrcPort != w[0] || x.DstPort != w[1] {
				t.Errorf("frame %d: protocol %d ports %d > %d, want UDP %d > %d", m.Frame, x.Protocol, x.SrcPort, x.DstPort, w[0], w[1])
			}
			return
		}
		if !x.IsICMPError() || !x.Has(dissect.HasInner) || x.InnerProtocol != dissect.ProtoUDP || x.InnerSrcPort != w[0] || x.InnerDstPort != w[1] ||
			x.InnerSrcAddr != netip.MustParseAddr("2001:db8::1") || x.InnerDstAddr != netip.MustParseAddr("2001:db8::2") {
			t.Errorf("frame %d: quoted %v:%d > %v:%d protocol %d (inner %v); want [2001:db8::1]:%d > [2001:db8::2]:%d UDP",
				m.Frame, x.InnerSrcAddr, x.InnerSrcPort, x.InnerDstAddr, x.InnerDstPort, x.InnerProtocol, x.Has(dissect.HasInner), w[0], w[1])
		}
	})
}

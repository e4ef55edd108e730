package dissect_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// ipv6ZeroLengthFrames are the 6 frames of testdata/ipv6-zero-length.pcap,
// written by TestIPv6ZeroPayloadLength with internal/capgen (go test
// -update rewrites it), each an IPv6 header whose Payload Length is 0,
// the long ones captured with a 128-byte snap length:
//
//  1. TCP [2001:db8::1]:40000 > [2001:db8::2]:80, 3000 bytes of data, as
//     a TSO/GSO send (frame 3074 bytes on the wire)
//  2. UDP [2001:db8::1]:40001 > [2001:db8::2]:5001, 2000 bytes of data
//     (UDP length 2008), a UDP GSO send (2062 bytes)
//  3. a jumbogram (RFC 2675): hop-by-hop header with the Jumbo Payload
//     option 70028, TCP 40000 > 80 with 70000 bytes of data (70082 bytes)
//  4. a UDP jumbogram: Jumbo Payload 70016, UDP 40001 > 5001 with length
//     0 (RFC 2675 §4) and 70000 bytes of data (70070 bytes)
//  5. No Next Header (59): nothing follows, the frame padded to 60 bytes
//  6. a hop-by-hop header (PadN) without Jumbo Payload option before No
//     Next Header, padded to 62 bytes
func ipv6ZeroLengthFrames() []capgen.Frame {
	a, b := capgen.AP("[2001:db8::1]:40000"), capgen.AP("[2001:db8::2]:80")
	tso := capgen.TCP{Src: a, Dst: b, Flags: "PA", Seq: 1, Ack: 1, Win: 502, Payload: bytes.Repeat([]byte{'t'}, 3000)}.Seg()
	gso := capgen.UDP{Src: capgen.AP("[2001:db8::1]:40001"), Dst: capgen.AP("[2001:db8::2]:5001"), Payload: bytes.Repeat([]byte{'u'}, 2000)}.Frame()
	zero := func(f []byte, next byte, ext []byte, upper []byte) []byte {
		g := append([]byte(nil), f[:54]...)
		g[18], g[19], g[20] = 0, 0, next // Payload Length 0, Next Header
		g = append(g, ext...)
		return append(g, upper...)
	}
	jumbo := func(next byte, n uint32) []byte {
		return binary.BigEndian.AppendUint32([]byte{next, 0, 0xc2, 4}, n) // RFC 2675 §2
	}
	udpJumbo := []byte{0x9c, 0x41, 0x13, 0x89, 0, 0, 0, 0} // 40001 > 5001, length 0
	pad := func(f []byte, n int) []byte { return append(f, make([]byte, n-len(f))...) }
	frames := [][]byte{
		zero(tso, 6, nil, tso[54:]),
		zero(gso, 17, nil, gso[54:]),
		zero(tso, 0, jumbo(6, 8+20+70000), append(tso[54:74:74], bytes.Repeat([]byte{'j'}, 70000)...)),
		zero(gso, 0, jumbo(17, 8+8+70000), append(udpJumbo, bytes.Repeat([]byte{'k'}, 70000)...)),
		pad(zero(tso, 59, nil, nil), 60),
		pad(zero(tso, 0, []byte{59, 0, 1, 4, 0, 0, 0, 0}, nil), 62),
	}
	var out []capgen.Frame
	for i, f := range frames {
		fr := capgen.Frame{TimeNs: capgen.Ms(float64(10 * i)), Data: f}
		if len(f) > 128 {
			fr.Data, fr.WireLen = f[:128], len(f)
		}
		out = append(out, fr)
	}
	return out
}

// TestIPv6ZeroPayloadLength: an IPv6 Payload Length of 0 is the Jumbo
// Payload option's length when a hop-by-hop header carries one (RFC 2675
// §2; a UDP length of 0 there is the IP payload's, §4), and the frame's
// before a TCP or UDP header (Linux TSO/GSO and BIG TCP sends, counted as
// ipv6_zero_length); No Next Header keeps an empty payload. The values
// are tshark 4.0.17's, `-o ipv6.tso_support:TRUE -r
// testdata/ipv6-zero-length.pcap -T fields -e ipv6.opt.jumbo -e
// tcp.srcport -e tcp.dstport -e tcp.len -e udp.srcport -e udp.dstport -e
// udp.length`: frame 1 payload 3020 (3074 - 14 - 40), TCP 40000 > 80 len
// 3000; 2: payload 2008, UDP 40001 > 5001 length 2008; 3: jumbo 70028,
// TCP len 70000; 4: jumbo 70016, UDP 40001 > 5001; 5: plen 0, no next
// header; 6: "Jumbo Payload option missing" (malformed). tcpdump 4.99.3
// prints the jumbograms alike ("HBH (jumbo: 70028) 40000 > 80 ... length
// 70000"). Before, each frame was 40 bytes of IPv6 header: no ports, no
// payload, 3 TCP or UDP headers counted truncated and the jumbogram's
// hop-by-hop header bad.
func TestIPv6ZeroPayloadLength(t *testing.T) {
	path := capgen.Golden(t, "testdata/ipv6-zero-length.pcap", capgen.PCAP(ipv6ZeroLengthFrames(), false))
	type want struct {
		ipLen, payload uint32
		proto          uint8
		sport, dport   uint16
	}
	wants := []want{{3060, 3000, 6, 40000, 80}, {2048, 2000, 17, 40001, 5001}, {70068, 70000, 6, 40000, 80},
		{70056, 70000, 17, 40001, 5001}, {40, 0, 59, 0, 0}, {40, 0, 0, 0, 0}}
	d := dissectEach(t, path, len(wants), func(i int, m pkt.Meta, err error, x *dissect.Dissection) {
		if err != nil {
			t.Fatalf("frame %d: %v", m.Frame, err)
		}
		w := wants[i]
		if x.IPLen != w.ipLen || x.PayloadLen != w.payload || x.Protocol != w.proto || x.SrcPort != w.sport || x.DstPort != w.dport {
			t.Errorf("frame %d: IP length %d, payload %d, protocol %d, ports %d > %d; want %d %d %d %d > %d",
				m.Frame, x.IPLen, x.PayloadLen, x.Protocol, x.SrcPort, x.DstPort, w.ipLen, w.payload, w.proto, w.sport, w.dport)
		}
	})
	if got := kindsOf(d); got != "ipv6_bad_ext_header=1 ipv6_zero_length=2" {
		t.Errorf("kinds %s, want ipv6_zero_length=2 ipv6_bad_ext_header=1 (frame 6)", got)
	}
}

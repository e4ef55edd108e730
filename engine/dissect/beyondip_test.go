package dissect_test

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// withIPLength sets the IPv4 total length (v6 false) or the IPv6 payload
// length (v6) of frame f to n, leaving the checksum as it was (wrong: no
// tool here checks it); the frame's bytes past that length stay, as
// Ethernet padding after a short IP datagram does.
func withIPLength(f []byte, v6 bool, n uint16) []byte {
	if v6 {
		binary.BigEndian.PutUint16(f[14+4:], n)
	} else {
		binary.BigEndian.PutUint16(f[14+2:], n)
	}
	return f
}

// beyondIPFrames are the 7 frames of testdata/transport-beyond-ip-length.pcap,
// written by TestTransportBeyondIPLength with internal/capgen (go test
// -update rewrites it): TCP and UDP headers the IP length cuts short of
// their 20 and 8 bytes, the frame holding more captured bytes past the
// IP datagram's end, then a sound TCP SYN and UDP datagram. (Headers the
// frame's end cuts too are beyondIPCut's, kept out of the capture: there
// tcpdump's filters reject the packet at their first load past the
// captured bytes, `not port 53` included, a documented difference.)
//
//  1. IPv4 192.0.2.1:40010 > 198.51.100.2:21999 SYN, total length 28 (8 TCP bytes), 20 TCP bytes captured
//  2. IPv4 192.0.2.1:40011 > 198.51.100.2:80 PSH-ACK, total length 22 (2 TCP bytes: not even the ports), 20 + 4 payload bytes captured
//  3. IPv6 [2001:db8::1]:40012 > [2001:db8::2]:21999 SYN, payload length 8, 20 TCP bytes captured
//  4. IPv4 192.0.2.1:40013 > 198.51.100.2:53 UDP, total length 24 (4 UDP bytes), 8 + 4 captured
//  5. IPv6 [2001:db8::1]:40014 > [2001:db8::2]:53 UDP, payload length 2 (not even the ports), 8 + 4 captured
//  6. IPv4 192.0.2.1:40017 > 198.51.100.2:21999 SYN (sound)
//  7. IPv4 192.0.2.1:40018 > 198.51.100.2:53 UDP (sound)
//
// tcpdump 4.99.3 (-nr F; it cuts the packet at the IP length before
// printing) prints the ports of frames 1, 3 and 4 ("[|tcp]",
// "truncated-udp 4"), none for 2 and 5 (2 bytes announced); but libpcap
// reads the ports from the captured bytes, never the IP length: `tcp
// port 21999` selects frames 1, 3, 6, `tcp port 80` frame 2, `udp port
// 53` frames 4, 5, 7, and `tcp[13]&2!=0` frames 1 and 6. tshark 4.0.17
// (-T fields -e frame.number -e tcp.srcport -e udp.srcport -e
// _ws.expert.message) shows the source port of 1, 3 and 4 and
// "Malformed Packet" on 1 to 5 (and 7: 4 bytes of DNS). The dissector
// follows libpcap, whose filters the flows' ports must agree with.
func beyondIPFrames() []capgen.Frame {
	v4 := func(sport uint16, dport uint16, flags string, payload []byte) []byte {
		return capgen.TCP{Src: capgen.AP("192.0.2.1:" + strconv.Itoa(int(sport))), Dst: capgen.AP("198.51.100.2:" + strconv.Itoa(int(dport))), Flags: flags,
			Seq: 1000, Ack: 2000, Win: 502, Payload: payload}.Seg()
	}
	u4 := capgen.UDP{Src: capgen.AP("192.0.2.1:40013"), Dst: capgen.AP("198.51.100.2:53"), Payload: []byte("dns?")}.Frame()
	u6 := capgen.UDP{Src: capgen.AP("[2001:db8::1]:40014"), Dst: capgen.AP("[2001:db8::2]:53"), Payload: []byte("dns?")}.Frame()
	t6 := capgen.TCP{Src: capgen.AP("[2001:db8::1]:40012"), Dst: capgen.AP("[2001:db8::2]:21999"), Flags: "S", Seq: 1000, Win: 502}.Seg()
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: withIPLength(v4(40010, 21999, "S", nil), false, 28)},
		{TimeNs: capgen.Ms(1), Data: withIPLength(v4(40011, 80, "PA", []byte("data")), false, 22)},
		{TimeNs: capgen.Ms(2), Data: withIPLength(t6, true, 8)},
		{TimeNs: capgen.Ms(3), Data: withIPLength(u4, false, 24)},
		{TimeNs: capgen.Ms(4), Data: withIPLength(u6, true, 2)},
		{TimeNs: capgen.Ms(5), Data: v4(40017, 21999, "S", nil)},
		{TimeNs: capgen.Ms(6), Data: capgen.UDP{Src: capgen.AP("192.0.2.1:40018"), Dst: capgen.AP("198.51.100.2:53"), Payload: []byte("dns?")}.Frame()},
	}
}

// TestTransportBeyondIPLength: a TCP or UDP header the IP length cuts
// short of its 20 or 8 bytes keeps the ports the frame captured (libpcap
// reads them there: `tcp port 21999` selects frames 1 and 3, `udp port
// 53` 4 and 5, `tcp port 80` 2; see beyondIPFrames), counted as
// tcp_beyond_ip_length and udp_beyond_ip_length as before; a TCP one is
// marked TCPBadOffset (no segment: dissect.TCPNoSegment), its flags read
// as captured from 14 bytes (TCPFlagsCut before), with no payload. Before,
// such headers were dropped whole (ports 0: a port-0 flow, and no port
// filter matched them).
func TestTransportBeyondIPLength(t *testing.T) {
	path := capgen.Golden(t, "testdata/transport-beyond-ip-length.pcap", capgen.PCAP(beyondIPFrames(), false))
	got, d := framesOf(t, path)
	want := []struct {
		l4       uint16 // HasTCP, HasUDP or 0
		src, dst uint16
		flags    uint16 // TCP flags
		cut      bool   // TCPFlagsCut
	}{
		{dissect.HasTCP, 40010, 21999, dissect.TCPSyn, false},
		{dissect.HasTCP, 40011, 80, dissect.TCPPsh | dissect.TCPAck, false},
		{dissect.HasTCP, 40012, 21999, dissect.TCPSyn, false},
		{dissect.HasUDP, 40013, 53, 0, false},
		{dissect.HasUDP, 40014, 53, 0, false},
		{dissect.HasTCP, 40017, 21999, dissect.TCPSyn, false},
		{dissect.HasUDP, 40018, 53, 0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i, w := range want {
		x := &got[i]
		l4 := x.Flags & (dissect.HasTCP | dissect.HasUDP)
		if l4 != w.l4 || x.SrcPort != w.src || x.DstPort != w.dst || x.TCPFlags != w.flags || (x.Flags&dissect.TCPFlagsCut != 0) != w.cut {
			t.Errorf("frame %d: flags %#x %d > %d tcp flags %#x; want l4 %#x %d > %d tcp flags %#x (TCPFlagsCut %v)",
				i+1, x.Flags, x.SrcPort, x.DstPort, x.TCPFlags, w.l4, w.src, w.dst, w.flags, w.cut)
		}
		sound := i >= 5
		if l4 == dissect.HasTCP && (x.Flags&dissect.TCPBadOffset == 0) == !sound {
			t.Errorf("frame %d: TCPBadOffset %v, want %v", i+1, x.Flags&dissect.TCPBadOffset != 0, !sound)
		}
		if !sound && (x.PayloadLen != 0 || x.Payload != nil) {
			t.Errorf("frame %d: payload %d %q, want none", i+1, x.PayloadLen, x.Payload)
		}
	}
	if k := kindsOf(d); k != "tcp_beyond_ip_length=3 udp_beyond_ip_length=2" {
		t.Errorf("kinds %q, want tcp_beyond_ip_length=3 udp_beyond_ip_length=2", k)
	}
}

// TestTransportBeyondIPLengthCut: a TCP header the IP length cuts to 10
// bytes in a frame that ends there keeps its ports and sequence number
// (tcpdump 4.99.3 prints "192.0.2.1.40015 > 198.51.100.2.21999:  [|tcp]",
// tshark 4.0.17 tcp.srcport 40015), its flags unknown (TCPFlagsCut); one
// cut to 2 bytes where the frame ends too has no ports for anyone
// (tcpdump prints none). Both count as tcp_beyond_ip_length.
func TestTransportBeyondIPLengthCut(t *testing.T) {
	seg := func(sport string, n uint16) []byte {
		f := capgen.TCP{Src: capgen.AP("192.0.2.1:" + sport), Dst: capgen.AP("198.51.100.2:21999"), Flags: "S", Seq: 1000, Win: 502}.Seg()
		return withIPLength(f, false, 20+n)[:14+20+n]
	}
	d := dissect.New()
	for _, c := range []struct {
		frame    []byte
		src, dst uint16
		flags    uint16
	}{
		{seg("40015", 10), 40015, 21999, dissect.HasL4 | dissect.HasTCP | dissect.TCPBadOffset | dissect.TCPFlagsCut | dissect.TCPWindowCut},
		{seg("40016", 2), 0, 0, 0},
	} {
		var x dissect.Dissection
		m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: uint32(len(c.frame)), WireLen: uint32(len(c.frame))}
		if err := d.Dissect(c.frame, m, &x); err != nil {
			t.Fatal(err)
		}
		l4 := x.Flags & (dissect.HasL4 | dissect.HasTCP | dissect.TCPBadOffset | dissect.TCPFlagsCut | dissect.TCPWindowCut)
		if l4 != c.flags || x.SrcPort != c.src || x.DstPort != c.dst || c.src != 0 && x.Seq != 1000 {
			t.Errorf("%d bytes: flags %#x %d > %d seq %d; want flags %#x %d > %d seq 1000", len(c.frame), l4, x.SrcPort, x.DstPort, x.Seq, c.flags, c.src, c.dst)
		}
	}
	if k := kindsOf(d); k != "tcp_beyond_ip_length=2" {
		t.Errorf("kinds %q, want tcp_beyond_ip_length=2", k)
	}
}

package dissect_test

import (
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
	"github.com/tmonbench/tmonbench/replay"
)

// anomalyFrames are the frames of testdata/anomaly-kinds.pcap (go test
// -update rewrites it), one kept kind each (Kind.Kept), IPv4 10.0.0.1 >
// 10.0.0.2 or IPv6 ::1 > ::2 on Ethernet, and beside each the highest
// severity of Wireshark's expert info on it (tshark 4.0.17: tshark -r
// testdata/anomaly-kinds.pcap -T fields -e frame.number -e
// _ws.expert.severity -e _ws.expert.message -E occurrence=a; -o
// ipv6.tso_support:TRUE for frame 3, as the dissector reads it), leaving
// out the TCP analysis' own (a SYN's Chat, a retransmission's Note).
// Frames 13 to 16, an IPv6 extension header chain cut by the snap length
// or longer than the payload length, 17 and 18, a UDP and an ICMP header
// cut by the snap length, 19, an SCTP common header the IP length leaves
// out (8 of its 12 bytes), and 20, one the snap length cut (6 bytes)
// (tshark -r testdata/anomaly-kinds.pcap -Y 'frame.number >= 13' -T
// fields -e frame.number -e frame.len -e frame.cap_len -e
// _ws.expert.severity -e _ws.expert.message):
//
//	13	90	60
//	14	98	74
//	15	82	58
//	16	78	78	8388608	Malformed Packet (Exception occurred)
//	17	142	38
//	18	42	36
//	19	42	42	8388608	Malformed Packet (Exception occurred)
//	20	66	40
//
// (8388608 is PI_ERROR; tshark's one-line summary of 13 to 15, 17, 18 and
// 20 ends in "[Packet size limited during capture]", of 16 and 19 in
// "[Malformed Packet]"; frames 5, 8 and 11, the headers the IP length
// leaves out, are PI_ERROR "Malformed Packet (Exception occurred)" too).
var anomalyFrames = []struct {
	kind    dissect.Kind
	data    []byte
	wireLen int    // 0: the frame whole
	tshark  string // Error, Chat, Note or "" (none)
	message string
}{
	{dissect.KindIPLongerThanFrame, ip4(6, 100, tcpHdr(5, nil)), 0, "Error", "IPv4 total length exceeds packet length (40 bytes)"},
	{dissect.KindIPv4ZeroLength, ip4(6, 0, tcpHdr(5, nil)), 0, "", ""},
	{dissect.KindIPv6ZeroLength, ip6(6, 0, tcpHdr(5, nil)), 0, "", "(with ipv6.tso_support none; without it Chat, \"IPv6 payload length equals 0\", and the TCP header Malformed)"},
	{dissect.KindIPv6BadExtHdr, ip6(0, 4, []byte{6, 0, 0, 0}), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindTCPBeyondIPLength, ip4(6, 30, tcpHdr(5, nil)[:10]), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindTCPTruncated, ip4(6, 40, tcpHdr(5, nil))[:44], 54, "", "([Packet size limited during capture]: no expert info)"},
	{dissect.KindTCPBadOffset, ip4(6, 40, tcpHdr(4, nil)), 0, "Error", "Bogus TCP header length (16, must be at least 20)"},
	{dissect.KindUDPBeyondIPLength, ip4(17, 24, []byte{4, 210, 0, 53}), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindUDPBadLength, ip4(17, 28, []byte{4, 210, 0, 53, 0, 4, 0, 0}), 0, "Error", "Bad length value 4 < 8"},
	{dissect.KindUDPBadLength, ip4(17, 32, []byte{4, 210, 0, 53, 0, 100, 0, 0, 'a', 'b', 'c', 'd'}), 0, "Error", "Bad length value 100 > IP payload length"},
	{dissect.KindICMPBeyondIPLength, ip4(1, 22, []byte{8, 0}), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindTCPBadOption, ip4(6, 44, tcpHdr(6, []byte{2, 8, 5, 180})), 0, "Note", "Maximum segment size (option length = 8 bytes says option goes past end of options)"},
	{dissect.KindIPv6ExtHdrTruncated, ip6(0, 36, ext6(ext6(tcpHdr(5, nil), 6, 0), 60, 0))[:60], 90, "", "(snap length 60 in the hop-by-hop header: [Packet size limited during capture], no expert info)"},
	{dissect.KindIPv6ExtHdrTruncated, ip6(0, 44, ext6(ext6(tcpHdr(5, nil), 6, 1), 60, 0))[:74], 98, "", "(snap length 74 in the 16-byte destination options header)"},
	{dissect.KindIPv6ExtHdrTruncated, ip6(44, 28, append([]byte{6, 0, 0, 0, 0, 0, 0, 1}, tcpHdr(5, nil)...))[:58], 82, "", "(snap length 58 in the fragment header)"},
	{dissect.KindIPv6BadExtHdr, ip6(0, 16, ext6(ext6(nil, 59, 1), 60, 0)), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindUDPTruncated, ip4(17, 108, []byte{4, 210, 0, 53, 0, 108, 0, 0})[:38], 142, "", "(snap length 38, 4 bytes of the UDP header)"},
	{dissect.KindICMPTruncated, ip4(1, 28, []byte{8, 0, 0, 0, 0, 1, 0, 1})[:36], 42, "", "(snap length 36, 2 bytes of the ICMP header)"},
	{dissect.KindSCTPBeyondIPLength, ip4(132, 28, sctpHdr()[:8]), 0, "Error", "Malformed Packet (Exception occurred)"},
	{dissect.KindSCTPTruncated, ip4(132, 52, sctpHdr())[:40], 66, "", "(snap length 40, 6 bytes of the SCTP common header)"},
}

// sctpHdr is an SCTP packet 9 > 5000 (RFC 9260 §3.1: ports, verification
// tag, checksum 0) holding one DATA chunk with 4 bytes of data: 32 bytes.
func sctpHdr() []byte {
	return []byte{0, 9, 0x13, 0x88, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
		0, 3, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 'p', 'i', 'n', 'g'}
}

// TestIPv6ExtHdrTooMany: a chain of 18 destination options headers (then
// No Next Header) whose payload length holds it whole is
// ipv6_bad_ext_header, the dissector giving up after 17 headers, however
// many bytes were captured. tshark says nothing of it (tshark 4.0.17 on
// this frame: -T fields -e _ws.expert.severity -e _ws.expert.message:
// empty; "IPv6 no next header"), though RFC 8200 §4.1 has each extension
// header occur once (destination options twice): Kind.Severe's one rating
// per kind keeps it an error with the chains longer than their payload
// length, which it is not in Wireshark.
func TestIPv6ExtHdrTooMany(t *testing.T) {
	for _, caplen := range []int{198, 60} {
		d := dissect.New()
		var x dissect.Dissection
		f := ip6(60, 144, chain6(18))
		m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: uint32(caplen), WireLen: uint32(len(f))}
		if err := d.Dissect(f[:caplen], m, &x); err != nil || kindsOf(d) != wantTooMany(caplen) {
			t.Errorf("captured %d of %d: %v, kinds %q; want %q", caplen, len(f), err, kindsOf(d), wantTooMany(caplen))
		}
	}
}

// wantTooMany: 18 headers whole are too many; cut at 60 bytes (6 of the
// first header's 8) they are cut by the snap length before the count
// says anything.
func wantTooMany(caplen int) string {
	if caplen < 198 {
		return "ipv6_ext_header_truncated=1"
	}
	return "ipv6_bad_ext_header=1"
}

// ext6 is an IPv6 extension header (hop-by-hop or destination options)
// of next header nh and Hdr Ext Len words (8 + 8*words bytes, a PadN
// option filling it) before rest.
func ext6(rest []byte, nh, words byte) []byte {
	h := make([]byte, 8+8*int(words))
	h[0], h[1], h[2], h[3] = nh, words, 1, byte(len(h)-4)
	return append(h, rest...)
}

// chain6 is n destination options headers (8 bytes each) before No Next
// Header.
func chain6(n int) []byte {
	var b []byte
	for i := range n {
		nh := byte(60)
		if i == n-1 {
			nh = 59
		}
		b = append(b, ext6(nil, nh, 0)...)
	}
	return b
}

// eth is an Ethernet header before an IP packet of EtherType t.
func eth(t uint16, p []byte) []byte {
	h := []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, byte(t >> 8), byte(t)}
	return append(h, p...)
}

// ip4 is an Ethernet frame holding an IPv4 header (protocol proto, total
// length totLen, whatever payload holds) and payload.
func ip4(proto byte, totLen uint16, payload []byte) []byte {
	h := []byte{0x45, 0, byte(totLen >> 8), byte(totLen), 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	var s uint32
	for i := 0; i < len(h); i += 2 {
		s += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	s = s>>16 + s&0xffff
	s += s >> 16
	binary.BigEndian.PutUint16(h[10:], ^uint16(s))
	return eth(0x0800, append(h, payload...))
}

// ip6 is an Ethernet frame holding an IPv6 header (next header nh,
// payload length plen) and payload.
func ip6(nh byte, plen uint16, payload []byte) []byte {
	h := make([]byte, 40)
	h[0], h[4], h[5], h[6], h[7], h[23], h[39] = 0x60, byte(plen>>8), byte(plen), nh, 64, 1, 2
	return eth(0x86dd, append(h, payload...))
}

// tcpHdr is a TCP SYN 1234 > 80 of data offset off (words) and options.
func tcpHdr(off byte, opts []byte) []byte {
	h := []byte{4, 210, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, off << 4, 0x02, 255, 255, 0, 0, 0, 0}
	return append(h, opts...)
}

// TestAnomalySeverity: each kept kind is counted on its frame, and
// Kind.Severe (a packet_anomalies event's severity error, else info) is
// whether tshark rates that frame an Error. A transport header the IP
// length leaves out (frames 5, 8, 11, 19: *_beyond_ip_length) is an
// Error, one the snap length cut (frames 6, 17, 18, 20: *_truncated)
// nothing: until the split both counted as *_truncated, info. SCTP's
// (19, 20) counted nothing before.
func TestAnomalySeverity(t *testing.T) {
	var frames []capgen.Frame
	for i, f := range anomalyFrames {
		fr := capgen.Frame{TimeNs: capgen.Ms(float64(i)), Data: f.data}
		if f.wireLen > 0 {
			fr.WireLen = f.wireLen
		}
		frames = append(frames, fr)
	}
	path := capgen.Golden(t, "testdata/anomaly-kinds.pcap", capgen.PCAP(frames, false))
	src, err := replay.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	d := dissect.New()
	var x dissect.Dissection
	for i, f := range anomalyFrames {
		data, m, err := src.Next()
		if err != nil {
			t.Fatal(err)
		}
		before := d.Stats.Kinds
		if err := d.Dissect(data, m, &x); err != nil {
			t.Errorf("frame %d: %v, want it kept (%s)", i+1, err, f.kind)
		}
		var kinds []dissect.Kind
		for k := range d.Stats.Kinds {
			if d.Stats.Kinds[k] != before[k] {
				kinds = append(kinds, dissect.Kind(k))
			}
		}
		if len(kinds) != 1 || kinds[0] != f.kind || !f.kind.Kept() {
			t.Errorf("frame %d: kinds %v, want %s alone (kept)", i+1, kinds, f.kind)
		}
		if want := f.tshark == "Error"; f.kind.Severe() != want {
			t.Errorf("frame %d: %s Severe() %v; tshark rates it %q (%s)", i+1, f.kind, f.kind.Severe(), f.tshark, f.message)
		}
	}
}

// TestFirstFragmentShortHeader: a first IPv4 fragment (MF set, offset 0)
// carrying less than a transport header counts *_truncated (info), not
// *_beyond_ip_length: the rest of the header is in the next fragment.
// tshark 4.0.17 on the same four frames (UDP 4 bytes, ICMP 2, TCP 2, SCTP 8;
// -T fields -e _ws.expert.severity -e _ws.expert.message) says nothing
// but "Fragmented IP protocol (proto=UDP 17, off=0, ID=0001)".
func TestFirstFragmentShortHeader(t *testing.T) {
	for _, c := range []struct {
		frame []byte
		want  string
	}{
		{frag4(ip4(17, 24, []byte{4, 210, 0, 53})), "udp_truncated=1"},
		{frag4(ip4(1, 22, []byte{8, 0})), "icmp_truncated=1"},
		{frag4(ip4(6, 22, []byte{4, 210})), "tcp_truncated=1"},
		{frag4(ip4(132, 28, sctpHdr()[:8])), "sctp_truncated=1"},
	} {
		d := dissect.New()
		var x dissect.Dissection
		m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: uint32(len(c.frame)), WireLen: uint32(len(c.frame))}
		if err := d.Dissect(c.frame, m, &x); err != nil || kindsOf(d) != c.want {
			t.Errorf("protocol %d: %v, kinds %q; want %q", c.frame[23], err, kindsOf(d), c.want)
		}
	}
}

// frag4 sets the More Fragments flag of ip4's frame f and its checksum.
func frag4(f []byte) []byte {
	h := f[14:34]
	h[6], h[10], h[11] = 0x20, 0, 0
	var s uint32
	for i := 0; i < len(h); i += 2 {
		s += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	s = s>>16 + s&0xffff
	s += s >> 16
	binary.BigEndian.PutUint16(h[10:], ^uint16(s))
	return f
}

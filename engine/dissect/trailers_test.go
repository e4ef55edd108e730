package dissect_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// trailerFrames are the 8 frames of testdata/link-trailers.pcap, written
// by TestLengthsFromIPNotFrame with internal/capgen (go test -update
// rewrites it), IPv4 192.0.2.1 > 198.51.100.2:
//
//  1. TCP SYN 40000 > 80, 40 IP bytes, Ethernet padding to 60 bytes
//  2. TCP 40000 > 80 with 100 bytes of data and a 4-byte FCS trailer
//  3. UDP 40000 > 9 (discard) with 2 bytes of data, padded to 60
//  4. UDP with 10 bytes of data and an FCS trailer
//  5. TCP with 3000 bytes of data and a total length of 0 (a TSO send),
//     captured with a 128-byte snap length
//  6. TCP with 1 byte of data and a total length of 0, padded to 60
//  7. UDP length 10 in 16 bytes of IP payload (8 bytes of data)
//  8. UDP length 100 in 12 bytes of IP payload (4 bytes of data)
func trailerFrames() []capgen.Frame {
	a, b, u := capgen.AP("192.0.2.1:40000"), capgen.AP("198.51.100.2:80"), capgen.AP("198.51.100.2:9")
	tcp := func(flags string, n int) []byte {
		return capgen.TCP{Src: a, Dst: b, Flags: flags, Seq: 1, Ack: 1, Win: 502, Payload: bytes.Repeat([]byte{'t'}, n)}.Seg()
	}
	udp := func(n int) []byte { return capgen.UDP{Src: a, Dst: u, Payload: bytes.Repeat([]byte{'u'}, n)}.Frame() }
	pad := func(f []byte) []byte { return append(f, make([]byte, 60-len(f))...) }
	fcs := func(f []byte) []byte { return append(f, 0xde, 0xad, 0xbe, 0xef) }
	set16 := func(f []byte, at int, v uint16) []byte { binary.BigEndian.PutUint16(f[at:], v); return f }
	tso := set16(tcp("PA", 3000), 16, 0) // IPv4 total length (RFC 791 §3.1)
	data := [][]byte{
		pad(tcp("S", 0)), fcs(tcp("PA", 100)), pad(udp(2)), fcs(udp(10)), tso,
		pad(set16(tcp("PA", 1), 16, 0)), set16(udp(8), 38, 10), set16(udp(4), 38, 100), // UDP length (RFC 768)
	}
	var out []capgen.Frame
	for i, f := range data {
		fr := capgen.Frame{TimeNs: capgen.Ms(float64(i)), Data: f}
		if len(f) > 128 && i == 4 {
			fr.Data, fr.WireLen = f[:128], len(f)
		}
		out = append(out, fr)
	}
	return out
}

// TestLengthsFromIPNotFrame: IP and transport lengths come from the IP
// header, not the frame, whatever trails the datagram (Ethernet padding, an
// FCS), and from the frame only when the IPv4 total length is 0 (TSO:
// padding then counts, as Wireshark's ip.tso_support counts it). The
// values are tshark 4.0.17's (-r testdata/link-trailers.pcap -T fields -e
// ip.len -e tcp.len -e udp.length): ip.len 40 140 30 38 3040 46 36 32,
// tcp.len 0 100 in 1 and 2, 3000 and 6 in 5 and 6, udp.length 10 18 in 3
// and 4, 10 and 100 (flagged "Bad length value 100 > IP payload length")
// in 7 and 8, whose payload counts the UDP length in 7 (2) and the IP
// payload in 8 (4).
func TestLengthsFromIPNotFrame(t *testing.T) {
	path := capgen.Golden(t, "testdata/link-trailers.pcap", capgen.PCAP(trailerFrames(), false))
	wants := [][2]uint32{{40, 0}, {140, 100}, {30, 2}, {38, 10}, {3040, 3000}, {46, 6}, {36, 2}, {32, 4}}
	d := dissectEach(t, path, len(wants), func(i int, m pkt.Meta, err error, x *dissect.Dissection) {
		if err != nil {
			t.Fatalf("frame %d: %v", m.Frame, err)
		}
		if w := wants[i]; x.IPLen != w[0] || x.PayloadLen != w[1] || x.SrcPort != 40000 || x.Flags&dissect.HasL4 == 0 {
			t.Errorf("frame %d: IP length %d, payload %d, source port %d; want %d %d 40000", m.Frame, x.IPLen, x.PayloadLen, x.SrcPort, w[0], w[1])
		}
	})
	if got := kindsOf(d); got != "ipv4_zero_length=2 udp_bad_length=1" {
		t.Errorf("kinds %s, want ipv4_zero_length=2 udp_bad_length=1", got)
	}
}

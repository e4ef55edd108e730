package dissect_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TestIPv6NonFirstFragmentData: after the Fragment header of a non-first
// fragment comes the datagram's data from its offset, never headers (RFC
// 8200 §4.5), even when the Fragment header's Next Header is an extension
// header (60, Destination Options): Protocol is 60, the header 48 bytes
// and the payload the 16 data bytes. Before, the data ('a' bytes) was
// walked as a Destination Options header: protocol 97 and no payload.
func TestIPv6NonFirstFragmentData(t *testing.T) {
	ip := []byte{0x60, 0, 0, 0, 0, 24, 44, 64}
	ip = append(ip, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80)
	ip = append(ip, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81)
	ip = append(ip, 60, 0, 0, 64, 0, 0, 1, 0xf9) // offset 64, M=0, id 505
	for range 16 {
		ip = append(ip, 'a')
	}
	var out dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkRaw, CapLen: uint32(len(ip)), WireLen: uint32(len(ip))}
	if err := dissect.New().Dissect(ip, m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Protocol != 60 || out.FragNext != 60 || out.IPHdrLen != 48 || out.PayloadLen != 16 || out.FragOff != 64 || out.Flags&dissect.IsFrag == 0 {
		t.Errorf("protocol %d frag next %d header %d payload %d offset %d frag %v; want 60 60 48 16 64 true",
			out.Protocol, out.FragNext, out.IPHdrLen, out.PayloadLen, out.FragOff, out.Flags&dissect.IsFrag != 0)
	}
}

// TestIPv6ExtLen checks the one extension-header rule the dissector, its
// quoted-packet walk and engine/reasm share, against the RFCs' formats:
// Hdr Ext Len in 8-octet units not counting the first 8 (RFC 8200 §4.3,
// §4.4, §4.6; RFC 6275 §6.1.1 mobility; RFC 7401 §5.1 HIP; RFC 5533
// §5.1 shim6), AH's in 4-octet units minus 2 (RFC 4302 §2.2), the
// Fragment header's fixed 8 octets (RFC 8200 §4.5); ESP (RFC 4303), No
// Next Header (RFC 8200 §4.7), the experimental 253 and 254 (RFC 4727:
// tcpdump and Wireshark's default treat them as upper layers), and the
// upper layers end the walk.
func TestIPv6ExtLen(t *testing.T) {
	for _, c := range []struct {
		nh, hel uint8
		n       int
		ext     bool
	}{
		{0, 0, 8, true}, {0, 1, 16, true}, {43, 2, 24, true}, {60, 255, 2048, true},
		{135, 1, 16, true}, {139, 3, 32, true}, {140, 0, 8, true},
		{51, 4, 24, true}, // AH with a 96-bit ICV: 12 + 12 octets
		{51, 1, 12, true},
		{44, 0, 8, true}, {44, 9, 8, true},
		{50, 0, 0, false}, {59, 0, 0, false}, {253, 0, 0, false}, {254, 0, 0, false},
		{6, 0, 0, false}, {17, 0, 0, false}, {58, 0, 0, false},
	} {
		if n, ext := dissect.IPv6ExtLen(c.nh, c.hel); n != c.n || ext != c.ext {
			t.Errorf("IPv6ExtLen(%d, %d) = %d, %v; want %d, %v", c.nh, c.hel, n, ext, c.n, c.ext)
		}
	}
}

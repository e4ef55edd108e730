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

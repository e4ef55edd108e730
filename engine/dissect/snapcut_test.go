package dissect_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestTCPHeaderCutBySnapLen: an IPv6 TCP segment captured with tcpdump's
// old 68-byte snap length keeps 14 bytes of its TCP header (68 - 14 - 40):
// ports, sequence and acknowledgement numbers, data offset and flags, as
// tcpdump prints them ("2001:db8::1.40000 > 2001:db8::2.80: [|tcp]",
// whose `tcp port 80` and `tcp[13] & 2 != 0` match it). They are decoded,
// the window is marked unknown (TCPWindowCut) and the payload length comes
// from the IP header. Before, the header was dropped whole (no ports, no
// flags). 13 bytes keep the ports and the sequence number with the flags
// unknown (TCPFlagsCut: tcpdump's `tcp port 80` still reads the ports);
// 3 bytes give no TCP layer.
func TestTCPHeaderCutBySnapLen(t *testing.T) {
	full := capgen.TCP{Src: capgen.AP("[2001:db8::1]:40000"), Dst: capgen.AP("[2001:db8::2]:80"), Flags: "S", Seq: 1000, Win: 64240, MSS: 1460, Payload: make([]byte, 100)}.Seg()
	d := dissect.New()
	var out dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: 68, WireLen: uint32(len(full))}
	if err := d.Dissect(full[:68], m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Flags&dissect.HasTCP == 0 || out.SrcPort != 40000 || out.DstPort != 80 || out.Seq != 1000 ||
		out.TCPFlags != dissect.TCPSyn || out.Flags&dissect.TCPWindowCut == 0 || out.PayloadLen != 100 || !out.Truncated {
		t.Errorf("cut at 68: flags %#x ports %d>%d seq %d tcp flags %#x payload %d truncated %v; want HasTCP|TCPWindowCut 40000>80 1000 SYN 100 true",
			out.Flags, out.SrcPort, out.DstPort, out.Seq, out.TCPFlags, out.PayloadLen, out.Truncated)
	}
	m.CapLen = 70
	out = dissect.Dissection{}
	if err := d.Dissect(full[:70], m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Flags&dissect.TCPWindowCut != 0 || out.Window != 64240 {
		t.Errorf("cut at 70: window %d cut %v; want 64240 known", out.Window, out.Flags&dissect.TCPWindowCut != 0)
	}
	m.CapLen = 67
	out = dissect.Dissection{}
	if err := d.Dissect(full[:67], m, &out); err != nil {
		t.Fatal(err)
	}
	cut := dissect.HasTCP | dissect.TCPFlagsCut | dissect.TCPWindowCut
	if out.Flags&cut != cut || out.SrcPort != 40000 || out.DstPort != 80 || out.Seq != 1000 || out.TCPFlags != 0 || out.PayloadLen != 100 {
		t.Errorf("cut at 67 (13 TCP bytes): flags %#x ports %d>%d seq %d tcp flags %#x payload %d; want HasTCP|TCPFlagsCut|TCPWindowCut 40000>80 1000 0 100",
			out.Flags, out.SrcPort, out.DstPort, out.Seq, out.TCPFlags, out.PayloadLen)
	}
	m.CapLen = 57
	out = dissect.Dissection{}
	if err := d.Dissect(full[:57], m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Flags&dissect.HasL4 != 0 {
		t.Errorf("cut at 57 (3 TCP bytes): flags %#x, want no transport layer", out.Flags)
	}
}

// TestUDPHeaderCutBySnapLen: a UDP header the snap length cuts after 4
// bytes keeps its ports, as a TCP header does (TestTCPHeaderCutBySnapLen),
// as tshark 4.0.17 shows them (udp.srcport and udp.dstport 12336 in
// testdata/pcap/malformed/tcpdump_udp-length-heapoverflow.pcap, 38 of
// 262144 bytes captured) and tcpdump's `udp port` reads them; the payload
// length comes from the IP header, the packet is counted udp_truncated.
// 3 bytes give no UDP layer. Before, 4 to 7 bytes gave none either.
func TestUDPHeaderCutBySnapLen(t *testing.T) {
	full := capgen.UDP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:53"), Payload: make([]byte, 100)}.Frame()
	d := dissect.New()
	var out dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: 38, WireLen: uint32(len(full))}
	if err := d.Dissect(full[:38], m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Flags&dissect.HasUDP == 0 || out.SrcPort != 40000 || out.DstPort != 53 || out.PayloadLen != 100 || !out.Truncated ||
		d.Stats.Kinds[dissect.KindUDPTruncated] != 1 {
		t.Errorf("cut at 38: flags %#x ports %d>%d payload %d truncated %v, %d udp_truncated; want HasUDP 40000>53 100 true 1",
			out.Flags, out.SrcPort, out.DstPort, out.PayloadLen, out.Truncated, d.Stats.Kinds[dissect.KindUDPTruncated])
	}
	m.CapLen = 37
	out = dissect.Dissection{}
	if err := d.Dissect(full[:37], m, &out); err != nil {
		t.Fatal(err)
	}
	if out.Flags&dissect.HasL4 != 0 {
		t.Errorf("cut at 37 (3 UDP bytes): flags %#x, want no transport layer", out.Flags)
	}
}

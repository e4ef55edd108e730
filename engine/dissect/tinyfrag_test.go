package dissect_test

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// tinyFragFrames are the 3 frames of testdata/tcp-tiny-fragment.pcap,
// written by TestTinyFirstFragment with internal/capgen (Fragment4At; go
// test -update rewrites it): a TCP segment 192.0.2.1:40000 >
// 198.51.100.2:80 (PSH-ACK, seq 1000, 32 payload bytes, IP id 0x4242) in
// two IPv4 fragments, the first carrying only 8 bytes of the TCP header
// (ports and sequence number: RFC 1858 §3.1's tiny fragment), the second
// the other 12 header bytes and the payload, then an unfragmented SYN
// 192.0.2.1:40001 > 198.51.100.2:80.
//
// tshark 4.0.17 (-r testdata/tcp-tiny-fragment.pcap -o
// ip.defragment:TRUE -T fields -e frame.number -e ip.flags.mf -e
// ip.frag_offset -e tcp.srcport -e tcp.dstport -e tcp.len) reassembles
// frame 2 into the 40000 > 80 segment with 32 bytes of payload; tcpdump
// 4.99.3 prints frame 1 as "192.0.2.1.40000 > 198.51.100.2.80: [|tcp]"
// and counts `tcp port 80` 2 (-r F -nn 'tcp port 80' | wc -l: frames 1
// and 3; frame 2, at offset 8, has no ports).
func tinyFragFrames() []capgen.Frame {
	seg := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:80"), Flags: "PA", Seq: 1000, Ack: 2000,
		Win: 502, IPID: 0x4242, Payload: make([]byte, 32)}.Seg()
	syn := capgen.TCP{Src: capgen.AP("192.0.2.1:40001"), Dst: capgen.AP("198.51.100.2:80"), Flags: "S", Seq: 7000, Win: 64240}.Seg()
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: capgen.Fragment4At(seg, 0, 8, true)},
		{TimeNs: capgen.Ms(1), Data: capgen.Fragment4At(seg, 8, 44, false)},
		{TimeNs: capgen.Ms(2), Data: syn},
	}
}

// TestTinyFirstFragment: an IPv4 first fragment carrying only the first
// 8 bytes of the TCP header keeps its ports (tcpdump's `tcp port 80`
// matches it: see tinyFragFrames) and sequence number, with the flags and
// the window marked unknown (TCPFlagsCut, TCPWindowCut) and no payload;
// it is no truncated header (the rest comes in the next fragment). The
// later fragment has no transport layer, as before. Before, the first
// fragment had no transport layer either (tcp_truncated): its packets
// went to a port-less flow.
func TestTinyFirstFragment(t *testing.T) {
	path := capgen.Golden(t, "testdata/tcp-tiny-fragment.pcap", capgen.PCAP(tinyFragFrames(), false))
	got, d := framesOf(t, path)
	if len(got) != 3 {
		t.Fatalf("%d packets, want 3", len(got))
	}
	first, later, syn := &got[0], &got[1], &got[2]
	cut := dissect.HasTCP | dissect.TCPFlagsCut | dissect.TCPWindowCut | dissect.IsFrag
	if first.Flags&cut != cut || first.SrcPort != 40000 || first.DstPort != 80 || first.Seq != 1000 ||
		first.TCPFlags != 0 || first.PayloadLen != 0 || first.Truncated || first.FragOff != 0 || !first.MoreFrags {
		t.Errorf("first fragment: flags %#x, %d > %d seq %d tcp flags %#x payload %d truncated %v; want HasTCP|TCPFlagsCut|TCPWindowCut|IsFrag 40000 > 80 seq 1000, no payload",
			first.Flags, first.SrcPort, first.DstPort, first.Seq, first.TCPFlags, first.PayloadLen, first.Truncated)
	}
	if later.Flags&dissect.HasL4 != 0 || later.FragOff != 8 || later.PayloadLen != 44 {
		t.Errorf("later fragment: flags %#x offset %d payload %d, want no transport layer, offset 8, 44 bytes", later.Flags, later.FragOff, later.PayloadLen)
	}
	if syn.Flags&(dissect.TCPFlagsCut|dissect.TCPWindowCut) != 0 || syn.TCPFlags != dissect.TCPSyn || syn.Window != 64240 {
		t.Errorf("whole SYN: flags %#x tcp flags %#x window %d", syn.Flags, syn.TCPFlags, syn.Window)
	}
	if n := d.Stats.Kinds[dissect.KindTCPTruncated]; n != 0 {
		t.Errorf("tcp_truncated %d, want 0: a first fragment's header goes on in the next", n)
	}
}

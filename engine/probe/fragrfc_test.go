package probe_test

import (
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// Divergences of the reassembler from Linux and the RFCs, seen from the
// probe's tables (engine/reasm tests hold the reassembler's side).

// TestIPv6ReassemblyTimeout: an IPv6 datagram whose last fragment comes
// 45 s after its first is reassembled (RFC 8200 §4.5 and Linux
// ip6frag_time: 60 s) and counts ip_reassembled in its flow, while an
// IPv4 one with the same gap times out (reassembly.timeout_s, 30 s, Linux
// ipfrag_time). Before, both timed out at 30 s; with the reassembler
// fixed alone, the probe still forgot the IPv6 datagram's ports at 30 s
// and counted the reassembly in no flow. tshark 4.0 (-o
// ipv6.defragment:TRUE -o ip.defragment:TRUE) has no timeout and
// reassembles both.
func TestIPv6ReassemblyTimeout(t *testing.T) {
	a := capgen.Fragment6(capgen.UDP{Src: capgen.AP("[2001:db8::1]:40000"), Dst: capgen.AP("[2001:db8::2]:5000"), Payload: payload(2992)}.Frame(), 1232, 0x6a)
	b := capgen.Fragment4(capgen.UDP{Src: capgen.AP("192.0.2.1:40001"), Dst: capgen.AP("198.51.100.2:5000"), IPID: 0x4b, Payload: payload(2992)}.Frame(), 1480)
	fr := []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: a[0]}, {TimeNs: capgen.Ms(0.1), Data: a[1]},
		{TimeNs: capgen.Ms(0.2), Data: b[0]}, {TimeNs: capgen.Ms(0.3), Data: b[1]},
		{TimeNs: capgen.Ms(45000), Data: a[2]}, {TimeNs: capgen.Ms(45000.1), Data: b[2]},
	}
	bt := runFrames(t, "interval_s: 60\n", "frag-timeout6.pcap", fr)
	f6 := flowByPorts(bt, 40000, 5000)
	if f6 == nil {
		t.Fatal("no flow 40000>5000 (IPv6)")
	}
	re, _ := metric(bt, f6.FlowID, "ip_reassembled")
	fail, _ := metric(bt, f6.FlowID, "ip_reassembly_failures")
	if re != 1 || fail != 0 || f6.Packets != 3 {
		t.Errorf("IPv6 flow: ip_reassembled %d, ip_reassembly_failures %d, packets %d; want 1, 0, 3", re, fail, f6.Packets)
	}
	f4 := flowByPorts(bt, 40001, 5000)
	if f4 == nil {
		t.Fatal("no flow 40001>5000 (IPv4)")
	}
	re, _ = metric(bt, f4.FlowID, "ip_reassembled")
	fail, _ = metric(bt, f4.FlowID, "ip_reassembly_failures")
	if re != 0 || fail != 1 {
		t.Errorf("IPv4 flow: ip_reassembled %d, ip_reassembly_failures %d; want 0, 1 (timed out at 30 s)", re, fail)
	}
	for _, e := range eventsOf(bt, "ip_reassembly_incomplete") {
		if !strings.HasPrefix(e.Message, "IPv4") {
			t.Errorf("event %q: only IPv4 datagrams are incomplete", e.Message)
		}
	}
}

// TestIdentificationReused: an IPv4 identification reused while the
// datagram before is incomplete (engine/reasm TestIdentificationReused,
// whose capture this reads: two pairs of datagrams, A and B with
// identification 0x1234 and port 40000, C and D with 0x2345 and port
// 40001) reassembles the second of each pair and counts the first as a
// failure in its flow, with an ip_reassembly_incomplete event saying
// id_reused. Before, B was reassembled from A's fragments (udp.length
// 3000 of which 2952 bytes A's) and C and D were both lost.
func TestIdentificationReused(t *testing.T) {
	bt := runPath(t, "", "../reasm/testdata/id-reuse.pcap")
	for _, port := range []uint16{40000, 40001} {
		f := flowByPorts(bt, port, 5000)
		if f == nil {
			t.Fatalf("no flow %d>5000", port)
		}
		re, _ := metric(bt, f.FlowID, "ip_reassembled")
		fail, _ := metric(bt, f.FlowID, "ip_reassembly_failures")
		if re != 1 || fail != 1 {
			t.Errorf("flow %d>5000: ip_reassembled %d, ip_reassembly_failures %d; want 1 and 1", port, re, fail)
		}
	}
	ev := eventsOf(bt, "ip_reassembly_incomplete")
	if len(ev) != 2 {
		t.Fatalf("ip_reassembly_incomplete events %+v, want 2", ev)
	}
	for _, e := range ev {
		if !strings.Contains(e.Message, ": id_reused after 2 fragments") {
			t.Errorf("event %q, want id_reused after 2 fragments", e.Message)
		}
	}
}

// TestShortHeaderChain: IPv6 datagrams whose first fragment lacks part of
// the header chain (engine/reasm TestShortHeaderChain, whose capture this
// reads: X without its UDP header, Y with 8 of its 20 TCP header bytes, Z
// whole) are not reassembled (RFC 7112 §5; Linux drops the first
// fragment): an ip_fragments_incomplete_chain event counts them (2), each
// is an ip_reassembly_incomplete event saying incomplete_header_chain and
// an ip_reassembly_failures in its flow; Z is reassembled. Before, all
// three were reassembled.
func TestShortHeaderChain(t *testing.T) {
	bt := runPath(t, "", "../reasm/testdata/v6-short-chain.pcap")
	ev := eventsOf(bt, "ip_reassembly_incomplete")
	if len(ev) != 2 {
		t.Fatalf("ip_reassembly_incomplete events %+v, want 2 (X and Y)", ev)
	}
	for _, e := range ev {
		if !strings.Contains(e.Message, ": incomplete_header_chain after 2 fragments") {
			t.Errorf("event %q, want incomplete_header_chain after 2 fragments", e.Message)
		}
	}
	if ev := eventsOf(bt, "ip_fragments_incomplete_chain"); len(ev) != 1 || !strings.HasPrefix(ev[0].Message, "2 ") {
		t.Errorf("ip_fragments_incomplete_chain events %+v, want one counting 2", ev)
	}
	var fails, reassembled uint64
	for _, f := range bt.Flows {
		if f.Class != "all" {
			continue
		}
		n, _ := metric(bt, f.FlowID, "ip_reassembly_failures")
		m, _ := metric(bt, f.FlowID, "ip_reassembled")
		fails, reassembled = fails+n, reassembled+m
	}
	if fails != 2 || reassembled != 1 {
		t.Errorf("class all: ip_reassembly_failures %d, ip_reassembled %d; want 2 and 1", fails, reassembled)
	}
}

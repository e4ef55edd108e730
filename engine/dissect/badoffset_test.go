package dissect_test

import (
	"strconv"
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// withDataOffset sets the data offset (words, RFC 9293 §3.1) of the TCP
// header at l4 in frame f, leaving the checksum as it was (wrong: no tool
// here checks it).
func withDataOffset(f []byte, l4 int, words byte) []byte {
	f[l4+12] = words<<4 | f[l4+12]&0x0f
	return f
}

// badOffsetFrames are the 7 frames of testdata/tcp-bad-offset.pcap,
// written by TestTCPBadOffset with internal/capgen (go test -update
// rewrites it): TCP segments whose data offset is below 5 words or
// beyond the segment (RFC 9293 §3.1), then a sound SYN.
//
//  1. IPv4 192.0.2.1:40000 > 198.51.100.2:21999 PSH-ACK, 16 bytes after the 20-byte header, data offset 0
//  2. IPv4 192.0.2.1:40001 > 198.51.100.2:21999 SYN, no payload, data offset 4 (16 bytes)
//  3. IPv4 192.0.2.1:40002 > 198.51.100.2:80 PSH-ACK, 8 bytes after the 20-byte header, data offset 15 (60 bytes > 28)
//  4. IPv6 [2001:db8::1]:40003 > [2001:db8::2]:21999 PSH-ACK, 16 bytes after the header, data offset 0
//  5. IPv6 [2001:db8::1]:40004 > [2001:db8::2]:80 FIN-ACK, 4 bytes after the header, data offset 15 (60 bytes > 24)
//  6. IPv4 192.0.2.1:40006 > 198.51.100.2:21999 SYN, 8 bytes after the header, data offset 2, captured to 16 TCP bytes (snap length 50 of 62)
//  7. IPv4 192.0.2.1:40005 > 198.51.100.2:21999 SYN, data offset 5 (sound)
//
// tcpdump 4.99.3 (-nr testdata/tcp-bad-offset.pcap) prints the ports of
// each, frames 1, 2 and 4 with "tcp N [bad hdr length M - too short,
// < 20]" (M = 0, 16, 0), frames 3 and 5 with their flags and "[bad hdr
// length 60 - too long, > 28]" (> 24), frame 6 with "[|tcp]", and counts
// `tcp port 21999` 5 (frames 1, 2, 4, 6, 7), `tcp port 80` 2 (3, 5).
// tshark 4.0.17 (-T fields -e frame.number -e tcp.srcport -e
// tcp.dstport -e tcp.len -e _ws.expert.message) shows the ports of each,
// "Bogus TCP header length (M, must be at least 20)" on 1, 2, 4 and 6
// (tcp.len 36, 4, 36, 20: what follows the bogus header length, which
// the dissector counts as no payload), "Short segment ... Malformed
// Packet" on 3 and 5 (no tcp.len).
func badOffsetFrames() []capgen.Frame {
	pay := []byte("bogus offset 0..")
	v4 := func(sport uint16, dport, flags string, payload []byte, words byte) []byte {
		f := capgen.TCP{Src: capgen.AP("192.0.2.1:" + strconv.Itoa(int(sport))), Dst: capgen.AP("198.51.100.2:" + dport), Flags: flags,
			Seq: 1000, Ack: 2000, Win: 502, Payload: payload}.Seg()
		return withDataOffset(f, 34, words)
	}
	v6 := func(sport uint16, dport, flags string, payload []byte, words byte) []byte {
		f := capgen.TCP{Src: capgen.AP("[2001:db8::1]:" + strconv.Itoa(int(sport))), Dst: capgen.AP("[2001:db8::2]:" + dport), Flags: flags,
			Seq: 1000, Ack: 2000, Win: 502, Payload: payload}.Seg()
		return withDataOffset(f, 54, words)
	}
	cut := v4(40006, "21999", "S", pay[:8], 2)
	return []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: v4(40000, "21999", "PA", pay, 0)},
		{TimeNs: capgen.Ms(1), Data: v4(40001, "21999", "S", nil, 4)},
		{TimeNs: capgen.Ms(2), Data: v4(40002, "80", "PA", pay[:8], 15)},
		{TimeNs: capgen.Ms(3), Data: v6(40003, "21999", "PA", pay, 0)},
		{TimeNs: capgen.Ms(4), Data: v6(40004, "80", "FA", pay[:4], 15)},
		{TimeNs: capgen.Ms(5), Data: cut[:50], WireLen: len(cut)},
		{TimeNs: capgen.Ms(6), Data: v4(40005, "21999", "S", nil, 5)},
	}
}

// TestTCPBadOffset: a TCP header whose data offset is below 5 words or
// beyond the segment keeps its ports, sequence number and flags (as
// tcpdump and tshark read them: see badOffsetFrames), marked TCPBadOffset
// and counted as tcp_bad_offset, with neither options nor payload: its
// flow is keyed by its ports and `tcp port 21999` matches it, as in
// tcpdump. Before, the header was dropped whole (no HasTCP, ports 0): a
// port-0 flow, and gopacket_linux_sll_oversized_addr.pcapng's frame 95
// (data offset 0) missing from `tcp port 21999` (208 packets against
// tcpdump's 209).
func TestTCPBadOffset(t *testing.T) {
	path := capgen.Golden(t, "testdata/tcp-bad-offset.pcap", capgen.PCAP(badOffsetFrames(), false))
	got, d := framesOf(t, path)
	want := []struct {
		src, dst uint16
		flags    uint16
		bad      bool
	}{
		{40000, 21999, dissect.TCPPsh | dissect.TCPAck, true},
		{40001, 21999, dissect.TCPSyn, true},
		{40002, 80, dissect.TCPPsh | dissect.TCPAck, true},
		{40003, 21999, dissect.TCPPsh | dissect.TCPAck, true},
		{40004, 80, dissect.TCPFin | dissect.TCPAck, true},
		{40006, 21999, dissect.TCPSyn, true},
		{40005, 21999, dissect.TCPSyn, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i, w := range want {
		x := &got[i]
		if x.Flags&(dissect.HasL4|dissect.HasTCP) != dissect.HasL4|dissect.HasTCP || x.SrcPort != w.src || x.DstPort != w.dst ||
			x.Seq != 1000 || x.TCPFlags != w.flags || (x.Flags&dissect.TCPBadOffset != 0) != w.bad {
			t.Errorf("frame %d: flags %#x %d > %d seq %d tcp flags %#x; want HasTCP (TCPBadOffset %v) %d > %d seq 1000 tcp flags %#x",
				i+1, x.Flags, x.SrcPort, x.DstPort, x.Seq, x.TCPFlags, w.bad, w.src, w.dst, w.flags)
		}
		if w.bad && (x.PayloadLen != 0 || x.Truncated != (i == 5) || x.Flags&dissect.HasTCPTS != 0 || x.MSS != 0 || x.Flags&dissect.TCPNoSegment == 0) {
			t.Errorf("frame %d: payload %d truncated %v flags %#x mss %d; want no payload nor options, no segment (frame 6 truncated by the snap length)", i+1, x.PayloadLen, x.Truncated, x.Flags, x.MSS)
		}
	}
	if k := kindsOf(d); k != "tcp_bad_offset=6" {
		t.Errorf("kinds %q, want tcp_bad_offset=6 (frame 6's cut header counts as bad, not as truncated too)", k)
	}
}

// TestTCPBadOffsetPayload: the bytes after a bogus data offset are no
// payload (Payload nil): the analyses reading payloads (ftp's commands,
// rtt's DNS over TCP) see none.
func TestTCPBadOffsetPayload(t *testing.T) {
	fr := badOffsetFrames()[0].Data
	m := pkt.Meta{LinkType: pkt.LinkEthernet, CapLen: uint32(len(fr)), WireLen: uint32(len(fr))}
	var x dissect.Dissection
	if err := dissect.New().Dissect(fr, m, &x); err != nil || x.Payload != nil || x.Flags&dissect.TCPBadOffset == 0 {
		t.Errorf("%v, payload %q, flags %#x; want no payload, TCPBadOffset", err, x.Payload, x.Flags)
	}
}

package rtt

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestBadOffsetNoSegment: a TCP header whose data offset is bogus (here
// 4 words, below the 5 of a header, RFC 9293 §3.1: dissect.TCPBadOffset;
// tcpdump "[bad hdr length 16 - too short, < 20]") is no segment to time:
// a SYN of one opens no handshake, so its SYN-ACK and the client's ACK
// give no sample. Before the check the SYN, its flags read, was timed
// (one tcp_handshake sample of 10 ms).
func TestBadOffsetNoSegment(t *testing.T) {
	c, s := capgen.AP("192.0.2.1:40000"), capgen.AP("198.51.100.2:80")
	syn := capgen.TCP{Src: c, Dst: s, Flags: "S", Seq: 1000, Win: 64240}.Seg()
	syn[34+12] = 4<<4 | syn[34+12]&0x0f
	synAck := capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 5000, Ack: 1001, Win: 65160}.Seg()
	ack := capgen.TCP{Src: c, Dst: s, Flags: "A", Seq: 1001, Ack: 5001, Win: 502}.Seg()
	tr := New(DefaultConfig())
	var samples []observe.RTTSample
	for i, f := range [][]byte{syn, synAck, ack} {
		var d dissect.Dissection
		m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(float64(10 * i)), CapLen: uint32(len(f)), WireLen: uint32(len(f))}
		if err := dissect.New().Dissect(f, m, &d); err != nil || d.Flags&dissect.HasTCP == 0 || (i == 0) != (d.Flags&dissect.TCPBadOffset != 0) {
			t.Fatalf("frame %d: %v, flags %#x", i+1, err, d.Flags)
		}
		tr.Packet(&d, 1, func(s *observe.RTTSample) { samples = append(samples, *s) })
	}
	if len(samples) != 0 {
		t.Errorf("%d samples (first %+v); want none: the SYN's header is bogus", len(samples), samples[0])
	}
}

package rtt

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestFlagsCutNoSegment: a TCP packet whose flags were not captured
// (dissect.TCPFlagsCut: here a DNS-over-TCP query from 192.0.2.1:40000 to
// port 53 with 13 bytes of its header captured) is no segment of a DNS
// stream nor of a timestamped connection: the tracker takes nothing from
// it (no connection followed, no request).
func TestFlagsCutNoSegment(t *testing.T) {
	q := capgen.TCP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.53:53"), Flags: "PA", Seq: 1001, Ack: 5001,
		Win: 502, TS: &[2]uint32{100, 200}, Payload: append([]byte{0, 29}, make([]byte, 29)...)}.Seg()
	var d dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(0), CapLen: 47, WireLen: uint32(len(q))}
	if err := dissect.New().Dissect(q[:47], m, &d); err != nil || d.Flags&dissect.TCPFlagsCut == 0 {
		t.Fatalf("cut query: %v, flags %#x", err, d.Flags)
	}
	tr := New(DefaultConfig())
	var samples []observe.RTTSample
	tr.Packet(&d, 1, func(s *observe.RTTSample) { samples = append(samples, *s) })
	if st := tr.Stats(); len(tr.conns) != 0 || st.Requests != ([NumKinds]uint64{}) || st.StreamGaps != 0 || len(samples) != 0 {
		t.Errorf("%d connections, stats %+v, %d samples; want nothing", len(tr.conns), st, len(samples))
	}
}

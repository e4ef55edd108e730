package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// cutSeg dissects a TCP segment captured with only its first 13 TCP
// header bytes (snap length 47 on IPv4 over Ethernet): the ports and the
// sequence number are known, the flags are not (dissect.TCPFlagsCut).
func cutSeg(t *testing.T, s capgen.TCP, ms float64) dissect.Dissection {
	t.Helper()
	frame := s.Seg()
	var x dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(ms), CapLen: 47, WireLen: uint32(len(frame))}
	if err := dissect.New().Dissect(frame[:47], m, &x); err != nil || x.Flags&dissect.TCPFlagsCut == 0 || x.Flags&dissect.HasTCP == 0 {
		t.Fatalf("cut segment: %v, flags %#x", err, x.Flags)
	}
	return x
}

// TestFlagsCutNoSegment: a TCP packet whose flags were not captured
// (dissect.TCPFlagsCut) is no segment of a connection: it is counted in
// Stats.NotTCP and creates no connection (alone, no row), nor does it
// change the one it would belong to (after a handshake, the row is the
// same with it as without it). Before, with its flags read as 0 it opened a
// midstream connection row of its own.
func TestFlagsCutNoSegment(t *testing.T) {
	c, s := capgen.AP("192.0.2.1:40000"), capgen.AP("198.51.100.2:80")
	cut := cutSeg(t, capgen.TCP{Src: c, Dst: s, Flags: "PA", Seq: 1001, Ack: 5001, Win: 502, Payload: make([]byte, 100)}, 20)
	rows, tr := run(t, DefaultConfig(), []dissect.Dissection{cut}, false)
	if st := tr.Stats(); len(rows) != 0 || st.NotTCP != 1 || st.Packets != 0 || st.Created != 0 {
		t.Errorf("alone: %d rows, stats %+v; want no row, NotTCP 1, no packet, no connection", len(rows), st)
	}
	var hs []dissect.Dissection
	for i, seg := range []capgen.TCP{
		{Src: c, Dst: s, Flags: "S", Seq: 1000, Win: 64240},
		{Src: s, Dst: c, Flags: "SA", Seq: 5000, Ack: 1001, Win: 65160},
		{Src: c, Dst: s, Flags: "A", Seq: 1001, Ack: 5001, Win: 502},
	} {
		frame := seg.Seg()
		var x dissect.Dissection
		m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(float64(i * 10)), CapLen: uint32(len(frame)), WireLen: uint32(len(frame))}
		if err := dissect.New().Dissect(frame, m, &x); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, x)
	}
	without, _ := run(t, DefaultConfig(), hs, false)
	with, tr := run(t, DefaultConfig(), append(hs[:3:3], cut), false)
	if len(with) != 1 || len(without) != 1 || tr.Stats().NotTCP != 1 {
		t.Fatalf("rows %d with the cut packet, %d without, NotTCP %d; want 1, 1, 1", len(with), len(without), tr.Stats().NotTCP)
	}
	w, wo := with[0], without[0]
	if w.EndTime != wo.EndTime || w.History != wo.History || w.ClientPackets != wo.ClientPackets {
		t.Errorf("with the cut packet: end %d history %q client packets %d; without: %d %q %d",
			w.EndTime, w.History, w.ClientPackets, wo.EndTime, wo.History, wo.ClientPackets)
	}
}

package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// badOffsetSeg dissects the TCP segment s (IPv4 over Ethernet) with its
// data offset set to 4 words, below the 5 of a header (RFC 9293 §3.1):
// the ports, sequence number and flags are read, the header is marked
// dissect.TCPBadOffset (tcpdump: "[bad hdr length 16 - too short, < 20]").
func badOffsetSeg(t *testing.T, s capgen.TCP, ms float64) dissect.Dissection {
	t.Helper()
	frame := s.Seg()
	frame[34+12] = 4<<4 | frame[34+12]&0x0f
	var x dissect.Dissection
	m := pkt.Meta{LinkType: pkt.LinkEthernet, TimeNs: capgen.Ms(ms), CapLen: uint32(len(frame)), WireLen: uint32(len(frame))}
	if err := dissect.New().Dissect(frame, m, &x); err != nil || x.Flags&dissect.TCPBadOffset == 0 || x.Flags&dissect.HasTCP == 0 {
		t.Fatalf("bad offset segment: %v, flags %#x", err, x.Flags)
	}
	return x
}

// TestBadOffsetNoSegment: a TCP header whose data offset is bogus
// (dissect.TCPBadOffset) is no segment of a connection, as Zeek takes none
// of a bad header length (its TCP analyzer's "bad_TCP_header_len" weird):
// it is counted in Stats.NotTCP and opens no connection, nor changes the
// one its 4-tuple belongs to. Its flags are read (tcpdump's `tcp[13]`
// reads them) but where its header ends is not known: a SYN of a bogus
// data offset opened a connection before this check.
func TestBadOffsetNoSegment(t *testing.T) {
	c, s := capgen.AP("192.0.2.1:40000"), capgen.AP("198.51.100.2:80")
	syn := badOffsetSeg(t, capgen.TCP{Src: c, Dst: s, Flags: "S", Seq: 1000, Win: 64240}, 0)
	rows, tr := run(t, DefaultConfig(), []dissect.Dissection{syn}, false)
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
	rst := badOffsetSeg(t, capgen.TCP{Src: c, Dst: s, Flags: "R", Seq: 1001, Win: 0}, 20)
	without, _ := run(t, DefaultConfig(), hs, false)
	with, tr := run(t, DefaultConfig(), append(hs[:3:3], rst), false)
	if len(with) != 1 || len(without) != 1 || tr.Stats().NotTCP != 1 {
		t.Fatalf("rows %d with the bogus packet, %d without, NotTCP %d; want 1, 1, 1", len(with), len(without), tr.Stats().NotTCP)
	}
	w, wo := with[0], without[0]
	if w.EndTime != wo.EndTime || w.History != wo.History || w.ClientPackets != wo.ClientPackets || w.ConnState != wo.ConnState {
		t.Errorf("with the bogus RST: end %d history %q state %q client packets %d; without: %d %q %q %d",
			w.EndTime, w.History, w.ConnState, w.ClientPackets, wo.EndTime, wo.History, wo.ConnState, wo.ClientPackets)
	}
}

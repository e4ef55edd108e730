package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestRejectedSynRetried: a client sends its SYN again, same ISN, after
// each RST/ACK of the server (as Windows does twice), and the third
// attempt is answered. Generated capture testdata/tcp-rej-retry.pcap
// (`go test -run TestRejectedSynRetried -update` rewrites it).
//
// Right values: three rows, as Zeek's conn.log. Zeek's
// TCPSessionAdapter::IsReuse (TCPSessionAdapter.cc, the !IsClosed() else
// branches) makes every SYN on a connection an endpoint of which closed
// (the RST set the server's did_close) a new connection, whatever its
// sequence number; RFC 9293 §3.10.7.3: the SYN-SENT client that accepts
// the RST (its ACK acknowledges the SYN) deletes the connection. Rows 1
// and 2: REJ, history "Sr", one packet each way, no retransmission. Row 3:
// SF "ShADdFf", handshake_syn_synack_ms 0.4 (from its own SYN, not
// 1500.4 from the first one), no retransmission. tshark -r
// testdata/tcp-rej-retry.pcap -T fields -e tcp.stream -e
// _ws.expert.message keeps one stream and calls frames 3 and 5 "(suspected)
// retransmission" (its per-segment view, not a connection count) and
// the SYN-ACK of frame 6 "a new tcp session ... with the same ports".
func TestRejectedSynRetried(t *testing.T) {
	var fr []capgen.Frame
	v := conv{c: capgen.AP("192.0.2.10:40010"), s: capgen.AP("198.51.100.20:80"), frames: &fr}
	const ic, is = 1000, 5000
	v.seg(0, cli, "S", ic, 0, 0, 64240, synOpts)
	v.seg(0.3, srv, "RA", 0, ic+1, 0, 0)
	v.seg(500, cli, "S", ic, 0, 0, 64240, synOpts)
	v.seg(500.3, srv, "RA", 0, ic+1, 0, 0)
	v.seg(1500, cli, "S", ic, 0, 0, 64240, synOpts)
	v.seg(1500.4, srv, "SA", is, ic+1, 0, 65160, synOpts)
	v.seg(1500.5, cli, "A", ic+1, is+1, 0, 502)
	v.seg(1500.6, cli, "PA", ic+1, is+1, 100, 502)
	v.seg(1510, srv, "PA", is+1, ic+101, 200, 509)
	v.seg(1510.1, cli, "FA", ic+101, is+201, 0, 502)
	v.seg(1520, srv, "FA", is+201, ic+102, 0, 509)
	v.seg(1520.1, cli, "A", ic+102, is+202, 0, 502)
	rows := capture(t, "tcp-rej-retry.pcap", fr)
	if len(rows) != 3 {
		for _, r := range rows {
			t.Logf("row %s %s packets %d/%d rtx %d", r.ConnState, r.History, r.ClientPackets, r.ServerPackets, r.ClientRetransmissions)
		}
		t.Fatalf("%d rows, want 3 (Zeek: one REJ row per rejected attempt)", len(rows))
	}
	for i, r := range rows[:2] {
		if r.ConnState != StateREJ || r.History != "Sr" || r.ClientPackets != 1 || r.ServerPackets != 1 || r.ClientRetransmissions != 0 {
			t.Errorf("row %d: %s %s packets %d/%d rtx %d; want REJ Sr 1/1 0", i+1, r.ConnState, r.History,
				r.ClientPackets, r.ServerPackets, r.ClientRetransmissions)
		}
	}
	r := &rows[2]
	if r.ConnState != StateSF || r.History != "ShADdFf" || r.ClientRetransmissions != 0 || !msEq(r.HandshakeSynSynackMs, 400, 1) ||
		r.ClientPayloadBytes != 100 || r.ServerPayloadBytes != 200 {
		t.Errorf("row 3: %s %s rtx %d SYN to SYN-ACK %v ms payload %d/%d; want SF ShADdFf 0 0.4 100/200", r.ConnState, r.History,
			r.ClientRetransmissions, fmtMs(r.HandshakeSynSynackMs), r.ClientPayloadBytes, r.ServerPayloadBytes)
	}
}

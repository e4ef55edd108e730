package tcpconn

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestOneWayCapture: a tap that sees one direction only (asymmetric
// routing). Connection 1: only the server's segments (SYN-ACK, 2000 bytes,
// FIN) whose ACKs acknowledge 200 client bytes and the client's FIN;
// connection 2: only the client's (SYN, 200 bytes, FIN) acknowledging 2000
// server bytes and its FIN. Generated capture testdata/tcp-one-way.pcap
// (`go test -run TestOneWayCapture -update` rewrites it).
//
// Right values, as Zeek's conn.log: the side never seen is known from the
// peer's ACKs, its ISN being the first ACK number - 1 (init_peer,
// TCPSessionAdapter.cc), and its size is TCP_Endpoint::Size()
// (TCP_Endpoint.cc): highest ACK - ISN - 1, the FIN octet included since
// no FIN of it was seen: client 201 bytes (conn 1), server 2001 bytes
// (conn 2), all of them never captured (missing). The seen side: 2000 and
// 200. conn_state SHR "^hadf" and SH "SADF" (conn_state() of
// base/protocols/conn/main.zeek: a side that closed, its peer inactive).
func TestOneWayCapture(t *testing.T) {
	var fr []capgen.Frame
	const ic, is = 1000, 5000
	v := conv{c: capgen.AP("192.0.2.10:40020"), s: capgen.AP("198.51.100.20:80"), frames: &fr}
	v.seg(1, srv, "SA", is, ic+1, 0, 64240, synOpts)
	v.seg(3, srv, "A", is+1, ic+101, 0, 502)
	v.seg(4, srv, "PA", is+1, ic+101, 1000, 502)
	v.seg(6, srv, "PA", is+1001, ic+201, 1000, 502)
	v.seg(8, srv, "FA", is+2001, ic+201, 0, 502)
	v.seg(9, srv, "A", is+2002, ic+202, 0, 502)
	w := conv{c: capgen.AP("192.0.2.10:40021"), s: capgen.AP("198.51.100.20:80"), frames: &fr}
	w.seg(10, cli, "S", ic, 0, 0, 64240, synOpts)
	w.seg(12, cli, "A", ic+1, is+1, 0, 502)
	w.seg(13, cli, "PA", ic+1, is+1, 100, 502)
	w.seg(15, cli, "A", ic+101, is+1001, 0, 502)
	w.seg(17, cli, "PA", ic+101, is+2001, 100, 502)
	w.seg(19, cli, "FA", ic+201, is+2002, 0, 502)
	rows := capture(t, "tcp-one-way.pcap", fr)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	for i, want := range []struct {
		state, hist string
		pay, miss   [2]uint64
		pkts        [2]uint64
		clientPort  uint16
	}{
		{StateSHR, "^hadf", [2]uint64{201, 2000}, [2]uint64{201, 0}, [2]uint64{0, 6}, 40020},
		{StateSH, "SADF", [2]uint64{200, 2001}, [2]uint64{0, 2001}, [2]uint64{6, 0}, 40021},
	} {
		r := &rows[i]
		got := [2]uint64{r.ClientPayloadBytes, r.ServerPayloadBytes}
		miss := [2]uint64{r.ClientMissingBytes, r.ServerMissingBytes}
		pkts := [2]uint64{r.ClientPackets, r.ServerPackets}
		if r.ConnState != want.state || r.History != want.hist || got != want.pay || miss != want.miss || pkts != want.pkts ||
			r.ClientPort != want.clientPort {
			t.Errorf("conn %d: %s %s payload %v missing %v packets %v client port %d; want %s %s %v %v %v %d", i+1,
				r.ConnState, r.History, got, miss, pkts, r.ClientPort, want.state, want.hist, want.pay, want.miss, want.pkts, want.clientPort)
		}
	}
}

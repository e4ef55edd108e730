package rtt

import (
	"bytes"
	"flag"
	"math"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// -update rewrites the generated captures under testdata/ (capgen.Golden
// reads the flag by name).
var _ = flag.Bool("update", false, "rewrite the generated captures under testdata/")

// TestTCPFastOpenHandshake (issue 15.4, zeek#664; RFC 7413 §4.2): a SYN
// carrying data is acknowledged at ISN+1+len when the server accepts the
// data (connection 1) and at ISN+1 when it only gives a cookie
// (connection 2). Both handshakes are timed (0.8 ms and 1.2 ms) — none is
// unanswered — and each sample equals the connection's
// tcp_connections.handshake_syn_synack_ms. Capture generated here,
// committed as testdata/tcp-fast-open.pcap; tshark -r it -Y "tcp.flags.syn
// == 1" -T fields -e tcp.seq_raw -e tcp.ack_raw -e tcp.len -e
// tcp.options.tfo.cookie shows the SYN data (100 bytes, then 50) and the
// two acknowledgement numbers.
func TestTCPFastOpenHandshake(t *testing.T) {
	c1, c2, s := capgen.AP("192.0.2.10:40010"), capgen.AP("192.0.2.10:40011"), capgen.AP("198.51.100.20:80")
	data := func(n int) []byte { return bytes.Repeat([]byte{'G'}, n) }
	cookie := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	segs := []struct {
		ms float64
		capgen.TCP
	}{
		{0, capgen.TCP{Src: c1, Dst: s, Flags: "S", Seq: 1000, Win: 64240, MSS: 1460, TFO: cookie, Payload: data(100)}},
		{0.8, capgen.TCP{Src: s, Dst: c1, Flags: "SA", Seq: 5000, Ack: 1101, Win: 65160, MSS: 1460}},
		{0.9, capgen.TCP{Src: c1, Dst: s, Flags: "A", Seq: 1101, Ack: 5001, Win: 502}},
		{1.5, capgen.TCP{Src: s, Dst: c1, Flags: "PA", Seq: 5001, Ack: 1101, Win: 509, Payload: data(300)}},
		{10, capgen.TCP{Src: c2, Dst: s, Flags: "S", Seq: 7000, Win: 64240, MSS: 1460, TFO: cookie, Payload: data(50)}},
		{11.2, capgen.TCP{Src: s, Dst: c2, Flags: "SA", Seq: 9000, Ack: 7001, Win: 65160, MSS: 1460, TFO: cookie}},
		{11.3, capgen.TCP{Src: c2, Dst: s, Flags: "PA", Seq: 7001, Ack: 9001, Win: 502, Payload: data(50)}},
	}
	var fr []capgen.Frame
	for _, sg := range segs {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(sg.ms), Data: sg.Seg()})
	}
	path, err := filepath.Abs(capgen.Golden(t, "testdata/tcp-fast-open.pcap", capgen.PCAP(fr, true)))
	if err != nil {
		t.Fatal(err)
	}
	pkts := readCapture(t, path)
	r := run(t, DefaultConfig(), pkts)
	hs := r.byKind("tcp_handshake")
	if len(hs) != 2 || r.unanswered["tcp_handshake"] != 0 {
		t.Fatalf("%d handshake samples, %d unanswered; want 2, 0", len(hs), r.unanswered["tcp_handshake"])
	}
	conns := map[uint16]*observe.TCPConnection{}
	tr := tcpconn.New(tcpconn.DefaultConfig())
	keep := func(_ uint16, c *observe.TCPConnection) { cp := *c; conns[c.ClientPort] = &cp }
	for i := range pkts {
		tr.Packet(&pkts[i].d, "all", false)
	}
	tr.Flush(0, keep)
	for i, want := range []float64{0.8, 1.2} {
		got := hs[i]
		c := conns[got.ClientPort]
		if math.Abs(got.RTTMs-want) > 1e-9 || c == nil || c.HandshakeSynSynackMs == nil || *c.HandshakeSynSynackMs != got.RTTMs {
			t.Errorf("connection %d: rtt %v ms, tcp_connections %+v; want %v in both", i+1, got.RTTMs, c, want)
		}
	}
}

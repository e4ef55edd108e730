package rtt

import (
	"bytes"
	"flag"
	"fmt"
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
	segs := []seg{
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
	path := golden(t, "testdata/tcp-fast-open.pcap", fr)
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

// TestHandshakeAgreesWithTCPConn (issue 15.1 with the stray SYN-ACK first,
// zeek#3313; found by an audit): on tcpconn's issue-15 captures, every
// tcp_handshake sample equals its connection's
// tcp_connections.handshake_rtt_ms (both from the latest SYN copy, Karn),
// and a connection with that column has a sample. In tcp-stray-synack-first.pcap a SYN-ACK with
// another ISN comes 5 ms after the SYN and the real one at 10 ms, which
// the client's ACK names: the sample is 10 ms (it was 5, from the first
// SYN-ACK). The stray after the real one (tcp-stray-synack.pcap), the
// stray on a connection joined mid-stream, the late SYN (with and without
// Fast Open), the retransmitted SYN (TestHandshakeRTT's capture) and Fast
// Open agree too.
func TestHandshakeAgreesWithTCPConn(t *testing.T) {
	for _, c := range []struct {
		path string
		want []float64 // handshake samples, ms, in request order
	}{
		{"../tcpconn/testdata/tcp-stray-synack-first.pcap", []float64{10}},
		{"../tcpconn/testdata/tcp-stray-synack.pcap", []float64{10}},
		{"../tcpconn/testdata/tcp-stray-synacks-around.pcap", []float64{10, 10, 10}}, // strays around the real SYN-ACK, its retransmission
		{"../tcpconn/testdata/tcp-stray-synack-midstream.pcap", []float64{}},         // no SYN: no handshake time
		{"../tcpconn/testdata/tcp-late-syn.pcap", []float64{}},                       // the SYN came after its SYN-ACK
		{"../tcpconn/testdata/tcp-late-syn-tfo.pcap", []float64{}},
		{"../tcpconn/testdata/tcp-syn-retransmitted.pcap", []float64{10}}, // the SYN sent again at 1 s to the SYN-ACK at 1010 ms
		{"../tcpconn/testdata/tcp-rej-retry.pcap", []float64{0.4}},        // SYN sent again after a RST: a new attempt
		{"testdata/tcp-fast-open.pcap", []float64{0.8, 1.2}},
	} {
		path, err := filepath.Abs(c.path)
		if err != nil {
			t.Fatal(err)
		}
		pkts := readCapture(t, path)
		hs := run(t, DefaultConfig(), pkts).byKind("tcp_handshake")
		conns := map[uint16]*observe.TCPConnection{}
		tr := tcpconn.New(tcpconn.DefaultConfig())
		for i := range pkts {
			if pkts[i].ok {
				tr.Packet(&pkts[i].d, "all", false)
			}
		}
		withHS := 0
		tr.Flush(0, func(_ uint16, r *observe.TCPConnection) {
			cp := *r
			conns[r.ClientPort] = &cp
			if r.HandshakeRTTMs != nil {
				withHS++
			}
		})
		if len(hs) != withHS {
			t.Errorf("%s: %d handshake samples, %d connections with handshake_rtt_ms", c.path, len(hs), withHS)
		}
		for i, s := range hs {
			r := conns[s.ClientPort]
			if r == nil || r.HandshakeRTTMs == nil || *r.HandshakeRTTMs != s.RTTMs {
				col := "no row or NULL"
				if r != nil && r.HandshakeRTTMs != nil {
					col = fmt.Sprint(*r.HandshakeRTTMs)
				}
				t.Errorf("%s: sample %v ms (port %d), tcp_connections.handshake_rtt_ms %s", c.path, s.RTTMs, s.ClientPort, col)
			}
			if i >= len(c.want) || math.Abs(s.RTTMs-c.want[i]) > 1e-9 {
				t.Errorf("%s: sample %d is %v ms, want %v", c.path, i, s.RTTMs, c.want)
			}
		}
		if len(hs) != len(c.want) {
			t.Errorf("%s: %d samples, want %d", c.path, len(hs), len(c.want))
		}
	}
}

// TestHandshakeHeldUntilSettled: the handshake sample waits for the
// client's next segment, even across an interval's close: the closed
// interval's histograms of its flow wait with it, and it joins them,
// being on a SYN-ACK of that interval; they are emitted at the next
// close, before the next interval's. Another flow's histograms (40021's,
// settled) are emitted at the close. A SYN-ACK never followed by another
// segment is emitted by Flush. A server's pure ACK does not settle it;
// the server's data does. Each connection is a flow (its client port).
func TestHandshakeHeldUntilSettled(t *testing.T) {
	c1, c2, c3, s := capgen.AP("192.0.2.10:40020"), capgen.AP("192.0.2.10:40021"), capgen.AP("192.0.2.10:40022"), capgen.AP("198.51.100.20:80")
	segs := []seg{
		{0, capgen.TCP{Src: c1, Dst: s, Flags: "S", Seq: 1000, Win: 64240}},
		{2, capgen.TCP{Src: s, Dst: c1, Flags: "SA", Seq: 5000, Ack: 1001, Win: 65160}}, // 2 ms
		{3, capgen.TCP{Src: c2, Dst: s, Flags: "S", Seq: 2000, Win: 64240}},
		{6, capgen.TCP{Src: s, Dst: c2, Flags: "SA", Seq: 6000, Ack: 2001, Win: 65160}}, // 3 ms
		{7, capgen.TCP{Src: s, Dst: c2, Flags: "A", Seq: 6001, Ack: 2001, Win: 65160}},
		{8, capgen.TCP{Src: s, Dst: c2, Flags: "PA", Seq: 6001, Ack: 2001, Win: 65160, Payload: []byte("hello")}},
		{9, capgen.TCP{Src: c3, Dst: s, Flags: "S", Seq: 3000, Win: 64240}},
		{13, capgen.TCP{Src: s, Dst: c3, Flags: "SA", Seq: 7000, Ack: 3001, Win: 65160}}, // 4 ms, never acknowledged
		{20, capgen.TCP{Src: c1, Dst: s, Flags: "A", Seq: 1001, Ack: 5001, Win: 502}},
	}
	path := segCapture(t, "held.pcap", segs)
	pkts := readCapture(t, path)
	tr := New(DefaultConfig())
	var got []string
	emit := func(s *observe.RTTSample) { got = append(got, fmt.Sprintf("%d %v", s.ClientPort, s.RTTMs)) }
	var hists []string
	hist := func(h *observe.RTTHistogram) {
		hists = append(hists, fmt.Sprintf("%d:%s %d %v", h.IntervalStart/1e6, h.Kind, h.N, h.Min))
	}
	closeAt := capgen.Ms(10)
	closed := false
	for i := range pkts {
		d := &pkts[i].d
		if !closed && d.Meta.TimeNs >= closeAt {
			closed = true
			tr.CloseInterval(capgen.Ms(0), 10e6, hist)
			if want := "[40021 3]"; fmt.Sprint(got) != want {
				t.Errorf("samples emitted when the interval closed %v, want %s (40021 settled by the server's data at 8 ms, 40020 held)", got, want)
			}
			if want := fmt.Sprintf("[%d:tcp_handshake 1 3]", capgen.Ms(0)/1e6); fmt.Sprint(hists) != want {
				t.Errorf("histograms emitted with 40020 held: %v, want %s (40021's flow only)", hists, want)
			}
		}
		flowID := uint64(d.SrcPort) // the client's port
		if d.SrcPort == 80 {
			flowID = uint64(d.DstPort)
		}
		tr.Packet(d, flowID, emit)
	}
	if want := "[40021 3 40020 2]"; fmt.Sprint(got) != want {
		t.Errorf("samples before Flush %v, want %s: the client's ACK at 20 ms settles 40020", got, want)
	}
	tr.Flush(nil)
	if want := "[40021 3 40020 2 40022 4]"; fmt.Sprint(got) != want {
		t.Errorf("samples %v, want %s", got, want)
	}
	tr.CloseInterval(closeAt, 10e6, hist)
	start := capgen.Ms(0) / 1e6
	want := fmt.Sprintf("[%d:tcp_handshake 1 3 %d:tcp_handshake 1 2 %d:tcp_handshake 1 4]", start, start, start+10)
	if fmt.Sprint(hists) != want {
		t.Errorf("histograms %v, want %s (3 ms in the first interval at its close, 2 ms in it at the next, 4 ms in the second)", hists, want)
	}
}

// TestStraySynAckAcrossIntervals (zeek#3313 across a close; left by the
// closing note of 2026-12-05): a SYN-ACK with another ISN 5 ms after the
// SYN, an interval's close at 10 ms, the real SYN-ACK at 15 ms and the
// client's ACK naming it at 16 ms. The sample is 15 ms, histogrammed in
// the second interval, as tcp_connections.handshake_syn_synack_ms says;
// the close used to settle it on the stray (5 ms, first interval).
func TestStraySynAckAcrossIntervals(t *testing.T) {
	c, s := capgen.AP("192.0.2.10:40030"), capgen.AP("198.51.100.20:80")
	path := segCapture(t, "stray-across.pcap", []seg{
		{0, capgen.TCP{Src: c, Dst: s, Flags: "S", Seq: 1000, Win: 64240}},
		{5, capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 9000, Ack: 1001, Win: 65160}}, // stray: another ISN
		{15, capgen.TCP{Src: s, Dst: c, Flags: "SA", Seq: 5000, Ack: 1001, Win: 65160}},
		{16, capgen.TCP{Src: c, Dst: s, Flags: "A", Seq: 1001, Ack: 5001, Win: 502}},
	})
	pkts := readCapture(t, path)
	tr := New(DefaultConfig())
	var got, hists []string
	emit := func(s *observe.RTTSample) { got = append(got, fmt.Sprint(s.RTTMs)) }
	hist := func(h *observe.RTTHistogram) {
		hists = append(hists, fmt.Sprintf("%d:%d %v", (h.IntervalStart-capgen.Ms(0))/1e6, h.N, h.Min))
	}
	for i := range pkts {
		if i == 2 {
			tr.CloseInterval(capgen.Ms(0), 10e6, hist)
		}
		tr.Packet(&pkts[i].d, 1, emit)
	}
	tr.Flush(nil)
	tr.CloseInterval(capgen.Ms(10), 10e6, hist)
	if fmt.Sprint(got) != "[15]" || fmt.Sprint(hists) != "[10:1 15]" {
		t.Errorf("samples %v, histograms %v; want [15] and [10:1 15] (the real SYN-ACK, in the second interval)", got, hists)
	}
}

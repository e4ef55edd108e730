package rtt

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gosnmp/gosnmp"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

var (
	cli = netip.MustParseAddr("192.0.2.1")
	srv = netip.MustParseAddr("198.51.100.2")
)

const ms = int64(1e6)

// udp builds the dissection of a UDP datagram (the Tracker reads only the
// Dissection).
func udp(src netip.Addr, sp uint16, dst netip.Addr, dp uint16, payload []byte, timeNs int64) *dissect.Dissection {
	d := &dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasUDP, IPVersion: 4, Protocol: dissect.ProtoUDP,
		SrcAddr: src, DstAddr: dst, SrcPort: sp, DstPort: dp, Payload: payload, PayloadLen: uint32(len(payload))}
	d.Meta.TimeNs = timeNs
	return d
}

func tcpSeg(src netip.Addr, sp uint16, dst netip.Addr, dp uint16, flags uint16, seq, ack uint32, payload []byte, timeNs int64) *dissect.Dissection {
	d := &dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasTCP, IPVersion: 4, Protocol: dissect.ProtoTCP,
		SrcAddr: src, DstAddr: dst, SrcPort: sp, DstPort: dp, TCPFlags: flags, Seq: seq, Ack: ack,
		Payload: payload, PayloadLen: uint32(len(payload))}
	d.Meta.TimeNs = timeNs
	return d
}

func echo(req bool, id, seq uint16, timeNs int64) *dissect.Dissection {
	d := &dissect.Dissection{Flags: dissect.HasIP | dissect.HasL4 | dissect.HasICMP, IPVersion: 4, Protocol: dissect.ProtoICMP,
		SrcAddr: cli, DstAddr: srv, ICMPType: 8, ICMPID: id, ICMPSeq: seq}
	if !req {
		d.SrcAddr, d.DstAddr, d.ICMPType = srv, cli, 0
	}
	d.Meta.TimeNs = timeNs
	return d
}

func dnsMsg(t testing.TB, id uint16, qr bool, name string, rcode layers.DNSResponseCode) []byte {
	t.Helper()
	m := &layers.DNS{ID: id, QR: qr, RD: true, ResponseCode: rcode,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	if qr && rcode == 0 {
		m.Answers = []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: []byte{203, 0, 113, 7}}}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func snmpMsg(t testing.TB, ver gosnmp.SnmpVersion, pdu gosnmp.PDUType, reqID uint32, errStatus gosnmp.SNMPError) []byte {
	t.Helper()
	p := &gosnmp.SnmpPacket{Version: ver, Community: "public", PDUType: pdu, RequestID: reqID, Error: errStatus,
		Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1.1.0", Type: gosnmp.Null}}}
	b, err := p.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ntpMsg(mode uint8, org, xmt uint64) []byte {
	b := make([]byte, 48)
	b[0] = 4<<3 | mode
	b[1] = 2
	binary.BigEndian.PutUint64(b[24:], org)
	binary.BigEndian.PutUint64(b[40:], xmt)
	return b
}

type collector struct {
	samples    []observe.RTTSample
	unanswered []string
	flows      []uint64
}

func (c *collector) emit(s *observe.RTTSample) { c.samples = append(c.samples, CloneSample(s)) }
func (c *collector) un(kind string, flow uint64) {
	c.unanswered = append(c.unanswered, kind)
	c.flows = append(c.flows, flow)
}

// TestICMPRetransmitAndDuplicates: a request copy while pending moves the
// request time to the latest copy; only the first reply pairs; a request
// after the reply starts a new transaction.
func TestICMPRetransmitAndDuplicates(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	tr.Packet(echo(true, 7, 1, 0), 11, c.emit)
	tr.Packet(echo(true, 7, 1, 1000*ms), 12, c.emit) // retransmission: latest copy
	tr.Packet(echo(false, 7, 1, 1003*ms), 99, c.emit)
	tr.Packet(echo(false, 7, 1, 1004*ms), 99, c.emit) // duplicate reply
	tr.Packet(echo(false, 7, 9, 1005*ms), 99, c.emit) // orphan
	tr.Packet(echo(true, 7, 1, 2000*ms), 13, c.emit)  // new transaction, same id/seq
	tr.Packet(echo(false, 7, 1, 2001*ms), 99, c.emit)
	if len(c.samples) != 2 {
		t.Fatalf("%d samples, want 2", len(c.samples))
	}
	want := []observe.RTTSample{
		{FlowID: 12, Kind: "icmp_echo", Proto: "icmp", RequestTime: 1000 * ms, RTTMs: 3, ClientAddr: "192.0.2.1", ServerAddr: "198.51.100.2", Detail: "echo id 7 seq 1"},
		{FlowID: 13, Kind: "icmp_echo", Proto: "icmp", RequestTime: 2000 * ms, RTTMs: 1, ClientAddr: "192.0.2.1", ServerAddr: "198.51.100.2", Detail: "echo id 7 seq 1"},
	}
	if !reflect.DeepEqual(c.samples, want) {
		t.Errorf("samples\n%+v\nwant\n%+v", c.samples, want)
	}
	st := tr.Stats()
	k := KindICMPEcho
	if st.Requests[k] != 3 || st.Retransmits[k] != 1 || st.Responses[k] != 4 || st.Duplicates[k] != 1 || st.Orphans[k] != 1 || st.Samples[k] != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestExpire: unanswered after TimeoutNs (not before, and within
// TimeoutNs/10 after), reported in request order with the request's flow
// id; answered requests are forgotten silently; Flush reports the rest.
func TestExpire(t *testing.T) {
	tr := New(Config{TimeoutNs: 5000 * ms})
	var c collector
	tr.Packet(echo(true, 1, 2, 100*ms), 22, c.emit)
	tr.Packet(echo(true, 1, 1, 0), 21, c.emit)
	tr.Packet(echo(true, 1, 3, 200*ms), 23, c.emit)
	tr.Packet(echo(false, 1, 3, 201*ms), 0, c.emit)
	tr.Expire(5000*ms, c.un)
	if len(c.unanswered) != 0 {
		t.Fatalf("expired at exactly the timeout: %v", c.unanswered)
	}
	tr.Expire(5200*ms+1, c.un) // before the next scan (TimeoutNs/10 after the last)
	if len(c.unanswered) != 0 {
		t.Fatalf("scanned again within TimeoutNs/10: %v", c.unanswered)
	}
	tr.Expire(5600*ms, c.un)
	if !reflect.DeepEqual(c.flows, []uint64{21, 22}) || c.unanswered[0] != "icmp_echo" {
		t.Fatalf("unanswered %v flows %v, want icmp_echo flows 21, 22 in request order", c.unanswered, c.flows)
	}
	if st := tr.Stats(); st.Pending != 0 || st.Unanswered[KindICMPEcho] != 2 {
		t.Errorf("pending %d unanswered %d, want 0 and 2", st.Pending, st.Unanswered[KindICMPEcho])
	}
	// The table was empty after the scan: a later request still expires.
	tr.Packet(echo(true, 1, 4, 6000*ms), 24, c.emit)
	tr.Packet(echo(true, 1, 5, 7000*ms), 25, c.emit)
	tr.Expire(11700*ms, c.un)
	if !reflect.DeepEqual(c.flows, []uint64{21, 22, 24}) {
		t.Errorf("after the second scan flows %v, want 21 22 24", c.flows)
	}
	tr.Flush(c.un)
	if !reflect.DeepEqual(c.flows, []uint64{21, 22, 24, 25}) {
		t.Errorf("after Flush flows %v, want 21 22 24 25", c.flows)
	}
}

// TestDNSUDP: key includes the question; detail type, name, rcode; a
// response with another question does not pair.
func TestDNSUDP(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	tr.Packet(udp(cli, 40000, srv, 53, dnsMsg(t, 0x1234, false, "WwW.Example.com", 0), 0), 5, c.emit)
	tr.Packet(udp(srv, 53, cli, 40000, dnsMsg(t, 0x1234, true, "other.example.com", 0), 1*ms), 6, c.emit)
	tr.Packet(udp(srv, 53, cli, 40000, dnsMsg(t, 0x1234, true, "WwW.Example.com", 3), 2*ms), 6, c.emit)
	if len(c.samples) != 1 {
		t.Fatalf("%d samples, want 1", len(c.samples))
	}
	s := c.samples[0]
	if s.Detail != "A WwW.Example.com NXDOMAIN" || s.RTTMs != 2 || s.FlowID != 5 || s.ClientPort != 40000 || s.ServerPort != 53 {
		t.Errorf("sample %+v", s)
	}
	if st := tr.Stats(); st.Orphans[KindDNS] != 1 {
		t.Errorf("orphans %d, want 1", st.Orphans[KindDNS])
	}
	// Too short for a DNS header.
	tr.Packet(udp(cli, 40001, srv, 53, []byte{1, 2, 3}, 3*ms), 5, c.emit)
	if st := tr.Stats(); st.Malformed[KindDNS] != 1 {
		t.Errorf("malformed %d, want 1", st.Malformed[KindDNS])
	}
}

// TestDNSTCPStream: length-prefixed messages over TCP with a split length
// prefix, a retransmitted segment and a gap.
func TestDNSTCPStream(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	q1, q2 := dnsMsg(t, 1, false, "a.example", 0), dnsMsg(t, 2, false, "b.example", 0)
	r1, r2 := dnsMsg(t, 1, true, "a.example", 0), dnsMsg(t, 2, true, "b.example", 0)
	frame := func(m []byte) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...) }
	cs := append(frame(q1), frame(q2)...)
	ss := append(frame(r2), frame(r1)...)
	const syn, ack = dissect.TCPSyn, dissect.TCPAck
	tr.Packet(tcpSeg(cli, 50000, srv, 53, syn, 100, 0, nil, 0), 1, c.emit)
	tr.Packet(tcpSeg(srv, 53, cli, 50000, syn|ack, 900, 101, nil, 1*ms), 2, c.emit)
	tr.Packet(tcpSeg(cli, 50000, srv, 53, ack, 101, 901, cs, 2*ms), 1, c.emit)
	tr.Packet(tcpSeg(cli, 50000, srv, 53, ack, 101, 901, cs, 3*ms), 1, c.emit) // retransmission
	// Server: r2 plus the first byte of r1's prefix, then the rest.
	n := len(frame(r2)) + 1
	tr.Packet(tcpSeg(srv, 53, cli, 50000, ack, 901, 101, ss[:n], 10*ms), 2, c.emit)
	tr.Packet(tcpSeg(srv, 53, cli, 50000, ack, 901+uint32(n), 101, ss[n:n+5], 12*ms), 2, c.emit)
	tr.Packet(tcpSeg(srv, 53, cli, 50000, ack, 901+uint32(n)+5, 101, ss[n+5:], 14*ms), 2, c.emit)
	got := map[string]float64{}
	for _, s := range c.samples {
		got[s.Kind+" "+s.Detail] = s.RTTMs
	}
	want := map[string]float64{"tcp_handshake syn": 1, "dns A b.example NOERROR": 8, "dns A a.example NOERROR": 12}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("samples %v, want %v", got, want)
	}
	st := tr.Stats()
	if st.Requests[KindDNS] != 2 || st.StreamGaps != 0 || st.Malformed[KindDNS] != 0 {
		t.Errorf("stats %+v", st)
	}
	// A gap the capture missed (the server acknowledges past it): the
	// incomplete message is dropped, the stream resynchronises on the
	// held segment, which starts a message.
	end := 101 + uint32(len(cs))
	q3 := frame(dnsMsg(t, 3, false, "c.example", 0))
	tr.Packet(tcpSeg(cli, 50000, srv, 53, ack, end, 901, q3[:4], 20*ms), 1, c.emit)
	tr.Packet(tcpSeg(cli, 50000, srv, 53, ack, end+10, 901, q3, 21*ms), 1, c.emit)
	tr.Packet(tcpSeg(srv, 53, cli, 50000, ack, 901+uint32(len(ss)), end+10+uint32(len(q3)), nil, 22*ms), 2, c.emit)
	if st := tr.Stats(); st.StreamGaps != 1 || st.Requests[KindDNS] != 3 {
		t.Errorf("after gap: gaps %d requests %d, want 1 and 3", st.StreamGaps, st.Requests[KindDNS])
	}
	// RST forgets the connection and its buffers.
	tr.Packet(tcpSeg(cli, 50000, srv, 53, dissect.TCPRst, end+10+uint32(len(q3)), 0, nil, 23*ms), 1, c.emit)
	if st := tr.Stats(); st.Conns != 0 || tr.streamB != 0 {
		t.Errorf("after RST: conns %d stream bytes %d", st.Conns, tr.streamB)
	}
}

// TestSNMP: v1 and v2c requests paired by request-id; retransmission with
// the same id pairs with the latest copy; traps and encrypted v3 are
// ignored.
func TestSNMP(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	tr.Packet(udp(cli, 1161, srv, 161, snmpMsg(t, gosnmp.Version2c, gosnmp.GetNextRequest, 77, 0), 0), 1, c.emit)
	tr.Packet(udp(cli, 1161, srv, 161, snmpMsg(t, gosnmp.Version2c, gosnmp.GetNextRequest, 77, 0), 1000*ms), 1, c.emit)
	tr.Packet(udp(srv, 161, cli, 1161, snmpMsg(t, gosnmp.Version2c, gosnmp.GetResponse, 77, 0), 1001*ms), 2, c.emit)
	tr.Packet(udp(cli, 1162, srv, 161, snmpMsg(t, gosnmp.Version1, gosnmp.GetRequest, 78, 0), 2000*ms), 3, c.emit)
	tr.Packet(udp(srv, 161, cli, 1162, snmpMsg(t, gosnmp.Version1, gosnmp.GetResponse, 78, gosnmp.NoSuchName), 2004*ms), 4, c.emit)
	tr.Packet(udp(srv, 1000, cli, 162, snmpMsg(t, gosnmp.Version2c, gosnmp.SNMPv2Trap, 79, 0), 2005*ms), 5, c.emit)
	if len(c.samples) != 2 {
		t.Fatalf("%d samples, want 2", len(c.samples))
	}
	if s := c.samples[0]; s.Detail != "get-next-request v2c" || s.RTTMs != 1 || s.RequestTime != 1000*ms {
		t.Errorf("sample 0 %+v", s)
	}
	if s := c.samples[1]; s.Detail != "get-request v1 noSuchName" || s.RTTMs != 4 || s.FlowID != 3 {
		t.Errorf("sample 1 %+v", s)
	}
	// SNMPv3 with an encrypted scoped PDU (authPriv): ignored (TestSNMPv3).
	tr.Packet(udp(cli, 1163, srv, 161, snmpV3(9, 0x07, []byte("ciphertext")), 3000*ms), 1, c.emit)
	tr.Packet(udp(cli, 1163, srv, 161, []byte{0x30, 0x03, 0x02, 0x01}, 3000*ms), 1, c.emit)
	if st := tr.Stats(); st.Ignored != 1 || st.Malformed[KindSNMP] != 1 {
		t.Errorf("ignored %d malformed %d, want 1 and 1", st.Ignored, st.Malformed[KindSNMP])
	}
}

// TestNTP: origin timestamp of the reply = transmit timestamp of the
// request; a reply to another request does not pair.
func TestNTP(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	tr.Packet(udp(cli, 123, srv, 123, ntpMsg(3, 0, 0xdead), 0), 1, c.emit)
	tr.Packet(udp(srv, 123, cli, 123, ntpMsg(4, 0xbeef, 1), 1*ms), 2, c.emit)
	tr.Packet(udp(srv, 123, cli, 123, ntpMsg(4, 0xdead, 1), 3*ms), 2, c.emit)
	if len(c.samples) != 1 || c.samples[0].RTTMs != 3 || c.samples[0].Detail != "v4 stratum 2" {
		t.Fatalf("samples %+v", c.samples)
	}
}

// TestTimestamps: RTTM with advancing TSvals, repeated TSvals and skipped
// echoes.
func TestTimestamps(t *testing.T) {
	tr := New(Config{Kinds: []string{"tcp_ts"}})
	var c collector
	seg := func(fromCli bool, tsval, tsecr uint32, at int64) {
		d := tcpSeg(cli, 40000, srv, 80, dissect.TCPAck, 1, 1, nil, at)
		if !fromCli {
			d = tcpSeg(srv, 80, cli, 40000, dissect.TCPAck, 1, 1, nil, at)
		}
		d.Flags |= dissect.HasTCPTS
		d.TSVal, d.TSEcr = tsval, tsecr
		flow := uint64(1)
		if !fromCli {
			flow = 2
		}
		tr.Packet(d, flow, c.emit)
	}
	seg(true, 100, 0, 0)            // client TSval 100 at 0
	seg(true, 100, 0, 1*ms)         // same TSval: not re-timed
	seg(true, 101, 0, 2*ms)         // 101 at 2 ms
	seg(true, 102, 0, 3*ms)         // 102 at 3 ms
	seg(false, 5000, 100, 10*ms)    // echo of 100: 10 ms
	seg(false, 5000, 100, 11*ms)    // second echo: nothing
	seg(false, 5001, 102, 12*ms)    // echo of 102 (101 skipped): 9 ms
	seg(true, 103, 5001, 13*ms)     // echo of server 5001 (5000 skipped): 1 ms
	seg(true, 0xffffffff, 0, 14*ms) // wrapped: older than 103, not timed
	var got []float64
	for _, s := range c.samples {
		got = append(got, s.RTTMs)
	}
	if !reflect.DeepEqual(got, []float64{10, 9, 1}) {
		t.Fatalf("rtts %v, want [10 9 1]", got)
	}
	if s := c.samples[0]; s.ClientAddr != "192.0.2.1" || s.ClientPort != 40000 || s.ServerPort != 80 || s.Detail != "tsval 100" || s.FlowID != 1 {
		t.Errorf("sample 0 %+v", s)
	}
	if s := c.samples[2]; s.ClientAddr != "198.51.100.2" || s.FlowID != 2 {
		t.Errorf("sample 2 %+v", s)
	}
}

// TestBounds: MaxPending and MaxConns are enforced and counted.
func TestBounds(t *testing.T) {
	tr := New(Config{MaxPending: 2, MaxConns: 1})
	var c collector
	for i := uint16(0); i < 4; i++ {
		tr.Packet(echo(true, 1, i, 0), 1, c.emit)
	}
	for p := uint16(1); p <= 2; p++ {
		d := tcpSeg(cli, p, srv, 80, dissect.TCPAck, 1, 1, nil, 0)
		d.Flags |= dissect.HasTCPTS
		tr.Packet(d, 1, c.emit)
	}
	st := tr.Stats()
	if st.Pending != 2 || st.PendingFull != 2 || st.Conns != 1 || st.ConnsFull != 1 {
		t.Errorf("stats %+v", st)
	}
	tr.Expire(400e9, nil)
	if st := tr.Stats(); st.Conns != 0 || st.ConnsIdle != 1 || st.Pending != 0 {
		t.Errorf("after expiry %+v", st)
	}
}

// TestKinds: only the enabled kinds are matched.
func TestKinds(t *testing.T) {
	tr := New(Config{Kinds: []string{"dns"}})
	var c collector
	tr.Packet(echo(true, 1, 1, 0), 1, c.emit)
	tr.Packet(echo(false, 1, 1, 1), 1, c.emit)
	if len(c.samples) != 0 || tr.Stats().Requests[KindICMPEcho] != 0 {
		t.Errorf("icmp matched with kinds [dns]")
	}
}

func TestConfigValidate(t *testing.T) {
	good := DefaultConfig()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{SlicesMs: []float64{2, 2}},
		{SlicesMs: []float64{-1}},
		{SlicesMs: []float64{math.NaN()}},
		{TimeoutNs: -1},
		{MaxTSvals: 5000},
		{Kinds: []string{"dns", "http"}},
	} {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", c, err)
		}
	}
	tr := New(Config{SlicesMs: []float64{5, 1}})
	if got := tr.Config().SlicesMs; !reflect.DeepEqual(got, []float64{2, 10, 50}) {
		t.Errorf("invalid slices replaced by %v, want defaults", got)
	}
}

// TestHistograms: per (flow, kind) slices with n/sum/sumsq/min/max,
// ordered rows, reset after CloseInterval.
func TestHistograms(t *testing.T) {
	tr := New(DefaultConfig())
	for _, v := range []float64{1, 1.5, 3, 60, 200} {
		tr.Observe(7, KindDNS, v)
	}
	tr.Observe(3, KindICMPEcho, 2)
	tr.Observe(7, KindICMPEcho, 10)
	var rows []observe.RTTHistogram
	tr.CloseInterval(60e9, 60e9, func(r *observe.RTTHistogram) { rows = append(rows, *r) })
	h := func(flow uint64, kind string, lo, hi float64, vals ...float64) observe.RTTHistogram {
		r := observe.RTTHistogram{FlowID: flow, Kind: kind, IntervalStart: 60e9, IntervalS: 60, SliceLoMs: lo, SliceHiMs: hi,
			Min: vals[0], Max: vals[0]}
		for _, v := range vals {
			r.N++
			r.Sum += v
			r.SumSq += v * v
			r.Min, r.Max = math.Min(r.Min, v), math.Max(r.Max, v)
		}
		return r
	}
	want := []observe.RTTHistogram{
		h(3, "icmp_echo", 2, 10, 2),
		h(7, "icmp_echo", 10, 50, 10),
		h(7, "dns", 0, 2, 1, 1.5),
		h(7, "dns", 2, 10, 3),
		h(7, "dns", 50, 0, 60, 200),
	}
	// Order: flow id, then kind (icmp_echo before dns in Kind order).
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", rows, want)
	}
	rows = nil
	tr.CloseInterval(120e9, 60e9, func(r *observe.RTTHistogram) { rows = append(rows, *r) })
	if len(rows) != 0 {
		t.Errorf("%d rows after reset", len(rows))
	}
	tr2 := New(Config{MaxHistograms: 1})
	tr2.Observe(1, KindDNS, 1)
	tr2.Observe(2, KindDNS, 1)
	if tr2.Stats().HistFull != 1 {
		t.Errorf("HistFull %d, want 1", tr2.Stats().HistFull)
	}
}

// TestPacketHistograms: Packet feeds the histograms with the request's
// flow, also when emit is nil.
func TestPacketHistograms(t *testing.T) {
	tr := New(DefaultConfig())
	tr.Packet(echo(true, 1, 1, 0), 4, nil)
	tr.Packet(echo(false, 1, 1, 20*ms), 5, nil)
	var rows []observe.RTTHistogram
	tr.CloseInterval(0, 1e9, func(r *observe.RTTHistogram) { rows = append(rows, *r) })
	if len(rows) != 1 || rows[0].FlowID != 4 || rows[0].N != 1 || rows[0].Sum != 20 || rows[0].SliceLoMs != 10 || rows[0].SliceHiMs != 50 || rows[0].IntervalS != 1 {
		t.Errorf("rows %+v", rows)
	}
}

// TestFullTableForgetsAnswered: a pending table full of answered
// requests (kept only to tell duplicate responses from orphans) makes
// room for new requests instead of refusing them: a resolver answering
// more than MaxPending/TimeoutNs queries a second (6,554 by default) lost
// every new query once the table filled with answered ones. A table full
// of unanswered requests still refuses (PendingFull), and is not swept
// again before TimeoutNs/10.
func TestFullTableForgetsAnswered(t *testing.T) {
	tr := New(Config{MaxPending: 8})
	var c collector
	ms := int64(1e6)
	for i := range uint16(8) { // 8 echoes answered within 1 ms
		tr.Packet(echo(true, 1, i, int64(i)*ms), 1, c.emit)
		tr.Packet(echo(false, 1, i, int64(i)*ms+ms/2), 1, c.emit)
	}
	for i := range uint16(8) { // 8 more, 10 ms later: the table is full of answered ones
		tr.Packet(echo(true, 2, i, 10*ms+int64(i)*ms), 1, c.emit)
		tr.Packet(echo(false, 2, i, 10*ms+int64(i)*ms+ms/4), 1, c.emit)
	}
	st := tr.Stats()
	if len(c.samples) != 16 || st.PendingFull != 0 || st.AnsweredForgotten != 8 {
		t.Errorf("%d samples, PendingFull %d, AnsweredForgotten %d: want 16, 0, 8", len(c.samples), st.PendingFull, st.AnsweredForgotten)
	}
	// a duplicate reply to a forgotten request is an orphan
	tr.Packet(echo(false, 1, 0, 30*ms), 1, c.emit)
	if st := tr.Stats(); st.Orphans[KindICMPEcho] != 1 || st.Duplicates[KindICMPEcho] != 0 {
		t.Errorf("orphans %d duplicates %d: want 1, 0", st.Orphans[KindICMPEcho], st.Duplicates[KindICMPEcho])
	}
	// unanswered requests fill it: refused, and the sweep that freed the
	// 8 answered ones does not run for every refused request
	for i := range uint16(10) {
		tr.Packet(echo(true, 3, i, 40*ms+int64(i)*ms), 1, c.emit)
	}
	if st := tr.Stats(); st.PendingFull != 2 || st.AnsweredForgotten != 16 || st.Pending != 8 {
		t.Errorf("PendingFull %d, AnsweredForgotten %d, Pending %d: want 2, 16, 8", st.PendingFull, st.AnsweredForgotten, st.Pending)
	}
}

// TestHistogramPages: the histograms of an interval span several pages
// (histPage each), and the next interval reuses their slots: each of its
// rows holds its own round trips only, none of the interval before. With
// the default slices [2, 10, 50] ms, 3 ms falls in slice 2-10 and 60 ms in
// 50-.
func TestHistogramPages(t *testing.T) {
	tr := New(DefaultConfig())
	const many = 2*histPage + 10
	for f := range uint64(many) {
		tr.Observe(f, KindDNS, 3)
		tr.Observe(f, KindDNS, 60)
	}
	n := 0
	tr.CloseInterval(0, 60e9, func(r *observe.RTTHistogram) { n++ })
	if n != 2*many {
		t.Fatalf("first interval: %d rows, want %d", n, 2*many)
	}
	for f := range uint64(histPage + 1) {
		tr.Observe(1000+f, KindDNS, 3)
	}
	var rows []observe.RTTHistogram
	tr.CloseInterval(60e9, 60e9, func(r *observe.RTTHistogram) { rows = append(rows, *r) })
	if len(rows) != histPage+1 {
		t.Fatalf("second interval: %d rows, want %d", len(rows), histPage+1)
	}
	for i, r := range rows {
		if r.FlowID != 1000+uint64(i) || r.N != 1 || r.Sum != 3 || r.SliceLoMs != 2 || r.SliceHiMs != 10 {
			t.Fatalf("second interval row %d: %+v, want flow %d, one 3 ms sample in 2-10", i, r, 1000+i)
		}
	}
	// a table bounded below a page allocates the bound, not a page
	cfg := DefaultConfig()
	cfg.MaxHistograms = 3
	small := New(cfg)
	for f := range uint64(5) {
		small.Observe(f, KindDNS, 3)
	}
	if p := small.hist.pages; len(p) != 1 || len(p[0]) != 3*small.hist.n || small.Stats().HistFull != 2 {
		t.Errorf("MaxHistograms 3: pages of %d stats (%d slices each), %d full, want one page of 3 histograms, 2 full", len(p[0]), small.hist.n, small.Stats().HistFull)
	}
}

// TestHistIndexMatchesMap: the histograms' index finds and adds keys as a
// Go map does, through growth and resets (random flows, mostly close
// ids as the probe's, all kinds; a few ids near 2^63); a second run with
// every home slot among the first 16 makes the chains long, so keys of
// one flow and different kinds meet on them.
func TestHistIndexMatchesMap(t *testing.T) {
	for _, mask := range []uint64{math.MaxUint64, 15} {
		histIndexMatchesMap(t, mask)
	}
}

func histIndexMatchesMap(t *testing.T, mask uint64) {
	r := rand.New(rand.NewPCG(14, 3))
	x := histIndex{slots: make([]histSlot, minHistSlots), homeMask: mask}
	for round := range 4 {
		ref := map[histKey]int32{}
		for range 3000 + 2000*round {
			k := histKey{flowID: uint64(r.IntN(2500)), kind: Kind(r.IntN(int(NumKinds)))}
			if r.IntN(50) == 0 {
				k.flowID |= 1 << 63
			}
			s := x.find(k)
			want, ok := ref[k]
			if got := s.i - 1; ok != (got >= 0) || (ok && got != want) {
				t.Fatalf("home mask %#x, round %d, key %+v: index says %d, map %d (%v)", mask, round, k, got, want, ok)
			}
			if !ok {
				ref[k] = int32(len(ref))
				x.add(s, k, ref[k])
			}
		}
		if x.n != len(ref) {
			t.Fatalf("round %d: %d keys indexed, want %d", round, x.n, len(ref))
		}
		x.reset()
	}
}

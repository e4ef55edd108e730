package rtt

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestDNSTCPReorderLossMidstream: DNS over TCP (RFC 7766 §8, RFC 1035
// §4.2.2) after a hole in a stream. The old reassembly took the segment
// after any hole as the start of a message: the stream stayed misaligned
// and every later message of that direction was lost (their queries
// reported unanswered). Capture generated here, committed as
// testdata/dns-tcp-gaps.pcap (go test ./engine/rtt -run
// TestDNSTCPReorderLossMidstream -update):
//
//   - 40100, reordered: the response to "one.example" (query at 3 ms) in
//     two segments, the second seen at 10 ms, the first at 12 ms. tshark -o
//     tcp.reassemble_out_of_order:TRUE -Y dns -T fields -e dns.id -e
//     dns.time gives 1 0.009 (the segment that fills the hole completes
//     the message) and 2 0.005 for the next query.
//   - 40101, a segment the capture missed: the first segment of the
//     response to "three.example" is not in the capture; the client's next
//     query acknowledges past it (the host got it). "three" is unanswered
//     at the probe; the response to "four.example" (query at 120 ms,
//     response whole in the segment at 125 ms, starting with its length)
//     is 5 ms. tshark 4.0.17 does not resynchronise and shows no dns.time
//     for it; the value here is what the capture holds.
//   - 40102, the capture begins during the connection: the first server
//     segment is the tail of an earlier response (from its answer's TTL,
//     00 00 00 3c, read as lengths 0 and 60), skipped; "five.example" at
//     200 ms is answered at 205 ms: 5 ms.
func TestDNSTCPReorderLossMidstream(t *testing.T) {
	frame := func(m []byte) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...) }
	q := func(id uint16, name string) []byte { return frame(dnsMsg(t, id, false, name, 0)) }
	r := func(id uint16, name string) []byte { return frame(dnsMsg(t, id, true, name, 0)) }
	srv := capgen.AP("198.51.100.53:53")
	a, b, c := capgen.AP("192.0.2.10:40100"), capgen.AP("192.0.2.10:40101"), capgen.AP("192.0.2.10:40102")
	tcp := func(src, dst netip.AddrPort, fl string, seq, ack uint32, pl []byte) capgen.TCP {
		return capgen.TCP{Src: src, Dst: dst, Flags: fl, Seq: seq, Ack: ack, Win: 1000, Payload: pl}
	}
	n := func(b []byte) uint32 { return uint32(len(b)) }

	q1, r1, q2, r2 := q(1, "one.example"), r(1, "one.example"), q(2, "two.example"), r(2, "two.example")
	q3, r3, q4, r4 := q(3, "three.example"), r(3, "three.example"), q(4, "four.example"), r(4, "four.example")
	prev, q5, r5 := r(9, "prev.example"), q(5, "five.example"), r(5, "five.example")
	tail := prev[len(prev)-10:] // TTL, RDLENGTH, RDATA of its answer
	segs := []seg{
		{0, tcp(a, srv, "S", 1000, 0, nil)},
		{1, tcp(srv, a, "SA", 5000, 1001, nil)},
		{2, tcp(a, srv, "A", 1001, 5001, nil)},
		{3, tcp(a, srv, "PA", 1001, 5001, q1)},
		{10, tcp(srv, a, "PA", 5001+20, 1001+n(q1), r1[20:])},
		{12, tcp(srv, a, "PA", 5001, 1001+n(q1), r1[:20])},
		{20, tcp(a, srv, "PA", 1001+n(q1), 5001+n(r1), q2)},
		{25, tcp(srv, a, "PA", 5001+n(r1), 1001+n(q1)+n(q2), r2)},

		{100, tcp(b, srv, "S", 2000, 0, nil)},
		{101, tcp(srv, b, "SA", 6000, 2001, nil)},
		{102, tcp(b, srv, "A", 2001, 6001, nil)},
		{103, tcp(b, srv, "PA", 2001, 6001, q3)},
		// r3[:20] at 6001 is not in the capture.
		{110, tcp(srv, b, "PA", 6001+20, 2001+n(q3), r3[20:])},
		{120, tcp(b, srv, "PA", 2001+n(q3), 6001+n(r3), q4)},
		{125, tcp(srv, b, "PA", 6001+n(r3), 2001+n(q3)+n(q4), r4)},

		{200, tcp(c, srv, "PA", 3000, 7000, q5)},
		{201, tcp(srv, c, "PA", 7000, 3000, tail)},
		{205, tcp(srv, c, "PA", 7000+n(tail), 3000+n(q5), r5)},
	}
	var fr []capgen.Frame
	for _, sg := range segs {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(sg.ms), Data: sg.Seg()})
	}
	res := run(t, DefaultConfig(), readCapture(t, golden(t, "testdata/dns-tcp-gaps.pcap", fr)))
	got := res.rttByDetail("dns")
	want := map[string]float64{"A one.example NOERROR": 9, "A two.example NOERROR": 5,
		"A four.example NOERROR": 5, "A five.example NOERROR": 5}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dns samples %v, want %v", got, want)
	}
	st := res.tr.Stats()
	if res.unanswered["dns"] != 1 || st.StreamGaps != 1 || st.Requests[KindDNS] != 5 || st.Malformed[KindDNS] != 0 {
		t.Errorf("unanswered %d gaps %d requests %d malformed %d, want 1 (three.example), 1, 5, 0",
			res.unanswered["dns"], st.StreamGaps, st.Requests[KindDNS], st.Malformed[KindDNS])
	}
	if res.tr.streamB != 0 {
		t.Errorf("%d stream bytes held after Flush, want 0", res.tr.streamB)
	}
}

// axfrMsg is a zone transfer response message (RFC 5936 §2.2) of id id
// with n A records, the question "zone.example AXFR" when withQ (the later
// messages may leave it out, §2.2.1).
func axfrMsg(t *testing.T, id uint16, withQ bool, n int) []byte {
	t.Helper()
	m := &layers.DNS{ID: id, QR: true, AA: true}
	if withQ {
		m.Questions = []layers.DNSQuestion{{Name: []byte("zone.example"), Type: dnsTypeAXFR, Class: layers.DNSClassIN}}
	}
	for i := range n {
		m.Answers = append(m.Answers, layers.DNSResourceRecord{Name: []byte("zone.example"), Type: layers.DNSTypeA,
			Class: layers.DNSClassIN, TTL: 300, IP: []byte{192, 0, 2, byte(i + 1)}})
	}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// TestDNSZoneTransferMessages: an AXFR response over TCP is a sequence of
// messages with the query's id (RFC 5936 §2.2; the second here without
// the question, §2.2.1). The round trip ends at the first (7 ms, as
// tshark's dns.time on it); the later ones are responses of the same
// transfer, not duplicate responses (they counted in Stats.Duplicates,
// reported as rtt_duplicate_responses; tshark flags none as
// dns.retransmit_response). A transfer lasting longer than the request
// timeout (10 s; messages at 10 ms, 8 s, 16 s) keeps its transaction: its
// last message is not an orphan response. A second answer to a UDP query
// is still a duplicate. Capture generated here, committed as
// testdata/dns-axfr-messages.pcap (go test ./engine/rtt -run
// TestDNSZoneTransferMessages -update).
func TestDNSZoneTransferMessages(t *testing.T) {
	frame := func(m []byte) []byte { return append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...) }
	cli, srv := capgen.AP("192.0.2.10:40300"), capgen.AP("198.51.100.53:53")
	q := frame(dnsMsgType(t, 7, "zone.example", dnsTypeAXFR))
	m1, m2, m3 := frame(axfrMsg(t, 7, true, 3)), frame(axfrMsg(t, 7, false, 3)), frame(axfrMsg(t, 7, true, 2))
	n := func(b []byte) uint32 { return uint32(len(b)) }
	tcp := func(src, dst netip.AddrPort, fl string, seq, ack uint32, pl []byte) capgen.TCP {
		return capgen.TCP{Src: src, Dst: dst, Flags: fl, Seq: seq, Ack: ack, Win: 1000, Payload: pl}
	}
	segs := []seg{
		{0, tcp(cli, srv, "S", 1000, 0, nil)},
		{1, tcp(srv, cli, "SA", 5000, 1001, nil)},
		{2, tcp(cli, srv, "A", 1001, 5001, nil)},
		{3, tcp(cli, srv, "PA", 1001, 5001, q)},
		{10, tcp(srv, cli, "PA", 5001, 1001+n(q), m1)},
		{8000, tcp(srv, cli, "PA", 5001+n(m1), 1001+n(q), m2)},
		{16000, tcp(srv, cli, "PA", 5001+n(m1)+n(m2), 1001+n(q), m3)},
	}
	var fr []capgen.Frame
	for _, sg := range segs {
		fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(sg.ms), Data: sg.Seg()})
	}
	ucli := capgen.AP("192.0.2.10:40301")
	uq, ur := dnsMsg(t, 8, false, "a.example", 0), dnsMsg(t, 8, true, "a.example", 0)
	fr = append(fr, capgen.Frame{TimeNs: capgen.Ms(16020), Data: capgen.UDP{Src: ucli, Dst: srv, Payload: uq}.Frame()},
		capgen.Frame{TimeNs: capgen.Ms(16024), Data: capgen.UDP{Src: srv, Dst: ucli, Payload: ur}.Frame()},
		capgen.Frame{TimeNs: capgen.Ms(16025), Data: capgen.UDP{Src: srv, Dst: ucli, Payload: ur}.Frame()})
	res := run(t, DefaultConfig(), readCapture(t, golden(t, "testdata/dns-axfr-messages.pcap", fr)))
	got := res.rttByDetail("dns")
	if want := map[string]float64{"AXFR zone.example NOERROR": 7, "A a.example NOERROR": 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("dns samples %v, want %v", got, want)
	}
	st := res.tr.Stats()
	if st.Responses[KindDNS] != 5 || st.Duplicates[KindDNS] != 1 || st.Orphans[KindDNS] != 0 || res.unanswered["dns"] != 0 {
		t.Errorf("responses %d duplicates %d orphans %d unanswered %d, want 5, 1 (UDP), 0, 0",
			st.Responses[KindDNS], st.Duplicates[KindDNS], st.Orphans[KindDNS], res.unanswered["dns"])
	}
}

// dnsMsgType is a query of id id for name and type ty.
func dnsMsgType(t *testing.T, id uint16, name string, ty layers.DNSType) []byte {
	t.Helper()
	m := &layers.DNS{ID: id, Questions: []layers.DNSQuestion{{Name: []byte(name), Type: ty, Class: layers.DNSClassIN}}}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

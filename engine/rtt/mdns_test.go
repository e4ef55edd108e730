package rtt

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// mdnsMsg is a DNS message of id for name (type A): a query, or a
// response with one answer, with or without the question (RFC 6762 §6:
// a multicast response carries none; §6.7: a legacy unicast one repeats
// it; RFC 4795 §2.1.1: an LLMNR response repeats it).
func mdnsMsg(t testing.TB, id uint16, qr, question bool, name string) []byte {
	t.Helper()
	m := &layers.DNS{ID: id, QR: qr, AA: qr}
	q := layers.DNSQuestion{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN}
	if !qr || question {
		m.Questions = []layers.DNSQuestion{q}
	}
	if qr {
		m.Answers = []layers.DNSResourceRecord{{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 120, IP: []byte{192, 0, 2, 20}}}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := m.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// mdnsFrames: mDNS (RFC 6762) and LLMNR (RFC 4795) exchanges.
func mdnsFrames(t testing.TB) []capgen.Frame {
	fr := func(ms float64, s, d string, p []byte) capgen.Frame {
		return capgen.Frame{TimeNs: capgen.Ms(ms), Data: capgen.UDP{Src: capgen.AP(s), Dst: capgen.AP(d), Payload: p}.Frame()}
	}
	return []capgen.Frame{
		// 1-2 mDNS multicast query and multicast response, id 0, no question in the response.
		fr(0, "192.0.2.10:5353", "224.0.0.251:5353", mdnsMsg(t, 0, false, false, "printer.local")),
		fr(4, "192.0.2.20:5353", "224.0.0.251:5353", mdnsMsg(t, 0, true, false, "printer.local")),
		// 3 the same query again (an unanswered one: continuous querying, RFC 6762 §5.2).
		fr(1000, "192.0.2.10:5353", "224.0.0.251:5353", mdnsMsg(t, 0, false, false, "scanner.local")),
		// 4-5 legacy unicast query (source port not 5353, RFC 6762 §6.7): unicast response with id and question.
		fr(2000, "192.0.2.10:40000", "224.0.0.251:5353", mdnsMsg(t, 0x1234, false, false, "printer.local")),
		fr(2006, "192.0.2.20:5353", "192.0.2.10:40000", mdnsMsg(t, 0x1234, true, true, "printer.local")),
		// 6-7 LLMNR multicast query, unicast response (RFC 4795 §2.1.1).
		fr(3000, "192.0.2.10:50000", "224.0.0.252:5355", mdnsMsg(t, 0x4321, false, false, "host")),
		fr(3002, "192.0.2.30:5355", "192.0.2.10:50000", mdnsMsg(t, 0x4321, true, true, "host")),
		// 8 LLMNR query nobody answers (RFC 4795 §2.1.1: no response when not authoritative).
		fr(4000, "[2001:db8::10]:50001", "[ff02::1:3]:5355", mdnsMsg(t, 0x5555, false, false, "nohost")),
		// 9-10 IPv6 mDNS query and multicast response.
		fr(5000, "[2001:db8::10]:5353", "[ff02::fb]:5353", mdnsMsg(t, 0, false, false, "printer.local")),
		fr(5003, "[2001:db8::20]:5353", "[ff02::fb]:5353", mdnsMsg(t, 0, true, false, "printer.local")),
	}
}

// TestMDNSLLMNR: mDNS (RFC 6762) and LLMNR (RFC 4795) are not matched as
// request and response, only counted. testdata/mdns-llmnr.pcap (written
// by this test with capgen from mdnsFrames; -update rewrites it) holds
// ten datagrams: mDNS multicast queries and responses (ID 0, no question
// in the response, RFC 6762 §6, §18.1; IPv4 and IPv6) with a query left
// unanswered (§5.2), a legacy unicast query and its unicast response
// (§6.7), an LLMNR query answered by unicast and one not answered (RFC
// 4795 §2.1.1). `tshark -2 -r testdata/mdns-llmnr.pcap -T fields -e
// frame.number -e dns.time -e dns.unsolicited` (tshark 4.0.17) gives no
// dns.time and marks every response (frames 2, 5, 7, 10) unsolicited;
// the Tracker gives no sample, no unanswered request, no orphan, and
// counts the ten datagrams in LinkLocalDNSNotTimed (0 before: they went
// unseen, in no counter).
func TestMDNSLLMNR(t *testing.T) {
	path := golden(t, "testdata/mdns-llmnr.pcap", mdnsFrames(t))
	r := run(t, DefaultConfig(), readCapture(t, path))
	st := r.tr.Stats()
	if len(r.samples) != 0 || r.unanswered["dns"] != 0 || st.Requests[KindDNS] != 0 || st.Orphans[KindDNS] != 0 {
		t.Errorf("%d samples, %d unanswered, %d requests, %d orphans; want none",
			len(r.samples), r.unanswered["dns"], st.Requests[KindDNS], st.Orphans[KindDNS])
	}
	if st.LinkLocalDNSNotTimed != 10 {
		t.Errorf("LinkLocalDNSNotTimed %d, want 10", st.LinkLocalDNSNotTimed)
	}
}

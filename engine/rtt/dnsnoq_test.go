package rtt

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestDNSResponseWithoutQuestion: a server answering FORMERR (or NOTIMP,
// REFUSED) often leaves the question section empty (QDCOUNT 0, RFC 1035
// §4.1.1 does not require it to be repeated; BIND does so for FORMERR).
// Such a response still answers the pending query of its 4-tuple and id:
// Wireshark's dns.time and Zeek's dns.log pair by transaction id, not by
// question. Capture generated here (testdata/dns-no-question.pcap):
// query id 0x3333 "bad.example.com" at 0 ms, FORMERR response with no
// question at 15 ms -> one dns sample of 15 ms, detail "FORMERR", nothing
// unanswered. Then two queries with one id and two questions (0x1111 a.,
// then b.) and a question-less response: it pairs with the latest (b.,
// 10 ms), and a.'s own response still pairs (30 ms); a question-less
// response with another id is an orphan.
func TestDNSResponseWithoutQuestion(t *testing.T) {
	cli, srv := capgen.AP("192.0.2.10:40003"), capgen.AP("198.51.100.53:53")
	cli2 := capgen.AP("192.0.2.10:40004")
	noq := func(id uint16, flags uint16) []byte {
		return []byte{byte(id >> 8), byte(id), byte(flags >> 8), byte(flags), 0, 0, 0, 0, 0, 0, 0, 0}
	}
	frames := []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: capgen.UDP{Src: cli, Dst: srv, Payload: dnsMsg(t, 0x3333, false, "bad.example.com", 0)}.Frame()},
		{TimeNs: capgen.Ms(15), Data: capgen.UDP{Src: srv, Dst: cli, Payload: noq(0x3333, 0x8181)}.Frame()},
		{TimeNs: capgen.Ms(100), Data: capgen.UDP{Src: cli2, Dst: srv, Payload: dnsMsg(t, 0x1111, false, "a.example.com", 0)}.Frame()},
		{TimeNs: capgen.Ms(105), Data: capgen.UDP{Src: cli2, Dst: srv, Payload: dnsMsg(t, 0x1111, false, "b.example.com", 0)}.Frame()},
		{TimeNs: capgen.Ms(115), Data: capgen.UDP{Src: srv, Dst: cli2, Payload: noq(0x1111, 0x8182)}.Frame()},
		{TimeNs: capgen.Ms(130), Data: capgen.UDP{Src: srv, Dst: cli2, Payload: dnsMsg(t, 0x1111, true, "a.example.com", 0)}.Frame()},
		{TimeNs: capgen.Ms(140), Data: capgen.UDP{Src: srv, Dst: cli2, Payload: noq(0x7777, 0x8181)}.Frame()},
	}
	path := golden(t, "testdata/dns-no-question.pcap", frames)
	r := run(t, DefaultConfig(), readCapture(t, path))
	got := r.byKind("dns")
	want := []struct {
		port   uint16
		ms     float64
		detail string
	}{{40003, 15, "FORMERR"}, {40004, 10, "SERVFAIL"}, {40004, 30, "A a.example.com NOERROR"}}
	if len(got) != len(want) {
		t.Fatalf("%d dns samples %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if s := got[i]; s.ClientPort != w.port || s.RTTMs != w.ms || s.Detail != w.detail {
			t.Errorf("sample %d: port %d %v ms %q, want %d %v ms %q", i, s.ClientPort, s.RTTMs, s.Detail, w.port, w.ms, w.detail)
		}
	}
	if n := r.unanswered["dns"]; n != 0 {
		t.Errorf("%d unanswered dns queries, want 0", n)
	}
	if st := r.tr.Stats(); st.Orphans[KindDNS] != 1 {
		t.Errorf("%d orphan responses, want 1", st.Orphans[KindDNS])
	}
}

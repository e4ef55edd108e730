package rtt

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// snmpV2c is an SNMPv2c message (RFC 3416 §3) with community "public" and
// a PDU of tag typ, request-id id, error-status es and one varbind
// sysDescr.0 whose value is the BER element val.
func snmpV2c(typ byte, id []byte, es byte, val []byte) []byte {
	vb := ber(0x30, ber(0x30, ber(0x06, []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}), val))
	pdu := ber(typ, ber(0x02, id), ber(0x02, []byte{es}), ber(0x02, []byte{0}), vb)
	return ber(0x30, ber(0x02, []byte{1}), ber(0x04, []byte("public")), pdu)
}

// TestSNMPResponseBadVarbind: an agent's Response whose variable binding
// is wrongly encoded still answers its request (RFC 3416 §4.2: the
// request-id pairs them; Wireshark's snmp.time reads the PDU header and
// times it whatever the varbinds). gosnmp's decoder rejected these
// responses, so the request was reported unanswered and the response
// counted malformed. Capture generated here, committed as
// testdata/snmp-bad-varbind.pcap (go test ./engine/rtt -run
// TestSNMPResponseBadVarbind -update): three get-requests (ids 102, 110,
// 111) each answered 5 ms later with, as value, an IpAddress of 6 bytes
// (RFC 2578 §7.1.5 says 4), an OID with a 35-bit sub-identifier, and an
// INTEGER of no byte (X.690 §8.3.1: at least one). tshark -r it -T fields
// -e snmp.request_id -e snmp.time gives 0.005 for the three responses.
// Then a request with request-id -5 (one byte 0xfb) answered noSuchName
// after 3 ms (tshark: snmp.request_id -5, snmp.time 0.003).
func TestSNMPResponseBadVarbind(t *testing.T) {
	mgr, agent := capgen.AP("192.0.2.20:51002"), capgen.AP("198.51.100.161:161")
	null := []byte{0x05, 0x00}
	bad := map[byte][]byte{
		102: {0x40, 0x06, 1, 2, 3, 4, 5, 6},
		110: {0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x8f, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00},
		111: {0x02, 0x00},
	}
	var fr []capgen.Frame
	ms := 0.0
	for _, id := range []byte{102, 110, 111} {
		fr = append(fr,
			capgen.Frame{TimeNs: capgen.Ms(ms), Data: capgen.UDP{Src: mgr, Dst: agent, Payload: snmpV2c(0xa0, []byte{id}, 0, null)}.Frame()},
			capgen.Frame{TimeNs: capgen.Ms(ms + 5), Data: capgen.UDP{Src: agent, Dst: mgr, Payload: snmpV2c(0xa2, []byte{id}, 0, bad[id])}.Frame()})
		ms += 100
	}
	fr = append(fr,
		capgen.Frame{TimeNs: capgen.Ms(ms), Data: capgen.UDP{Src: mgr, Dst: agent, Payload: snmpV2c(0xa0, []byte{0xfb}, 0, null)}.Frame()},
		capgen.Frame{TimeNs: capgen.Ms(ms + 3), Data: capgen.UDP{Src: agent, Dst: mgr, Payload: snmpV2c(0xa2, []byte{0xfb}, 2, null)}.Frame()})
	path := golden(t, "testdata/snmp-bad-varbind.pcap", fr)
	r := run(t, DefaultConfig(), readCapture(t, path))
	got := r.byKind("snmp")
	want := []struct {
		ms     float64
		detail string
	}{{5, "get-request v2c"}, {5, "get-request v2c"}, {5, "get-request v2c"}, {3, "get-request v2c noSuchName"}}
	if len(got) != len(want) {
		t.Fatalf("%d snmp samples %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].RTTMs != w.ms || got[i].Detail != w.detail {
			t.Errorf("sample %d: %v ms %q, want %v ms %q", i, got[i].RTTMs, got[i].Detail, w.ms, w.detail)
		}
	}
	if st := r.tr.Stats(); r.unanswered["snmp"] != 0 || st.Malformed[KindSNMP] != 0 {
		t.Errorf("%d unanswered, %d malformed, want 0 and 0", r.unanswered["snmp"], st.Malformed[KindSNMP])
	}
}

// TestSNMPSnapCut: a capture cut by its snap length (tcpdump -s) keeps the
// PDU header of a big message but not its varbinds; the request-id and
// error-status are there, so the pair is timed (the DNS matcher likewise
// ignores records cut by the snap length). Payloads cut to 30 bytes,
// PayloadLen their full length.
func TestSNMPSnapCut(t *testing.T) {
	tr := New(DefaultConfig())
	var c collector
	long := make([]byte, 200) // an OCTET STRING value of 200 bytes
	req := snmpV2c(0xa0, []byte{0x12, 0x34}, 0, []byte{0x05, 0x00})
	rsp := snmpV2c(0xa2, []byte{0x12, 0x34}, 5, ber(0x04, long))
	dq, dr := udp(cli, 1170, srv, 161, req, 0), udp(srv, 161, cli, 1170, rsp[:30], 7*ms)
	dr.PayloadLen = uint32(len(rsp))
	tr.Packet(dq, 1, c.emit)
	tr.Packet(dr, 2, c.emit)
	if len(c.samples) != 1 || c.samples[0].RTTMs != 7 || c.samples[0].Detail != "get-request v2c genErr" {
		t.Fatalf("samples %+v, want one of 7 ms, get-request v2c genErr", c.samples)
	}
	// Cut by the capture only: the same bytes with their full length
	// declared in the datagram are a malformed message.
	tr.Packet(udp(srv, 161, cli, 1170, rsp[:30], 8*ms), 2, c.emit)
	if st := tr.Stats(); st.Malformed[KindSNMP] != 1 {
		t.Errorf("malformed %d, want 1", st.Malformed[KindSNMP])
	}
}

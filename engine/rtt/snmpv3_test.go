package rtt

import (
	"testing"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// ber is one BER element with a short or two-byte long length.
func ber(tag byte, parts ...[]byte) []byte {
	var v []byte
	for _, p := range parts {
		v = append(v, p...)
	}
	if len(v) < 128 {
		return append([]byte{tag, byte(len(v))}, v...)
	}
	return append([]byte{tag, 0x82, byte(len(v) >> 8), byte(len(v))}, v...)
}

// snmpV3 is an SNMPv3 message (RFC 3412 §6) with msgID and msgFlags; a
// plaintext ScopedPDU holding pdu, or, with the privFlag, pdu as the
// encrypted OCTET STRING.
func snmpV3(msgID byte, flags byte, pdu []byte) []byte {
	engine := ber(0x04, []byte{0x80, 0x00, 0x1f, 0x88, 0x04, 't', 'e', 's', 't'})
	global := ber(0x30, ber(0x02, []byte{msgID}), ber(0x02, []byte{0x00, 0xff, 0xe3}), ber(0x04, []byte{flags}), ber(0x02, []byte{3}))
	usm := ber(0x04, ber(0x30, engine, ber(0x02, []byte{1}), ber(0x02, []byte{10}), ber(0x04, []byte("user")), ber(0x04, nil), ber(0x04, nil)))
	data := ber(0x04, pdu)
	if flags&0x02 == 0 {
		data = ber(0x30, engine, ber(0x04, nil), pdu)
	}
	return ber(0x30, ber(0x02, []byte{3}), global, usm, data)
}

// snmpPDU is a PDU of tag typ with request-id id and error-status es, one
// varbind sysDescr.0.
func snmpPDU(typ byte, id []byte, es byte) []byte {
	vb := ber(0x30, ber(0x30, ber(0x06, []byte{0x2b, 6, 1, 2, 1, 1, 1, 0}), []byte{0x05, 0x00}))
	return ber(typ, ber(0x02, id), ber(0x02, []byte{es}), ber(0x02, []byte{0}), vb)
}

// TestSNMPv3: SNMPv3 messages whose scoped PDU is in clear (noAuthNoPriv,
// authNoPriv; RFC 3412 §6, RFC 3414 §1.4) carry the same request-id and
// PDU types as v2c (RFC 3416 §3), and Wireshark's snmp.time pairs their
// GetRequest and Response (packet-snmp.c snmp_match_request_response,
// called for the PDU of every version). Capture generated here
// (testdata/snmpv3.pcap): a get-request v3 at 0 ms answered at 4 ms -> one
// sample of 4 ms "get-request v3"; a get-bulk-request v3 with request-id
// 0x80000001 (negative as an INTEGER) at 5 ms answered with noSuchName at
// 12 ms ->
// 7 ms "get-bulk-request v3 noSuchName"; a discovery get-request answered
// by a Report PDU -> no sample (Wireshark times only Response PDUs), but
// the request is answered (RFC 3411 §2.8: Report is of the Response
// Class; net-snmp's snmpv3_make_report keeps the request-id): it is not
// reported unanswered (it was, once per v3 session's engine discovery);
// an encrypted exchange (authPriv) -> no sample, both messages counted as
// ignored. Before the fix every v3 message was ignored: no sample.
func TestSNMPv3(t *testing.T) {
	cli, srv := capgen.AP("192.0.2.10:40003"), capgen.AP("198.51.100.161:161")
	cli2, cli3, cli4 := capgen.AP("192.0.2.10:40004"), capgen.AP("192.0.2.10:40005"), capgen.AP("192.0.2.10:40006")
	neg := []byte{0x80, 0x00, 0x00, 0x01}
	frames := []capgen.Frame{
		{TimeNs: capgen.Ms(0), Data: capgen.UDP{Src: cli, Dst: srv, Payload: snmpV3(1, 0x04, snmpPDU(0xa0, []byte{13}, 0))}.Frame()},
		{TimeNs: capgen.Ms(4), Data: capgen.UDP{Src: srv, Dst: cli, Payload: snmpV3(1, 0x00, snmpPDU(0xa2, []byte{13}, 0))}.Frame()},
		{TimeNs: capgen.Ms(5), Data: capgen.UDP{Src: cli2, Dst: srv, Payload: snmpV3(2, 0x05, snmpPDU(0xa5, neg, 0))}.Frame()},
		{TimeNs: capgen.Ms(12), Data: capgen.UDP{Src: srv, Dst: cli2, Payload: snmpV3(2, 0x01, snmpPDU(0xa2, neg, 2))}.Frame()},
		{TimeNs: capgen.Ms(20), Data: capgen.UDP{Src: cli3, Dst: srv, Payload: snmpV3(3, 0x04, snmpPDU(0xa0, []byte{16}, 0))}.Frame()},
		{TimeNs: capgen.Ms(26), Data: capgen.UDP{Src: srv, Dst: cli3, Payload: snmpV3(3, 0x00, snmpPDU(0xa8, []byte{16}, 0))}.Frame()},
		{TimeNs: capgen.Ms(30), Data: capgen.UDP{Src: cli4, Dst: srv, Payload: snmpV3(4, 0x07, []byte("ciphertext-of-a-get"))}.Frame()},
		{TimeNs: capgen.Ms(33), Data: capgen.UDP{Src: srv, Dst: cli4, Payload: snmpV3(4, 0x03, []byte("ciphertext-of-a-response"))}.Frame()},
	}
	path := golden(t, "testdata/snmpv3.pcap", frames)
	r := run(t, DefaultConfig(), readCapture(t, path))
	got := r.byKind("snmp")
	want := []struct {
		port   uint16
		ms     float64
		detail string
	}{{40003, 4, "get-request v3"}, {40004, 7, "get-bulk-request v3 noSuchName"}}
	if len(got) != len(want) {
		t.Fatalf("%d snmp samples %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if s := got[i]; s.ClientPort != w.port || s.RTTMs != w.ms || s.Detail != w.detail {
			t.Errorf("sample %d: port %d %v ms %q, want %d %v ms %q", i, s.ClientPort, s.RTTMs, s.Detail, w.port, w.ms, w.detail)
		}
	}
	if st := r.tr.Stats(); st.Ignored != 2 || st.Malformed[KindSNMP] != 0 {
		t.Errorf("ignored %d malformed %d, want 2 and 0", st.Ignored, st.Malformed[KindSNMP])
	}
	if st := r.tr.Stats(); r.unanswered["snmp"] != 0 || st.Reports != 1 || st.Responses[KindSNMP] != 3 || st.Orphans[KindSNMP] != 0 {
		t.Errorf("unanswered %d reports %d responses %d orphans %d, want 0, 1, 3, 0",
			r.unanswered["snmp"], st.Reports, st.Responses[KindSNMP], st.Orphans[KindSNMP])
	}
}

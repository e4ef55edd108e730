package rtt

import (
	"hash/maphash"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gosnmp/gosnmp"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// dnsMessage matches one DNS message (a UDP payload or one message of a
// TCP stream), decoded with gopacket's layers.DNS. Queries (QR 0) and
// responses (QR 1) are keyed by 4-tuple, IP protocol, DNS id and the
// first question (name compared without case, type, class; RFC 1035
// §4.1.1-4.1.2): the response must repeat the question. A response with
// no question (QDCOUNT 0: FORMERR, NOTIMP, REFUSED of some servers; RFC
// 1035 does not require the echo) answers the latest query of its 4-tuple
// and id whatever its question, as Wireshark's dns.time and Zeek pair by
// id. The RCODE is the
// header's 4 bits (as tshark's dns.flags.rcode), without the EDNS
// extension (RFC 6891 §6.1.3).
func (t *Tracker) dnsMessage(msg []byte, d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	if len(msg) < 12 {
		t.stats.Malformed[KindDNS]++
		return
	}
	// Only the header and the questions matter: give gopacket a copy with
	// the record counts zeroed, so that it neither decodes (allocating)
	// the records nor fails on records cut by the snap length.
	t.dnsBuf = append(t.dnsBuf[:0], msg...)
	clear(t.dnsBuf[6:12])
	dns := &t.dns
	if err := dns.DecodeFromBytes(t.dnsBuf, gopacket.NilDecodeFeedback); err != nil {
		t.stats.Malformed[KindDNS]++
		return
	}
	k := pendKey{kind: KindDNS, proto: d.Protocol, id: uint64(dns.ID)}
	var qtype layers.DNSType
	if len(dns.Questions) > 0 {
		q := &dns.Questions[0]
		k.q, qtype = t.questionHash(q), q.Type
	}
	if !dns.QR {
		k.addrs, k.cport, k.sport = flow.PackAddrs(d.SrcAddr, d.DstAddr), d.SrcPort, d.DstPort
		t.request(&k, &d.Meta, flowID, uint16(qtype))
		if k.q != 0 {
			if t.pend.has(&k) {
				k0 := k
				k0.q = 0
				t.dnsLast.set(&k0, k.q)
			}
		}
		return
	}
	k.addrs, k.cport, k.sport = flow.PackAddrs(d.DstAddr, d.SrcAddr), d.DstPort, d.SrcPort
	if k.q == 0 {
		if p, ok := t.pend.get(&k); !ok || p.answered {
			if q, ok := t.dnsLast.get(&k); ok {
				k.q = q
			}
		}
	}
	if k.proto == dissect.ProtoTCP && t.zoneTransferMore(&k, d) {
		return
	}
	p, ok := t.response(&k)
	if !ok {
		return
	}
	b := t.scratch[:0]
	if len(dns.Questions) > 0 {
		q := &dns.Questions[0]
		b = appendDNSType(b, q.Type)
		b = append(b, ' ')
		if len(q.Name) == 0 {
			b = append(b, '.')
		} else {
			b = append(b, q.Name...)
		}
		b = append(b, ' ')
	}
	b = appendCode(b, rcodes[:], uint8(dns.ResponseCode), "RCODE")
	if dns.TC {
		b = append(b, " TC"...)
	}
	t.scratch = b
	t.finish(&k, &p, &d.Meta, emit)
}

// questionHash hashes a question: name without ASCII case, type, class.
func (t *Tracker) questionHash(q *layers.DNSQuestion) uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	for _, c := range q.Name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h.WriteByte(c)
	}
	h.WriteByte(0)
	h.WriteByte(byte(q.Type >> 8))
	h.WriteByte(byte(q.Type))
	h.WriteByte(byte(q.Class >> 8))
	h.WriteByte(byte(q.Class))
	return h.Sum64() | 1 // never 0: 0 means "no question"
}

// QTYPEs of zone transfers (RFC 1995 §3, RFC 5936 §2.1), whose response
// may be several messages.
const (
	dnsTypeIXFR = 251
	dnsTypeAXFR = 252
)

// dnsTypes names the types gopacket's DNSType.String does not.
var dnsTypes = map[layers.DNSType]string{
	43: "DS", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA",
	99: "SPF", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 257: "CAA",
}

// appendDNSType appends the type mnemonic (RFC 1035 §3.2.2, IANA), or
// TYPEn (RFC 3597 §5) for types without one.
func appendDNSType(b []byte, ty layers.DNSType) []byte {
	if s := ty.String(); s != "Unknown" {
		return append(b, s...)
	}
	if s, ok := dnsTypes[ty]; ok {
		return append(b, s...)
	}
	return appendUint(append(b, "TYPE"...), uint64(ty))
}

// rcodes are the RCODE mnemonics of RFC 6895 §2.3 (as dig prints them).
var rcodes = [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13",
	"RCODE14", "RCODE15", "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG",
	"BADTRUNC", "BADCOOKIE"}

// appendCode appends the name of code v from names, or other and the
// number when names has none.
func appendCode(b []byte, names []string, v uint8, other string) []byte {
	if int(v) < len(names) {
		return append(b, names[v]...)
	}
	return appendUint(append(b, other...), uint64(v))
}

// snmpMessage matches SNMP requests (GetRequest, GetNextRequest,
// SetRequest, GetBulkRequest, InformRequest) with the Response PDU of the
// same request-id and 4-tuple (RFC 1157 §4.1, RFC 3416 §4.2): v1 and v2c
// read by snmpV12PDU, v3 with a plaintext scoped PDU (noAuthNoPriv,
// authNoPriv: RFC 3412 §6) by snmpV3PDU, as Wireshark's snmp.time pairs
// them. An encrypted v3 PDU (authPriv) is ignored; traps (no response)
// give no sample; a Report PDU (an error of the v3 engine, e.g. the
// engine discovery of RFC 3414 §4: Wireshark does not time it) gives no
// sample but answers its request: it is not reported unanswered.
func (t *Tracker) snmpMessage(d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	ver, ok := snmpVersion(d.Payload)
	if !ok {
		t.stats.Malformed[KindSNMP]++
		return
	}
	var pduType gosnmp.PDUType
	var reqID uint32
	var errStatus gosnmp.SNMPError
	switch ver {
	case 0, 1:
		var ok bool
		pduType, reqID, errStatus, ok = snmpV12PDU(d.Payload, uint32(len(d.Payload)) < d.PayloadLen)
		if !ok {
			t.stats.Malformed[KindSNMP]++
			return
		}
	case 3:
		var st v3Status
		pduType, reqID, errStatus, st = snmpV3PDU(d.Payload)
		if st == v3Malformed {
			t.stats.Malformed[KindSNMP]++
			return
		}
		if st == v3Encrypted {
			t.stats.Ignored++
			return
		}
	default:
		t.stats.Ignored++
		return
	}
	k := pendKey{kind: KindSNMP, proto: d.Protocol, id: uint64(reqID)}
	switch pduType {
	case gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.SetRequest, gosnmp.GetBulkRequest, gosnmp.InformRequest:
		k.addrs, k.cport, k.sport = flow.PackAddrs(d.SrcAddr, d.DstAddr), d.SrcPort, d.DstPort
		t.request(&k, &d.Meta, flowID, uint16(pduType)|uint16(ver)<<8)
	case gosnmp.GetResponse:
		k.addrs, k.cport, k.sport = flow.PackAddrs(d.DstAddr, d.SrcAddr), d.DstPort, d.SrcPort
		p, ok := t.response(&k)
		if !ok {
			return
		}
		b := appendPDU(t.scratch[:0], gosnmp.PDUType(p.info&0xff))
		switch p.info >> 8 {
		case 0:
			b = append(b, " v1"...)
		case 1:
			b = append(b, " v2c"...)
		default:
			b = append(b, " v3"...)
		}
		if errStatus != gosnmp.NoError {
			b = append(b, ' ')
			b = appendCode(b, snmpErrors[:], uint8(errStatus), "error-")
		}
		t.scratch = b
		t.finish(&k, &p, &d.Meta, emit)
	case gosnmp.Report:
		// A Report answers its request (RFC 3411 §2.8: Response Class),
		// so the request is not unanswered; Wireshark does not time it,
		// nor does this. A Report to a request not seen (an encrypted
		// one) is not counted.
		k.addrs, k.cport, k.sport = flow.PackAddrs(d.DstAddr, d.SrcAddr), d.DstPort, d.SrcPort
		if p, ok := t.pend.get(&k); ok && !p.answered {
			t.stats.Responses[KindSNMP]++
			t.stats.Reports++
			p.answered = true
			t.pend.put(&k, p)
		}
	}
}

// snmpV12PDU reads the PDU type, request-id and error-status of an SNMPv1
// or v2c message (RFC 1157 §4.1, RFC 3416 §3: SEQUENCE { version INTEGER,
// community OCTET STRING, PDU }, a request or Response PDU being [tag]
// SEQUENCE { request-id, error-status, error-index, variable-bindings }).
// The variable bindings are not read: as Wireshark's snmp.time, a value
// the agent encoded wrongly (an IpAddress of 6 bytes, an empty INTEGER)
// does not hide the response. When the capture cut the message (cut),
// the outer SEQUENCE and the PDU may hold fewer bytes than their lengths
// say. Traps (no request-id in v1) are returned with id 0.
func snmpV12PDU(b []byte, cut bool) (gosnmp.PDUType, uint32, gosnmp.SNMPError, bool) {
	top, ok := berOpen(b, 0x30, cut)
	m := berWalk{rest: top, ok: ok}
	m.next(0x02) // version
	m.next(0x04) // community
	if !m.ok || len(m.rest) == 0 || m.rest[0]&0xe0 != 0xa0 {
		return 0, 0, 0, false
	}
	typ := gosnmp.PDUType(m.rest[0])
	switch typ {
	case gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.SetRequest, gosnmp.GetBulkRequest, gosnmp.InformRequest,
		gosnmp.GetResponse, gosnmp.Report:
	default:
		return typ, 0, 0, true
	}
	pdu, ok := berOpen(m.rest, m.rest[0], cut)
	p := berWalk{rest: pdu, ok: ok}
	reqID, ok := berInt32(p.next(0x02))
	if !p.ok || !ok {
		return 0, 0, 0, false
	}
	var status gosnmp.SNMPError
	if es := p.next(0x02); p.ok && len(es) == 1 {
		status = gosnmp.SNMPError(es[0])
	}
	return typ, reqID, status, true
}

// berInt32 reads an INTEGER's contents (two's complement, 1 to 5 bytes,
// RFC 3416 §3: request-id is Integer32) as the uint32 of the same bits.
func berInt32(c []byte) (uint32, bool) {
	if len(c) == 0 || len(c) > 5 {
		return 0, false
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return uint32(v), true
}

// berOpen returns the contents of the BER element of tag want at the
// start of b; when cut (the capture cut b), contents shorter than the
// length says are taken as they are.
func berOpen(b []byte, want byte, cut bool) ([]byte, bool) {
	c, _, ok := berTLV(b, want)
	if ok || !cut || len(b) < 2 || b[0] != want {
		return c, ok
	}
	i := 2
	if n := b[1]; n&0x80 != 0 {
		i += int(n & 0x7f)
	}
	if i > len(b) || i > 6 {
		return nil, false
	}
	return b[i:], true
}

// snmpVersion reads the version INTEGER at the start of an SNMP message
// (RFC 3417 BER: SEQUENCE { version INTEGER, ... }): 0 v1, 1 v2c, 3 v3.
func snmpVersion(b []byte) (int, bool) {
	if len(b) < 2 || b[0] != 0x30 {
		return 0, false
	}
	i := 2
	if l := b[1]; l&0x80 != 0 {
		n := int(l & 0x7f)
		if n == 0 || n > 4 {
			return 0, false
		}
		i += n
	}
	if len(b) < i+3 || b[i] != 0x02 || b[i+1] != 1 {
		return 0, false
	}
	return int(b[i+2]), true
}

// appendPDU appends the request PDU name as Wireshark prints it, hyphenated.
func appendPDU(b []byte, p gosnmp.PDUType) []byte {
	switch p {
	case gosnmp.GetRequest:
		return append(b, "get-request"...)
	case gosnmp.GetNextRequest:
		return append(b, "get-next-request"...)
	case gosnmp.SetRequest:
		return append(b, "set-request"...)
	case gosnmp.GetBulkRequest:
		return append(b, "get-bulk-request"...)
	case gosnmp.InformRequest:
		return append(b, "inform-request"...)
	}
	return appendUint(append(b, "pdu-"...), uint64(p))
}

// snmpErrors are the error-status names of RFC 3416 §3.
var snmpErrors = [...]string{"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr",
	"noAccess", "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
	"inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError",
	"notWritable", "inconsistentName"}

// ntpMessage matches an NTP client request (mode 3) with the server reply
// (mode 4) whose origin timestamp equals the request's transmit timestamp
// (RFC 5905 §8, §9.2), decoded with gopacket's layers.NTP. A reply in the
// interleaved client/server mode (RFC 9769 §2, chrony's xleave) echoes
// in its origin timestamp the request's receive timestamp instead: a
// reply that answers no request by its origin is paired through
// ntpXleave, the request keyed by its receive timestamp, and counted in
// Stats.NTPInterleaved. Other modes are not matched (Stats.NTPNotTimed):
// a symmetric passive peer (mode 2) sends on its own poll timer, not in
// answer to the active peer's packet (RFC 5905 §9.2, the receive
// dispatch of Appendix A.5.1: mode 1 to an unknown peer mobilises a
// passive association, it does not reply at once), so the time between
// the two is not a round trip, and tshark's ntp.delta_time does not pair
// them either; broadcast (mode 5) has no answer; control (6) and private
// (7) messages are ntpq/ntpdc management.
func (t *Tracker) ntpMessage(d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	if len(d.Payload) < 48 {
		t.stats.Malformed[KindNTP]++
		return
	}
	if err := t.ntp.DecodeFromBytes(d.Payload, gopacket.NilDecodeFeedback); err != nil {
		t.stats.Malformed[KindNTP]++
		return
	}
	n := &t.ntp
	k := pendKey{kind: KindNTP, proto: d.Protocol}
	switch n.Mode {
	case 3:
		k.addrs, k.cport, k.sport, k.id = flow.PackAddrs(d.SrcAddr, d.DstAddr), d.SrcPort, d.DstPort, uint64(n.TransmitTimestamp)
		t.request(&k, &d.Meta, flowID, 0)
		if n.OriginTimestamp != 0 && n.ReceiveTimestamp != 0 {
			// Possibly an interleaved request (RFC 9769 §2: its origin
			// is the server's receive timestamp of the last exchange,
			// its receive the client's): remember it by its receive
			// timestamp, which an interleaved reply echoes.
			kx := k
			kx.id = uint64(n.ReceiveTimestamp)
			t.ntpXleave.set(&kx, k.id)
		}
	case 4:
		k.addrs, k.cport, k.sport, k.id = flow.PackAddrs(d.DstAddr, d.SrcAddr), d.DstPort, d.SrcPort, uint64(n.OriginTimestamp)
		xleave := false
		if t.ntpXleave.len() > 0 {
			if !t.pend.has(&k) {
				if id, ok := t.ntpXleave.get(&k); ok {
					t.ntpXleave.del(&k) // one reply per request
					k.id, xleave = id, true
				}
			}
		}
		p, ok := t.response(&k)
		if !ok {
			return
		}
		b := appendUint(append(t.scratch[:0], 'v'), uint64(n.Version))
		b = appendUint(append(b, " stratum "...), uint64(n.Stratum))
		if n.Stratum == 0 {
			b = appendKiss(append(b, " kiss "...), uint32(n.ReferenceID))
		}
		if xleave {
			t.stats.NTPInterleaved++
			b = append(b, " interleaved"...)
		}
		t.scratch = b
		t.finish(&k, &p, &d.Meta, emit)
	default:
		t.stats.NTPNotTimed++
	}
}

// appendKiss appends the kiss code of a Kiss-o'-Death reply (stratum 0:
// RFC 5905 §7.4, four ASCII characters in the reference ID, e.g. RATE,
// DENY, RSTR), its trailing NULs dropped, as tshark's ntp.refid shows
// it; a code with other bytes is appended in hex (0x...).
func appendKiss(b []byte, refID uint32) []byte {
	c := [4]byte{byte(refID >> 24), byte(refID >> 16), byte(refID >> 8), byte(refID)}
	n := 4
	for n > 0 && c[n-1] == 0 {
		n--
	}
	for _, x := range c[:n] {
		if x < 0x21 || x > 0x7e {
			const hex = "0123456789abcdef"
			b = append(b, "0x"...)
			for _, y := range c {
				b = append(b, hex[y>>4], hex[y&15])
			}
			return b
		}
	}
	return append(b, c[:n]...)
}

// v3Status is what snmpV3PDU made of a message.
type v3Status uint8

const (
	v3OK        v3Status = iota
	v3Encrypted          // authPriv: the scoped PDU is an encrypted OCTET STRING
	v3Malformed
)

// snmpV3PDU reads the PDU type, request-id and error-status of an SNMPv3
// message (RFC 3412 §6: SEQUENCE { msgVersion, msgGlobalData SEQUENCE
// { msgID, msgMaxSize, msgFlags, msgSecurityModel },
// msgSecurityParameters OCTET STRING, msgData }, msgData a ScopedPDU
// SEQUENCE { contextEngineID, contextName, PDU } unless msgFlags has the
// privFlag, then an encrypted OCTET STRING).
func snmpV3PDU(b []byte) (gosnmp.PDUType, uint32, gosnmp.SNMPError, v3Status) {
	top, _, ok := berTLV(b, 0x30)
	m := berWalk{rest: top, ok: ok}
	m.next(0x02) // msgVersion
	g := berWalk{rest: m.next(0x30), ok: true}
	m.next(0x04) // msgSecurityParameters
	g.next(0x02) // msgID
	g.next(0x02) // msgMaxSize
	flags := g.next(0x04)
	if !m.ok || !g.ok || len(flags) != 1 {
		return 0, 0, 0, v3Malformed
	}
	if flags[0]&0x02 != 0 {
		return 0, 0, 0, v3Encrypted
	}
	s := berWalk{rest: m.next(0x30), ok: true} // the ScopedPDU
	s.next(0x04)                               // contextEngineID
	s.next(0x04)                               // contextName
	if !m.ok || !s.ok || len(s.rest) == 0 || s.rest[0]&0xe0 != 0xa0 {
		return 0, 0, 0, v3Malformed
	}
	typ := gosnmp.PDUType(s.rest[0])
	p := berWalk{rest: s.next(s.rest[0]), ok: true}
	reqID, ok := berInt32(p.next(0x02))
	if !s.ok || !p.ok || !ok {
		return 0, 0, 0, v3Malformed
	}
	var status gosnmp.SNMPError
	if es := p.next(0x02); p.ok && len(es) == 1 {
		status = gosnmp.SNMPError(es[0])
	}
	return typ, reqID, status, v3OK
}

// berWalk reads the BER elements of a constructed one in order: next
// returns the contents of the next element if it has the tag asked for;
// once one does not (or is cut), ok is false and next returns nil.
type berWalk struct {
	rest []byte
	ok   bool
}

func (w *berWalk) next(tag byte) []byte {
	if !w.ok {
		return nil
	}
	var c []byte
	c, w.rest, w.ok = berTLV(w.rest, tag)
	return c
}

// berTLV reads one BER element of tag want at the start of b (definite
// length, short or long form up to 4 bytes): its contents and what
// follows it.
func berTLV(b []byte, want byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != want {
		return nil, nil, false
	}
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(b) < 2+k {
			return nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n < 0 || len(b)-i < n {
		return nil, nil, false
	}
	return b[i : i+n], b[i+n:], true
}

// zoneTransferMore reports whether a DNS response over TCP of key k is a
// later message of a zone transfer (RFC 5936 §2.2, RFC 1995 §4): a
// response, not a duplicate, the round trip having ended at the first.
// Each keeps the transaction TimeoutNs longer (a transfer may outlast
// it), so its next message is not an orphan.
func (t *Tracker) zoneTransferMore(k *pendKey, d *dissect.Dissection) bool {
	p, ok := t.pend.get(k)
	if !ok || !p.answered || (p.info != dnsTypeAXFR && p.info != dnsTypeIXFR) {
		return false
	}
	t.stats.Responses[KindDNS]++
	p.reqClk = d.Meta.Clock()
	t.pend.put(k, p)
	return true
}

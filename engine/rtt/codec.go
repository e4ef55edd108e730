package rtt

import (
	"math"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Wire form of the rows (inside probe -> collector PDUs, design 3.14).
// Probe is not encoded: the collector knows the sending probe.
//
//	sample:    flow_id uvarint, kind, request_time varint (Unix ns),
//	           rtt, client addr, client_port uvarint, server addr,
//	           server_port uvarint, detail string
//	histogram: flow_id uvarint, kind, interval_start varint (Unix ns),
//	           interval_s num, slice_lo_ms num, slice_hi_ms num,
//	           n uvarint, sum, sumsq, min, max float64
//
// kind is a byte: 1+Kind for the known kinds, 0 followed by the string
// otherwise. A sample's kind byte has bit 0x80 set when its proto is not
// its kind's (kindProto: dns over TCP), the IP protocol number following
// the kind as a byte (pdu version 5, SampleProtoVersion; earlier probes
// sent no proto: their dns samples, over UDP or TCP alike, read with proto
// "", which the collector fills from the sample's flow when its class
// splits flows by protocol). rtt is a byte 0 followed by a varint of nanoseconds when
// rtt_ms is exactly ns/1e6 (always, for the Tracker's samples), else 1 and
// a float64. An address is pdu.Enc.Addr's form (version byte 4 or 6 and
// its bytes) when the string is an address in canonical form, else a 0
// byte and the string. num is a byte 0 and a uvarint for non-negative
// integers below 2^53, else 1 and a float64.

// AppendSample appends the wire form of r to e.
func AppendSample(e *pdu.Enc, r *observe.RTTSample) {
	appendSample(e, r, nil)
}

// AppendSample is the package's AppendSample for a sample that may be
// the one t is passing its emit now, unchanged: that one's addresses are
// written from the netip.Addr its text was made of, not parsed back from
// the text (issue 14: ~20 instructions a packet of the 5M corpus, a
// sample being 2 canonicalIPv4 of ~110 each). The bytes are AppendSample's:
// pdu.Enc.AddrString writes a canonical address literal as Addr does its
// address (emitSample's text is netip.Addr.AppendTo's; "" for the zero
// Addr, written as Addr writes it); an address with a zone, whose text
// AddrString keeps as a string, takes AppendSample's path.
func (t *Tracker) AppendSample(e *pdu.Enc, r *observe.RTTSample) {
	if r != &t.sample || t.sampleAddrs[0].Zone() != "" || t.sampleAddrs[1].Zone() != "" {
		appendSample(e, r, nil)
		return
	}
	appendSample(e, r, &t.sampleAddrs)
}

// appendSample is AppendSample, taking the addresses from addrs (client,
// server) when it is not nil: they must be those r's text was made of.
func appendSample(e *pdu.Enc, r *observe.RTTSample, addrs *[2]netip.Addr) {
	e.ID(pdu.IDFlow, r.FlowID)
	appendSampleKind(e, r.Kind, r.Proto)
	e.Varint(r.RequestTime)
	if ns, ok := exactNs(r.RTTMs); ok {
		e.Byte(0)
		e.Varint(ns)
	} else {
		e.Byte(1)
		e.Float(r.RTTMs)
	}
	if addrs != nil {
		e.Addr(addrs[0])
		e.Uvarint(uint64(r.ClientPort))
		e.Addr(addrs[1])
	} else {
		e.AddrString(r.ClientAddr)
		e.Uvarint(uint64(r.ClientPort))
		e.AddrString(r.ServerAddr)
	}
	e.Uvarint(uint64(r.ServerPort))
	e.String(r.Detail)
}

// SampleProtoVersion is the first PDU wire version (pdu.Version 5) whose
// samples say their proto when it is not their kind's: a dns sample of an
// older frame (pdu.Dec.Version 3 or 4) may have gone over UDP or TCP.
const SampleProtoVersion = 5

// DecodeSample decodes a sample written by AppendSample into r (Probe is
// left as is), as the wire version of d (pdu.Dec.Version) wrote it: a dns
// sample of a frame older than SampleProtoVersion gets proto "" (its
// record does not say UDP or TCP), never a made-up udp. Errors are d's:
// pdu.ErrShort or pdu.ErrCorrupt in d.Err(); r is then partly filled. It
// never panics.
func DecodeSample(d *pdu.Dec, r *observe.RTTSample) {
	r.FlowID = d.Uvarint()
	r.Kind, r.Proto = decodeSampleKind(d)
	r.RequestTime = d.Varint()
	switch d.Byte() {
	case 0:
		r.RTTMs = float64(d.Varint()) / 1e6
	case 1:
		r.RTTMs = d.Float()
	default:
		corrupt(d)
	}
	r.ClientAddr = d.AddrString()
	r.ClientPort = d.Uint16()
	r.ServerAddr = d.AddrString()
	r.ServerPort = d.Uint16()
	r.Detail = d.String()
}

// AppendHistogram appends the wire form of r to e.
func AppendHistogram(e *pdu.Enc, r *observe.RTTHistogram) {
	e.ID(pdu.IDFlow, r.FlowID)
	appendKind(e, r.Kind)
	e.Varint(r.IntervalStart)
	appendNum(e, r.IntervalS)
	appendNum(e, r.SliceLoMs)
	appendNum(e, r.SliceHiMs)
	e.Uvarint(r.N)
	e.Float(r.Sum)
	e.Float(r.SumSq)
	e.Float(r.Min)
	e.Float(r.Max)
}

// DecodeHistogram decodes a row written by AppendHistogram into r (Probe
// is left as is). Errors are d's, as for DecodeSample.
func DecodeHistogram(d *pdu.Dec, r *observe.RTTHistogram) {
	r.FlowID = d.Uvarint()
	r.Kind = decodeKind(d)
	r.IntervalStart = d.Varint()
	r.IntervalS = decodeNum(d)
	r.SliceLoMs = decodeNum(d)
	r.SliceHiMs = decodeNum(d)
	r.N = d.Uvarint()
	r.Sum = d.Float()
	r.SumSq = d.Float()
	r.Min = d.Float()
	r.Max = d.Float()
}

func appendKind(e *pdu.Enc, s string) {
	if k, ok := ParseKind(s); ok {
		e.Byte(byte(k) + 1)
		return
	}
	e.Byte(0)
	e.String(s)
}

// kindProto is the proto of each kind's samples that says none (a dns
// sample over TCP says it).
var kindProto = [NumKinds]string{
	KindICMPEcho:     "icmp",
	KindDNS:          "udp",
	KindSNMP:         "udp",
	KindNTP:          "udp",
	KindTCPHandshake: "tcp",
	KindTCPTS:        "tcp",
}

// protoOther is the kind byte's bit of a sample whose proto follows.
const protoOther = 0x80

// protoNumbers are the IP protocol numbers of the proto names (ProtoName).
var protoNumbers = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1}

// appendSampleKind appends a sample's kind and, when not its kind's,
// its proto.
func appendSampleKind(e *pdu.Enc, s, proto string) {
	k, ok := ParseKind(s)
	if ok && kindProto[k] == proto {
		e.Byte(byte(k) + 1)
		return
	}
	if !ok && proto == "" {
		e.Byte(0)
		e.String(s)
		return
	}
	if ok {
		e.Byte(protoOther | (byte(k) + 1))
	} else {
		e.Byte(protoOther)
		e.String(s)
	}
	e.Byte(protoNumbers[proto])
}

// decodeSampleKind reads what appendSampleKind wrote.
func decodeSampleKind(d *pdu.Dec) (kind, proto string) {
	c := d.Byte()
	kind = kindOf(d, c&^protoOther)
	if d.Err() != nil {
		return "", ""
	}
	if k := c &^ protoOther; k != 0 {
		proto = kindProto[k-1] // kindOf checked k
		if Kind(k-1) == KindDNS && d.Version != 0 && d.Version < SampleProtoVersion {
			proto = "" // over UDP or TCP: an older probe's record does not say
		}
	}
	if c&protoOther != 0 {
		proto = ProtoName(d.Byte())
	}
	return kind, proto
}

func decodeKind(d *pdu.Dec) string { return kindOf(d, d.Byte()) }

// kindOf is the kind of kind byte c (the string following when 0).
func kindOf(d *pdu.Dec, c byte) string {
	switch {
	case d.Err() != nil:
		return ""
	case c == 0:
		return d.String()
	case int(c) <= int(NumKinds):
		return kindNames[c-1]
	}
	corrupt(d)
	return ""
}

// exactNs returns the nanoseconds ms stands for when ms is exactly
// float64(ns)/1e6, as the Tracker computes it.
func exactNs(ms float64) (int64, bool) {
	if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > 1e12 || (ms == 0 && math.Signbit(ms)) {
		return 0, false
	}
	ns := int64(math.Round(ms * 1e6))
	return ns, float64(ns)/1e6 == ms
}

func appendNum(e *pdu.Enc, f float64) {
	if f >= 0 && f < 1<<53 && f == math.Trunc(f) && !math.Signbit(f) {
		e.Byte(0)
		e.Uvarint(uint64(f))
		return
	}
	e.Byte(1)
	e.Float(f)
}

func decodeNum(d *pdu.Dec) float64 {
	switch d.Byte() {
	case 0:
		return float64(d.Uvarint())
	case 1:
		return d.Float()
	}
	corrupt(d)
	return 0
}

// corrupt makes d fail with pdu.ErrCorrupt (no-op if it already failed).
func corrupt(d *pdu.Dec) { d.Fail(pdu.ErrCorrupt) }

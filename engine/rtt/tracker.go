package rtt

import (
	"cmp"
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"strings"
	"unsafe"

	"github.com/gopacket/gopacket/layers"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Stats counts what a Tracker did. Counters only grow (Pending and Conns
// are gauges); the probe reports their deltas as events. Arrays are
// indexed by Kind.
type Stats struct {
	Requests    [NumKinds]uint64 // request copies seen (retransmissions included)
	Retransmits [NumKinds]uint64 // request copies that found their request still pending
	Responses   [NumKinds]uint64 // responses (echoes, for tcp_ts) seen
	Samples     [NumKinds]uint64 // matched pairs: rtt_samples rows
	Unanswered  [NumKinds]uint64 // requests reported unanswered by Expire or Flush
	Duplicates  [NumKinds]uint64 // responses to an already answered request (not paired; not the later messages of a TCP zone transfer)
	Orphans     [NumKinds]uint64 // responses with no request in the table
	Malformed   [NumKinds]uint64 // DNS, SNMP or NTP payloads that failed to decode
	Unmeasured  [NumKinds]uint64 // pairs with no RTT: response stamped before its request (reordered capture), a clock step between them, or either without a capture time of its own (pkt.Meta.TimeBorrowed: pcapng Simple Packet Block, impossible time)
	Reports     uint64           // SNMP Report PDUs that answered a request (Responses, no sample)
	Ignored     uint64           // encrypted SNMPv3 messages and UDP payloads of unreassembled fragments
	PendingFull uint64           // requests dropped: MaxPending reached, no answered request to forget
	// NTPInterleaved counts NTP replies paired in the interleaved
	// client/server mode (RFC 9769 §2: origin = the request's receive
	// timestamp); they are also in Samples or Unmeasured.
	NTPInterleaved uint64
	// NTPNotTimed counts NTP packets of modes other than client (3) and
	// server (4): symmetric active/passive, broadcast, control, private;
	// not matched (ntpMessage says why), never unanswered.
	NTPNotTimed uint64
	// LinkLocalDNSNotTimed counts UDP datagrams of Multicast DNS (port 5353,
	// RFC 6762) and LLMNR (5355, RFC 4795): not matched (doc.go says
	// why), never unanswered.
	LinkLocalDNSNotTimed uint64
	// AnsweredForgotten counts answered requests forgotten before their
	// TimeoutNs to make room for new ones (a full table): a duplicate
	// response to one counts as an orphan.
	AnsweredForgotten uint64
	ConnsFull         uint64 // TCP connections not followed: MaxConns reached
	ConnsIdle         uint64 // TCP connections forgotten after ConnIdleNs
	StreamGaps        uint64 // DNS-over-TCP bytes missing from the capture (incomplete message dropped, stream resynchronised on a message start)
	StreamFull        uint64 // DNS-over-TCP buffers dropped: MaxStreamBytes reached
	TSRingFull        uint64 // TSvals not timed: MaxTSvals already awaiting their echo
	HistFull          uint64 // samples not histogrammed: MaxHistograms reached
	Pending           int    // gauge: requests in the table
	Conns             int    // gauge: TCP connections followed
}

// pendKey identifies one request: its 4-tuple (client sent the request),
// kind, IP protocol, and the protocol's transaction id. Its addresses are
// a flow.AddrPair (client, server), not two netip.Addr: no pointer, so the
// tables keyed by it (up to MaxPending entries) are not scanned by the
// garbage collector, and 56 bytes a key instead of 72 (issue 14: the live heap).
type pendKey struct {
	addrs        flow.AddrPair // client (Src), server (Dst)
	cport, sport uint16
	kind         Kind
	proto        uint8
	id           uint64 // ICMP id<<16|seq, DNS id, SNMP request-id, NTP transmit timestamp, TCP ISN
	q            uint64 // DNS question hash (0 for other kinds)
}

// pending is the state of one request.
type pending struct {
	reqNs    int64  // capture time of the request copy the response pairs with (request_time; noTimeNs: none)
	reqClk   int64  // its timer clock (pkt.Meta.Clock): RTT and timeout
	flowID   uint64 // flow of that request copy
	copies   uint32 // copies seen (retransmissions + 1)
	info     uint16 // SNMP: PDU tag | version<<8
	answered bool   // a response was paired; kept to ignore duplicate responses
	// alias marks a second key of a TCP Fast Open SYN (see handshake):
	// not a request, never reported unanswered; isn is the SYN's.
	alias bool
	isn   uint32
	// refused marks a handshake a RST/ACK answered (see refused): a SYN
	// sent again with its ISN is a new attempt, timed from itself.
	refused bool
}

// Tracker matches requests with responses and keeps the RTT histograms of
// the current interval. It is not safe for concurrent use; give each flow
// class that asks for the rtt analysis its own Tracker.
type Tracker struct {
	cfg   Config
	kinds uint8
	// tcpQuiet: neither tcp_ts nor dns is timed, so a TCP segment
	// without SYN or RST matters only to a handshake held (PacketHint).
	tcpQuiet bool
	// udpQuiet: none of dns, snmp, ntp is timed, so a UDP datagram
	// not a fragment has nothing to do with the tracker (PacketHint).
	udpQuiet bool
	pend     pendTable // pending requests (pend.go)
	// dnsLast maps a DNS query's key without its question (q 0) to the
	// question of the latest query of that key, for responses that carry
	// no question (udp.go, dnsMessage). An entry whose query has gone
	// from pending is harmless (the response then finds no query, as
	// without it); the table is cleared when a new key finds MaxPending
	// held (idTable), never deleted from one by one.
	dnsLast idTable
	conns   map[connKey]*conn
	noTS    noTSSyns // SYNs without the TSopt of tuples not followed (tsneg.go)
	free    []*conn  // released connections, reused
	byID    []*conn  // connections by id (conn.id), for Hints; nil: dropped
	freeIDs []int32  // ids of dropped connections, given again
	streamB int      // bytes held by DNS-over-TCP buffers
	// ntpXleave maps an NTP client request's key with its receive
	// timestamp for id to its transmit timestamp (the id it is pending
	// under): an interleaved reply echoes the former (udp.go,
	// ntpMessage). Bounded and cleared as dnsLast.
	ntpXleave idTable
	// Lower bounds of the request times and connection activity in the
	// tables, and the capture time of the next scan: Expire scans at most
	// every TimeoutNs/10, and only when something may expire.
	minReqNs, minConnNs int64
	nextScanNs          int64
	// sweepAfterNs is the timer clock before which a full pending table
	// is not swept again for answered requests (sweepAnswered): a sweep
	// that freed little waits TimeoutNs/10.
	sweepAfterNs int64
	hist         histTable
	// prev holds the histograms of the interval closed last while
	// handshakes it saw were still held (CloseInterval): prevOpen, its
	// start and length (ns). closes counts the CloseInterval calls: a
	// response seen when it was n is of the interval the (n+1)th closes.
	prev               histTable
	heldFlows          []uint64 // CloseInterval's: the flows of the handshakes held, sorted
	prevOpen           bool
	prevStart, prevLen int64
	closes             uint64
	expired            []expiredReq
	// Handshakes paired with their SYN-ACK, awaiting the client's ACK
	// (held.go), and their count per heldSlot of the ports.
	held      map[heldKey]held
	heldPorts *[heldSlots]uint32
	heldAll   []heldEntry // settleAll's scratch

	dns    layers.DNS
	dnsBuf []byte             // the message being decoded, record counts zeroed
	heldD  dissect.Dissection // endpoints and time of a held DNS-over-TCP segment (dnstcp.go)
	drain  []*conn            // connections whose held segments end (drainConns)
	// heldPool keeps the buffers of DNS-over-TCP segments held past
	// holes while no stream uses them (dnstcp.go).
	heldPool []heldBuf
	bufPool  [][]byte // emptied DNS-over-TCP message buffers (dnstcp.go, setBuf)
	ntp      layers.NTP
	seed     maphash.Seed

	scratch []byte            // strings of the emitted sample
	sample  observe.RTTSample // the emitted sample (borrowed by emit)
	// sampleAddrs are the client and server addresses the emitted
	// sample's ClientAddr and ServerAddr were written from (AppendSample)
	sampleAddrs [2]netip.Addr
	stats       Stats
}

// New returns a Tracker. Zero or invalid fields of cfg take their
// DefaultConfig values (call cfg.Validate first to reject them instead).
func New(cfg Config) *Tracker {
	cfg = cfg.withDefaults()
	t := &Tracker{
		cfg:        cfg,
		kinds:      cfg.kindMask(),
		pend:       newPendTable(),
		dnsLast:    newIDTable(cfg.MaxPending),
		ntpXleave:  newIDTable(cfg.MaxPending),
		conns:      make(map[connKey]*conn),
		held:       make(map[heldKey]held),
		heldPorts:  new([heldSlots]uint32),
		seed:       maphash.MakeSeed(),
		scratch:    make([]byte, 0, 512),
		minReqNs:   math.MaxInt64,
		minConnNs:  math.MaxInt64,
		nextScanNs: math.MinInt64,
	}
	t.tcpQuiet = !t.on(KindTCPTS) && !t.on(KindDNS)
	t.udpQuiet = !t.on(KindDNS) && !t.on(KindSNMP) && !t.on(KindNTP)
	t.hist.init(cfg.SlicesMs, cfg.MaxHistograms)
	t.prev.init(cfg.SlicesMs, cfg.MaxHistograms)
	return t
}

// Config returns the configuration in force (defaults applied).
func (t *Tracker) Config() Config { return t.cfg }

// Stats returns the counters so far.
func (t *Tracker) Stats() Stats {
	s := t.stats
	s.Pending = t.pend.len()
	s.Conns = len(t.conns)
	return s
}

// Release frees the request, connection and histogram tables once Flush
// and the last CloseInterval have emitted what they hold, keeping the
// counters: a probe that closes hands the memory back before its final
// flow reports (issue 14: the end of the run is the peak of the heap).
// Only Stats and Config may be called afterwards.
func (t *Tracker) Release() {
	t.pend, t.conns, t.free, t.expired, t.byID, t.freeIDs = pendTable{}, nil, nil, nil, nil, nil
	t.dnsLast, t.ntpXleave, t.heldPool, t.bufPool, t.drain = idTable{}, idTable{}, nil, nil, nil
	t.noTS = noTSSyns{}
	t.held, t.heldPorts, t.heldAll = nil, nil, nil
	for _, h := range []*histTable{&t.hist, &t.prev} {
		h.idx, h.keys, h.pages, h.order = histIndex{}, nil, nil, nil
	}
}

func (t *Tracker) on(k Kind) bool { return t.kinds&(1<<k) != 0 }

// Packet applies one dissected packet. flowID is the id of the packet's
// flow in the analysing class; a sample carries the flow id of its
// request. The protocol is recognised from the packet itself: ICMP/ICMPv6
// echo, UDP or TCP port 53 (DNS), UDP 161/162 (SNMP), UDP 123 (NTP), and
// every TCP segment for tcp_handshake and tcp_ts. Each matched pair is
// added to the interval's histograms and, when emit is not nil, passed to
// emit. A tcp_handshake pair waits for the client's next segment (see
// handshake): it is emitted by a later Packet call, by CloseInterval or by
// Flush, to this call's emit.
//
// The *RTTSample given to emit, and its strings, are borrowed: they are
// valid only until emit returns. Encode it (AppendSample) or copy it
// (CloneSample) there. Once the tables have grown, Packet does not
// allocate. UDP payloads of IP fragments not
// reassembled are ignored (Stats.Ignored).
func (t *Tracker) Packet(d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	var hint Hint
	t.PacketHint(d, flowID, &hint, emit)
}

// Quiet reports whether Packet and PacketHint have nothing to do with d:
// a TCP segment without SYN or RST, to a tracker timing neither tcp_ts
// nor dns and holding no handshake (tcp would return at once); a UDP
// datagram not a fragment, to a tracker timing none of dns, snmp and ntp
// (PacketHint would only compare its ports). The probe skips the call
// then (issue 14: ~55 instructions a segment, most of the 5M corpus's
// packets, in a class with tcp_handshake; ~25 a datagram, 43% of them,
// in the default config's class all).
func (t *Tracker) Quiet(d *dissect.Dissection) bool {
	if d.Flags&dissect.HasTCP != 0 {
		return d.TCPFlags&(dissect.TCPSyn|dissect.TCPRst) == 0 && t.tcpQuiet && len(t.held) == 0
	}
	return d.Flags&(dissect.HasUDP|dissect.HasICMP|dissect.IsFrag) == dissect.HasUDP && t.udpQuiet
}

// PacketHint is Packet for a packet whose flow record keeps *hint: a
// timestamped TCP segment tries the connection *hint names first, and
// *hint is left naming the connection that took it.
func (t *Tracker) PacketHint(d *dissect.Dissection, flowID uint64, hint *Hint, emit func(*observe.RTTSample)) {
	if d.Flags&dissect.HasL4 == 0 {
		return
	}
	switch {
	case d.Flags&dissect.HasICMP != 0:
		if t.on(KindICMPEcho) && d.IsEcho() {
			t.icmp(d, flowID, emit)
		}
	case d.Flags&dissect.HasTCP != 0:
		if d.Flags&dissect.TCPNoSegment == 0 { // flags unknown, or a bogus data offset: no segment to time
			t.tcp(d, flowID, hint, emit)
		}
	case d.Flags&dissect.HasUDP != 0:
		sp, dp := d.SrcPort, d.DstPort
		if !(sp == 53 || dp == 53 || sp == 161 || dp == 161 || sp == 162 || dp == 162 || sp == 123 || dp == 123) {
			if t.on(KindDNS) && (sp == 5353 || dp == 5353 || sp == 5355 || dp == 5355) {
				t.stats.LinkLocalDNSNotTimed++ // not matched: see doc.go, "dns"
			}
			return
		}
		if d.Fragment() && uint32(len(d.Payload)) < d.PayloadLen {
			t.stats.Ignored++ // first fragment of a datagram not reassembled
			return
		}
		switch {
		case sp == 53 || dp == 53:
			if t.on(KindDNS) {
				t.dnsMessage(d.Payload, d, flowID, emit)
			}
		case sp == 161 || dp == 161 || sp == 162 || dp == 162:
			if t.on(KindSNMP) {
				t.snmpMessage(d, flowID, emit)
			}
		default:
			if t.on(KindNTP) {
				t.ntpMessage(d, flowID, emit)
			}
		}
	}
}

// icmp matches echo requests (type 8, ICMPv6 128) with replies (0, 129)
// on addresses, identifier and sequence number (RFC 792, RFC 4443 §4).
func (t *Tracker) icmp(d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	req := d.ICMPType == 8 || d.ICMPType == 128
	k := pendKey{kind: KindICMPEcho, proto: d.Protocol, id: uint64(d.ICMPID)<<16 | uint64(d.ICMPSeq)}
	if req {
		k.addrs = flow.PackAddrs(d.SrcAddr, d.DstAddr)
		t.request(&k, &d.Meta, flowID, 0)
		return
	}
	k.addrs = flow.PackAddrs(d.DstAddr, d.SrcAddr)
	p, ok := t.response(&k)
	if !ok {
		return
	}
	b := append(t.scratch[:0], "echo id "...)
	b = appendUint(b, uint64(d.ICMPID))
	b = append(b, " seq "...)
	t.scratch = appendUint(b, uint64(d.ICMPSeq))
	t.finish(&k, &p, &d.Meta, emit)
}

// request records one request copy. A copy of a request still pending
// replaces it (the response pairs with the latest copy: Karn's rule, RFC
// 6298 §3), TCP SYNs included; a copy of an answered request starts a
// new transaction, except for a SYN of the same ISN (counted in copies
// and Retransmits only).
func (t *Tracker) request(k *pendKey, m *pkt.Meta, flowID uint64, info uint16) {
	t.stats.Requests[k.kind]++
	p, ok := t.pend.get(k)
	if ok && p.refused {
		t.pend.put(k, pending{reqNs: capTime(m), reqClk: m.Clock(), flowID: flowID, copies: 1, info: info})
		t.minReqNs = min(t.minReqNs, m.Clock())
		return
	}
	if ok && (!p.answered || k.kind == KindTCPHandshake) {
		// A copy of a pending request: the response is timed from the
		// latest (Karn, RFC 6298 §3). A SYN copy after its SYN-ACK (the
		// SYN-ACK lost beyond the probe) counts and times nothing.
		t.stats.Retransmits[k.kind]++
		p.copies++
		if !p.answered {
			p.reqNs, p.reqClk, p.flowID, p.info = capTime(m), m.Clock(), flowID, info
		}
		t.pend.put(k, p)
		return
	}
	if !ok && t.pend.len() >= t.cfg.MaxPending && !t.sweepAnswered(m.Clock()) {
		t.stats.PendingFull++
		return
	}
	t.pend.put(k, pending{reqNs: capTime(m), reqClk: m.Clock(), flowID: flowID, copies: 1, info: info})
	t.minReqNs = min(t.minReqNs, m.Clock())
}

// sweepAnswered makes room in a full pending table at timer clock nowNs:
// it forgets the answered requests, kept only to tell a duplicate
// response from an orphan, before a new request is refused (a busy
// resolver answers each query within milliseconds, and its answered
// queries, kept TimeoutNs, filled the table at MaxPending/TimeoutNs
// queries a second: 6,554/s by default). Every answered entry goes, so
// the rows do not depend on the table's order; a later duplicate response
// to one counts as an orphan. It reports whether room was made. A sweep
// that freed less than an eighth of the table is not tried again before
// TimeoutNs/10 of capture time (the cost of a scan stays bounded under a
// flood of unanswered requests).
func (t *Tracker) sweepAnswered(nowNs int64) bool {
	if nowNs < t.sweepAfterNs {
		return false
	}
	freed := 0
	for i := t.pend.len() - 1; i >= 0; i-- { // delAt moves the last entry, seen already, into i
		if p := &t.pend.at(i).p; p.answered && !p.alias {
			t.pend.delAt(i)
			freed++
		}
	}
	t.stats.AnsweredForgotten += uint64(freed)
	if freed < t.cfg.MaxPending/8 {
		t.sweepAfterNs = pkt.AddNs(nowNs, t.cfg.TimeoutNs/10)
	}
	return t.pend.len() < t.cfg.MaxPending
}

// response looks up the request k answers. It returns false for a
// response with no request (orphan) or whose request was already answered
// (duplicate: only the first response pairs).
func (t *Tracker) response(k *pendKey) (pending, bool) {
	t.stats.Responses[k.kind]++
	p, ok := t.pend.get(k)
	if !ok {
		t.stats.Orphans[k.kind]++
		return p, false
	}
	if p.answered {
		t.stats.Duplicates[k.kind]++
		return p, false
	}
	p.answered = true
	t.pend.put(k, p)
	return p, true
}

// finish histograms the pair and emits its sample. t.scratch holds the
// detail text on entry; m is the response's metadata.
func (t *Tracker) finish(k *pendKey, p *pending, m *pkt.Meta, emit func(*observe.RTTSample)) {
	t.emitSample(k.kind, k.proto, k.addrs.Src(), k.cport, k.addrs.Dst(), k.sport, p.flowID, p.reqNs, p.reqClk, capTime(m), m.Clock(), t.closes, emit)
}

// noTimeNs stands for the capture time of a packet that has none of its
// own (pkt.Meta.TimeBorrowed) where a request or response time is kept:
// a pair with it is not measured (emitSample).
const noTimeNs = math.MinInt64

// capTime is the capture time of m for a round trip: noTimeNs when m has
// no time of its own.
func capTime(m *pkt.Meta) int64 {
	if m.TimeBorrowed {
		return noTimeNs
	}
	return m.TimeNs
}

// emitSample reports one round trip: from the request (capture time reqNs,
// timer clock reqClk) to the response (rspNs, rspClk), seen when
// Tracker.closes was gen (a held handshake's SYN-ACK may be of the
// interval closed last: its histograms then take the sample). A response stamped before its
// request (a reordered capture), with a clock step between them (timer
// clock and capture time disagree on the interval), or either of them
// without a capture time of its own (noTimeNs: a pcapng Simple Packet
// Block, pkt.Meta.TimeBorrowed) gives no sample (Stats.Unmeasured): an
// RTT is never negative, never spans a step, never made of a borrowed time.
func (t *Tracker) emitSample(kind Kind, proto uint8, client netip.Addr, cport uint16, server netip.Addr, sport uint16,
	flowID uint64, reqNs, reqClk, rspNs, rspClk int64, gen uint64, emit func(*observe.RTTSample)) {
	d := rspNs - reqNs
	if reqNs == noTimeNs || rspNs == noTimeNs || d < 0 || d != rspClk-reqClk {
		t.stats.Unmeasured[kind]++
		return
	}
	ms := float64(d) / 1e6
	t.stats.Samples[kind]++
	h := &t.hist
	if t.prevOpen && gen < t.closes {
		h = &t.prev // a held handshake settled on a SYN-ACK of the interval closed last
	}
	t.observe(h, flowID, kind, ms)
	if emit == nil {
		return
	}
	b := t.scratch
	dEnd := len(b)
	b = client.AppendTo(b)
	cEnd := len(b)
	b = server.AppendTo(b)
	t.scratch = b
	s := &t.sample
	t.sampleAddrs = [2]netip.Addr{client, server}
	*s = observe.RTTSample{
		FlowID:      flowID,
		Kind:        kindNames[kind],
		Proto:       ProtoName(proto),
		RequestTime: reqNs,
		RTTMs:       ms,
		ClientAddr:  borrow(b[dEnd:cEnd]),
		ClientPort:  cport,
		ServerAddr:  borrow(b[cEnd:]),
		ServerPort:  sport,
		Detail:      borrow(b[:dEnd]),
	}
	emit(s)
}

// ProtoName is the transport of IP protocol number proto as Zeek's
// conn.log and dns.log name it (proto): "tcp", "udp", or "icmp" (ICMPv6
// too); "" for another.
func ProtoName(proto uint8) string {
	switch proto {
	case dissect.ProtoTCP:
		return "tcp"
	case dissect.ProtoUDP:
		return "udp"
	case dissect.ProtoICMP, dissect.ProtoICMPv6:
		return "icmp"
	}
	return ""
}

// borrow returns b as a string without copying; b must not change while
// the string is in use.
func borrow(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// CloneSample returns a copy of s that owns its strings, for a caller of
// Packet that keeps the sample beyond emit.
func CloneSample(s *observe.RTTSample) observe.RTTSample {
	c := *s
	c.Probe = strings.Clone(s.Probe)
	c.Kind = strings.Clone(s.Kind)
	c.ClientAddr = strings.Clone(s.ClientAddr)
	c.ServerAddr = strings.Clone(s.ServerAddr)
	c.Detail = strings.Clone(s.Detail)
	return c
}

// expiredReq is a request leaving the table, sorted for a deterministic
// order of unanswered reports.
type expiredReq struct {
	k pendKey
	p pending
}

// Expire forgets requests older than TimeoutNs at timer clock nowNs,
// calling unanswered (if not nil) with the kind name and request flow id
// of each one that got no response, in request-time order; it also
// forgets TCP connections idle for ConnIdleNs. It scans the tables (a cost
// linear in their sizes) at most once per TimeoutNs/10 of capture time and
// only when something may have expired, returning at once otherwise, so
// it may be called for every packet; a request is thus reported between
// TimeoutNs and 1.1 TimeoutNs after it was seen.
func (t *Tracker) Expire(nowNs int64, unanswered func(kind string, flowID uint64)) {
	t.expire(nowNs, false, unanswered)
}

// ExpireBefore is Expire at timer clock nowNs whatever the time of the
// next scan: every request whose timeout passed before nowNs is reported
// now. A probe calls it as an interval closes (nowNs its end), so that a
// request is counted in the interval its timeout passed in, whatever the
// other requests of the tracker (Expire's scans depend on them).
func (t *Tracker) ExpireBefore(nowNs int64, unanswered func(kind string, flowID uint64)) {
	t.nextScanNs = math.MinInt64
	t.expire(nowNs, false, unanswered)
}

// Flush ends the capture: held handshakes are emitted (as CloseInterval
// does), every request still unanswered is reported (as Expire does) and
// all state is dropped. The current interval's
// histograms are kept for CloseInterval.
func (t *Tracker) Flush(unanswered func(kind string, flowID uint64)) {
	t.settleAll()
	t.drainConns(math.MaxInt64)
	t.expire(0, true, unanswered)
	for k, c := range t.conns {
		t.release(k, c)
	}
	t.minReqNs, t.minConnNs, t.nextScanNs = math.MaxInt64, math.MaxInt64, math.MinInt64
}

// nextScan sets the time of the next scan after one at nowNs: not before
// TimeoutNs/10, nor before an entry can expire (entries added later, at
// nowNs or after, expire after nowNs + min(TimeoutNs, ConnIdleNs)).
func (t *Tracker) nextScan(nowNs int64) {
	due := min(pkt.AddNs(t.minReqNs, t.cfg.TimeoutNs), pkt.AddNs(t.minConnNs, t.cfg.ConnIdleNs),
		pkt.AddNs(nowNs, min(t.cfg.TimeoutNs, t.cfg.ConnIdleNs)))
	t.nextScanNs = max(pkt.AddNs(nowNs, t.cfg.TimeoutNs/10), pkt.AddNs(due, 1))
}

func (t *Tracker) expire(nowNs int64, all bool, unanswered func(kind string, flowID uint64)) {
	if !all && nowNs < t.nextScanNs {
		return
	}
	if !all && nowNs-t.minReqNs <= t.cfg.TimeoutNs && nowNs-t.minConnNs <= t.cfg.ConnIdleNs {
		t.nextScan(nowNs)
		return
	}
	t.expired = t.expired[:0]
	t.minReqNs = math.MaxInt64
	for i := t.pend.len() - 1; i >= 0; i-- { // delAt moves the last entry, seen already, into i
		e := t.pend.at(i)
		if !all && nowNs-e.p.reqClk <= t.cfg.TimeoutNs {
			t.minReqNs = min(t.minReqNs, e.p.reqClk)
			continue
		}
		if !e.p.answered && !e.p.alias {
			t.expired = append(t.expired, expiredReq{k: e.k, p: e.p})
		}
		t.pend.delAt(i)
	}
	slices.SortFunc(t.expired, func(a, b expiredReq) int {
		if c := cmp.Compare(a.p.reqNs, b.p.reqNs); c != 0 {
			return c
		}
		return comparePendKey(&a.k, &b.k)
	})
	for i := range t.expired {
		e := &t.expired[i]
		t.stats.Unanswered[e.k.kind]++
		if unanswered != nil {
			unanswered(kindNames[e.k.kind], e.p.flowID)
		}
	}
	if !all {
		t.minConnNs = math.MaxInt64
		t.drainConns(pkt.SubNs(nowNs, t.cfg.ConnIdleNs))
		for k, c := range t.conns {
			if nowNs-c.lastNs > t.cfg.ConnIdleNs {
				t.stats.ConnsIdle++
				t.release(k, c)
				continue
			}
			t.minConnNs = min(t.minConnNs, c.lastNs)
		}
		t.nextScan(nowNs)
	}
}

func comparePendKey(a, b *pendKey) int {
	return cmp.Or(
		cmp.Compare(a.kind, b.kind),
		a.addrs.Src().Compare(b.addrs.Src()),
		a.addrs.Dst().Compare(b.addrs.Dst()),
		cmp.Compare(a.cport, b.cport),
		cmp.Compare(a.sport, b.sport),
		cmp.Compare(a.proto, b.proto),
		cmp.Compare(a.id, b.id),
		cmp.Compare(a.q, b.q),
	)
}

// appendUint appends the decimal form of v.
func appendUint(b []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}

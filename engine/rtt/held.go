package rtt

import (
	"cmp"
	"math"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// heldKey is the 4-tuple of a handshake awaiting its client's ACK, in the
// client-to-server direction.
type heldKey struct {
	client, server netip.Addr
	cport, sport   uint16
}

// held is a handshake whose SYN-ACK came and whose sample waits for the
// client's word on which SYN-ACK the connection follows (zeek#3313: a
// stray SYN-ACK with another ISN may come before the real one).
type held struct {
	reqNs, reqClk int64  // the latest SYN copy before the SYN-ACK (pending.reqNs, reqClk)
	flowID        uint64 // its flow
	isnC          uint32 // its ISN: the pending key's id
	copies        uint32 // SYN copies when the first SYN-ACK paired
	isn           uint32 // server ISN of the first SYN-ACK
	rspNs, rspClk int64  // capture time (noTimeNs: none) and timer clock of the first SYN-ACK
	rspGen        uint64 // Tracker.closes at the first SYN-ACK: its interval
	// alts are the SYN-ACKs with other ISNs, nil until one comes (a
	// pointer: the map keeps small values inline, TestZeroAllocs)
	alts *altSynAcks
	emit func(*observe.RTTSample) // the emit of the SYN-ACK's Packet call
}

// maxAlts bounds the other ISNs a held handshake remembers (tcpconn's
// maxAltSynAcks): a SYN-ACK with a further ISN is never followed.
const maxAlts = 3

// altSynAck is the first SYN-ACK of another ISN than the held first one.
type altSynAck struct {
	isn     uint32
	ns, clk int64
	gen     uint64 // Tracker.closes when it came: its interval
}

// altSynAcks are a held handshake's other ISNs, in order of arrival.
type altSynAcks struct {
	a [maxAlts]altSynAck
	n int
}

// heldSlots sizes the filter that spares most segments a held lookup.
const heldSlots = 1 << 12

// heldSlot is the filter slot of a segment's ports, the same both ways.
func heldSlot(a, b uint16) int { return int(a^b) & (heldSlots - 1) }

// hold keeps the handshake of k, paired with the SYN-ACK d, until the
// client's next segment (settle). A handshake of the same 4-tuple still
// held (another SYN) is settled first; when MaxPending handshakes are
// held, the sample is emitted at once, from this SYN-ACK.
func (t *Tracker) hold(hk heldKey, k *pendKey, p *pending, d *dissect.Dissection, emit func(*observe.RTTSample)) {
	if old, ok := t.held[hk]; ok {
		t.settleHeld(hk, &old, -1)
	}
	h := held{reqNs: p.reqNs, reqClk: p.reqClk, flowID: p.flowID, isnC: uint32(k.id), copies: p.copies,
		isn: d.Seq, rspNs: capTime(&d.Meta), rspClk: d.Meta.Clock(), rspGen: t.closes, emit: emit}
	if len(t.held) >= t.cfg.MaxPending {
		t.emitHandshake(hk, &h, -1)
		return
	}
	t.held[hk] = h
	t.heldPorts[heldSlot(hk.cport, hk.sport)]++
}

// strayAlt notes a SYN-ACK d with another ISN than the held first one,
// answering the same SYN k: the first SYN-ACK of each of up to maxAlts
// other ISNs is an alternative the client's ACK may name (tcpconn's
// conn.followAcked); a copy of one keeps its first time.
func (t *Tracker) strayAlt(hk heldKey, k *pendKey, d *dissect.Dissection) {
	h, ok := t.held[hk]
	if !ok || uint64(h.isnC) != k.id || d.Seq == h.isn || h.alt(d.Seq+1) >= 0 {
		return
	}
	if h.alts == nil {
		h.alts = new(altSynAcks)
		t.held[hk] = h
	}
	if x := h.alts; x.n < maxAlts {
		x.a[x.n] = altSynAck{isn: d.Seq, ns: capTime(&d.Meta), clk: d.Meta.Clock(), gen: t.closes}
		x.n++
	}
}

// alt returns the index of the alternative SYN-ACK that ack acknowledges
// (ISN+1), -1 when none does.
func (h *held) alt(ack uint32) int {
	if h.alts == nil {
		return -1
	}
	for i := range h.alts.a[:h.alts.n] {
		if h.alts.a[i].isn+1 == ack {
			return i
		}
	}
	return -1
}

// settle ends the wait of a held handshake on a non-SYN segment d of its
// 4-tuple. The client's segment settles it: on the first SYN-ACK of the
// other ISN its ACK names (ACK = ISN+1), on the first SYN-ACK otherwise. The
// server's segment settles it on the first SYN-ACK when it carries data,
// a FIN or a RST (the server has moved on: tcpconn then keeps the first
// too); a pure ACK of the server leaves it held.
func (t *Tracker) settle(d *dissect.Dissection) {
	hk := heldKey{client: d.SrcAddr, server: d.DstAddr, cport: d.SrcPort, sport: d.DstPort}
	if h, ok := t.held[hk]; ok {
		alt := -1
		if d.TCPFlags&dissect.TCPAck != 0 && d.Ack != h.isn+1 {
			alt = h.alt(d.Ack)
		}
		t.settleHeld(hk, &h, alt)
		return
	}
	if d.PayloadLen == 0 && d.TCPFlags&(dissect.TCPFin|dissect.TCPRst) == 0 {
		return
	}
	hk = heldKey{client: d.DstAddr, server: d.SrcAddr, cport: d.DstPort, sport: d.SrcPort}
	if h, ok := t.held[hk]; ok {
		t.settleHeld(hk, &h, -1)
	}
}

// settleHeld emits a held handshake's sample and forgets it.
func (t *Tracker) settleHeld(hk heldKey, h *held, alt int) {
	delete(t.held, hk)
	t.heldPorts[heldSlot(hk.cport, hk.sport)]--
	t.emitHandshake(hk, h, alt)
}

// settleAll emits every held handshake's sample, oldest request first
// (Flush).
func (t *Tracker) settleAll() { t.settleBefore(math.MaxUint64) }

// settleBefore emits, on their first SYN-ACK, the samples of the held
// handshakes whose first SYN-ACK came before the close numbered gen
// (Tracker.closes), oldest request first (CloseInterval: the interval
// closed last is complete). Intervals are counted, not timed: the timer
// clock and capture time differ after a clock step.
func (t *Tracker) settleBefore(gen uint64) {
	if len(t.held) == 0 {
		return
	}
	all := t.heldAll[:0]
	for hk, h := range t.held {
		if h.rspGen < gen {
			all = append(all, heldEntry{hk, h})
		}
	}
	slices.SortFunc(all, compareHeld)
	for i := range all {
		t.settleHeld(all[i].hk, &all[i].h, -1)
		all[i].h.emit, all[i].h.alts = nil, nil
	}
	if len(t.held) == 0 {
		clear(t.held) // empty already; clear also drops the deleted slots' marks
	}
	t.heldAll = all[:0]
}

// heldEntry is a held handshake with its key, for settleAll.
type heldEntry struct {
	hk heldKey
	h  held
}

// compareHeld orders held handshakes by request time, then flow id (the
// order a probe's workers merge them in: a flow is one worker's), then
// 4-tuple.
func compareHeld(a, b heldEntry) int {
	return cmp.Or(cmp.Compare(a.h.reqNs, b.h.reqNs), cmp.Compare(a.h.flowID, b.h.flowID), a.hk.client.Compare(b.hk.client), a.hk.server.Compare(b.hk.server),
		cmp.Compare(a.hk.cport, b.hk.cport), cmp.Compare(a.hk.sport, b.hk.sport))
}

// emitHandshake emits the sample of handshake h of 4-tuple hk: SYN to its
// first SYN-ACK, or to the first of alternative ISN alt when alt >= 0.
func (t *Tracker) emitHandshake(hk heldKey, h *held, alt int) {
	b := append(t.scratch[:0], "syn"...)
	if h.copies > 1 {
		b = append(b, " x"...)
		b = appendUint(b, uint64(h.copies))
	}
	t.scratch = b
	rspNs, rspClk, gen := h.rspNs, h.rspClk, h.rspGen
	if alt >= 0 {
		rspNs, rspClk, gen = h.alts.a[alt].ns, h.alts.a[alt].clk, h.alts.a[alt].gen
	}
	t.emitSample(KindTCPHandshake, dissect.ProtoTCP, hk.client, hk.cport, hk.server, hk.sport, h.flowID, h.reqNs, h.reqClk, rspNs, rspClk, gen, h.emit)
}

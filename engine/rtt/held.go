package rtt

import (
	"cmp"
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
	reqNs, reqClk int64  // the first SYN (pending.reqNs, reqClk)
	flowID        uint64 // its flow
	isnC          uint32 // its ISN: the pending key's id
	copies        uint32 // SYN copies when the first SYN-ACK paired
	isn           uint32 // server ISN of the first SYN-ACK
	altISN        uint32 // ISN of the latest SYN-ACK with another ISN (altOK)
	rspNs, rspClk int64  // capture time and timer clock of the first SYN-ACK
	altNs, altClk int64  // and of the other one
	altOK         bool
	emit          func(*observe.RTTSample) // the emit of the SYN-ACK's Packet call
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
		t.settleHeld(hk, &old, false)
	}
	h := held{reqNs: p.reqNs, reqClk: p.reqClk, flowID: p.flowID, isnC: uint32(k.id), copies: p.copies,
		isn: d.Seq, rspNs: d.Meta.TimeNs, rspClk: d.Meta.Clock(), emit: emit}
	if len(t.held) >= t.cfg.MaxPending {
		t.emitHandshake(hk, &h, false)
		return
	}
	t.held[hk] = h
	t.heldPorts[heldSlot(hk.cport, hk.sport)]++
}

// strayAlt notes a SYN-ACK d with another ISN than the held first one,
// answering the same SYN k: the latest such is the alternative the
// client's ACK may name (tcpconn's conn.followAcked).
func (t *Tracker) strayAlt(hk heldKey, k *pendKey, d *dissect.Dissection) {
	h, ok := t.held[hk]
	if !ok || uint64(h.isnC) != k.id || d.Seq == h.isn {
		return
	}
	h.altISN, h.altNs, h.altClk, h.altOK = d.Seq, d.Meta.TimeNs, d.Meta.Clock(), true
	t.held[hk] = h
}

// settle ends the wait of a held handshake on a non-SYN segment d of its
// 4-tuple. The client's segment settles it: on the SYN-ACK its ACK names
// (ACK = ISN+1) when that is the other one, on the first otherwise. The
// server's segment settles it on the first SYN-ACK when it carries data,
// a FIN or a RST (the server has moved on: tcpconn then keeps the first
// too); a pure ACK of the server leaves it held.
func (t *Tracker) settle(d *dissect.Dissection) {
	hk := heldKey{client: d.SrcAddr, server: d.DstAddr, cport: d.SrcPort, sport: d.DstPort}
	if h, ok := t.held[hk]; ok {
		alt := d.TCPFlags&dissect.TCPAck != 0 && h.altOK && d.Ack == h.altISN+1 && d.Ack != h.isn+1
		t.settleHeld(hk, &h, alt)
		return
	}
	if d.PayloadLen == 0 && d.TCPFlags&(dissect.TCPFin|dissect.TCPRst) == 0 {
		return
	}
	hk = heldKey{client: d.DstAddr, server: d.SrcAddr, cport: d.DstPort, sport: d.SrcPort}
	if h, ok := t.held[hk]; ok {
		t.settleHeld(hk, &h, false)
	}
}

// settleHeld emits a held handshake's sample and forgets it.
func (t *Tracker) settleHeld(hk heldKey, h *held, alt bool) {
	delete(t.held, hk)
	t.heldPorts[heldSlot(hk.cport, hk.sport)]--
	t.emitHandshake(hk, h, alt)
}

// settleAll emits every held handshake's sample, oldest request first
// (CloseInterval: a sample is histogrammed in its SYN-ACK's interval;
// Flush).
func (t *Tracker) settleAll() {
	if len(t.held) == 0 {
		return
	}
	all := t.heldAll[:0]
	for hk, h := range t.held {
		all = append(all, heldEntry{hk, h})
	}
	slices.SortFunc(all, compareHeld)
	for i := range all {
		t.settleHeld(all[i].hk, &all[i].h, false)
		all[i].h.emit = nil
	}
	clear(t.held) // empty already; clear also drops the deleted slots' marks
	t.heldAll = all[:0]
}

// heldEntry is a held handshake with its key, for settleAll.
type heldEntry struct {
	hk heldKey
	h  held
}

func compareHeld(a, b heldEntry) int {
	return cmp.Or(cmp.Compare(a.h.reqNs, b.h.reqNs), a.hk.client.Compare(b.hk.client), a.hk.server.Compare(b.hk.server),
		cmp.Compare(a.hk.cport, b.hk.cport), cmp.Compare(a.hk.sport, b.hk.sport))
}

// emitHandshake emits the sample of handshake h of 4-tuple hk: SYN to its
// first SYN-ACK, or to the other one when alt.
func (t *Tracker) emitHandshake(hk heldKey, h *held, alt bool) {
	b := append(t.scratch[:0], "syn"...)
	if h.copies > 1 {
		b = append(b, " x"...)
		b = appendUint(b, uint64(h.copies))
	}
	t.scratch = b
	rspNs, rspClk := h.rspNs, h.rspClk
	if alt {
		rspNs, rspClk = h.altNs, h.altClk
	}
	t.emitSample(KindTCPHandshake, hk.client, hk.cport, hk.server, hk.sport, h.flowID, h.reqNs, h.reqClk, rspNs, rspClk, h.emit)
}

package rtt

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// maxHeldSegs bounds the segments a DNS-over-TCP stream keeps past a hole.
const maxHeldSegs = 16

// heldBytes is the room of a held-segments buffer: a stream holding more
// grows its own, which is not kept for reuse.
const heldBytes = 4096

// heldBuf is the memory of a stream's held segments, kept in
// Tracker.heldPool while no stream holds: holes are rare, so streams
// share a few of these instead of each keeping its own, and a stream
// that holds for the first time takes one without allocating.
type heldBuf struct {
	segs []heldSeg
	b    []byte
}

// stream reassembles one direction of DNS over TCP (RFC 1035 §4.2.2,
// RFC 7766 §8): messages prefixed by a 2-byte length, several per segment
// or one over several segments.
//
// A segment past a hole (sent after bytes not yet seen) is held, with the
// contiguous segments that follow it, until the hole fills: reordered
// segments are taken in sequence order, and the messages they complete
// are timed by the segment that filled the hole (as tshark's dns.time
// with tcp.reassemble_out_of_order). The hole is given up as bytes the
// capture missed when the receiver acknowledges past it (its ACK says it
// got them), when a segment comes past another hole, or at the end of
// the connection or capture: the incomplete message is dropped
// (Stats.StreamGaps) and the held segments, timed by their own capture
// times, are read from the first one that starts a message (dnsStart).
// A stream first seen in the middle (the capture began during the
// connection) is read from such a segment too.
type stream struct {
	next   uint32 // next expected sequence number
	synced bool   // next is known and buf starts at a message boundary
	buf    []byte // bytes of an incomplete message, length prefix included
	held   []heldSeg
	heldB  []byte // captured payload bytes of the held segments
}

// heldSeg is a segment held past a hole of a stream.
type heldSeg struct {
	seq    uint32
	off, n int    // its captured payload: heldB[off:off+n]
	plen   uint32 // its payload length (beyond n: not captured)
	meta   pkt.Meta
	flowID uint64
	emit   func(*observe.RTTSample) // the emit of its Packet call
}

// segCtx is what a segment's messages are matched with: the endpoints
// and, per segment, the capture metadata that times them.
type segCtx struct {
	d      *dissect.Dissection // addresses, ports, protocol and Meta
	flowID uint64
	emit   func(*observe.RTTSample)
}

// dnsSegment adds one segment of direction dir of c to its DNS-over-TCP
// stream and matches every message it completes, timed by this segment.
// Only in-order bytes are used: a retransmission is trimmed, a segment
// past a hole is held (stream).
func (t *Tracker) dnsSegment(c *conn, dir int, d *dissect.Dissection, syn bool, flowID uint64, emit func(*observe.RTTSample)) {
	if o := &c.dns[1-dir]; len(o.held) > 0 && d.TCPFlags&dissect.TCPAck != 0 && seqLT(o.next, d.Ack) {
		// The receiver got the other direction's missing bytes: the
		// capture lost them, they will not come.
		t.heldLost(c, 1-dir, 0)
	}
	s := &c.dns[dir]
	seq := d.Seq
	if syn {
		t.setBuf(s, s.buf[:0])
		t.dropHeld(s)
		s.next, s.synced = seq+1, true
		seq++
	}
	if len(d.Payload) == 0 {
		return
	}
	t.streamSegment(c, dir, seq, d.Payload, d.PayloadLen, segCtx{d: d, flowID: flowID, emit: emit})
}

// streamSegment adds the payload pl (plen bytes on the wire) at sequence
// number seq to direction dir of c.
func (t *Tracker) streamSegment(c *conn, dir int, seq uint32, pl []byte, plen uint32, x segCtx) {
	s := &c.dns[dir]
	if !s.synced {
		if !dnsStart(pl) {
			return // not at a message boundary: wait for one
		}
		s.next, s.synced = seq, true
	}
	if n := len(s.held); n > 0 {
		first, last := &s.held[0], &s.held[n-1]
		end := last.seq + last.plen
		switch {
		case !seqLT(s.next, seq): // in order: fills the hole or part of it
			t.streamBytes(s, seq, pl, plen, x)
			switch {
			case !s.synced: // cut by the capture: the hole is not filled
				t.heldLost(c, dir, 0)
			case !seqLT(s.next, first.seq):
				t.heldFilled(c, dir, x)
			}
			return
		case seq == end && n < maxHeldSegs && last.n == int(last.plen): // contiguous to the held ones
			t.holdSeg(s, seq, pl, plen, x)
			return
		case !seqLT(seq, first.seq) && !seqLT(end, seq+plen):
			return // a copy of bytes held
		}
		t.heldLost(c, dir, 0) // past another hole
		if !s.synced {
			t.streamSegment(c, dir, seq, pl, plen, x)
			return
		}
	}
	if seqLT(s.next, seq) {
		t.holdSeg(s, seq, pl, plen, x)
		return
	}
	t.streamBytes(s, seq, pl, plen, x)
}

// streamBytes takes an in-order (or overlapping) segment: it matches the
// messages it completes, timed by x.
func (t *Tracker) streamBytes(s *stream, seq uint32, pl []byte, plen uint32, x segCtx) {
	cut := uint32(len(pl)) < plen
	if seqLT(seq, s.next) {
		skip := s.next - seq
		if uint64(skip) >= uint64(len(pl)) {
			if seqLT(s.next, seq+plen) { // new bytes, not captured
				t.lose(s)
			}
			return // retransmission of bytes already taken
		}
		pl = pl[skip:]
	}
	s.next = seq + plen
	if len(s.buf) == 0 {
		rest := t.dnsMessages(pl, x)
		if len(rest) > 0 {
			t.keep(s, rest)
		}
	} else {
		t.keep(s, pl)
		if len(s.buf) > 0 {
			rest := t.dnsMessages(s.buf, x)
			n := copy(s.buf, rest)
			t.setBuf(s, s.buf[:n])
		}
	}
	if cut {
		t.lose(s) // bytes missing from the capture: their message cannot complete
	}
}

// lose drops the incomplete message of s after bytes the capture missed
// (Stats.StreamGaps): the stream is read again from the next segment that
// starts a message.
func (t *Tracker) lose(s *stream) {
	t.stats.StreamGaps++
	t.setBuf(s, s.buf[:0])
	s.synced = false
}

// dnsStart reports whether a segment's payload b plausibly starts a
// length-prefixed DNS message (RFC 1035 §4.1.1, §4.2.2): a length of at
// least a header, at most one question (QDCOUNT is 1 in queries and
// their responses, 0 in some responses and later AXFR messages, RFC 5936
// §2.2) and an assigned OPCODE (0-2, 4-6). Bytes from the middle of a
// message pass this with a chance of about 1 in 80000.
func dnsStart(b []byte) bool {
	if len(b) < 2+12 || binary.BigEndian.Uint16(b) < 12 || binary.BigEndian.Uint16(b[6:]) > 1 {
		return false
	}
	op := b[4] >> 3 & 0xf
	return op <= 6 && op != 3
}

// holdSeg keeps a segment past a hole.
func (t *Tracker) holdSeg(s *stream, seq uint32, pl []byte, plen uint32, x segCtx) {
	if t.streamB+len(pl) > t.cfg.MaxStreamBytes {
		t.stats.StreamFull++
		return
	}
	if s.held == nil {
		if n := len(t.heldPool); n > 0 {
			s.held, s.heldB = t.heldPool[n-1].segs, t.heldPool[n-1].b
			t.heldPool = t.heldPool[:n-1]
		} else {
			s.held, s.heldB = make([]heldSeg, 0, maxHeldSegs), make([]byte, 0, heldBytes)
		}
	}
	s.held = append(s.held, heldSeg{seq: seq, off: len(s.heldB), n: len(pl), plen: plen,
		meta: x.d.Meta, flowID: x.flowID, emit: x.emit})
	s.heldB = append(s.heldB, pl...)
	t.streamB += len(pl)
}

// dropHeld forgets the held segments of s, its buffer going back to the
// pool.
func (t *Tracker) dropHeld(s *stream) {
	if s.held == nil {
		return
	}
	t.streamB -= len(s.heldB)
	if cap(s.heldB) == heldBytes && cap(s.held) == maxHeldSegs {
		clear(s.held) // no emit or meta kept alive
		t.heldPool = append(t.heldPool, heldBuf{segs: s.held[:0], b: s.heldB[:0]})
	}
	s.held, s.heldB = nil, nil
}

// heldFilled takes the held segments of direction dir of c once the hole
// before them filled: their messages complete now, timed by x (the
// segment that filled the hole).
func (t *Tracker) heldFilled(c *conn, dir int, x segCtx) {
	s := &c.dns[dir]
	for i := range s.held {
		if !s.synced { // one was cut by the capture: the rest is read as after a loss
			t.heldLost(c, dir, i)
			return
		}
		h := &s.held[i]
		t.streamBytes(s, h.seq, s.heldB[h.off:h.off+h.n], h.plen, x)
	}
	t.dropHeld(s)
}

// heldLost gives up the hole before the held segments of direction dir
// of c, from the one at index from: the incomplete message is dropped and
// the held segments are read from the first that starts a message, each
// timed by its own capture.
func (t *Tracker) heldLost(c *conn, dir, from int) {
	s := &c.dns[dir]
	if len(s.held) <= from {
		t.dropHeld(s)
		return
	}
	if s.synced {
		t.lose(s)
	}
	d := &t.heldD
	*d = dissect.Dissection{Protocol: dissect.ProtoTCP, SrcAddr: c.key.a, DstAddr: c.key.b, SrcPort: c.key.ap, DstPort: c.key.bp}
	if dir == 1 {
		d.SrcAddr, d.DstAddr, d.SrcPort, d.DstPort = d.DstAddr, d.SrcAddr, d.DstPort, d.SrcPort
	}
	for i := from; i < len(s.held); i++ {
		h := &s.held[i]
		pl := s.heldB[h.off : h.off+h.n]
		if !s.synced {
			if !dnsStart(pl) {
				continue
			}
			s.next, s.synced = h.seq, true
		}
		d.Meta = h.meta
		t.streamBytes(s, h.seq, pl, h.plen, segCtx{d: d, flowID: h.flowID, emit: h.emit})
	}
	t.dropHeld(s)
}

// drainHeld gives up the holes of both directions of c (the connection
// ends).
func (t *Tracker) drainHeld(c *conn) {
	t.heldLost(c, 0, 0)
	t.heldLost(c, 1, 0)
}

// drainConns gives up the holes of the connections last active before
// the timer clock idleNs (math.MaxInt64: all, at the end of the capture),
// in the order of their first held segments, for a deterministic order of
// the samples.
func (t *Tracker) drainConns(idleNs int64) {
	t.drain = t.drain[:0]
	for _, c := range t.conns {
		if (len(c.dns[0].held) > 0 || len(c.dns[1].held) > 0) && (idleNs == math.MaxInt64 || c.lastNs < idleNs) {
			t.drain = append(t.drain, c)
		}
	}
	slices.SortFunc(t.drain, func(a, b *conn) int { return cmp.Compare(firstHeld(a), firstHeld(b)) })
	for i, c := range t.drain {
		t.drainHeld(c)
		t.drain[i] = nil
	}
}

// firstHeld is the capture ordinal of c's earliest held segment.
func firstHeld(c *conn) uint64 {
	f := uint64(math.MaxUint64)
	for i := range c.dns {
		if h := c.dns[i].held; len(h) > 0 {
			f = min(f, h[0].meta.Frame)
		}
	}
	return f
}

// dnsMessages matches each complete length-prefixed message of b, timed
// by x, and returns the incomplete rest.
func (t *Tracker) dnsMessages(b []byte, x segCtx) []byte {
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			break
		}
		t.dnsMessage(b[2:2+n], x.d, x.flowID, x.emit)
		b = b[2+n:]
	}
	return b
}

// keep appends p to the stream buffer within MaxStreamBytes.
func (t *Tracker) keep(s *stream, p []byte) {
	if t.streamB+len(p) > t.cfg.MaxStreamBytes {
		t.stats.StreamFull++
		t.setBuf(s, s.buf[:0])
		s.synced = false // the stream goes on mid-message: read it again from a message start
		return
	}
	if s.buf == nil {
		if n := len(t.bufPool); n > 0 {
			s.buf = t.bufPool[n-1]
			t.bufPool = t.bufPool[:n-1]
		} else {
			s.buf = make([]byte, 0, heldBytes)
		}
	}
	t.setBuf(s, append(s.buf, p...))
}

// setBuf replaces the stream buffer, keeping the byte budget. An emptied
// buffer goes back to Tracker.bufPool: streams hold one only while a
// message is incomplete, and take it from the pool without allocating
// whatever connection they belong to (one of more than heldBytes, grown
// for a long message, is left to the garbage collector).
func (t *Tracker) setBuf(s *stream, b []byte) {
	t.streamB += len(b) - len(s.buf)
	s.buf = b
	if len(b) == 0 && b != nil {
		if cap(b) == heldBytes {
			t.bufPool = append(t.bufPool, b[:0])
		}
		s.buf = nil
	}
}

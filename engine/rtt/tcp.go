package rtt

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// maxFree bounds the released connections kept for reuse.
const maxFree = 1024

// connKey is a TCP connection with its endpoints in canonical order
// (a < b by address, then port).
type connKey struct {
	a, b   netip.Addr
	ap, bp uint16
}

// conn is the state of one followed TCP connection; index 0 of its arrays
// is the direction sent by endpoint a.
type conn struct {
	lastNs int64
	ts     [2]tsDir
	dns    [2]stream
	key    connKey
	id     int32 // index in Tracker.byID: what a Hint names
	live   bool  // in Tracker.conns under key
	// noTS: the handshake did not negotiate timestamps (a SYN or SYN-ACK
	// without the TSopt, RFC 7323 §3.2): the TSopts of later segments
	// are ignored until a SYN starts the connection again.
	noTS bool
	// isn is the ISN of the client's last SYN (synSeen): a SYN with
	// another one starts a new connection on the tuple.
	isn     uint32
	synSeen bool
}

// Hint is a connection handle a caller keeps beside its own record of the
// packet's flow (flow.Flow.RTT), so that the timestamped segments of a
// known connection skip the tracker's connection map (issue 14: one flow
// lookup per packet). The zero Hint names nothing. PacketHint checks that
// a hint names a followed connection of the packet's endpoints and looks
// the map up when it does not, so a stale or foreign hint never changes a
// sample.
type Hint int32

// tsDir remembers the TSvals one side sent (RFC 7323 §4): the first time
// each advancing value was seen, oldest first.
type tsDir struct {
	flowID uint64 // flow of the side's latest segment
	last   uint32 // latest TSval seen
	seen   bool
	head   int
	n      int
	vals   []uint32 // ring of Config.MaxTSvals values
	times  []int64  // first-seen timer clock of vals[i] (pkt.Meta.Clock)
	raws   []int64  // first-seen capture time of vals[i], Unix ns (request_time; noTimeNs: none)
}

// seqLT reports a < b in 32-bit serial arithmetic (RFC 1982), as TCP
// sequence numbers and timestamps compare.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }

// tcp runs the handshake, timestamp and DNS-over-TCP matchers.
func (t *Tracker) tcp(d *dissect.Dissection, flowID uint64, hint *Hint, emit func(*observe.RTTSample)) {
	syn := d.TCPFlags&dissect.TCPSyn != 0
	ack := d.TCPFlags&dissect.TCPAck != 0
	if !syn && len(t.held) > 0 && t.heldPorts[heldSlot(d.SrcPort, d.DstPort)] > 0 {
		t.settle(d)
	}
	if syn && t.on(KindTCPHandshake) {
		t.handshake(d, ack, flowID, emit)
	} else if ack && d.TCPFlags&dissect.TCPRst != 0 && t.on(KindTCPHandshake) {
		t.refused(d)
	}
	ts := t.on(KindTCPTS) && d.Flags&dissect.HasTCPTS != 0
	// A SYN or SYN-ACK without the TSopt turns timestamps off for the
	// connection it belongs to (RFC 7323 §3.2), if that is followed.
	tsOff := syn && t.on(KindTCPTS) && d.Flags&dissect.HasTCPTS == 0
	dns := t.on(KindDNS) && (d.SrcPort == 53 || d.DstPort == 53)
	if !ts && !dns && !tsOff {
		return
	}
	rst := d.TCPFlags&dissect.TCPRst != 0
	k, dir := canonical(d)
	var c *conn
	if h := int(*hint) - 1; h >= 0 && h < len(t.byID) {
		if x := t.byID[h]; x != nil && x.live && x.key == k {
			c = x
		}
	}
	if c == nil {
		c = t.conns[k]
	}
	if c == nil {
		if tsOff && !ack && !rst {
			t.noteNoTS(k, d) // tsneg.go
		}
		if rst || !ts && !dns {
			return
		}
		if len(t.conns) >= t.cfg.MaxConns {
			t.stats.ConnsFull++
			return
		}
		c = t.newConn()
		c.key, c.live = k, true
		t.conns[k] = c
		t.minConnNs = min(t.minConnNs, d.Meta.Clock())
		// A SYN-ACK (or later segment) with the TSopt after a SYN
		// without it: timestamps are off (RFC 7323 §3.2).
		c.noTS = ts && (!syn || ack) && t.handshakeNoTS(k, d)
	}
	*hint = Hint(c.id + 1)
	c.lastNs = d.Meta.Clock()
	if syn && !ack && (!c.synSeen || c.isn != d.Seq) {
		// A SYN with a new ISN starts the tuple's connection again: the
		// TSvals of the earlier one, whose clock may be ahead, say nothing
		// of it (a retransmitted SYN keeps them).
		resetTS(c)
		c.noTS = false
		c.isn, c.synSeen = d.Seq, true
	}
	if tsOff {
		c.noTS = true
		resetTS(c)
	}
	if ts && !c.noTS {
		t.timestamps(c, dir, d, flowID, emit)
	}
	if dns {
		t.dnsSegment(c, dir, d, syn, flowID, emit)
	}
	if rst {
		t.drainHeld(c)
		t.release(k, c)
	}
}

// handshake times a connection's SYN to its first SYN-ACK. The request is
// keyed by the client's ISN, which the SYN-ACK acknowledges (ack = ISN+1):
// a retransmitted SYN moves the request to its own time (Karn: the
// SYN-ACK is timed from the latest copy), a new connection on the same
// 4-tuple starts a new handshake. A SYN carrying
// data (TCP Fast Open, RFC 7413 §4.2) is acknowledged at ISN+1+len when
// the server accepts the data, at ISN+1 when it does not: it also gets an
// alias key by the first ACK number, pointing at its ISN. The pair is
// held until the client says which SYN-ACK it follows (held.go).
func (t *Tracker) handshake(d *dissect.Dissection, ack bool, flowID uint64, emit func(*observe.RTTSample)) {
	k := pendKey{kind: KindTCPHandshake, proto: dissect.ProtoTCP}
	if !ack {
		k.addrs, k.cport, k.sport, k.id = flow.PackAddrs(d.SrcAddr, d.DstAddr), d.SrcPort, d.DstPort, uint64(d.Seq)
		t.request(&k, &d.Meta, flowID, 0)
		if d.PayloadLen > 0 {
			a := k
			a.id = tfoAlias | uint64(d.Seq+1+d.PayloadLen)
			if !t.pend.has(&a) && t.pend.len() < t.cfg.MaxPending {
				t.pend.put(&a, pending{reqNs: capTime(&d.Meta), reqClk: d.Meta.Clock(), alias: true, isn: d.Seq})
				t.minReqNs = min(t.minReqNs, d.Meta.Clock())
			}
		}
		return
	}
	k.addrs, k.cport, k.sport, k.id = flow.PackAddrs(d.DstAddr, d.SrcAddr), d.DstPort, d.SrcPort, uint64(d.Ack-1)
	if !t.pend.has(&k) {
		a := k
		a.id = tfoAlias | uint64(d.Ack)
		if p, ok := t.pend.get(&a); ok && p.alias {
			k.id = uint64(p.isn) // the SYN's data was accepted
		}
	}
	hk := heldKey{client: k.addrs.Src(), server: k.addrs.Dst(), cport: k.cport, sport: k.sport}
	if len(t.held) > 0 {
		t.strayAlt(hk, &k, d)
	}
	p, ok := t.response(&k)
	if !ok {
		return
	}
	t.hold(hk, &k, &p, d, emit)
}

// refused marks the pending handshake a RST/ACK answers (its ACK number
// acknowledges the SYN: ISN+1, or ISN+1+data with TCP Fast Open): the
// SYN-SENT client that accepts it deletes the connection (RFC 9293
// §3.10.7.3), so a SYN it sends again with the same ISN (as Windows does)
// is a new attempt, timed from itself, as tcp_connections starts a new row
// for it (Zeek's IsReuse). The refused SYN gives no sample; it is
// reported unanswered unless a later attempt with its ISN is answered.
func (t *Tracker) refused(d *dissect.Dissection) {
	k := pendKey{kind: KindTCPHandshake, proto: dissect.ProtoTCP, addrs: flow.PackAddrs(d.DstAddr, d.SrcAddr),
		cport: d.DstPort, sport: d.SrcPort, id: uint64(d.Ack - 1)}
	p, ok := t.pend.get(&k)
	if !ok {
		a := k
		a.id = tfoAlias | uint64(d.Ack)
		if q, found := t.pend.get(&a); found && q.alias {
			k.id = uint64(q.isn)
			p, ok = t.pend.get(&k)
		}
	}
	if ok && !p.answered && !p.alias {
		p.refused = true
		t.pend.put(&k, p)
	}
}

// tfoAlias marks the id of an alias key (above the 32-bit ISNs).
const tfoAlias = 1 << 40

// timestamps implements RTTM (RFC 7323 §4): a TSval that advanced is
// remembered with the time it was first seen; the first segment of the
// other direction that echoes it in TSecr (ACK set) gives a sample. The
// sample's client is the side that sent the TSval, its server the side
// that echoed it: the RTT is from the probe to the echoing host and back,
// that host's ACK delay included.
func (t *Tracker) timestamps(c *conn, dir int, d *dissect.Dissection, flowID uint64, emit func(*observe.RTTSample)) {
	now := d.Meta.Clock()
	s := &c.ts[dir]
	s.flowID = flowID
	if v := d.TSVal; !s.seen || seqLT(s.last, v) {
		s.seen, s.last = true, v
		if s.n < len(s.vals) {
			i := (s.head + s.n) % len(s.vals)
			s.vals[i], s.times[i], s.raws[i] = v, now, capTime(&d.Meta)
			s.n++
			t.stats.Requests[KindTCPTS]++
		} else {
			t.stats.TSRingFull++
		}
	}
	if d.TCPFlags&dissect.TCPAck == 0 {
		return
	}
	o := &c.ts[1-dir]
	e := d.TSEcr
	if seqLT(o.last, e) {
		// An echo of a value the other side never sent: beyond its latest
		// TSval (an echo is TS.Recent, a TSval received: RFC 7323 §4.3),
		// e.g. TSecr 0 in an ACK while the TSvals are at or above 2^31.
		// Not an echo: it passes no pending value.
		return
	}
	for o.n > 0 {
		v := o.vals[o.head]
		if seqLT(e, v) {
			return // echo of a value older than any remembered
		}
		reqClk, reqNs := o.times[o.head], o.raws[o.head]
		o.head = (o.head + 1) % len(o.vals)
		o.n--
		if v != e {
			continue // never echoed: the echo moved past it
		}
		t.stats.Responses[KindTCPTS]++
		b := append(t.scratch[:0], "tsval "...)
		t.scratch = appendUint(b, uint64(v))
		t.emitSample(KindTCPTS, dissect.ProtoTCP, d.DstAddr, d.DstPort, d.SrcAddr, d.SrcPort, o.flowID, reqNs, reqClk, capTime(&d.Meta), d.Meta.Clock(), t.closes, emit)
		return
	}
}

// canonical returns the connection key of d and the direction of d in it.
func canonical(d *dissect.Dissection) (connKey, int) {
	c := d.SrcAddr.Compare(d.DstAddr)
	if c < 0 || (c == 0 && d.SrcPort <= d.DstPort) {
		return connKey{a: d.SrcAddr, b: d.DstAddr, ap: d.SrcPort, bp: d.DstPort}, 0
	}
	return connKey{a: d.DstAddr, b: d.SrcAddr, ap: d.DstPort, bp: d.SrcPort}, 1
}

func (t *Tracker) newConn() *conn {
	if n := len(t.free); n > 0 {
		c := t.free[n-1]
		t.free = t.free[:n-1]
		return c
	}
	m := t.cfg.MaxTSvals
	vals := make([]uint32, 2*m)
	times := make([]int64, 4*m)
	c := &conn{}
	if n := len(t.freeIDs); n > 0 {
		c.id = t.freeIDs[n-1]
		t.freeIDs = t.freeIDs[:n-1]
		t.byID[c.id] = c
	} else {
		c.id = int32(len(t.byID))
		t.byID = append(t.byID, c)
	}
	c.ts[0].vals, c.ts[0].times, c.ts[0].raws = vals[:m:m], times[:m:m], times[m:2*m:2*m]
	c.ts[1].vals, c.ts[1].times, c.ts[1].raws = vals[m:], times[2*m:3*m:3*m], times[3*m:]
	return c
}

// resetTS forgets the TSvals c's sides sent, keeping the buffers.
func resetTS(c *conn) {
	for i := range c.ts {
		s := &c.ts[i]
		*s = tsDir{vals: s.vals, times: s.times, raws: s.raws}
	}
}

// release forgets a connection and keeps its memory for reuse.
func (t *Tracker) release(k connKey, c *conn) {
	delete(t.conns, k)
	c.live = false
	for i := range c.dns {
		t.setBuf(&c.dns[i], c.dns[i].buf[:0])
		t.dropHeld(&c.dns[i])
	}
	if len(t.free) >= maxFree {
		t.byID[c.id] = nil // dropped: its id is given to a new connection
		t.freeIDs = append(t.freeIDs, c.id)
		return
	}
	resetTS(c)
	c.noTS, c.synSeen = false, false
	c.lastNs = 0
	c.dns = [2]stream{}
	t.free = append(t.free, c)
}

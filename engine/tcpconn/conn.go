package tcpconn

import (
	"math"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TCP flag bits, as in dissect.
const (
	flagFIN = dissect.TCPFin
	flagSYN = dissect.TCPSyn
	flagRST = dissect.TCPRst
	flagACK = dissect.TCPAck
)

// Wireshark's analysis thresholds (packet-tcp.c).
const (
	oooDefaultNs  = 3e6  // out-of-order window when no initial RTT is known
	fastRetransNs = 20e6 // a fast retransmission follows the dup ACKs within 20 ms
)

// key identifies a connection regardless of direction: the (address, port)
// pairs are stored in a fixed order.
type key struct {
	a, b   [16]byte
	pa, pb uint16
	iface  uint16
	ipv    uint8
}

func makeKey(d *dissect.Dissection) key {
	k := key{a: d.SrcAddr.As16(), b: d.DstAddr.As16(), pa: d.SrcPort, pb: d.DstPort,
		iface: d.Meta.Iface, ipv: d.IPVersion}
	if less(k.b, k.pb, k.a, k.pa) {
		k.a, k.b, k.pa, k.pb = k.b, k.a, k.pb, k.pa
	}
	return k
}

// sender reports which end of the connection of key k sent d: 1 its (a, pa)
// end, 2 its (b, pb) end, 0 when d is not of this connection (makeKey(d)
// != k, found without building the key). A connection from an address
// and port to themselves is sent by its a end.
func (k *key) sender(d *dissect.Dissection) uint8 {
	if k.iface != d.Meta.Iface || k.ipv != d.IPVersion {
		return 0
	}
	src, dst := d.SrcAddr.As16(), d.DstAddr.As16()
	if k.pa == d.SrcPort && k.pb == d.DstPort && k.a == src && k.b == dst {
		return 1
	}
	if k.pa == d.DstPort && k.pb == d.SrcPort && k.a == dst && k.b == src {
		return 2
	}
	return 0
}

func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa < pb
}

// conn is one followed connection. Index 0 of the per-side arrays is the
// client, 1 the server.
//
// What every segment reads and writes lies in four cache lines (issue 14;
// TestConnLayout): line 0 the key (the hint's check), the expiry list
// links and the flags, line 1 the times, packet counts and Zeek's
// per-endpoint state, and the first line of each side (seq.go). The
// rest (the handshake's instants, the row's counters and strings, what
// only rare segments touch) follows. A conn is 832 bytes, 13 lines (was
// 928 in 15 lines, a segment touching ~14 of them); the tracker's chunks
// start on a line (over 32 KiB, MaxConns 40 or more: Go gives them pages
// of their own), so each conn does.
type conn struct {
	// line 0
	k            key
	prev, next   int32  // expiry list links (-1: none)
	seen         uint32 // Zeek's history masks seen (history.check)
	list         uint8  // which expiry list holds it
	live         bool   // followed: the index maps k to it (a hint may name it)
	cliA         bool   // the client is the key's (a, pa) end, else its (b, pb)
	hasSyn       bool
	hasSynAck    bool
	hasAck       bool
	hasLastSyn   bool
	hasMruSynAck bool
	boundaryOnly bool

	// line 1
	lastNs   int64     // capture time of the last packet (end_time)
	activeNs int64     // timer clock of the latest packet: expiry
	packets  [2]uint64 // segments sent by each side
	z        [2]zeekSide
	_        [8]byte // the sides start on line 2

	// lines 2-9: each side's per-segment state in its first line
	s [2]side

	// cold; line 10 what init writes
	firstNs   int64 // capture time of the first packet (start_time)
	id        uint64
	class     string
	hist      history
	syn       instant  // client's first SYN
	lastSyn   instant  // client's last SYN before its handshake ACK (Wireshark's ts_mru_syn)
	synAck    instant  // server's first SYN-ACK
	mruSynAck instant  // server's first SYN-ACK after lastSyn (of the ISN followed)
	ack       instant  // client's first ACK after the SYN-ACK
	synAckAck uint32   // ACK number of the server's first SYN-ACK (client ISN + 1, + SYN data with TFO)
	_         [20]byte // 832 bytes: conns in a page start on a line
}

// end returns the address and port of the client (i 0) or the server
// (i 1), as the dissection gave them: the key's, an IPv4 address back
// in its 4-byte form.
func (c *conn) end(i int) (netip.Addr, uint16) {
	a, p := c.k.a, c.k.pa
	if (i == 0) != c.cliA {
		a, p = c.k.b, c.k.pb
	}
	if c.k.ipv == 4 {
		return netip.AddrFrom4([4]byte(a[12:])), p
	}
	return netip.AddrFrom16(a), p
}

// clear makes c a free slot: zero, keeping its holes' memory (a
// connection's init writes only what is not zero). The tracker clears a
// connection when it releases it, just after its row read every line.
func (c *conn) clear() {
	h0, h1 := c.s[0].holes[:0], c.s[1].holes[:0]
	*c = conn{}
	c.s[0].holes, c.s[1].holes = h0, h1
}

// instant is a packet's capture time and timer clock (pkt.Meta.Clock);
// raw is noTimeNs for a packet without a capture time of its own.
type instant struct{ raw, clk int64 }

// noTimeNs is instant.raw of a packet whose capture time is borrowed
// (pkt.Meta.TimeBorrowed: a pcapng Simple Packet Block, an impossible
// time): no handshake time is made of it.
const noTimeNs = math.MinInt64

// instantOf is the instant of the packet d, at timer clock now.
func instantOf(d *dissect.Dissection, now int64) instant {
	if d.Meta.TimeBorrowed {
		return instant{raw: noTimeNs, clk: now}
	}
	return instant{raw: d.Meta.TimeNs, clk: now}
}

// between returns the time from a to b in milliseconds, or nil when it is
// unknown: b stamped before a (SYN-ACK captured before its SYN, a
// reordered capture), a clock step between them (the timer clock and
// capture time disagree on the interval), or either without a capture
// time of its own (noTimeNs). A handshake time is never negative, never
// spans a clock step and is never made of a borrowed time.
func between(a, b instant, ar *pdu.Arena) *float64 {
	d := b.raw - a.raw
	if a.raw == noTimeNs || b.raw == noTimeNs || d < 0 || d != b.clk-a.clk {
		return nil
	}
	return ar.Float(float64(d) / 1e6)
}

// fromClient reports whether d was sent by the connection's client.
func (c *conn) fromClient(d *dissect.Dissection) bool {
	if c.cliA {
		return d.SrcPort == c.k.pa && d.SrcAddr.As16() == c.k.a
	}
	return d.SrcPort == c.k.pb && d.SrcAddr.As16() == c.k.b
}

// init sets up a new connection from its first segment: the client is the
// sender of a SYN, the receiver of a SYN-ACK, or else the side with the
// higher port (the sender on a tie). Zeek's '^' starts the history when the
// client is not the sender of the first packet.
func (c *conn) init(k key, id uint64, d *dissect.Dissection, class string, boundaryOnly bool) {
	// c is a free slot, zero but for its holes' memory (clear): only
	// what is not zero is written, in five of its lines, not all 13
	c.k, c.id, c.class, c.boundaryOnly = k, id, class, boundaryOnly
	c.prev, c.next, c.live = -1, -1, true
	c.firstNs, c.lastNs, c.activeNs = d.Meta.TimeNs, d.Meta.TimeNs, d.Meta.Clock()
	fl := d.TCPFlags
	senderIsClient := true
	switch {
	case fl&flagSYN != 0 && fl&flagACK == 0:
	case fl&flagSYN != 0:
		senderIsClient = false
	default:
		senderIsClient = d.SrcPort >= d.DstPort
	}
	// the key's a end is the client when it sent d and d's sender is the
	// client, or the other way round, or when both ends are one (key.sender)
	srcA := d.SrcPort == k.pa && d.SrcAddr.As16() == k.a
	c.cliA = senderIsClient == srcA || k.a == k.b && k.pa == k.pb
	if !senderIsClient {
		c.hist.add('^')
	}
	for i := range c.s {
		c.s[i].wscale = -1
		c.s[i].boundary = boundaryOnly
	}
}

// Segment classes of Wireshark's tcp.analysis, as counted in the row:
// retransmissions count segRetrans, segFastRetrans and segSpurious.
type segKind uint8

const (
	segNone        segKind = iota
	segRetrans             // tcp.analysis.retransmission
	segFastRetrans         // tcp.analysis.fast_retransmission (also a retransmission)
	segSpurious            // tcp.analysis.spurious_retransmission
	segOutOfOrder          // tcp.analysis.out_of_order
	segStray               // a SYN with another ISN, ignored (internal: reported as segNone)
)

// packet analyses one segment of the connection and returns its class.
// Its capture time (TimeNs) moves the connection's start and end; every
// duration and timeout runs on its timer clock (pkt.Meta.Clock: capture
// time with clock steps taken out). orig: the client sent it (conn.fromClient).
func (c *conn) packet(d *dissect.Dissection, orig bool) (kind segKind) {
	if t := d.Meta.TimeNs; t > c.lastNs {
		c.lastNs = t
	} else if t < c.firstNs {
		c.firstNs = t
	}
	now := d.Meta.ClockNs // d.Meta.Clock(), which the compiler left a call here
	if now == 0 {         // (issue 14: its spills around it, ~10 instructions a segment)
		now = d.Meta.TimeNs
	}
	c.activeNs = max(c.activeNs, now)
	at := instantOf(d, now)
	si := 1
	if orig {
		si = 0
	}
	s, peer := &c.s[1], &c.s[0] // not &c.s[si], &c.s[1-si]: ~5 instructions more
	if orig {
		s, peer = peer, s
	}
	fl := d.TCPFlags
	syn, fin, rst, ack := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0, fl&flagACK != 0
	plen := d.PayloadLen
	c.packets[si]++

	// Handshake times: first SYN, first SYN-ACK, client's first ACK after
	// it; the last SYN before that ACK and the first SYN-ACK after that
	// SYN (Karn: a SYN-ACK answers the latest SYN, handshake_rtt_ms).
	switch {
	case syn && !ack && orig:
		if !c.hasSyn {
			c.syn, c.hasSyn = at, true
		}
		if !c.hasAck {
			c.lastSyn, c.hasLastSyn, c.hasMruSynAck = at, true, false
			c.s[1].alts.sent()
		}
	case syn && ack && !orig:
		if !c.hasSynAck {
			c.synAck, c.hasSynAck, c.synAckAck = at, true, d.Ack
		}
		if c.hasLastSyn && !c.hasMruSynAck && !c.hasAck && (!c.s[1].sawSYN || d.Seq == c.s[1].base) {
			c.mruSynAck, c.hasMruSynAck = at, true // a SYN-ACK of another ISN: altSynAcks.note
		}
	case ack && !syn && orig && c.hasSynAck && !c.hasAck && !c.boundaryOnly:
		c.ack, c.hasAck = at, true
	}

	// Options of the first SYN of each side (RFC 7323 §2.3: the shift is
	// reported as sent, even above 14).
	if syn && !s.synOpts {
		s.synOpts = true
		s.wscale, s.mss, s.sackPerm = d.WScale, d.MSS, d.SACKPerm
	}

	// Wireshark's tcp.analysis.zero_window: window 0 without SYN/FIN/RST.
	winKnown := d.Flags&dissect.TCPWindowCut == 0 // not cut by the snap length
	if d.Window == 0 && winKnown && !syn && !fin && !rst {
		s.zeroWin++
	}

	if orig && ack && !syn && !c.boundaryOnly {
		c.followAcked(d)
	}
	if c.boundaryOnly {
		c.boundary(s, peer, d)
	} else {
		kind = c.sequence(s, peer, d, now)
	}
	if rst {
		s.rst = true
	}
	if fin {
		s.fin = true
	}
	win := d.Window
	if !winKnown {
		win = 1 // unknown: not a zero window for Zeek's 'W'
	}
	c.zeekPacket(orig, d.Seq, plen, fl, win, kind == segStray)
	if kind == segStray {
		kind = segNone
	}
	return kind
}

// followAcked switches the server's sequence space to a stray SYN-ACK's ISN
// when the client acknowledges that one (ACK = ISN+1) rather than the
// SYN-ACK the connection followed, and the server sent nothing since: of
// SYN-ACKs with different ISNs, the one the client's handshake ACK names
// is the connection's, whichever came first and however many others came
// (zeek#3313 with the stray SYN-ACK before the real one, or on both sides
// of it). The first one followed counts as a stray instead; the followed
// ISN's copies after its first count as retransmissions (Wireshark's rule
// for a repeated SYN-ACK); the handshake times become the acknowledged
// ISN's first SYN-ACK's.
func (c *conn) followAcked(d *dissect.Dissection) {
	s := &c.s[1]
	if s.high > 1 || d.Ack == s.base+1 || s.alts == nil || len(s.holes) > 0 { // the first line's fields first
		return
	}
	a := s.alts.acked(d.Ack)
	if a == nil {
		return
	}
	old := s.base
	s.base = a.isn
	s.straySYNs = s.straySYNs + 1 - uint64(a.n)
	s.retrans += uint64(a.n - 1)
	if c.hasSynAck {
		c.synAck, c.synAckAck = a.at, a.ack
		c.mruSynAck, c.hasMruSynAck = a.mru, a.hasMru
	}
	s.alts = nil
	if z := &c.z[1]; z.start == old {
		z.start, z.last = s.base, s.base+1
	}
}

// boundary tracks the SYN, FIN and RST sequence numbers of a boundary-only
// connection (design 3.6): 32-bit arithmetic from the ISN, so sizes are
// exact below 4 GiB and modulo 2^32 above. The ACK number of a FIN or RST
// also bounds what the peer sent, for a peer that never closes.
func (c *conn) boundary(s, peer *side, d *dissect.Dissection) {
	fl := d.TCPFlags
	if fl&flagACK != 0 && fl&flagSYN == 0 && peer.sawSYN {
		if a := d.Ack - peer.base; !peer.bHasAck || int32(a-peer.bAck) > 0 {
			peer.bAck, peer.bHasAck = a, true
		}
	}
	if fl&flagSYN != 0 && !s.sawSYN {
		s.sawSYN, s.based, s.base = true, true, d.Seq
		return
	}
	if !s.sawSYN {
		return
	}
	var end uint32
	switch {
	case fl&flagFIN != 0:
		end = d.Seq + d.PayloadLen - s.base
	case fl&flagRST != 0:
		end = d.Seq - s.base
	default:
		return
	}
	if !s.bHasEnd || int32(end-s.bEnd) > 0 {
		s.bEnd, s.bHasEnd = end, true
	}
}

// sequence follows one direction's sequence space and classifies the
// segment as Wireshark's tcp.analysis does (packet-tcp.c,
// tcp_analyze_sequence_number): keep-alive, zero-window probe, duplicate
// ACK, fast retransmission, out-of-order, spurious retransmission,
// retransmission.
func (c *conn) sequence(s, peer *side, d *dissect.Dissection, now int64) (kind segKind) {
	fl := d.TCPFlags
	syn, fin, rst := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0
	plen := int64(d.PayloadLen)

	if !s.based {
		s.based, s.start = true, 1
		if syn {
			s.sawSYN, s.base, s.high = true, d.Seq, 0
		} else {
			s.base, s.high = d.Seq-1, 1
		}
		s.next, s.nextNs = s.high, now
	}
	if syn {
		switch {
		case !s.sawSYN && s.high <= 1 && len(s.holes) == 0 && (d.Seq == s.base || !s.placed):
			// a SYN arriving after a data-less first packet at ISN+1
			// (SYN-ACK reordering), or after RSTs only (their sequence
			// numbers place nothing: an injected RST, zeek's
			// rst-inject-rae). After a pure ACK at another place, a SYN
			// with another ISN is a late original SYN (next case) or a
			// stray (below): it does not rebase the side.
			s.sawSYN, s.base, s.high, s.next = true, d.Seq, 0, 0
		case !s.sawSYN && (d.Seq == s.base || (s == &c.s[0] && c.synAckAcks(d.Seq))):
			// the original SYN captured after the segments that follow it
			// (arkime#4019, zeek#2191): positions move to its ISN when
			// they were inferred otherwise (earlier bytes never seen)
			s.rebase(d.Seq)
			c.lateSyn(s, peer, d, now)
			return segNone
		case d.Seq != s.base:
			// a SYN or SYN-ACK with another ISN that did not start a new
			// connection (zeek#3313): it neither rebases nor moves this
			// side's sequence space, and its ACK is not trusted
			s.straySYNs++
			if s == &c.s[1] && fl&flagACK != 0 && s.sawSYN && s.high <= 1 && len(s.holes) == 0 {
				// the server has sent only a SYN-ACK: which of the two
				// the connection follows is the client's to say
				if s.alts == nil {
					s.alts = new(altSynAcks)
				}
				s.alts.note(d.Seq, d.Ack, instantOf(d, now), c.hasLastSyn && !c.hasAck)
			}
			return segStray
		}
	}

	if !rst {
		s.placed = true
	}
	p := s.pos(d.Seq)
	segLen := plen
	if syn {
		segLen++
	}
	if fin {
		segLen++
	}
	if rst {
		segLen = 0 // a RST's data is not part of the stream (Zeek)
	}
	end := p + segLen

	// Duplicate ACK (this side repeating its ACK); the count restarts
	// when the ACK number changes.
	if plen == 0 && !syn && !fin && !rst && d.Window != 0 && d.Flags&dissect.TCPWindowCut == 0 && s.hasWindow &&
		d.Window == s.window && p == s.next && s.hasLastAck && d.Ack == s.lastAck && s.dupAcks < math.MaxUint8 {
		s.dupAcks++
	}
	if !s.hasLastAck || d.Ack != s.lastAck {
		s.dupAcks = 0
	}

	// Zero-window probe: 1 byte at nextseq while the peer's window is 0;
	// keep-alive: 0 or 1 byte at nextseq-1, without SYN/FIN/RST (the
	// Wireshark definitions). Neither is classified further.
	zwp := !rst && plen == 1 && p == s.next && peer.hasWindow && peer.window == 0
	keepAlive := !zwp && plen <= 1 && !syn && !fin && !rst && p == s.next-1
	switch {
	case zwp:
		s.zwProbes++
	case keepAlive:
		s.keepAlives++
	}
	if !rst && !zwp && !keepAlive && (plen > 0 || syn || fin) {
		notAdvanced := p < s.next
		if plen > 1 && p == s.next-1 {
			notAdvanced = false // new data after a possible zero-window probe
		}
		flagLen := int64(0)
		if syn || fin {
			flagLen = 1
		}
		switch {
		case plen > 0 && peer.hasLastAck && int32(d.Seq+uint32(plen)-peer.lastAck) <= 0:
			s.retrans++
			kind = segSpurious
		case notAdvanced && peer.dupAcks >= 2 && peer.lastAck == d.Seq && now-peer.lastAckNs < fastRetransNs:
			s.retrans++
			kind = segFastRetrans
		case notAdvanced && now-s.nextNs < c.oooThresholdNs() && s.next != p+plen+flagLen:
			s.ooo++
			kind = segOutOfOrder
		case notAdvanced:
			s.retrans++
			kind = segRetrans
		}
	}

	// Sequence space: holes and the highest position. A zero-window probe
	// is data (the receiver may accept it: ntopng#1711), so it fills the
	// sequence space; it only leaves Wireshark's nextseq where it was.
	if !rst {
		lo := p
		if syn {
			lo++ // data starts after the SYN
		}
		if !s.sawSYN && plen > 0 && lo < s.start {
			if end < s.start {
				s.addHole(end, s.start)
			}
			s.start = lo
		}
		if lo > s.high && lo >= s.start {
			s.addHole(max(s.high, s.start), lo)
		}
		if p < s.high {
			s.fill(max(p, s.start), min(end, s.high))
		}
		if end > s.high {
			s.high = end
		}
		if end > s.next && !zwp {
			s.next, s.nextNs = end, now
		}
		if fin && (!s.fin || p+plen > s.finPos) {
			s.finPos = p + plen
		}
	}

	c.acks(s, peer, d, now)
	return kind
}

// acks records this side's ACK (Wireshark's last ACK, its time, and the
// highest position of the peer acknowledged: 64-bit, unwrapped like the
// peer's sequence) and its window.
func (c *conn) acks(s, peer *side, d *dissect.Dissection, now int64) {
	fl := d.TCPFlags
	ack, rst := fl&flagACK != 0, fl&flagRST != 0
	s.lastAck, s.lastAckNs, s.hasLastAck = d.Ack, now, ack || d.Ack != 0
	if ack && !peer.based {
		peer.ackedUnseen(d.Ack, rst)
	}
	if ack && !rst && peer.based && !(d.Ack == 0 && peer.ackHigh > 0) {
		if a := peer.pos(d.Ack); a > peer.ackHigh && a <= peer.high+1<<31 {
			peer.ackHigh = a
		}
	}
	if d.Flags&dissect.TCPWindowCut == 0 {
		s.window, s.hasWindow = d.Window, true
	}
}

// synAckAcks reports whether the server's first SYN-ACK acknowledged a
// client SYN of sequence number seq: its ACK number is seq+1, or beyond it
// by the SYN's data (TCP Fast Open, RFC 7413 §4.2; at most 64 KiB).
func (c *conn) synAckAcks(seq uint32) bool {
	return c.hasSynAck && c.synAckAck-(seq+1) < 1<<16
}

// lateSyn takes the original SYN of a connection first seen from its
// SYN-ACK or later segments: its data (TCP Fast Open) fills the sequence
// space, its ACK and window are recorded; it is not a retransmission.
func (c *conn) lateSyn(s, peer *side, d *dissect.Dissection, now int64) {
	if end := 1 + int64(d.PayloadLen); end > 1 {
		s.fill(1, min(end, s.high))
		s.high = max(s.high, end)
		if end > s.next {
			s.next, s.nextNs = end, now
		}
	}
	c.acks(s, peer, d, now)
}

// oooThresholdNs is Wireshark's out-of-order window: the initial RTT
// (tcp.analysis.initial_rtt: the last SYN to the ACK completing the
// handshake) or 3 ms when unknown.
func (c *conn) oooThresholdNs() int64 {
	if c.hasLastSyn && c.hasAck && c.ack.clk > c.lastSyn.clk {
		return c.ack.clk - c.lastSyn.clk
	}
	return oooDefaultNs
}

// options returns the side's window scale (-1: its SYN had none) and MSS,
// nil when its SYN was not seen (the MSS also when the SYN had none).
func (s *side) options(ar *pdu.Arena) (wscale *int16, mss *uint16) {
	if !s.synOpts {
		return nil, nil
	}
	if s.mss == 0 {
		return ar.Int16(s.wscale), nil
	}
	return ar.Int16(s.wscale), ar.Uint16(s.mss)
}

// finished reports whether both sides sent a FIN, or a RST was seen, or
// one side closed while the other never sent anything.
func (c *conn) finished() bool {
	a, b := &c.s[0], &c.s[1]
	return a.rst || b.rst || a.fin && (b.fin || c.packets[1] == 0) || b.fin && c.packets[0] == 0
}

// halfOpen reports whether one side never sent anything.
func (c *conn) halfOpen() bool { return c.packets[0] == 0 || c.packets[1] == 0 }

// fill writes the connection's row into r (Probe and Interface left
// empty), its strings and nullable values kept in ar, and the client and
// server addresses its text is made of into addrs (Tracker.AppendConn).
func (c *conn) fill(r *observe.TCPConnection, ar *pdu.Arena, addrs *[2]netip.Addr) {
	cl, sv := &c.s[0], &c.s[1]
	ca, cp := c.end(0)
	sa, sp := c.end(1)
	addrs[0], addrs[1] = ca, sa
	*r = observe.TCPConnection{
		Class:                     c.class,
		ConnID:                    c.id,
		ClientAddr:                ar.Addr(ca),
		ClientPort:                cp,
		ServerAddr:                ar.Addr(sa),
		ServerPort:                sp,
		StartTime:                 c.firstNs,
		EndTime:                   c.lastNs,
		DurationS:                 float64(c.lastNs-c.firstNs) / 1e9,
		ClientPayloadBytes:        cl.payload(),
		ServerPayloadBytes:        sv.payload(),
		ClientMissingBytes:        cl.missing(),
		ServerMissingBytes:        sv.missing(),
		ClientPackets:             c.packets[0],
		ServerPackets:             c.packets[1],
		ClientRetransmissions:     cl.retrans,
		ServerRetransmissions:     sv.retrans,
		ClientOutOfOrder:          cl.ooo,
		ServerOutOfOrder:          sv.ooo,
		ClientZeroWindows:         cl.zeroWin,
		ServerZeroWindows:         sv.zeroWin,
		ClientKeepalives:          cl.keepAlives,
		ServerKeepalives:          sv.keepAlives,
		ClientZeroWindowProbes:    cl.zwProbes,
		ServerZeroWindowProbes:    sv.zwProbes,
		ClientZeekRetransmissions: cl.zc.rexmits,
		ServerZeekRetransmissions: sv.zc.rexmits,
		ClientStraySYNs:           cl.straySYNs,
		ServerStraySYNs:           sv.straySYNs,
		SACKPermitted:             cl.synOpts && sv.synOpts && cl.sackPerm && sv.sackPerm,
		SawStart:                  c.hasSyn,
		SawEnd:                    (cl.fin && sv.fin) || cl.rst || sv.rst,
		BoundaryOnly:              c.boundaryOnly,
	}
	if c.hasSyn && c.hasSynAck {
		r.HandshakeSynSynackMs = between(c.syn, c.synAck, ar)
	}
	if c.hasSynAck && c.hasAck {
		sa := c.synAck
		if c.hasMruSynAck {
			sa = c.mruSynAck
		}
		r.HandshakeSynackAckMs = between(sa, c.ack, ar)
	}
	if c.hasLastSyn && c.hasMruSynAck {
		r.HandshakeRTTMs = between(c.lastSyn, c.mruSynAck, ar)
	}
	r.ClientWScale, r.ClientMSS = cl.options(ar)
	r.ServerWScale, r.ServerMSS = sv.options(ar)
	h := c.hist.b[:c.hist.n]
	r.ConnState = connState(c.z[0].state, c.z[1].state, r.ClientPayloadBytes, r.ServerPayloadBytes, h)
	r.History = ar.String(h)
}

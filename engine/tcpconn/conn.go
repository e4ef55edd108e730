package tcpconn

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
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
type conn struct {
	k            key
	id           uint64
	class        string
	addr         [2]netip.Addr
	port         [2]uint16
	firstNs      int64
	lastNs       int64
	synNs        int64 // client's first SYN (0: none)
	synAckNs     int64 // server's first SYN-ACK
	ackNs        int64 // client's first ACK after the SYN-ACK
	hasSyn       bool
	hasSynAck    bool
	hasAck       bool
	boundaryOnly bool
	s            [2]side
	z            [2]zeekSide
	hist         history

	list       uint8 // which expiry list holds it
	prev, next int32 // expiry list links (-1: none)
	live       bool
}

// fromClient reports whether d was sent by the connection's client.
func (c *conn) fromClient(d *dissect.Dissection) bool {
	return d.SrcPort == c.port[0] && d.SrcAddr == c.addr[0]
}

// init sets up a new connection from its first segment: the client is the
// sender of a SYN, the receiver of a SYN-ACK, or else the side with the
// higher port (the sender on a tie). Zeek's '^' starts the history when the
// client is not the sender of the first packet.
func (c *conn) init(k key, id uint64, d *dissect.Dissection, class string, boundaryOnly bool) {
	h0, h1 := c.s[0].holes[:0], c.s[1].holes[:0]
	*c = conn{k: k, id: id, class: class, boundaryOnly: boundaryOnly, prev: -1, next: -1, live: true,
		firstNs: d.Meta.TimeNs, lastNs: d.Meta.TimeNs}
	fl := d.TCPFlags
	senderIsClient := true
	switch {
	case fl&flagSYN != 0 && fl&flagACK == 0:
	case fl&flagSYN != 0:
		senderIsClient = false
	default:
		senderIsClient = d.SrcPort >= d.DstPort
	}
	if senderIsClient {
		c.addr = [2]netip.Addr{d.SrcAddr, d.DstAddr}
		c.port = [2]uint16{d.SrcPort, d.DstPort}
	} else {
		c.addr = [2]netip.Addr{d.DstAddr, d.SrcAddr}
		c.port = [2]uint16{d.DstPort, d.SrcPort}
		c.hist.add('^')
	}
	c.s[0].holes, c.s[1].holes = h0, h1
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
)

// packet analyses one segment of the connection and returns its class.
func (c *conn) packet(d *dissect.Dissection) (kind segKind) {
	now := d.Meta.TimeNs
	if now > c.lastNs {
		c.lastNs = now
	}
	if now < c.firstNs {
		c.firstNs = now
	}
	orig := c.fromClient(d)
	si := 1
	if orig {
		si = 0
	}
	s, peer := &c.s[si], &c.s[1-si]
	fl := d.TCPFlags
	syn, fin, rst, ack := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0, fl&flagACK != 0
	plen := d.PayloadLen
	s.packets++

	// Handshake times: first SYN, first SYN-ACK, client's first ACK after it.
	switch {
	case syn && !ack && orig && !c.hasSyn:
		c.synNs, c.hasSyn = now, true
	case syn && ack && !orig && !c.hasSynAck:
		c.synAckNs, c.hasSynAck = now, true
	case ack && !syn && orig && c.hasSynAck && !c.hasAck && !c.boundaryOnly:
		c.ackNs, c.hasAck = now, true
	}

	// Options of the first SYN of each side (RFC 7323 §2.3: the shift is
	// reported as sent, even above 14).
	if syn && !s.synOpts {
		s.synOpts = true
		s.wscale, s.mss, s.sackPerm = d.WScale, d.MSS, d.SACKPerm
	}

	// Wireshark's tcp.analysis.zero_window: window 0 without SYN/FIN/RST.
	if d.Window == 0 && !syn && !fin && !rst {
		s.zeroWin++
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
	c.zeekPacket(orig, d.Seq, plen, fl, d.Window)
	return kind
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
	syn, fin, rst, ack := fl&flagSYN != 0, fl&flagFIN != 0, fl&flagRST != 0, fl&flagACK != 0
	plen := int64(d.PayloadLen)

	if !s.based {
		s.based, s.start = true, 1
		if syn {
			s.sawSYN, s.base, s.high = true, d.Seq, 0
		} else {
			s.base, s.high = d.Seq-1, 1
		}
		s.highNs = now
	}
	if syn && !s.sawSYN && s.high <= 1 && len(s.holes) == 0 {
		// a SYN arriving after a data-less first packet (SYN-ACK reordering)
		s.sawSYN, s.base, s.high = true, d.Seq, 0
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
	if plen == 0 && !syn && !fin && !rst && d.Window != 0 && s.hasWindow &&
		d.Window == s.window && p == s.high && s.hasLastAck && d.Ack == s.lastAck {
		s.dupAcks++
	}
	if !s.hasLastAck || d.Ack != s.lastAck {
		s.dupAcks = 0
	}

	zwp := false
	if !rst && (plen > 0 || syn || fin) {
		notAdvanced := p < s.high
		keepAlive := plen <= 1 && !syn && !fin && p == s.high-1
		zwp = plen == 1 && p == s.high && peer.hasWindow && peer.window == 0
		if plen > 1 && p == s.high-1 {
			notAdvanced = false // new data after a possible zero-window probe
		}
		flagLen := int64(0)
		if syn || fin {
			flagLen = 1
		}
		switch {
		case keepAlive || zwp:
		case plen > 0 && peer.hasLastAck && int32(d.Seq+uint32(plen)-peer.lastAck) <= 0:
			s.retrans++
			kind = segSpurious
		case notAdvanced && peer.dupAcks >= 2 && peer.lastAck == d.Seq && now-peer.lastAckNs < fastRetransNs:
			s.retrans++
			kind = segFastRetrans
		case notAdvanced && now-s.highNs < c.oooThresholdNs() && s.high != p+plen+flagLen:
			s.ooo++
			kind = segOutOfOrder
		case notAdvanced:
			s.retrans++
			kind = segRetrans
		}
	}

	// Sequence space: holes and the highest position.
	if !rst && !zwp {
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
			s.high, s.highNs = end, now
		}
		if fin && (!s.fin || p+plen > s.finPos) {
			s.finPos = p + plen
		}
	}

	// ACKs: this side's last ACK (Wireshark), and the highest position of
	// the peer acknowledged (64-bit, unwrapped like the peer's sequence).
	s.lastAck, s.lastAckNs, s.hasLastAck = d.Ack, now, ack || d.Ack != 0
	if ack {
		if !rst && peer.based && !(d.Ack == 0 && peer.ackHigh > 0) {
			if a := peer.pos(d.Ack); a > peer.ackHigh && a <= peer.high+1<<31 {
				peer.ackHigh = a
			}
		}
	}
	s.window, s.hasWindow = d.Window, true
	return kind
}

// oooThresholdNs is Wireshark's out-of-order window: the initial RTT (first
// SYN to the ACK completing the handshake) or 3 ms when unknown.
func (c *conn) oooThresholdNs() int64 {
	if c.hasSyn && c.hasAck && c.ackNs > c.synNs {
		return c.ackNs - c.synNs
	}
	return oooDefaultNs
}

// finished reports whether both sides sent a FIN, or a RST was seen, or
// one side closed while the other never sent anything.
func (c *conn) finished() bool {
	a, b := &c.s[0], &c.s[1]
	switch {
	case a.rst || b.rst:
		return true
	case a.fin && b.fin:
		return true
	case a.fin && b.packets == 0, b.fin && a.packets == 0:
		return true
	}
	return false
}

// halfOpen reports whether one side never sent anything.
func (c *conn) halfOpen() bool { return c.s[0].packets == 0 || c.s[1].packets == 0 }

// fill writes the connection's row into r (Probe and Interface left empty).
func (c *conn) fill(r *observe.TCPConnection) {
	cl, sv := &c.s[0], &c.s[1]
	*r = observe.TCPConnection{
		Class:                 c.class,
		ConnID:                c.id,
		ClientAddr:            c.addr[0].String(),
		ClientPort:            c.port[0],
		ServerAddr:            c.addr[1].String(),
		ServerPort:            c.port[1],
		StartTime:             c.firstNs,
		EndTime:               c.lastNs,
		DurationS:             float64(c.lastNs-c.firstNs) / 1e9,
		ClientPayloadBytes:    cl.payload(),
		ServerPayloadBytes:    sv.payload(),
		ClientMissingBytes:    cl.missing(),
		ServerMissingBytes:    sv.missing(),
		ClientPackets:         cl.packets,
		ServerPackets:         sv.packets,
		ClientRetransmissions: cl.retrans,
		ServerRetransmissions: sv.retrans,
		ClientOutOfOrder:      cl.ooo,
		ServerOutOfOrder:      sv.ooo,
		ClientZeroWindows:     cl.zeroWin,
		ServerZeroWindows:     sv.zeroWin,
		ClientWScale:          cl.wscale,
		ServerWScale:          sv.wscale,
		ClientMSS:             cl.mss,
		ServerMSS:             sv.mss,
		SACKPermitted:         cl.synOpts && sv.synOpts && cl.sackPerm && sv.sackPerm,
		SawStart:              c.hasSyn,
		SawEnd:                (cl.fin && sv.fin) || cl.rst || sv.rst,
		BoundaryOnly:          c.boundaryOnly,
	}
	if c.hasSyn && c.hasSynAck && c.synAckNs >= c.synNs {
		v := float64(c.synAckNs-c.synNs) / 1e6
		r.HandshakeSynSynackMs = &v
	}
	if c.hasSynAck && c.hasAck {
		v := float64(c.ackNs-c.synAckNs) / 1e6
		r.HandshakeSynackAckMs = &v
	}
	h := c.hist.b[:c.hist.n]
	r.ConnState = connState(c.z[0].state, c.z[1].state, r.ClientPayloadBytes, r.ServerPayloadBytes, h)
	r.History = string(h)
}

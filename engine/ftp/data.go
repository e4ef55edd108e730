package ftp

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// filterBits sizes the first stage of the peer cache (design 3.6): a
// bitmap of 2^filterBits bits (8 KiB, kept in the L1 cache) indexed by a
// hash of the unordered address pair, with a count per slot beside it so
// that pairs can be removed. A packet whose slot bit is clear is rejected
// without a map lookup; with 1000 pairs held, 1.5 % of other pairs pass.
const (
	filterBits = 16
	filterSize = 1 << filterBits
)

// pairKey is an unordered address pair (lower address first).
type pairKey struct{ a, b netip.Addr }

func makePair(x, y netip.Addr) pairKey {
	if y.Less(x) {
		return pairKey{a: y, b: x}
	}
	return pairKey{a: x, b: y}
}

// addrBits folds an address into 64 bits (As4 is several times cheaper
// than As16 for IPv4).
func addrBits(a netip.Addr) uint64 {
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:]))
	}
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]) ^ binary.BigEndian.Uint64(b[8:])
}

// pairSlot is the filter slot of an unordered address pair: the sum makes
// it symmetric, the multiplication (Fibonacci hashing) spreads it.
func pairSlot(x, y netip.Addr) uint32 {
	return uint32(((addrBits(x) + addrBits(y)) * 0x9E3779B97F4A7C15) >> (64 - filterBits))
}

// mayBePeer is the filter test: false means the pair is surely no peer.
func (t *Tracker) mayBePeer(x, y netip.Addr) bool {
	i := pairSlot(x, y)
	return t.filter[i>>6]&(1<<(i&63)) != 0
}

// peer is one entry of the cache of FTP session peers (design 3.6): an
// address pair that carries an FTP control connection or may carry one of
// its data connections, with the channels expected and the connections
// established between them.
type peer struct {
	key   pairKey
	refs  int
	exps  []*channel  // announced channels still waiting for their connection
	conns []*dataConn // data connections established
}

func (t *Tracker) ref(k pairKey) *peer {
	p := t.peers[k]
	if p == nil {
		p = &peer{key: k}
		t.peers[k] = p
		if len(t.peers) == 1 && t.busy != nil {
			*t.busy++ // no longer Idle (CountBusy)
		}
		i := pairSlot(k.a, k.b)
		if t.slotCount == nil {
			t.slotCount = make([]uint32, filterSize)
		}
		t.slotCount[i]++
		t.filter[i>>6] |= 1 << (i & 63)
	}
	p.refs++
	return p
}

func (t *Tracker) unref(p *peer) {
	p.refs--
	if p.refs <= 0 {
		delete(t.peers, p.key)
		if len(t.peers) == 0 && t.busy != nil {
			*t.busy-- // Idle again (CountBusy)
		}
		i := pairSlot(p.key.a, p.key.b)
		if t.slotCount[i]--; t.slotCount[i] == 0 {
			t.filter[i>>6] &^= 1 << (i & 63)
		}
	}
}

// IsPeer reports whether src and dst (either order) are the addresses of an
// FTP session's control connection or of one of its announced or
// established data connections: design 3.6's quick check, a few
// nanoseconds and no allocation for addresses that are not.
func (t *Tracker) IsPeer(src, dst netip.Addr) bool {
	if len(t.peers) == 0 || !t.mayBePeer(src, dst) {
		return false
	}
	return t.peers[makePair(src, dst)] != nil
}

// channel is one announced data channel: a PASV/EPSV reply (the client
// will connect to the announced port) or a PORT/EPRT command (the server
// will connect to it), RFC 959 §3.2, RFC 2428.
type channel struct {
	sess    *session
	active  bool   // PORT/EPRT: the server initiates
	modeCmd string // PASV, EPSV, PORT or EPRT
	init    netip.Addr
	resp    netip.Addr // announced address
	alt     netip.Addr // control peer's address when the announced one differs (NAT), else invalid
	port    uint16     // announced port
	created int64      // timer clock of the announcement
	xfer    *transfer
	conn    *dataConn
	peers   [2]*peer // pairs (init, resp) and (init, alt)
	gone    bool
	// reused marks a passive channel taken again by a transfer command
	// with no announcement of its own (reuseListener): it counts in
	// Stats.ListenerReuses when a connection opens it, and shows in the
	// transfer row only then.
	reused bool
	// twin is, for a PORT or EPRT naming another server's address, the
	// passive channel that server announced on it (a third-party
	// transfer, FXP: RFC 959 §2.3, §5.2 figure 3): the connection this
	// channel opens is also twin's (linkTwin).
	twin *channel
}

// announce learns a data channel. For passive mode the client connects
// from any port to addr:port; for active mode the server connects from any
// port (usually 20) to addr:port. The control peer's address is accepted
// in place of a different announced one: a NAT in front of the server
// (227 with a private address) or an ALG rewriting PORT (edge 02).
func (t *Tracker) announce(s *session, active bool, cmd string, addr netip.Addr, port uint16, now int64) *channel {
	t.stats.Announcements++
	ch := &channel{sess: s, active: active, modeCmd: cmd, port: port, created: t.clk}
	ctl := s.server
	ch.init = s.client
	if active {
		ctl, ch.init = s.client, s.server
	}
	addr = addr.Unmap()
	switch {
	case !addr.IsValid() || addr.IsUnspecified():
		ch.resp = ctl
	case addr != ctl.Unmap():
		ch.resp, ch.alt = addr, ctl
		if tw := t.listeners[netip.AddrPortFrom(addr, port)]; active && tw != nil && tw.sess != s && tw.conn == nil {
			ch.twin = tw // FXP: the other server's listener, not a NAT
		} else {
			t.stats.AddrMismatch++
		}
	default:
		ch.resp = ctl
	}
	if len(s.chans) >= maxChans {
		for _, old := range s.chans {
			if old.xfer == nil && old.conn == nil {
				t.stats.ExpectExpired++
				t.releaseChannel(old)
				break
			}
		}
		if len(s.chans) >= maxChans {
			t.stats.ExpectRefused++
			return nil
		}
	}
	if t.channels >= t.cfg.MaxExpected {
		t.stats.ExpectRefused++
		return nil
	}
	s.lastAnn = ch
	t.register(ch)
	if !active {
		// A client that sent the transfer command before the 227/229
		// arrived (pipelining) gets this channel, in place of one
		// taken again (reuseListener) that has no connection yet.
		for i := 0; i < s.pendN; i++ {
			x := s.pend[(s.pendHead+i)%maxPending].x
			if x == nil || (x.ch != nil && (!x.ch.reused || x.ch.conn != nil)) {
				continue
			}
			if x.ch != nil {
				t.releaseChannel(x.ch)
			}
			x.ch, ch.xfer = ch, x
			break
		}
	}
	return ch
}

// register puts a new channel in the peer cache and its session, and
// opens its connection with a SYN seen before it (early.go).
func (t *Tracker) register(ch *channel) {
	s := ch.sess
	t.channels++
	ch.peers[0] = t.ref(makePair(ch.init, ch.resp))
	ch.peers[0].exps = append(ch.peers[0].exps, ch)
	if ch.alt.IsValid() {
		ch.peers[1] = t.ref(makePair(ch.init, ch.alt))
		ch.peers[1].exps = append(ch.peers[1].exps, ch)
	}
	s.chans = append(s.chans, ch)
	if !ch.active {
		if t.listeners == nil {
			t.listeners = make(map[netip.AddrPort]*channel)
		}
		t.listeners[netip.AddrPortFrom(ch.resp, ch.port)] = ch
	}
	t.openEarly(ch) // a SYN captured before the announcement (early.go)
}

// linkTwin gives the connection c that ch opened to ch's twin as well:
// in a third-party transfer (FXP, RFC 959 §2.3) the server given PORT
// connects to the other server's passive listener, whose own session
// sees no connection from its client. Both transfers then measure c
// (Stats.ThirdParty).
func (t *Tracker) linkTwin(ch *channel, c *dataConn) {
	tw := ch.twin
	if tw == nil || tw.gone || tw.conn != nil {
		return
	}
	tw.conn = c
	for _, p := range tw.peers {
		if p != nil {
			p.exps = remove(p.exps, tw)
		}
	}
	t.stats.ThirdParty++
}

// reuseListener gives transfer x, whose command came with no channel
// announced and unused, the passive listener of the session's latest
// announcement again: RFC 959 lets the passive data port persist (§4.1.1
// PASV: the server-DTP listens and waits; §3.3: the server closes the
// data port when the user changes the port specification), and servers
// that keep their listener open let a client connect to it for each
// transfer. Only when that announcement was passive (a PORT or EPRT
// since changed the mode) and no PASV or EPSV awaits its reply (a
// pipelining client's channel comes with it: announce). It returns nil
// otherwise, or when the channel tables are full.
func (t *Tracker) reuseListener(s *session, x *transfer) *channel {
	prev := s.lastAnn
	if prev == nil || prev.active {
		return nil
	}
	for i := 0; i < s.pendN; i++ {
		if v := s.pend[(s.pendHead+i)%maxPending].v; v == vPASV || v == vEPSV {
			return nil
		}
	}
	if len(s.chans) >= maxChans || t.channels >= t.cfg.MaxExpected {
		return nil
	}
	ch := &channel{sess: s, modeCmd: prev.modeCmd, init: prev.init, resp: prev.resp, alt: prev.alt,
		port: prev.port, created: t.clk, xfer: x, reused: true}
	t.register(ch)
	return ch
}

// releaseChannel removes ch from the peer cache and its session. Its
// fields stay readable for the transfer row. Calling it twice is harmless.
func (t *Tracker) releaseChannel(ch *channel) {
	if ch.gone {
		return
	}
	ch.gone = true
	if k := netip.AddrPortFrom(ch.resp, ch.port); !ch.active && t.listeners[k] == ch {
		delete(t.listeners, k)
	}
	if ch.conn != nil && ch.conn == t.lastConn {
		t.lastConn = nil
	}
	for i, p := range ch.peers {
		if p == nil {
			continue
		}
		p.exps = remove(p.exps, ch)
		if ch.conn != nil {
			p.conns = remove(p.conns, ch.conn)
		}
		t.unref(p)
		ch.peers[i] = nil
	}
	t.channels--
	s := ch.sess
	s.chans = remove(s.chans, ch)
}

// remove takes the first v out of l, in place, keeping the order (the
// freed last element is zeroed).
func remove[T comparable](l []T, v T) []T {
	if i := slices.Index(l, v); i >= 0 {
		return slices.Delete(l, i, i+1)
	}
	return l
}

// match reports whether the packet opens (or, picked up late, belongs to)
// the data connection ch announced, and whether its source is the
// initiator.
func (ch *channel) match(d *dissect.Dissection) (srcInit, ok bool) {
	if d.DstPort == ch.port && d.SrcAddr == ch.init && (d.DstAddr == ch.resp || d.DstAddr == ch.alt) {
		return true, true
	}
	if d.SrcPort == ch.port && d.DstAddr == ch.init && (d.SrcAddr == ch.resp || d.SrcAddr == ch.alt) {
		return false, true
	}
	return false, false
}

// dataConn is one FTP data connection, written initiator first.
type dataConn struct {
	ch           *channel
	iAddr, rAddr netip.Addr
	iPort, rPort uint16
	first, last  int64   // capture times of the first and last packets
	lastClk      int64   // timer clock of the last packet
	span         [2]span // 0: initiator to responder, 1: responder to initiator
	packets      uint64
	rst          bool // a reset was seen
	fin          bool // a FIN was seen, either way
	over         bool // a new connection took its tuple or its channel
}

// ended reports whether c is over or closing: a FIN or a reset seen, or
// its tuple or channel taken by a new connection.
func (c *dataConn) ended() bool { return c.fin || c.rst || c.over }

// stillborn reports whether c never became a data connection: no payload
// either way, and reset or never answered by the responder's SYN-ACK.
func (c *dataConn) stillborn() bool {
	return c.span[0].bytes() == 0 && c.span[1].bytes() == 0 && (c.rst || !c.span[1].synOK)
}

// span measures the bytes one side sent from its sequence numbers
// (design 3.6: the difference of sequence numbers at the connection's
// boundaries), unwrapped to 64 bits so transfers past 4 GiB count right as
// long as consecutive packets seen are less than 2 GiB apart. Holes and
// snap-length cuts do not matter; retransmissions count once. Bytes the
// capture missed at the end (the last segments, the FIN) are known from
// the peer's ACKs, and the first byte from the peer's SYN-ACK when the
// sender's SYN was missed (RFC 9293 §3.4: its ACK is the ISN+1), as
// Wireshark's relative sequence numbers and tcp.analysis.ack_lost_segment
// take them.
type span struct {
	ok    bool
	synOK bool
	finOK bool   // the sender's FIN was seen: hi is its position
	ackOK bool   // the peer acknowledged these bytes
	base  uint64 // unwrapped sequence number of the first data byte
	hi    uint64 // unwrapped sequence number after the highest byte seen
	ack   uint64 // unwrapped highest acknowledgment number from the peer
}

// unwrap returns the 64-bit sequence number closest to ref.
func unwrap(ref uint64, seq uint32) uint64 {
	return ref + uint64(int64(int32(seq-uint32(ref))))
}

// syn records the initial sequence number: data starts at isn+1.
func (sp *span) syn(isn uint32) {
	if sp.synOK {
		return
	}
	if !sp.ok {
		sp.ok = true
		sp.base = 1<<32 + uint64(isn) + 1
		sp.hi = sp.base
	} else {
		sp.base = unwrap(sp.hi, isn+1)
		if sp.hi < sp.base {
			sp.hi = sp.base
		}
	}
	sp.synOK = true
}

// add records a segment of n payload bytes starting at seq.
func (sp *span) add(seq uint32, n uint32) {
	if !sp.ok {
		sp.ok = true
		sp.base = 1<<32 + uint64(seq)
		sp.hi = sp.base
	}
	if n == 0 {
		return // a pure ACK (or the ACK after a FIN, one beyond the data) moves nothing
	}
	u := unwrap(sp.hi, seq)
	if u < sp.base {
		if sp.synOK {
			return // before the first data byte: not this connection's data
		}
		sp.base = u // picked up late: an earlier byte came again
	}
	if e := u + uint64(n); e > sp.hi {
		sp.hi = e
	}
}

// fin records a FIN segment of n payload bytes at seq. Its end cannot lie
// before the bytes already seen, so it is unwrapped forward: with only the
// SYN and the FIN of a connection (design 3.6's boundary packets), sizes
// below 4 GiB come out exact.
func (sp *span) fin(seq uint32, n uint32) {
	sp.finOK = true
	if !sp.ok {
		sp.add(seq, n)
		return
	}
	end := seq + n
	if u := sp.hi + uint64(end-uint32(sp.hi)); u > sp.hi {
		sp.hi = u
	}
}

// acked records an acknowledgment number the peer sent for these bytes. A
// side none of whose segments was seen starts at the first one (Zeek's
// init_peer: its ISN is the first ACK - 1; the SYN-ACK's ACK is the ISN+1
// exactly), and a segment seen later before it moves the start down, as
// for a connection picked up late: a stray ACK cannot hide data.
func (sp *span) acked(a uint32) {
	if !sp.ok {
		sp.ok = true
		sp.base = 1<<32 + uint64(a)
		sp.hi = sp.base
	}
	if u := unwrap(sp.hi, a); !sp.ackOK || u > sp.ack {
		sp.ack, sp.ackOK = u, true
	}
}

// bytes returns the bytes sent, without knowing how the connection ended:
// sent(false).
func (sp *span) bytes() uint64 { return sp.sent(false) }

// sent returns the bytes sent: from the first data byte to the highest one
// seen or, beyond it, acknowledged by the peer. eof says the sender closed
// the connection after its data (RFC 959 §3.4.1: in stream mode the end
// of file is the data connection's close, so a transfer answered 2xx ended
// with the sender's FIN): a FIN not seen then took the last sequence
// number acknowledged. A FIN seen ends the data exactly.
func (sp *span) sent(eof bool) uint64 {
	if !sp.ok {
		return 0
	}
	end := sp.hi
	if sp.ackOK && !sp.finOK && sp.ack > end {
		end = sp.ack
		if eof {
			end--
		}
	}
	if end < sp.base {
		return 0
	}
	return end - sp.base
}

// Joins reports whether d, an IP fragment of a TCP segment, belongs to a
// data connection already known, without accounting it: the probe hands
// the segment to Data once reassembled, with all its bytes (a first
// fragment carries only some of them, later fragments no TCP header).
func (t *Tracker) Joins(d *dissect.Dissection) bool {
	if len(t.peers) == 0 || d.Flags&dissect.HasTCP == 0 {
		return false
	}
	if c := t.lastConn; c != nil {
		if _, ok := c.dirOf(d); ok {
			return true
		}
	}
	if !t.mayBePeer(d.SrcAddr, d.DstAddr) {
		return false
	}
	if p := t.peers[makePair(d.SrcAddr, d.DstAddr)]; p != nil {
		for _, c := range p.conns {
			if _, ok := c.dirOf(d); ok {
				return true
			}
		}
	}
	return false
}

// Data takes a TCP segment that is not in an FTP control class. When it
// belongs to a data connection announced by a followed session (or already
// established), it is accounted (bytes from sequence numbers, times) and
// Data returns the session ID and true, so the probe counts the packet as
// FTP. Otherwise it returns false; for addresses that are not FTP peers
// that costs one filter probe (design 3.6), no map lookup, no allocation.
// A packet whose TCP flags are unknown (dissect.TCPFlagsCut: a tiny first
// fragment) or whose data offset is bogus (dissect.TCPBadOffset) counts
// in a known connection's packets, not in its bytes, and opens no
// connection.
func (t *Tracker) Data(d *dissect.Dissection) (sessionID uint64, ok bool) {
	if len(t.peers) == 0 || d.Flags&dissect.HasTCP == 0 {
		return 0, false
	}
	var retry *dataConn            // a stillborn connection whose tuple a new SYN takes again
	if c := t.lastConn; c != nil { // bulk transfers: the same connection again
		if dir, ok := c.dirOf(d); ok {
			if !c.reopened(d, dir) {
				return t.account(c, d, dir), true
			}
			retry = t.detach(c)
		}
	}
	if !t.mayBePeer(d.SrcAddr, d.DstAddr) {
		return 0, false
	}
	p := t.peers[makePair(d.SrcAddr, d.DstAddr)]
	if p == nil {
		return 0, false
	}
	for _, c := range p.conns {
		if dir, ok := c.dirOf(d); ok {
			if c.reopened(d, dir) {
				retry = t.detach(c)
				break
			}
			t.lastConn = c
			return t.account(c, d, dir), true
		}
	}
	if d.Flags&dissect.TCPNoSegment != 0 {
		return 0, false // flags unknown, or a bogus data offset: it opens no connection
	}
	for _, ch := range p.exps {
		if srcInit, ok := ch.match(d); ok {
			return t.openAccount(ch, d, srcInit), true
		}
	}
	if retry == nil && d.TCPFlags&(dissect.TCPSyn|dissect.TCPAck) == dissect.TCPSyn {
		// A new attempt from another port after a refused or unanswered
		// one (SYN, RST): the channel takes it.
		for _, c := range p.conns {
			if srcInit, ok := c.ch.match(d); ok && srcInit && c.stillborn() {
				retry = t.detach(c)
				break
			}
		}
	}
	if retry != nil {
		if srcInit, ok := retry.ch.match(d); ok && srcInit && retry.ch.conn == retry {
			return t.openAccount(retry.ch, d, srcInit), true
		}
	}
	if d.TCPFlags&(dissect.TCPSyn|dissect.TCPAck|dissect.TCPRst) == dissect.TCPSyn {
		t.noteEarlySYN(d) // its announcement may follow (early.go)
	}
	return 0, false
}

// openAccount opens the data connection of ch with d and accounts d.
func (t *Tracker) openAccount(ch *channel, d *dissect.Dissection, srcInit bool) uint64 {
	c := t.open(ch, d, srcInit)
	t.lastConn = c
	dir := 0
	if !srcInit {
		dir = 1
	}
	return t.account(c, d, dir)
}

func (c *dataConn) dirOf(d *dissect.Dissection) (int, bool) {
	if d.SrcPort == c.iPort && d.DstPort == c.rPort && d.SrcAddr == c.iAddr && d.DstAddr == c.rAddr {
		return 0, true
	}
	if d.SrcPort == c.rPort && d.DstPort == c.iPort && d.SrcAddr == c.rAddr && d.DstAddr == c.iAddr {
		return 1, true
	}
	return 0, false
}

// reopened reports whether d, a segment of c's 4-tuple going in direction
// dir, opens a new connection on that tuple: a SYN (or SYN-ACK) whose
// initial sequence number is not the one c began with (RFC 9293 §3.4.1, a
// new incarnation of the tuple). It happens when the next transfer's data
// connection uses the same ports again: a server announcing one passive
// port to a client that binds the same source port, or a client giving
// the same PORT twice to a server connecting from port 20.
func (c *dataConn) reopened(d *dissect.Dissection, dir int) bool {
	if d.TCPFlags&dissect.TCPSyn == 0 {
		return false
	}
	sp := &c.span[dir]
	return sp.synOK && unwrap(sp.base, d.Seq+1) != sp.base
}

// detach stops matching packets to c, whose tuple a new connection took
// (reopened) or whose channel a new attempt takes; c stays its channel's
// connection for the transfer row. It returns c when c is stillborn (the
// new connection may then replace it in its channel), else nil.
func (t *Tracker) detach(c *dataConn) (retry *dataConn) {
	if t.lastConn == c {
		t.lastConn = nil
	}
	c.over = true
	for _, p := range c.ch.peers {
		if p != nil {
			p.conns = remove(p.conns, c)
		}
	}
	if c.stillborn() {
		return c
	}
	return nil
}

// open establishes the data connection of ch: it stops expecting and the
// connection is registered under the address pair it uses.
func (t *Tracker) open(ch *channel, d *dissect.Dissection, srcInit bool) *dataConn {
	c := &dataConn{ch: ch, first: d.Meta.TimeNs, lastClk: d.Meta.Clock()}
	if srcInit {
		c.iAddr, c.iPort, c.rAddr, c.rPort = d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort
	} else {
		c.iAddr, c.iPort, c.rAddr, c.rPort = d.DstAddr, d.DstPort, d.SrcAddr, d.SrcPort
	}
	ch.conn = c
	if ch.reused {
		t.stats.ListenerReuses++
	}
	t.linkTwin(ch, c)
	k := makePair(d.SrcAddr, d.DstAddr)
	for _, p := range ch.peers {
		if p == nil {
			continue
		}
		p.exps = remove(p.exps, ch)
		if p.key == k {
			p.conns = append(p.conns, c)
		}
	}
	t.stats.DataConns++
	return c
}

// account applies one data packet to its connection and returns the
// session ID.
func (t *Tracker) account(c *dataConn, d *dissect.Dissection, dir int) uint64 {
	if now := d.Meta.TimeNs; now > c.last {
		c.last = now
	} else if now < c.first {
		c.first = now
	}
	t.clk = d.Meta.Clock()
	c.lastClk = max(c.lastClk, t.clk)
	c.packets++
	t.stats.DataPackets++
	s := c.ch.sess
	if s.next != nil { // still in the table
		t.touch(s)
	}
	if d.Flags&dissect.TCPNoSegment != 0 {
		return s.id // a packet of the connection, but its flags or data are unknown: no segment
	}
	f := d.TCPFlags
	if f&dissect.TCPRst != 0 {
		c.rst = true
		return s.id // a reset's sequence number says nothing of the data
	}
	if f&dissect.TCPAck != 0 {
		c.span[1-dir].acked(d.Ack) // a SYN-ACK's: the initiator's ISN+1, its SYN seen or not
	}
	sp := &c.span[dir]
	seq := d.Seq
	if f&dissect.TCPSyn != 0 {
		sp.syn(seq)
		seq++
	}
	if f&dissect.TCPFin != 0 {
		c.fin = true
		sp.fin(seq, d.PayloadLen)
	} else {
		sp.add(seq, d.PayloadLen)
	}
	return s.id
}

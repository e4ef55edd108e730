package ftp

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
)

// Limits inside one session (not configurable: they bound memory against
// hostile or broken streams, and real sessions stay far below them).
const (
	maxLine    = 2048 // bytes kept of one command or reply line
	maxPending = 32   // commands waiting for their final reply
	maxChans   = 8    // announced data channels alive in one session
	maxXfers   = 256  // transfers not yet emitted in one session
	maxUser    = 256  // bytes kept of the USER argument
	oooSegs    = 16   // out-of-order control segments held per direction
	oooBytes   = 8192 // bytes of out-of-order control segments held per direction
)

// Values of the enum columns of ftp_transfers.
const (
	DirServerToClient = "server_to_client"
	DirClientToServer = "client_to_server"
	ModePassive       = "passive"
	ModeActive        = "active"
	StatusComplete    = "complete"
	StatusAborted     = "aborted"
	StatusFailed      = "failed"
	StatusIncomplete  = "incomplete"
	// StatusDataNotCaptured: the server's final reply says the transfer
	// ended (2xx), but its data connection is not in the capture: bytes,
	// throughput and the data connection's source port are unknown (0 in
	// the row, NULL in the ftp query).
	StatusDataNotCaptured = "data_not_captured"
)

// Tracker follows FTP control connections and their data connections
// (design 1.4, 3.6, 3.11; RFC 959, RFC 2428). It is not safe for concurrent
// use: the probe owns one per packet stream. All times are capture times.
type Tracker struct {
	cfg       Config
	sessions  map[connKey]*session
	lru       session // sentinel: lru.next is the most recently active session, lru.prev the least
	peers     map[pairKey]*peer
	filter    [filterSize / 64]uint64 // design 3.6 cache, first stage: slot bits of the peer pairs
	slotCount []uint32                // peer pairs per filter slot
	channels  int                     // announced channels alive (bounded by MaxExpected)
	lastConn  *dataConn               // the data connection of the last Data hit
	early     earlySYNs               // SYNs between peers that matched no channel yet (early.go)
	nextID    uint64
	ids       *uint64 // the session_id counter: &nextID, or another tracker's (ShareIDs)
	busy      *int    // counts the trackers following a peer (CountBusy); nil: none
	class     string  // the rows' class column (SetClass)
	// listeners holds the passive channels alive by announced address
	// and port, for third-party transfers (data.go, linkTwin).
	listeners map[netip.AddrPort]*channel
	done      []*session // sessions removed from the table, awaiting emission
	stats     Stats
	// ord is the capture ordinal of the packet handed now (SetOrdinal), and
	// onFlush, when set, is told the key of each session Flush emits next
	// (OnFlushSession)
	ord     uint64
	onFlush func(key uint64)
	clk     int64 // timer clock (pkt.Meta.Clock) of the packet being processed
	trow    observe.FTPTransfer
	srow    observe.FTPSession
	trace   func(ev traceEvent) // tests only
}

// SetNextID makes the next session created get session_id id+1: a run's
// first id (the probe's workers number their own from 1 and their merge
// renumbers them); ids must grow.
func (t *Tracker) SetNextID(id uint64) { *t.ids = id }

// LastID returns the highest session_id given so far (or set by
// SetNextID): a later run of the probe numbers its sessions above it.
func (t *Tracker) LastID() uint64 { return *t.ids }

// ShareIDs makes t number its sessions with the counter of other (the
// probe's first class with ftp), so that the session_ids of every class
// of a probe run are distinct: ftp_sessions rows of two classes never
// share one, and an ftp_transfers row's session_id names one session row
// (docs/tables.md: session_id is probe-unique; tcpconn.Tracker.ShareIDs
// does the same for conn_ids).
func (t *Tracker) ShareIDs(other *Tracker) { t.ids = other.ids }

// SetClass names the flow class t follows FTP for: the class column of
// every row it emits (the probe's config class name; "" until set).
func (t *Tracker) SetClass(name string) { t.class = name }

// traceEvent reports one parsed command or reply (tests only).
type traceEvent struct {
	Session uint64
	Reply   bool
	Code    int    // reply code
	Lines   int    // lines of the reply
	Verb    string // command verb, upper case
	Arg     string // command argument ("" for PASS)
	TimeNs  int64
}

// New returns a Tracker. Zero or negative fields of cfg take their
// defaults (DefaultConfig); call cfg.Validate first to reject them instead.
func New(cfg Config) *Tracker {
	t := &Tracker{
		cfg:      cfg.withDefaults(),
		sessions: make(map[connKey]*session),
		peers:    make(map[pairKey]*peer),
	}
	t.lru.next, t.lru.prev = &t.lru, &t.lru
	t.ids = &t.nextID
	return t
}

// Idle reports whether the tracker follows no FTP peer: Data and Joins
// then return false at once, without anything to do (the probe skips
// them: issue 14, ~40 instructions a TCP segment while no FTP is seen).
func (t *Tracker) Idle() bool { return len(t.peers) == 0 }

// CountBusy makes t count itself in *n while it follows an FTP peer (not
// Idle): *n goes up by one when its peer cache gains its first peer and
// down when it loses its last. Trackers given the same n make *n the
// number of those not Idle, which a probe reads for each TCP segment in
// place of asking each tracker (issue 14: ~17 instructions a segment).
// Call it before t sees a packet.
func (t *Tracker) CountBusy(n *int) { t.busy = n }

// Stats returns the counters so far.
func (t *Tracker) Stats() Stats { return t.stats }

// Len returns the number of sessions followed.
func (t *Tracker) Len() int { return len(t.sessions) }

// connKey is a TCP connection's 4-tuple in canonical order (lower address
// and port first), the same for both directions.
type connKey struct {
	a, b   netip.Addr
	pa, pb uint16
}

func makeConnKey(sa netip.Addr, sp uint16, da netip.Addr, dp uint16) connKey {
	if c := sa.Compare(da); c < 0 || (c == 0 && sp <= dp) {
		return connKey{a: sa, b: da, pa: sp, pb: dp}
	}
	return connKey{a: da, b: sa, pa: dp, pb: sp}
}

// session is one FTP control connection.
type session struct {
	id             uint64
	key            connKey
	client, server netip.Addr
	cport, sport   uint16
	first          int64 // capture time of the first control packet
	lastCtl        int64 // capture time of the last control packet
	lastAny        int64 // timer clock (pkt.Meta.Clock) of the last control or data packet: expiry
	// ord is the capture ordinal (SetOrdinal) of its last packet, or of
	// the packet that retired it once retired: Flush's order
	ord uint64

	dir       [2]stream // 0: client to server (commands), 1: server to client (replies)
	syn       [2]bool
	isn       [2]uint32
	fin       [2]bool
	rst       bool
	sent      [2]bool // each side sent a packet
	synAckAck uint32  // ACK number of the server's first SYN-ACK
	synAck    bool

	user      string
	loggedIn  bool
	sawStart  bool
	encrypted bool
	commands  uint64
	transfers uint64
	bytesDown uint64
	bytesUp   uint64
	lastReply uint16

	// reply being assembled (RFC 959 §4.2)
	multi   bool
	code    int
	lines   int
	annOK   bool
	annAddr netip.Addr
	annPort uint16

	pend     [maxPending]pending
	pendHead int
	pendN    int

	chans []*channel  // announced data channels alive
	xfers []*transfer // transfers not yet emitted, in command order
	ctl   *peer       // the control connection's address pair
	next  *session    // LRU links
	prev  *session
	// lastAnn is the latest channel announced (maybe released: its
	// fields stay readable), for reuseListener.
	lastAnn *channel
}

// closed reports whether the control connection is over as
// tcp_connections decides (tcpconn): both FINs, a RST, or a FIN from a
// side whose peer never sent anything.
func (s *session) closed() bool {
	return s.rst || (s.fin[0] && s.fin[1]) || (s.fin[0] && !s.sent[1]) || (s.fin[1] && !s.sent[0])
}

// halfOpen reports whether one side never sent anything.
func (s *session) halfOpen() bool { return !s.sent[0] || !s.sent[1] }

// reuse reports whether a SYN starts a new connection on the session's
// 4-tuple, with the rule of tcp_connections (engine/tcpconn: Zeek's
// TCPSessionAdapter::IsReuse), so that ftp_sessions and tcp_connections
// count the same control connections: a client SYN whose ISN differs from
// the client's, unless the client never sent anything or the SYN is the
// connection's own original SYN captured late (its ISN acknowledged by the
// SYN-ACK); any SYN from the server; a SYN-ACK with another ISN only while
// the client never sent anything.
func (s *session) reuse(d *dissect.Dissection, dir int) bool {
	if d.TCPFlags&dissect.TCPAck == 0 {
		if dir == 1 {
			return true
		}
		if !s.sent[0] || (!s.syn[0] && s.synAck && s.synAckAck-(d.Seq+1) < 1<<16) {
			return false
		}
		return !(s.syn[0] && d.Seq == s.isn[0])
	}
	if dir == 0 || s.sent[0] {
		return false
	}
	return s.syn[1] && d.Seq != s.isn[1]
}

// dirOf returns 0 when the packet goes from client to server, 1 otherwise.
func (s *session) dirOf(src netip.Addr, sport uint16) int {
	if sport == s.cport && src == s.client {
		return 0
	}
	return 1
}

// pending is a command waiting for its final reply.
type pending struct {
	v  verb
	x  *transfer // transfer commands
	ch *channel  // PORT / EPRT: the channel it announced
}

// transfer is one transfer command and its outcome.
type transfer struct {
	v        verb
	dir      uint8
	arg      string
	cmdNs    int64 // capture time of the command
	cmdClk   int64 // its timer clock
	ch       *channel
	prelim   int
	replied  bool
	reply    int
	replyNs  int64
	replyClk int64
}

// lastActivity is the timer clock of the transfer's latest event.
func (x *transfer) lastActivity() int64 {
	last := x.cmdClk
	if x.replied && x.replyClk > last {
		last = x.replyClk
	}
	if x.ch != nil && x.ch.conn != nil && x.ch.conn.lastClk > last {
		last = x.ch.conn.lastClk
	}
	return last
}

// Control takes one TCP segment of an FTP control connection (a packet of
// a flow class with analysis "ftp", typically port 21), in capture order.
// It reassembles each direction by sequence number, parses commands and
// replies and learns data channels. Non-TCP packets are ignored. d is only
// read during the call.
func (t *Tracker) Control(d *dissect.Dissection) {
	if d.Flags&dissect.HasTCP == 0 || d.Flags&dissect.TCPNoSegment != 0 { // flags unknown, or a bogus data offset: no segment of the stream
		return
	}
	now := d.Meta.TimeNs
	t.clk = d.Meta.Clock()
	k := makeConnKey(d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort)
	s := t.sessions[k]
	if s != nil && d.TCPFlags&dissect.TCPSyn != 0 && s.reuse(d, s.dirOf(d.SrcAddr, d.SrcPort)) {
		// a new connection on the same 4-tuple: the old one is over
		t.retire(s)
		s = nil
	}
	if s == nil {
		s = t.newSession(d, k)
	}
	t.touch(s)
	if now > s.lastCtl {
		s.lastCtl = now
	} else if now < s.first {
		s.first = now
	}
	dir := s.dirOf(d.SrcAddr, d.SrcPort)
	s.sent[dir] = true
	if d.TCPFlags&(dissect.TCPSyn|dissect.TCPAck) == dissect.TCPSyn|dissect.TCPAck && dir == 1 && !s.synAck {
		s.synAck, s.synAckAck = true, d.Ack
	}
	t.segment(s, d, dir)
}

// newSession creates the session of a control connection. The client is
// the sender of a SYN, the receiver of a SYN-ACK, else the side with the
// higher port (the server listens on 21 or another low port).
func (t *Tracker) newSession(d *dissect.Dissection, k connKey) *session {
	if len(t.sessions) >= t.cfg.MaxSessions {
		victim := t.lru.prev
		t.stats.SessionsEvicted++
		t.retire(victim)
	}
	clientIsSrc := d.SrcPort > d.DstPort
	switch d.TCPFlags & (dissect.TCPSyn | dissect.TCPAck) {
	case dissect.TCPSyn:
		clientIsSrc = true
	case dissect.TCPSyn | dissect.TCPAck:
		clientIsSrc = false
	}
	*t.ids++
	s := &session{id: *t.ids, key: k, first: d.Meta.TimeNs, lastCtl: d.Meta.TimeNs, lastAny: d.Meta.Clock(), ord: t.ord}
	if clientIsSrc {
		s.client, s.cport, s.server, s.sport = d.SrcAddr, d.SrcPort, d.DstAddr, d.DstPort
	} else {
		s.client, s.cport, s.server, s.sport = d.DstAddr, d.DstPort, d.SrcAddr, d.SrcPort
	}
	s.ctl = t.ref(makePair(s.client, s.server))
	t.sessions[k] = s
	s.next, s.prev = t.lru.next, &t.lru
	t.lru.next.prev = s
	t.lru.next = s
	t.stats.Sessions++
	return s
}

// touch records activity (the current packet's timer clock, t.clk) and
// moves s to the front of the LRU list.
func (t *Tracker) touch(s *session) {
	if t.clk > s.lastAny {
		s.lastAny = t.clk
	}
	s.ord = t.ord
	if t.lru.next == s {
		return
	}
	s.prev.next, s.next.prev = s.next, s.prev
	s.next, s.prev = t.lru.next, &t.lru
	t.lru.next.prev = s
	t.lru.next = s
}

// unlink removes s from the table and the LRU list.
func (t *Tracker) unlink(s *session) {
	delete(t.sessions, s.key)
	s.prev.next, s.next.prev = s.next, s.prev
	s.next, s.prev = nil, nil
}

// retire removes s from the table now (its channels stop matching) and
// queues its rows for the next Expire or Flush.
func (t *Tracker) retire(s *session) {
	s.ord = t.ord
	t.unlink(s)
	t.release(s)
	if len(t.done) >= t.cfg.MaxSessions {
		t.stats.TransfersLost += uint64(len(s.xfers))
		return
	}
	t.done = append(t.done, s)
}

// release frees what s holds in the shared tables (channels, peers).
func (t *Tracker) release(s *session) {
	for len(s.chans) > 0 {
		ch := s.chans[0]
		if ch.xfer == nil && ch.conn != nil {
			t.stats.UnboundData++
		}
		t.releaseChannel(ch)
	}
	if s.ctl != nil {
		t.unref(s.ctl)
		s.ctl = nil
	}
}

// segment applies one control segment to its direction's stream.
func (t *Tracker) segment(s *session, d *dissect.Dissection, dir int) {
	f := d.TCPFlags
	now := d.Meta.TimeNs
	st := &s.dir[dir]
	if f&dissect.TCPAck != 0 {
		o := &s.dir[1-dir]
		if !o.ackOK || seqLT(o.acked, d.Ack) {
			o.acked, o.ackOK = d.Ack, true
		}
		if len(o.ooo) > 0 {
			t.checkHole(s, 1-dir)
		}
	}
	if f&dissect.TCPRst != 0 {
		s.rst = true
		return
	}
	seq := d.Seq
	if f&dissect.TCPSyn != 0 {
		if !s.syn[dir] {
			s.syn[dir], s.isn[dir] = true, seq
		}
		seq++
		if !st.init {
			st.init, st.next = true, seq
		}
	}
	if f&dissect.TCPFin != 0 {
		s.fin[dir] = true
	}
	if !st.init {
		st.init, st.next = true, seq
	}
	if d.PayloadLen == 0 || s.encrypted {
		return
	}
	t.stream(s, dir, seq, d.Payload, d.PayloadLen, now)
}

// Expire emits what is finished at timer clock nowNs (the packets'
// pkt.Meta.Clock): transfers whose final reply came LingerNs ago (or idle
// for IdleTimeoutNs without one), in command order, then sessions closed
// CloseDelayNs ago, half-open for HandshakeTimeoutNs or idle for
// IdleTimeoutNs (the rules of tcp_connections), each after its transfers; it forgets announcements older
// than ExpectTimeoutNs that no data connection or command used. Rows are
// passed by pointer, valid only during the call (copy to keep). Either
// callback may be nil. Call it regularly (every second of capture time):
// a session keeps at most 256 transfers waiting for emission and drops
// the oldest beyond (Stats.TransfersLost).
func (t *Tracker) Expire(nowNs int64, emitTransfer func(*observe.FTPTransfer), emitSession func(*observe.FTPSession)) {
	t.emitDone(emitTransfer, emitSession)
	for s := t.lru.prev; s != &t.lru; {
		prev := s.prev
		t.expireChannels(s, nowNs)
		for len(s.xfers) > 0 && t.ready(s.xfers[0], nowNs) {
			x := s.xfers[0]
			copy(s.xfers, s.xfers[1:])
			s.xfers[len(s.xfers)-1] = nil
			s.xfers = s.xfers[:len(s.xfers)-1]
			t.emitTransfer(s, x, emitTransfer)
		}
		if idle := nowNs - s.lastAny; idle >= t.cfg.IdleTimeoutNs || (s.closed() && idle >= t.cfg.CloseDelayNs) ||
			(s.halfOpen() && idle >= t.cfg.HandshakeTimeoutNs) {
			t.unlink(s)
			t.emitAll(s, emitTransfer, emitSession)
		}
		s = prev
	}
}

// Flush emits every transfer and session still held, as at the end of the
// input (nowNs is the capture time of the end), and leaves the Tracker
// empty. Transfers without a final reply are reported incomplete.
//
// The sessions retired since the last Expire come first, in the order
// they were retired, then the others, least recently active first: in
// the order of the keys Flush tells OnFlushSession's function, the
// ordinal of the packet that retired the session, then 1<<63 | the
// ordinal of its last packet (SetOrdinal).
func (t *Tracker) Flush(nowNs int64, emitTransfer func(*observe.FTPTransfer), emitSession func(*observe.FTPSession)) {
	_ = nowNs
	for i, s := range t.done {
		if t.onFlush != nil {
			t.onFlush(s.ord)
		}
		t.emitAll(s, emitTransfer, emitSession)
		t.done[i] = nil
	}
	t.done = t.done[:0]
	for s := t.lru.prev; s != &t.lru; {
		prev := s.prev
		t.unlink(s)
		if t.onFlush != nil {
			t.onFlush(1<<63 | s.ord)
		}
		t.emitAll(s, emitTransfer, emitSession)
		s = prev
	}
}

// SetOrdinal tells the Tracker the capture ordinal of the packet handed
// next (Data, Control): one order for the packets of several Trackers
// (a probe's workers, each owning some sessions), Flush's keys.
func (t *Tracker) SetOrdinal(ord uint64) { t.ord = ord }

// OnFlushSession makes Flush call fn with the key of each session before
// its rows (nil: none), so that the rows of several Trackers flushed
// together can be merged in the order one Tracker of all their sessions
// would write them (a Workers run: engine/probe order.go).
func (t *Tracker) OnFlushSession(fn func(key uint64)) { t.onFlush = fn }

func (t *Tracker) emitDone(emitTransfer func(*observe.FTPTransfer), emitSession func(*observe.FTPSession)) {
	for i, s := range t.done {
		t.emitAll(s, emitTransfer, emitSession)
		t.done[i] = nil
	}
	t.done = t.done[:0]
}

// ready reports whether the transfer x can be emitted. A transfer
// answered 1xx-2xx whose data connection is open (answered, no FIN, no
// reset, its tuple not taken again) waits for it, up to IdleTimeoutNs
// without a packet: the server may send its 226 as soon as the data are
// in its socket buffer, before they have left (a slow or lossy link:
// seconds of retransmission timeouts).
func (t *Tracker) ready(x *transfer, now int64) bool {
	idle := now - x.lastActivity()
	if x.replied && (x.reply >= 300 || x.ch == nil || x.ch.conn == nil || x.ch.conn.ended() || x.ch.conn.stillborn()) {
		return idle >= t.cfg.LingerNs
	}
	return idle >= t.cfg.IdleTimeoutNs
}

// expireChannels forgets the channels of s that no transfer claimed.
func (t *Tracker) expireChannels(s *session, now int64) {
	for i := 0; i < len(s.chans); {
		ch := s.chans[i]
		if ch.xfer == nil {
			if ch.conn == nil && now-ch.created >= t.cfg.ExpectTimeoutNs {
				t.stats.ExpectExpired++
				t.releaseChannel(ch)
				continue
			}
			if ch.conn != nil && now-ch.conn.last >= t.cfg.ExpectTimeoutNs {
				t.stats.UnboundData++
				t.releaseChannel(ch)
				continue
			}
		}
		i++
	}
}

// emitAll emits the remaining transfers of s, then s, which has already
// been removed from the table.
func (t *Tracker) emitAll(s *session, emitTransfer func(*observe.FTPTransfer), emitSession func(*observe.FTPSession)) {
	t.flushStreams(s)
	for i, x := range s.xfers {
		t.emitTransfer(s, x, emitTransfer)
		s.xfers[i] = nil
	}
	s.xfers = s.xfers[:0]
	t.release(s)
	r := &t.srow
	*r = observe.FTPSession{
		Class:      t.class,
		SessionID:  s.id,
		ClientAddr: addrString(s.client),
		ClientPort: s.cport,
		ServerAddr: addrString(s.server),
		ServerPort: s.sport,
		StartTime:  s.first,
		EndTime:    s.lastCtl,
		DurationS:  float64(s.lastCtl-s.first) / 1e9,
		User:       s.user,
		LoggedIn:   s.loggedIn,
		Commands:   s.commands,
		Transfers:  s.transfers,
		BytesDown:  s.bytesDown,
		BytesUp:    s.bytesUp,
		LastReply:  s.lastReply,
		SawStart:   s.sawStart,
	}
	if emitSession != nil {
		emitSession(r)
	}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// emitTransfer builds the row of x (RFC 959 §4.2 reply codes decide the
// status) and frees its channel.
func (t *Tracker) emitTransfer(s *session, x *transfer, emit func(*observe.FTPTransfer)) {
	r := &t.trow
	*r = observe.FTPTransfer{
		Class:     t.class,
		SessionID: s.id,
		Command:   x.v.String(),
		FileName:  x.arg,
		Direction: DirServerToClient,
		StartTime: x.cmdNs,
		EndTime:   x.cmdNs,
	}
	if x.dir == dirUp {
		r.Direction = DirClientToServer
	}
	var c *dataConn
	if ch := x.ch; ch != nil && ch.reused && ch.conn == nil {
		t.releaseChannel(ch) // a listener taken again that saw no connection: no data channel to show
	} else if ch != nil {
		r.DataMode = ModePassive
		if ch.active {
			r.DataMode = ModeActive
		}
		r.ModeCommand = ch.modeCmd
		c = ch.conn
		if c != nil {
			r.DataSrcAddr, r.DataSrcPort = addrString(c.iAddr), c.iPort
			r.DataDstAddr, r.DataDstPort = addrString(c.rAddr), c.rPort
			r.StartTime, r.EndTime = c.first, c.last
			// The data flow from the server is the initiator's in active
			// mode, the responder's in passive mode.
			// A transfer answered 2xx ended with the sender's FIN (RFC 959
			// §3.4.1: end of file is the connection's close).
			senderIsInitiator := (x.dir == dirDown) == ch.active
			eof := x.replied && x.reply >= 200 && x.reply < 300
			if senderIsInitiator {
				r.Bytes = c.span[0].sent(eof)
			} else {
				r.Bytes = c.span[1].sent(eof)
			}
		} else {
			r.DataSrcAddr = addrString(ch.init)
			r.DataDstAddr, r.DataDstPort = addrString(ch.resp), ch.port
		}
		t.releaseChannel(ch)
	}
	if x.replied && x.replyNs > r.EndTime {
		r.EndTime = x.replyNs
	}
	if r.EndTime < r.StartTime {
		r.EndTime = r.StartTime
	}
	r.DurationS = float64(r.EndTime-r.StartTime) / 1e9
	if r.DurationS > 0 {
		r.ThroughputMbps = float64(r.Bytes) * 8 / r.DurationS / 1e6
	}
	r.Status = StatusIncomplete
	if x.replied {
		r.ReplyCode = uint16(x.reply)
		switch {
		case x.reply == 426:
			r.Status = StatusAborted
		case x.reply >= 400:
			r.Status = StatusFailed
		case x.reply >= 200 && x.reply < 300 && c != nil:
			r.Status = StatusComplete
		case x.reply >= 200 && x.reply < 300:
			r.Status = StatusDataNotCaptured
		}
	}
	if x.dir == dirUp {
		s.bytesUp += r.Bytes
	} else {
		s.bytesDown += r.Bytes
	}
	t.stats.Transfers++
	if emit != nil {
		emit(r)
	}
}

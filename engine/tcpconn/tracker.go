package tcpconn

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Emit receives one finished row of tcp_connections and the index of the
// capture interface (pkt.Meta.Iface) the connection was seen on, which the
// collector turns into the interface name. The row is owned by the Tracker
// and valid only during the call: copy it to keep it.
type Emit func(iface uint16, r *observe.TCPConnection)

// Stats counts what a Tracker did since it was created. The probe turns
// deltas into events (design 3.13).
type Stats struct {
	Packets         uint64 // TCP segments analysed
	NotTCP          uint64 // packets ignored: no TCP header decoded, one cut before its flags or one of a bogus data offset (dissect.TCPNoSegment)
	BoundarySkipped uint64 // boundary-only segments without SYN/FIN/RST, ignored
	Created         uint64 // connections created
	Finished        uint64 // connections finished (all reasons): a row each, or, half-open while the table evicts, a count in the probe's tcp_s0_aggregated events
	Closed          uint64 // ... after FIN/RST and the close delay
	Expired         uint64 // ... after the idle or handshake timeout
	Evicted         uint64 // ... early, to make room in a full table
	Flushed         uint64 // ... by Flush, still open
	PortReuses      uint64 // new SYN on a known 4-tuple: previous connection ended
	Dropped         uint64 // rows lost because MaxPending rows were waiting
	HistoryCut      uint64 // rows whose history had more than 48 letters (cut)
	HolesGivenUp    uint64 // sequence holes given up unacknowledged, 64 being open in one direction (seq.go maxHoles): their bytes count as missing even if filled later
}

// Expiry lists: each is ordered by last activity and has one timeout.
const (
	listClosing = iota
	listHandshake
	listActive
	nLists
)

// pending is a row finished inside Packet, waiting for Expire or Flush.
type pending struct {
	iface uint16
	row   observe.TCPConnection
	addrs [2]netip.Addr // the row's client and server address (conn.fill)
}

// Tracker follows TCP connections (analysis "tcp"). It is not safe for
// concurrent use. Memory is bounded by Config.MaxConns connections and
// Config.MaxPending waiting rows; packets of known connections do not
// allocate.
type Tracker struct {
	cfg   Config
	index connIndex // index.go
	// conns holds the connections in pages of connPage (the last one
	// cut at MaxConns): connection i is conns[i/connPage][i%connPage];
	// the first made slots have been used. A new page leaves the others where
	// they are: a growing table copies no connection (issue 14: the
	// slice that doubled copied its connections, 888 bytes each, into
	// fresh memory: half of create's time in the 5M corpus's profile).
	conns [][]conn
	made  int32
	// chunk is the rest of the memory the next pages are cut from:
	// connChunk pages allocated at once (at most what MaxConns leaves),
	// advised into transparent huge pages (flow.HugePages); chunks keeps
	// every chunk, to take the advice back on Release.
	chunk   []conn
	chunks  [][]conn
	free    []int32
	head    [nLists]int32
	tail    [nLists]int32
	live    int
	nextID  uint64
	ids     *uint64 // the conn_id counter: &nextID, or another tracker's (ShareIDs)
	pending []pending
	due     []int32 // Expire's
	row     observe.TCPConnection
	arena   pdu.Arena // the rows' strings and nullable values
	// cur is the row being passed to an emit (nil between emits), whose
	// client and server addresses are curAddrs (AppendConn)
	cur      *observe.TCPConnection
	curAddrs [2]netip.Addr
	stats    Stats
}

// SetNextID makes the next connection created get conn_id id+1: a run's
// first id (the probe's workers number their own from 1 and their merge
// renumbers them); ids must grow.
func (t *Tracker) SetNextID(id uint64) { *t.ids = id }

// LastID returns the highest conn_id given so far (or set by SetNextID):
// a later run of the probe numbers its connections above it.
func (t *Tracker) LastID() uint64 { return *t.ids }

// ShareIDs makes t number its connections with the counter of other (the
// probe's first class with tcp), so that the conn_ids of every class of a
// probe run are distinct: tcp_connections rows of two classes never share
// one (docs/tables.md: conn_id is probe-unique, as a Zeek uid is unique in
// its log).
func (t *Tracker) ShareIDs(other *Tracker) { t.ids = other.ids }

// New returns a Tracker. cfg should have passed Validate; out-of-range
// values are replaced by the defaults.
func New(cfg Config) *Tracker {
	config.FillDefaults(&cfg, DefaultConfig())
	t := &Tracker{cfg: cfg, index: newConnIndex()}
	t.ids = &t.nextID
	for i := range t.head {
		t.head[i], t.tail[i] = -1, -1
	}
	return t
}

// Stats returns the counters so far.
func (t *Tracker) Stats() Stats { return t.stats }

// Len returns the number of connections being followed.
func (t *Tracker) Len() int { return t.live }

// Release frees the connection table once Flush has emitted every
// connection, keeping the counters (Stats, Len): a probe that closes
// hands the memory back before its final flow reports (issue 14: the
// end of the run is the peak of the heap). Only Stats, Len and Pending
// may be called afterwards.
func (t *Tracker) Release() {
	for _, c := range t.chunks {
		flow.SmallPages(c)
	}
	flow.SmallPages(t.index.slots)
	t.index, t.conns, t.made, t.free, t.pending = connIndex{}, nil, 0, nil, nil
	t.chunk, t.chunks = nil, nil
}

// Packet analyses one TCP segment (d.Has(dissect.HasTCP), its flags
// known and its data offset sound: not dissect.TCPNoSegment, as Zeek
// takes no segment of a bad header length; other packets are counted in
// Stats.NotTCP and ignored). class names the flow class the
// connection is reported under; it is taken from the connection's first
// packet. With boundaryOnly (design 3.6) only SYN, FIN and RST segments are
// analysed (others are counted in Stats.BoundarySkipped), and a connection
// created so stays boundary-only. Call Packet once per packet, in capture
// order; fragments must be reassembled first.
func (t *Tracker) Packet(d *dissect.Dissection, class string, boundaryOnly bool) {
	var hint Hint
	t.packet(d, class, boundaryOnly, &hint)
}

// Hint is a connection handle a caller keeps beside its own record of the
// packet's flow (flow.Flow.TCP), so that the packets of a known
// connection skip the tracker's connection index (issue 14: one flow
// lookup per packet). The zero Hint names nothing. A hint is only a
// guess: PacketHint checks that it still names the current connection of
// the packet's 4-tuple and looks the index up when it does not (a flow
// coarser than a connection, a connection ended or replaced by port
// reuse), so a stale or foreign hint never changes a row.
type Hint int32

// PacketHint is Packet for a packet whose flow record keeps *hint: it
// tries the connection *hint names first and leaves in *hint the
// connection that took the packet.
func (t *Tracker) PacketHint(d *dissect.Dissection, class string, boundaryOnly bool, hint *Hint) {
	t.packet(d, class, boundaryOnly, hint)
}

// packet is Packet, returning the segment's tcp.analysis class.
func (t *Tracker) packet(d *dissect.Dissection, class string, boundaryOnly bool, hint *Hint) segKind {
	if d.Flags&dissect.HasTCP == 0 || d.Flags&dissect.TCPNoSegment != 0 {
		t.stats.NotTCP++
		return segNone
	}
	fl := d.TCPFlags
	if boundaryOnly && fl&(flagSYN|flagFIN|flagRST) == 0 {
		t.stats.BoundarySkipped++
		return segNone
	}
	t.stats.Packets++
	// A live connection is the index's entry of its key: create runs only
	// when the key has none (absent, or released by finishPending). The
	// hint's check tells who sent the segment; an index lookup leaves it
	// to fromClient.
	var c *conn
	orig := false
	i := int32(*hint) - 1
	if i >= 0 && i < t.made {
		c = t.conn(i)
		if e := c.k.sender(d); c.live && e != 0 {
			orig = (e == 1) == c.cliA
		} else {
			c = nil
		}
	}
	if c == nil {
		k := makeKey(d)
		if j, ok := t.lookup(&k); ok {
			i, c = j, t.conn(j)
			orig = c.fromClient(d)
		}
	}
	if c != nil && fl&flagSYN != 0 && c.reuse(d, orig) {
		t.stats.PortReuses++
		t.finishPending(i)
		c = nil
	}
	if c == nil {
		i = t.create(makeKey(d), d, class, boundaryOnly) // a new connection: the key once more
		c = t.conn(i)
		orig = c.fromClient(d)
	}
	*hint = Hint(i + 1)
	kind := c.packet(d, orig)
	if l := c.listOf(); c.list != l || t.tail[l] != i {
		t.relink(c, i, l) // not at the tail of its list: the packet before was another connection's
	}
	return kind
}

// reuse reports whether a SYN starts a new connection on c's 4-tuple, as
// Zeek's TCPSessionAdapter::IsReuse decides: a SYN whose sequence number
// differs from the initial one of its side, unless that side never sent
// anything yet; a SYN-ACK only when the client never sent anything (and
// the server's ISN changed). On a connection that saw a RST, every SYN
// does, whatever its sequence number (Zeek's IsClosed branch): the RST
// ended the connection at both ends (RFC 9293 §3.10.7.3, SYN-SENT: the
// connection is refused and its TCB deleted), so a SYN sent again after
// the server's RST, with the same ISN, is a new attempt with a row of its
// own (Zeek logs one REJ per attempt; tshark calls it a retransmission). A
// SYN with the same ISN after a FIN exchange stays in the connection: an
// old duplicate that TIME-WAIT absorbs (RFC 9293 §3.6.1), or a repeated
// section of the capture (where Zeek would start another row). A client
// SYN whose ISN the connection's SYN-ACK acknowledged is the connection's
// own original SYN captured late (arkime#4019), never reuse.
func (c *conn) reuse(d *dissect.Dissection, fromClient bool) bool {
	reset := c.s[0].rst || c.s[1].rst
	if d.TCPFlags&flagACK == 0 { // SYN
		if !fromClient {
			return reset || !(c.z[1].state == stInactive && c.z[0].state == stSynAckSent)
		}
		if !c.s[0].sawSYN && c.synAckAcks(d.Seq) {
			return false
		}
		if reset {
			return true
		}
		if c.z[0].state == stInactive {
			return false
		}
		return !(c.s[0].sawSYN && d.Seq == c.s[0].base)
	}
	// SYN-ACK
	if fromClient || c.z[0].state != stInactive {
		return false
	}
	return reset || (c.s[1].sawSYN && d.Seq != c.s[1].base)
}

// create makes room if needed and starts a connection for d.
func (t *Tracker) create(k key, d *dissect.Dissection, class string, boundaryOnly bool) int32 {
	if t.live >= t.cfg.MaxConns {
		for l := range t.head {
			if t.head[l] >= 0 {
				t.stats.Evicted++
				t.finishPending(t.head[l])
				break
			}
		}
	}
	var i int32
	if n := len(t.free); n > 0 {
		i = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		if int(t.made) == len(t.conns)*connPage {
			// Never past MaxConns: a full table holds exactly
			// MaxConns connections (the memory budget).
			t.conns = append(t.conns, t.page(max(min(connPage, t.cfg.MaxConns-int(t.made)), 1)))
		}
		i = t.made
		t.made++
	}
	*t.ids++
	c := t.conn(i)
	c.init(k, *t.ids, d, class, boundaryOnly)
	c.list = nLists // not linked yet
	t.indexAs(&k, i)
	t.live++
	t.stats.Created++
	return i
}

// listOf returns the expiry list a connection belongs to now.
func (c *conn) listOf() uint8 {
	if c.finished() {
		return listClosing
	}
	if c.halfOpen() {
		return listHandshake
	}
	return listActive
}

func (t *Tracker) timeout(l uint8) int64 {
	switch l {
	case listClosing:
		return t.cfg.CloseDelayNs
	case listHandshake:
		return t.cfg.HandshakeTimeoutNs
	}
	return t.cfg.IdleTimeoutNs
}

// connPage is the number of connections per page of Tracker.conns.
const connPage = 128

// connChunk is the most pages allocated at once: 64 pages of 128
// connections of 832 bytes, 6.5 MiB, whose whole 2 MiB pages (at least
// three) are advised into transparent huge pages. The chunks grow from one
// page, doubling (1, 2, 4 ... 64 pages): a table of few connections (a
// class that sees few, each of several workers) is not given 6.5 MiB it
// does not use, which the heap counts all the same (with 2 workers the
// 5M corpus's live heap outgrew bench's memory limit: peak RSS 284 MiB
// against 187 with one page at a time, 192 with the doubling). A connection's first
// write to a fresh 4 KiB page faulted (issue 14: ~12 ns a packet of the
// 5M corpus, its 54 k connections in 11 k pages); see flow.HugePages.
// Making 420 pages (54 k connections) took 13.7 k page faults, 5.4 k
// with the advice (getrusage; 36 of their 47 MB in huge pages).
const connChunk = 1 << connChunkShift

// connChunkShift is log2(connChunk).
const connChunkShift = 6

// page returns a new page of n connections (n <= connPage), cut from the
// current chunk, or from a new one when it has less than n left: twice
// the pages of the previous chunk up to connChunk, or fewer when MaxConns
// leaves fewer connections to make.
func (t *Tracker) page(n int) []conn {
	if len(t.chunk) < n {
		pages := 1 << min(len(t.chunks), connChunkShift) // 1, 2, 4 ... connChunk pages: a small table stays small
		size := max(min(pages*connPage, t.cfg.MaxConns-int(t.made)), n)
		t.chunk = make([]conn, size)
		flow.HugePages(t.chunk)
		t.chunks = append(t.chunks, t.chunk)
	}
	p := t.chunk[:n:n]
	flow.Populate(p) // its connections are made one after the other: one call, not a page fault per 4 KiB (memory resident ahead: this page)
	t.chunk = t.chunk[n:]
	return p
}

// conn returns connection i (i >= 0). Unsigned, i/connPage and
// i%connPage are a shift and a mask, without a signed division's fix-up.
func (t *Tracker) conn(i int32) *conn {
	u := uint32(i)
	return &t.conns[u/connPage][u%connPage]
}

func (t *Tracker) unlink(c *conn) {
	if c.list >= nLists {
		return
	}
	if c.prev >= 0 {
		t.conn(c.prev).next = c.next
	} else {
		t.head[c.list] = c.next
	}
	if c.next >= 0 {
		t.conn(c.next).prev = c.prev
	} else {
		t.tail[c.list] = c.prev
	}
	c.prev, c.next, c.list = -1, -1, nLists
}

// relink moves connection i (c) to the tail of list l, the list of its
// current state. Tracker.packet checks inline that it is not there
// already (issue 14: the call and listOf's were ~20 instructions a
// segment).
func (t *Tracker) relink(c *conn, i int32, l uint8) {
	t.unlink(c)
	c.list, c.prev, c.next = l, t.tail[l], -1
	if c.prev >= 0 {
		t.conn(c.prev).next = i
	} else {
		t.head[l] = i
	}
	t.tail[l] = i
}

// release forgets connection i and frees its slot.
func (t *Tracker) release(i int32) {
	c := t.conn(i)
	t.unlink(c)
	t.unindex(&c.k, i)
	c.clear()
	t.free = append(t.free, i)
	t.live--
}

// finishPending ends connection i now and queues its row for the next
// Expire or Flush call.
func (t *Tracker) finishPending(i int32) {
	c := t.conn(i)
	if len(t.pending) >= t.cfg.MaxPending {
		t.stats.Dropped++
	} else {
		t.pending = append(t.pending, pending{iface: c.k.iface})
		p := &t.pending[len(t.pending)-1]
		t.fillRow(c, &p.row, &p.addrs)
		t.stats.Finished++
	}
	t.release(i)
}

func (t *Tracker) fillRow(c *conn, r *observe.TCPConnection, addrs *[2]netip.Addr) {
	c.fill(r, &t.arena, addrs)
	t.stats.HolesGivenUp += c.s[0].givenUp + c.s[1].givenUp
	if c.hist.lost {
		t.stats.HistoryCut++
	}
}

// emit reports connection i through fn and forgets it.
func (t *Tracker) emit(i int32, fn Emit) {
	c := t.conn(i)
	t.fillRow(c, &t.row, &t.curAddrs)
	t.stats.Finished++
	iface := c.k.iface
	t.release(i)
	t.cur = &t.row
	fn(iface, &t.row)
	t.cur = nil
}

// Pending returns the rows finished inside Packet (port reuse, eviction)
// waiting for Expire, Flush or DrainPending.
func (t *Tracker) Pending() int { return len(t.pending) }

// DrainPending reports the rows finished inside Packet now: a caller
// that sees them pile up (a flood evicting connections) drains them
// before MaxPending is reached, so none is dropped.
func (t *Tracker) DrainPending(fn Emit) { t.drainPending(fn) }

func (t *Tracker) drainPending(fn Emit) {
	for j := range t.pending {
		t.emitPending(j, fn)
	}
	t.pending = t.pending[:0]
}

// emitPending reports pending row j through fn and clears it.
func (t *Tracker) emitPending(j int, fn Emit) {
	p := &t.pending[j]
	t.cur, t.curAddrs = &p.row, p.addrs
	fn(p.iface, &p.row)
	t.cur = nil
	t.pending[j] = pending{}
}

// Expire reports the rows finished inside Packet (port reuse, eviction),
// then every connection whose timeout passed at timer clock nowNs (the
// packets' pkt.Meta.Clock, Unix ns): closing connections CloseDelayNs
// after their last packet, half-open ones after HandshakeTimeoutNs,
// others after IdleTimeoutNs.
//
// The rows go in ConnID order, those finished inside Packet among the
// others: the probe's workers each report their own connections, and
// their merge takes the rows of one timer in that order (the rows of a
// lone probe's timer in the same order, so that its PDUs are the same
// bytes: engine/probe order.go).
func (t *Tracker) Expire(nowNs int64, fn Emit) {
	due := t.due[:0]
	for l := uint8(0); l < nLists; l++ {
		to := t.timeout(l)
		for i := t.head[l]; i >= 0; i = t.conn(i).next {
			if nowNs-t.conn(i).activeNs < to {
				break
			}
			if l == listClosing {
				t.stats.Closed++
			} else {
				t.stats.Expired++
			}
			due = append(due, i)
		}
	}
	t.emitByID(due, fn)
	t.due = due[:0]
}

// emitByID reports the pending rows and connections due (forgotten) in
// ConnID order.
func (t *Tracker) emitByID(due []int32, fn Emit) {
	if len(due) > 1 {
		slices.SortFunc(due, func(a, b int32) int { return cmp.Compare(t.conn(a).id, t.conn(b).id) })
	}
	if len(t.pending) > 1 {
		slices.SortFunc(t.pending, func(a, b pending) int { return cmp.Compare(a.row.ConnID, b.row.ConnID) })
	}
	j := 0
	for _, i := range due {
		for ; j < len(t.pending) && t.pending[j].row.ConnID < t.conn(i).id; j++ {
			t.emitPending(j, fn)
		}
		t.emit(i, fn)
	}
	for ; j < len(t.pending); j++ {
		t.emitPending(j, fn)
	}
	t.pending = t.pending[:0]
}

// Flush reports every waiting row and every connection still followed, in
// ConnID order (the waiting rows among the others), at the end of input (capture time nowNs, Unix ns). Open
// connections are reported with their current state (S0, S1, OTH, ...);
// each row's end_time stays its last packet's time.
func (t *Tracker) Flush(nowNs int64, fn Emit) {
	_ = nowNs // rows end at their last packet, not at the end of input
	ids := make([]int32, 0, t.live)
	for i := range t.made {
		if c := t.conn(i); c.live {
			ids = append(ids, i)
			if c.finished() {
				t.stats.Closed++
			} else {
				t.stats.Flushed++
			}
		}
	}
	t.emitByID(ids, fn) // the pending rows among them (Expire)
}

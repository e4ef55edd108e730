package probe

import (
	"encoding/binary"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Dense ids in a Workers run (issue 14).
//
// A worker numbers its flows, TCP connections and FTP sessions 1, 2,
// 3... in order of creation, as a lone probe does (its classes' trackers
// share one counter of each); these local ids say nothing of the other
// workers'. The worker notes what it created, as segments of local
// ids (idSeg), in its recorder before the work item's records (an opIDs
// op); the merge, which replays the workers' records in capture order of
// the packets that caused them, numbers each segment densely from
// Identity.IDBase in that order (renum.assign), the order a lone probe
// creates them in, and writes the dense id in place of every local one
// the records carry (pdu.Enc.ID marks where): flow ids, conn_ids and
// session_ids equal a lone probe's (TestWorkersSameRows compares them).
// Before, every id was numbered from the capture ordinal of the packet
// (ids the same for any number of workers but sparse): the collector's
// flow store went sparse, its decode and drain 0.60 + 0.37 s of CPU
// against 0.26 + 0.06 s with one worker on the 5 M corpus.
//
// A worker's local ids map to dense ones through pages of idPageIDs ids
// per kind (idPages: an index, no hashing: the ids grow). An id is forgotten idGrace after the
// record that ends it (a flow's last update, a connection's or a
// session's row): RTT histograms, unanswered requests and one-way
// observations still waiting in an encoder name a flow after it ended,
// within an interval, the rtt timeout and the PDU build time; a page
// whose ids are all forgotten is reused.

// idSeg is n ids created by worker w, from lo+1 onwards, of kind segFlow,
// segConn or segSession (pdu.IDKind's values), at capture ordinal key
// (the packet the creation is counted for: a held fragment's own,
// shard.setIDs).
type idSeg struct {
	kind uint16
	w    uint16
	n    uint32
	lo   uint64
	key  uint64
}

// Kinds of idSeg.
const (
	segFlow    = 0
	segConn    = 1
	segSession = 2
)

// idEnd is an id of worker w to forget at capture time atNs.
type idEnd struct {
	atNs int64
	kind pdu.IDKind
	w    uint16
	id   uint64
}

// renum maps the workers' ids to dense ones.
type renum struct {
	pages  [][3]idPages // per worker: flows, connections, sessions
	next   [3]uint64    // the last flow id, conn_id and session_id given
	ends   []idEnd      // oldest first, from head
	head   int
	grace  int64
	segs   []idSeg // renum.prescan's
	misses uint64  // ids not found (a fault: none expected): the ids_not_renumbered event (Workers.final)
	// forgot counts the ids forgotten (expire): bookkeeping of the pages,
	// not an observation, read by TestRenumGraceHolds; not in a table,
	// whose rows a lone probe (no pages) must write the same
	forgot uint64
}

// newRenum returns a renum of n workers numbering above base,
// forgetting an ended id graceNs of capture time after its end.
func newRenum(n int, base uint64, graceNs int64) *renum {
	return &renum{pages: make([][3]idPages, n), next: [3]uint64{base, base, base}, grace: graceNs}
}

// assign numbers the ids of segs, in order.
func (rn *renum) assign(segs []idSeg) {
	for _, s := range segs {
		ps, next := &rn.pages[s.w][s.kind], &rn.next[s.kind]
		for k := range uint64(s.n) {
			*next++
			if !ps.set(s.lo+1+k, *next) {
				rn.misses++
			}
		}
	}
}

// last returns the highest id given (the base when none).
func (rn *renum) last() uint64 {
	return max(rn.next[0], rn.next[1], rn.next[2])
}

// dense returns the dense id of worker w's id v of kind k.
func (rn *renum) dense(w int, k pdu.IDKind, v uint64) (uint64, bool) {
	return rn.pages[w][k].get(v)
}

// rewrite appends record b of type t, published by worker w at nowNs,
// to dst with the dense id in place of each local one marks locate, and
// notes the ids the record ends.
func (rn *renum) rewrite(w int, t pdu.Type, b []byte, marks []pdu.IDMark, dst *pdu.Enc, nowNs int64) {
	pos := 0
	for _, mk := range marks {
		dst.B = append(dst.B, b[pos:mk.Off]...)
		v, n := binary.Uvarint(b[mk.Off:])
		d, ok := rn.dense(w, mk.Kind, v)
		if !ok {
			rn.misses++
			d = v
		}
		dst.B = binary.AppendUvarint(dst.B, d)
		pos = int(mk.Off) + n
		if ends(t, b, mk.Kind) {
			rn.ends = append(rn.ends, idEnd{atNs: nowNs + rn.grace, kind: mk.Kind, w: uint16(w), id: v})
		}
	}
	dst.B = append(dst.B, b[pos:]...)
}

// ends reports whether record b of type t ends the id of kind k it
// carries: a flow's last update (pdu.FlowUpdate.Ended, its last byte), a
// connection's row, a session's row.
func ends(t pdu.Type, b []byte, k pdu.IDKind) bool {
	switch t {
	case pdu.TypeFlowUpdate:
		return k == pdu.IDFlow && b[len(b)-1] != 0
	case pdu.TypeTCPConn:
		return k == pdu.IDConn
	case pdu.TypeFTPSession:
		return k == pdu.IDSession
	}
	return false
}

// expire forgets the ids ended before nowNs minus the grace.
func (rn *renum) expire(nowNs int64) {
	for rn.head < len(rn.ends) && rn.ends[rn.head].atNs < nowNs {
		e := &rn.ends[rn.head]
		rn.pages[e.w][e.kind].forget(e.id)
		rn.head++
		rn.forgot++
	}
	if rn.head > 1024 && rn.head > len(rn.ends)/2 {
		n := copy(rn.ends, rn.ends[rn.head:])
		rn.ends, rn.head = rn.ends[:n], 0
	}
}

// prescan numbers the ids the workers created in work item item
// (their opIDs ops from idx on): when more than one worker created some
// (fragments held without their first fragment, released by a timer:
// counted at their own ordinals, idSeg.key), in order of key, as a lone
// probe's timer releases them in order of their expiry.
func (rn *renum) prescan(outs []workOut, idx []int, item uint64) {
	rn.segs = rn.segs[:0]
	from := 0
	for i := range outs {
		r := &outs[i].rec
		var key uint64 // a worker's keys made non-decreasing: the sort keeps its own order
		for j := idx[i]; j < r.len(); j++ {
			op := r.op(j)
			if itemOf(op.ord) != item {
				break
			}
			if op.op == opIDs {
				for _, sg := range r.segs[op.off:op.end] {
					key = max(key, sg.key)
					sg.key = key
					rn.segs = append(rn.segs, sg)
				}
			}
		}
		if from == 0 && len(rn.segs) > 0 {
			from = len(rn.segs)
		}
	}
	if from < len(rn.segs) { // more than one worker
		slices.SortStableFunc(rn.segs, func(a, b idSeg) int {
			if a.kind != b.kind {
				return int(a.kind) - int(b.kind)
			}
			if a.key < b.key {
				return -1
			}
			if a.key > b.key {
				return 1
			}
			return 0
		})
	}
	rn.assign(rn.segs)
}

// idPageIDs is the number of ids in a page of idPages.
const idPageIDs = 1024

// idPages maps one worker's local ids of one kind (1, 2, 3... in order
// of creation) to dense ones: pages of idPageIDs ids, the first being
// page number first (ids first*idPageIDs+1 onwards); a page whose ids
// are all forgotten goes back to free once the ids after it are given.
type idPages struct {
	first uint64
	pages []*idPage
	free  []*idPage
	top   uint64 // the highest local id set
}

// idPage holds the dense ids of idPageIDs local ids (0: none), and how
// many are set.
type idPage struct {
	dense [idPageIDs]uint64
	live  int
}

// set gives local id id the dense id d; it reports false, setting
// nothing, for an id below the pages (a worker gives its ids in order:
// none expected).
func (ps *idPages) set(id, d uint64) bool {
	if len(ps.pages) == 0 {
		ps.first = (id - 1) / idPageIDs
	}
	if id == 0 || (id-1)/idPageIDs < ps.first {
		return false
	}
	i := (id-1)/idPageIDs - ps.first
	for uint64(len(ps.pages)) <= i {
		var p *idPage
		if n := len(ps.free); n > 0 {
			p, ps.free = ps.free[n-1], ps.free[:n-1]
		} else {
			p = &idPage{}
		}
		ps.pages = append(ps.pages, p)
	}
	p := ps.pages[i]
	p.dense[(id-1)%idPageIDs] = d
	p.live++
	ps.top = max(ps.top, id)
	return true
}

// page returns the page of local id id, or nil.
func (ps *idPages) page(id uint64) *idPage {
	if id == 0 || (id-1)/idPageIDs < ps.first {
		return nil
	}
	i := (id-1)/idPageIDs - ps.first
	if i >= uint64(len(ps.pages)) {
		return nil
	}
	return ps.pages[i]
}

// get returns local id id's dense id.
func (ps *idPages) get(id uint64) (uint64, bool) {
	p := ps.page(id)
	if p == nil {
		return 0, false
	}
	d := p.dense[(id-1)%idPageIDs]
	return d, d != 0
}

// forget forgets local id id; its page goes back to free when all its
// ids are, and no id is to be set in it any more.
func (ps *idPages) forget(id uint64) {
	p := ps.page(id)
	if p == nil || p.dense[(id-1)%idPageIDs] == 0 {
		return
	}
	p.dense[(id-1)%idPageIDs] = 0
	p.live--
	if p.live > 0 || ps.top < ((id-1)/idPageIDs+1)*idPageIDs {
		return
	}
	ps.pages[(id-1)/idPageIDs-ps.first] = nil
	ps.free = append(ps.free, p)
	for len(ps.pages) > 0 && ps.pages[0] == nil {
		ps.pages = ps.pages[1:]
		ps.first++
	}
}

// renumbering is the Publisher of worker w whose records go straight to
// the senders (its end of run, Workers.Close; its definitions again for a
// restarted collector): it renumbers each record's ids as the merge does,
// after numbering what the worker created.
type renumbering struct {
	out pdu.Publisher
	rn  *renum
	p   *Probe
	w   int
	enc pdu.Enc
}

var _ pdu.Publisher = (*renumbering)(nil)

// Begin returns the scratch encoder for one record.
func (r *renumbering) Begin(t pdu.Type, nowNs int64) *pdu.Enc {
	r.enc.B, r.enc.Marks, r.enc.Mark = r.enc.B[:0], r.enc.Marks[:0], true
	return &r.enc
}

// End renumbers the record into out.
func (r *renumbering) End(t pdu.Type, nowNs int64) {
	r.rn.assign(r.p.sh.created(r.p))
	e := r.out.Begin(t, nowNs)
	r.rn.rewrite(r.w, t, r.enc.B, r.enc.Marks, e, nowNs)
	r.out.End(t, nowNs)
}

// Tick passes the clock step on.
func (r *renumbering) Tick(nowNs int64) { r.out.Tick(nowNs) }

// Flush passes the flush on.
func (r *renumbering) Flush(nowNs int64) { r.out.Flush(nowNs) }

// FlushType passes the flush on.
func (r *renumbering) FlushType(t pdu.Type, nowNs int64) { r.out.FlushType(t, nowNs) }

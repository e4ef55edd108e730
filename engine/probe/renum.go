package probe

import (
	"encoding/binary"
	"slices"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Dense ids in a Workers run (issue 14).
//
// A worker numbers what a packet creates from the packet's capture
// ordinal (shard.setIDs): sparse ids, unique across the workers, which
// made the collector's flow store sparse (2 workers on the 5 M corpus:
// collector decode + drain 0.60 + 0.37 s against 0.26 + 0.06 s with 1).
// The worker notes what it created, as segments of sparse ids (idSeg),
// in its recorder before the packet's records (an opIDs op); the merge,
// which replays the workers' records in capture order of the packets
// that caused them, numbers each segment densely from Identity.IDBase
// in that order (renum.assign), which is the order a lone probe creates
// them in, and writes the dense id in place of every sparse one the
// records carry (pdu.Enc.ID marks where): flow ids, conn_ids and
// session_ids equal a lone probe's (TestWorkersSameRows compares them).
//
// A sparse id is forgotten idGrace after the record that ends it (a
// flow's last update, a connection's or a session's row): RTT histograms,
// unanswered requests and one-way observations still waiting in an
// encoder name a flow after it ended, within an interval, the rtt
// timeout and the PDU build time.

// idSeg is n ids created from lo+1 onwards, of kind segFlow, segConn or
// segSession+j (the classes' j-th FTP tracker: each numbers its own).
type idSeg struct {
	kind uint32
	n    uint32
	lo   uint64
}

// Kinds of idSeg.
const (
	segFlow    = 0
	segConn    = 1
	segSession = 2
)

// idEnd is a sparse id to forget at capture time atNs.
type idEnd struct {
	atNs int64
	kind pdu.IDKind
	id   uint64
}

// renum maps the workers' sparse ids to dense ones.
type renum struct {
	m      [3]map[uint64]uint64 // by pdu.IDKind
	next   [2]uint64            // the last flow id and conn_id given
	sess   []uint64             // the last session_id given, per FTP tracker
	ends   []idEnd              // oldest first, from head
	head   int
	grace  int64
	segs   []idSeg // renum.prescan's
	misses uint64  // sparse ids not found (a fault: none expected)
	// the last id looked up of each kind: a flow's records at an interval
	// close (counters, histograms, update) come one after the other. A
	// sparse id is never given again, so a forgotten one is never asked.
	lastSparse, lastDense [3]uint64
}

// newRenum returns a renum numbering above base, with ftps FTP trackers,
// forgetting an ended id graceNs of capture time after its end.
func newRenum(base uint64, ftps int, graceNs int64) *renum {
	rn := &renum{next: [2]uint64{base, base}, sess: make([]uint64, ftps), grace: graceNs}
	for i := range rn.sess {
		rn.sess[i] = base
	}
	for i := range rn.m {
		rn.m[i] = make(map[uint64]uint64, 1024)
	}
	return rn
}

// assign numbers the ids of segs, in order.
func (rn *renum) assign(segs []idSeg) {
	for _, s := range segs {
		var m map[uint64]uint64
		var next *uint64
		switch {
		case s.kind == segFlow:
			m, next = rn.m[pdu.IDFlow], &rn.next[0]
		case s.kind == segConn:
			m, next = rn.m[pdu.IDConn], &rn.next[1]
		default:
			m, next = rn.m[pdu.IDSession], &rn.sess[s.kind-segSession]
		}
		for k := range uint64(s.n) {
			*next++
			m[s.lo+1+k] = *next
		}
	}
}

// last returns the highest id given (the base when none).
func (rn *renum) last() uint64 {
	n := max(rn.next[0], rn.next[1])
	for _, s := range rn.sess {
		n = max(n, s)
	}
	return n
}

// rewrite appends record b of type t, published at nowNs, to dst with
// the dense id in place of each sparse one marks locate, and notes the
// ids the record ends.
func (rn *renum) rewrite(t pdu.Type, b []byte, marks []pdu.IDMark, dst *pdu.Enc, nowNs int64) {
	pos := 0
	for _, mk := range marks {
		dst.B = append(dst.B, b[pos:mk.Off]...)
		v, n := binary.Uvarint(b[mk.Off:])
		d := rn.lastDense[mk.Kind]
		if v != rn.lastSparse[mk.Kind] || d == 0 {
			var ok bool
			if d, ok = rn.m[mk.Kind][v]; !ok {
				rn.misses++
				d = v
			}
			rn.lastSparse[mk.Kind], rn.lastDense[mk.Kind] = v, d
		}
		dst.B = binary.AppendUvarint(dst.B, d)
		pos = int(mk.Off) + n
		if ends(t, b, mk.Kind) {
			rn.ends = append(rn.ends, idEnd{atNs: nowNs + rn.grace, kind: mk.Kind, id: v})
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
		delete(rn.m[e.kind], e.id)
		rn.head++
	}
	if rn.head > 1024 && rn.head > len(rn.ends)/2 {
		n := copy(rn.ends, rn.ends[rn.head:])
		rn.ends, rn.head = rn.ends[:n], 0
	}
}

// prescan numbers the ids the workers created at capture ordinal ord
// (their opIDs ops from idx on): in order of their sparse ids, which is
// the order a lone probe creates them in when more than one worker
// creates some at the same ordinal (fragments held without their first
// fragment, released by a timer: numbered from their own ordinals).
func (rn *renum) prescan(outs []workOut, idx []int, ord uint64) {
	rn.segs = rn.segs[:0]
	from := 0
	for i := range outs {
		r := &outs[i].rec
		for j := idx[i]; j < r.len(); j++ {
			op := r.op(j)
			if op.ord != ord {
				break
			}
			if op.op == opIDs {
				rn.segs = append(rn.segs, r.segs[op.off:op.end]...)
			}
		}
		if from == 0 && len(rn.segs) > 0 {
			from = len(rn.segs)
		}
	}
	if from < len(rn.segs) { // more than one worker: in sparse id order
		slices.SortStableFunc(rn.segs, func(a, b idSeg) int {
			if a.kind != b.kind {
				return int(a.kind) - int(b.kind)
			}
			if a.lo < b.lo {
				return -1
			}
			if a.lo > b.lo {
				return 1
			}
			return 0
		})
	}
	rn.assign(rn.segs)
}

// renumbering is the Publisher of a worker whose records go straight to
// the senders (its end of run, Workers.Close): it renumbers each record's
// ids as the merge does, after numbering what the worker created.
type renumbering struct {
	out pdu.Publisher
	rn  *renum
	p   *Probe
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
	r.rn.rewrite(t, r.enc.B, r.enc.Marks, e, nowNs)
	r.out.End(t, nowNs)
}

// Tick passes the clock step on.
func (r *renumbering) Tick(nowNs int64) { r.out.Tick(nowNs) }

// Flush passes the flush on.
func (r *renumbering) Flush(nowNs int64) { r.out.Flush(nowNs) }

// FlushType passes the flush on.
func (r *renumbering) FlushType(t pdu.Type, nowNs int64) { r.out.FlushType(t, nowNs) }

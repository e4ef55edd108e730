package probe

import (
	"encoding/binary"
	"slices"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// The order of the records of one work item in a Workers run (issue 14:
// "--workers 1, 2 and 4 give byte-identical tables").
//
// Within one packet or clock step, every worker may publish records: an
// interval close reports each worker's active and idle flows and its
// round-trip histograms, the timers end each worker's connections, the
// end of the run reports everything. The merge (Workers.merge) used to
// replay them worker after worker where a lone probe interleaves them, so
// the records were packed into other PDUs (pdu_stats) and cut the
// collector's drains (SinkRows) elsewhere: the same rows, other files.
// Now each record carries, in its recOp.ord, the stage of the item it was
// published in (stageOf: the close's active flows, its histograms, its
// idle flows, the timers, the packet itself...), and in the stages where
// several workers publish, a key (stageKeyed: the activation ordinal, the
// last sight, the interval start, the request time) and, for ties, the dense id of the
// record's first id (stageByID). The lone probe publishes each stage's
// records in that order, and so does each worker; the merge takes the
// smallest (item, stage, key, dense id) of the workers' next records, a
// k-way merge: the lone probe's order, without sorting the close.
//
// Fragments given up by a timer, a close or the end are keyed by the
// ordinal of the fragment that made their datagram's entry (giveup.go).
// FTP rows ended by the end are keyed by the capture ordinal of the
// packet that retired their session, else of its last packet
// (ftp.Tracker.Flush). Stages not ordered by key or id (one-way
// observations flushed, FTP rows ended by a timer) keep the workers' order within the stage: the records of one
// worker, then the next's, where a lone probe follows its own tables'
// order; so do DNS-over-TCP answers drained at the end (keyed by request
// time, in the order of their connections). They differ from a lone
// probe's only when several workers publish in one of those stages at
// the same item (docs/speed.md).

// Stages of a work item, in the order a lone probe goes through them.
const (
	stagePre         = iota // before the clock moves (a packet's capture-time events)
	stageRTTDue             // an interval close: requests whose timeout passed in it (metric definitions)
	stageActive             // the close's active flows (key: activation ordinal)
	stageRTTClose           // the round-trip histograms of each class (key: interval start)
	stageRTTCloseAt         // the first of skipped intervals' (closeRTTAt; key: interval start)
	stageExpire             // the idle flows of each class (key: last sight)
	stageFragClose          // fragments expired at the close (key: giveup.go; sub 1: forgotten)
	stageCloseEvents        // the close's events (opClose to opCloseEnd)
	stageOneway             // one-way observations flushed as the clock moves
	stageTick               // the senders' clock step
	stageRTTExpire          // unanswered requests (metric definitions)
	stageTCPExpire          // each class's TCP connections ended by the timers (by conn_id), then its FTP rows
	stageFragTimer          // fragments expired by the timer (idem)
	stagePacket             // the packet's own records
	// the end of the run (Probe.Close)
	stageFinalFrag     // fragments given up (idem)
	stageFinalAnalyses // each class's round trips, connections (by conn_id) and FTP rows
	stageFinalActive   // the last interval's active flows (key: activation ordinal)
	stageFinalRTTClose // and its round-trip histograms (key: interval start)
	stageFinalOneway   // one-way observations
	stageFinalEvents   // the last interval's events (opClose)
	stageFinalFlows    // every flow's last update (by flow id)
	stageFinalEnd      // the totals, summed by the merge (shard.final)
)

// stageOf is the low 32 bits of a recOp.ord: the stage, then the class
// and a sub-stage within it (sub < 4).
func stageOf(stage, class, sub int) uint32 {
	return uint32(stage)<<24 | uint32(class&(1<<22-1))<<2 | uint32(sub&3)
}

// Sub-stages of stageTCPExpire and stageFinalAnalyses (per class), and of
// the round-trip trackers' closes (the handshakes settled by the close,
// then the histograms).
const (
	subRTT     = 0 // stageFinalAnalyses: the held handshakes settled (key: request time)
	subTCP     = 1 // stageFinalAnalyses; stageTCPExpire: 0
	subFTP     = 2 // stageFinalAnalyses (key: ftp.Tracker.Flush's); stageTCPExpire: 1
	subSamples = 0 // stageRTTClose, stageRTTCloseAt, stageFinalRTTClose (key: request time)
	subHists   = 1 // idem (key: interval start)
)

// stageKeyed reports whether a record of recOp.ord ord has a key
// (recorder.keys).
func stageKeyed(ord uint64) bool {
	switch uint8(ord >> 24) {
	case stageActive, stageRTTClose, stageRTTCloseAt, stageExpire, stageFinalActive, stageFinalRTTClose,
		stageFragClose, stageFragTimer, stageFinalFrag:
		return true
	case stageFinalAnalyses:
		return ord&3 == subRTT || ord&3 == subFTP
	}
	return false
}

// stageByID reports whether the records of recOp.ord ord are ordered by
// the dense id of their first id within a key.
func stageByID(ord uint64) bool {
	switch uint8(ord >> 24) {
	case stageActive, stageRTTClose, stageRTTCloseAt, stageExpire, stageFinalActive, stageFinalRTTClose, stageFinalFlows:
		return true
	case stageTCPExpire:
		return ord&3 == 0
	case stageFinalAnalyses:
		return ord&3 != subFTP
	}
	return false
}

// itemOf returns the work item of a recOp.ord.
func itemOf(ord uint64) uint64 { return ord >> 32 }

// stage sets the stage of what p publishes next in a Workers run (nothing
// for a lone probe, which publishes in that order by itself).
func (p *Probe) stage(stage, class, sub int) {
	if p.sh != nil {
		r := p.sh.rec
		r.ord = r.ord&^(1<<32-1) | uint64(stageOf(stage, class, sub))
	}
}

// keyed sets the key of the records p publishes next in a keyed stage.
func (p *Probe) keyed(key uint64) {
	if p.sh != nil {
		p.sh.rec.key = key
	}
}

// sampleKey keys a round-trip sample of request time reqNs published by a
// close (the handshakes it settles, before its histograms: subSamples) or
// by the end of the run (subRTT): by request time, as the tracker settles
// them (rtt.Tracker.CloseInterval, Flush). A packet's own samples
// (stagePacket) need no key.
func (p *Probe) sampleKey(reqNs int64) {
	if p.sh == nil {
		return
	}
	r := p.sh.rec
	switch uint8(r.ord >> 24) {
	case stageRTTClose, stageRTTCloseAt, stageFinalRTTClose:
		r.ord = r.ord&^3 | subSamples
	case stageFinalAnalyses:
	default:
		return
	}
	r.key = timeKey(reqNs)
}

// histKey keys a round-trip histogram row of interval start startNs (a
// tracker's close emits the interval closed before, then the one closing:
// subHists).
func (p *Probe) histKey(startNs int64) {
	if p.sh == nil {
		return
	}
	r := p.sh.rec
	r.ord = r.ord&^3 | subHists
	r.key = timeKey(startNs)
}

// timeKey is a capture time as a key: in the same order.
func timeKey(ns int64) uint64 { return uint64(ns) ^ 1<<63 }

// headKey returns the merge's key of recorder r's op at index i: its
// ord, its key (0 when not keyed) and, in a stage ordered by id, the
// dense id of its first id (0 when it has none), worker w's id
// renumbered by rn.
func (r *recorder) headKey(op *recOp, rn *renum, w int) (key, id uint64) {
	if !op.record() {
		return 0, 0
	}
	if stageKeyed(op.ord) {
		key = r.keys[r.ki]
	}
	if stageByID(op.ord) && op.nmarks > 0 {
		mk := r.marks[r.mi]
		v, _ := binary.Uvarint(r.bufs[op.chunk][op.off+mk.Off : op.end])
		if d, ok := rn.dense(w, mk.Kind, v); ok {
			v = d
		}
		id = v
	}
	return key, id
}

// sortActive puts the flows activated by one packet (the same ordinal in
// ords, which runs along active) in id order: a clock step or a timer
// activates flows of several workers at once (unanswered requests,
// fragments given up), in the order of each one's tables, and the merge
// takes them by id (stageActive). A lone probe does the same.
func sortActive(active []*flow.Flow, ords []uint64) {
	for i := 0; i < len(active); {
		j := i + 1
		for j < len(active) && ords[j] == ords[i] {
			j++
		}
		if j-i > 1 {
			run := active[i:j]
			if !slices.IsSortedFunc(run, byFlowID) {
				slices.SortFunc(run, byFlowID)
			}
		}
		i = j
	}
}

// byFlowID orders flows by id.
func byFlowID(a, b *flow.Flow) int {
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// byKey returns, among the workers whose next record is of recOp.ord ord
// (best's, the smallest), the one whose record comes first in a lone
// probe's order: the smallest key, then the smallest dense id (order.go).
// Each worker publishes its records of a stage in that order.
func (w *Workers) byKey(outs []workOut, best int, ord uint64) int {
	var bestKey, bestID uint64
	first := true
	for i := best + 1; i < len(outs); i++ {
		r := &outs[i].rec
		if w.idx[i] >= r.len() {
			continue
		}
		op := r.op(w.idx[i])
		if op.ord != ord || op.op == opClose {
			continue
		}
		if first { // another worker's record is of the same stage: keys needed
			bestKey, bestID = w.head(outs, best)
			first = false
		}
		k, id := w.head(outs, i)
		if k < bestKey || (k == bestKey && id < bestID) {
			best, bestKey, bestID = i, k, id
		}
	}
	return best
}

// head returns the key and id of worker i's next record (recorder.headKey),
// computed once per record: the merge compares it at every step until it
// is replayed.
func (w *Workers) head(outs []workOut, i int) (key, id uint64) {
	h := &w.heads[i]
	if h.at != w.idx[i]+1 {
		r := &outs[i].rec
		h.key, h.id = r.headKey(r.op(w.idx[i]), w.rn, i)
		h.at = w.idx[i] + 1
	}
	return h.key, h.id
}

// headKey is a worker's next record's key and id as of index at-1 of its
// recorder (Workers.head; at 0: none).
type headKey struct {
	at      int
	key, id uint64
}

package probe

// The limited events of a Workers run (events.go: at most maxFragEvents of
// each kind per interval, then one summary).
//
// Each worker counts the limited events of the datagrams it owns and keeps
// the first maxFragEvents of each kind of an interval, marked (opLimited+k
// instead of opEnd: recorder.lim); at the close it hands its counts to the
// merge (closePart.limited) instead of its own summary. The merge, which
// replays the workers' records in a lone probe's order, keeps the first
// maxFragEvents marked records of each kind of the interval and drops the
// rest (Workers.replayOp), then writes one summary of the workers' counts
// summed, beyond maxFragEvents, where a lone probe writes its own
// (Workers.limitedSummary): the events of a lone probe for any number of
// workers. The first maxFragEvents of the interval in the merged order are
// among each worker's first maxFragEvents (a worker's records come in the
// merged order), so a worker holds no more than maxFragEvents of each kind
// an interval; the others are counted only. Before, each worker kept its
// own first 20 and wrote its own summary: 2 or 4 workers wrote up to 40 or
// 80 events of a kind an interval, and 2 or 4 summaries.

// opLimited is the op of a record of a limited event of kind k: opLimited+k
// (an opEnd for the rest).
const opLimited = opStart + 1

// record reports whether op keeps a record (opEnd, or a limited event's).
func (op *recOp) record() bool { return op.op == opEnd || op.op >= opLimited }

// limitMerge is the merge's count of the limited events of each kind it
// replayed in the current interval.
type limitMerge struct {
	n [numLimited]uint64
}

// replayOp replays worker i's op from recorder r, but a limited event past
// the interval's first maxFragEvents of its kind (dropped: counted in the
// summary).
func (w *Workers) replayOp(r *recorder, op *recOp, i int) {
	if op.op >= opLimited {
		k := op.op - opLimited
		w.lim.n[k]++
		if w.lim.n[k] > maxFragEvents { // its marks and key skipped, as replay takes them
			if stageKeyed(op.ord) {
				r.ki++
			}
			r.mi += int(op.nmarks)
			return
		}
	}
	r.replay(op, w.out, w.rn, i)
}

// limitedSummary writes the summaries of the limited events of the
// interval closed by the i-th close of outs, at atNs: of each kind, the
// workers' counts summed beyond maxFragEvents, as Probe.limitedSummary
// writes a lone probe's; and starts the next interval.
func (w *Workers) limitedSummary(outs []workOut, i int, atNs int64) {
	for k := range numLimited {
		var n uint64
		var sev uint8
		for j := range outs {
			if c := outs[j].parts[i].limited[k]; c > 0 {
				n, sev = n+c, outs[j].parts[i].limitedSev[k]
			}
		}
		limitedSummaryEvent(w.intervalEvent, atNs, k, sev, n)
	}
	w.lim = limitMerge{}
}

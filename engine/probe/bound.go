package probe

import "github.com/tmonbench/tmonbench/engine/pdu"

// The bound of a worker's recorder (issue 14: memory bounded by flows,
// not packets).
//
// A worker's records wait in its recorder until the merge takes them
// (Workers.mergeRound). A batch between interval closes publishes little
// (98 % of the 5 M corpus's batches under 32 KiB), but the end of the run
// publishes the last interval's active flows and every flow's last update
// (11 MiB for the corpus's 197 k flows), all of it held until every
// worker had finished before: the end of a `bench --workers 2` run was
// the peak of its live heap (137-140 MiB by the GC trace, against 156 MiB
// of memory limit). Now a worker whose recorder holds more than its bound
// (workerRecordBytes, counted by recorder.held) pauses until the merge has
// taken every record it holds, and the merge takes what it can while the
// workers are paused or done (Workers.mergeRounds: rounds):
//
//   - at a work item's end (a packet or a clock step: work), the item's
//     ids noted (shard.done), so that the merge numbers the ids every
//     worker created in an item together (renum.prescan);
//   - within the end of the run's item that follows the fragments given
//     up (shard.nextItem): its records name no id created in it, and the
//     merge takes them in the order of each stage (pausable).
//
// The merge takes a worker's next record only while every worker not
// done has one (mergeRound): a worker paused or still running may publish
// a record that comes before the others' (order.go), so the merge order,
// and so the frames, are the same with any bound (TestWorkersTinyBound).
// A worker's recorder thus holds at most its bound and one work item's
// records, one record at the end of the run (TestWorkersRecorderBound):
// an interval close's item (every active and idle flow's report, 4-8 MiB
// a worker on the 5 M corpus) is still held whole, its ids being numbered
// only once every worker has finished it.

// workerRecordBytes is a worker's recorder bound: 512 KiB, 16 times what
// 98 % of the 5 M corpus's batches publish (32 KiB), so that a batch
// between closes never pauses; the end of the run's 11 MiB pass through
// it in about 11 rounds a worker.
const workerRecordBytes = 512 << 10

// pausable reports whether a worker may pause within a work item after
// publishing a record of recOp.ord ord: in the end of the run's item that
// follows the fragments given up (Probe.Close, shard.nextItem), whose
// records name no id created in it, but for its events (opClose to
// opCloseEnd, which the merge replays whole: closeEvents) and the totals.
func pausable(ord uint64) bool {
	switch uint8(ord >> 24) {
	case stageFinalAnalyses, stageFinalActive, stageFinalRTTClose, stageFinalOneway, stageFinalFlows:
		return true
	}
	return false
}

// States of a worker in a batch (workOut.state), as the merge sees them.
const (
	workRunning = iota
	workPaused
	workDone
)

// pauseWorker is worker p's pause within batch o: the item's ids noted
// when at an item's end, it waits until the merge has taken its records
// (Workers.retire) and goes on with what it publishes next.
func pauseWorker(p *Probe, o *workOut) {
	o.parts = p.sh.parts
	o.sig <- workPaused
	<-o.resume
	p.sh.start = max(0, p.sh.start-o.rec.dropped)
}

// pauseWithin is pauseWorker within a work item (pausable), unless the
// worker created ids in it: the merge numbers an item's ids before
// taking its records (renum.prescan), so a worker that created some
// (none expected after the fragments given up) goes on to the item's end.
func pauseWithin(p *Probe, o *workOut) {
	if p.sh.note(p); len(p.sh.pend) > 0 {
		return
	}
	pauseWorker(p, o)
}

// compact forgets the first n ops (taken by the merge: their ids and
// keys are mi and ki), keeping the others and what they name, and gives
// back the chunks as reset does. The kept ops are copied: a worker paused
// at an item's end keeps none, or the records of the items the merge
// could not take yet.
func (r *recorder) compact(n int) {
	r.maxHeld = max(r.maxHeld, r.held)
	r.dropped = n
	if n == 0 {
		return
	}
	m := r.len()
	if n == m {
		mh := r.maxHeld
		r.reset()
		r.maxHeld = mh
		return
	}
	tick := r.tick != nil
	ops := make([]recOp, 0, m-n)
	var data []byte
	var segs []idSeg
	for i := n; i < m; i++ {
		op := *r.op(i)
		switch {
		case op.record():
			b := r.bufs[op.chunk][op.off:op.end]
			op.off, op.end = int32(len(data)), int32(len(data)+len(b))
			data = append(data, b...)
		case op.op == opIDs:
			s := r.segs[op.off:op.end]
			op.off, op.end = int32(len(segs)), int32(len(segs)+len(s))
			segs = append(segs, s...)
		}
		ops = append(ops, op)
	}
	marks := append([]pdu.IDMark(nil), r.marks[r.mi:]...)
	keys := append([]uint64(nil), r.keys[r.ki:]...)
	mh := r.maxHeld
	r.reset()
	r.maxHeld = mh
	r.marks = append(r.marks, marks...)
	r.keys = append(r.keys, keys...)
	r.segs = append(r.segs, segs...)
	r.held = len(marks)*heldMarkByte + len(keys)*heldKeyBytes + len(segs)*heldSegBytes
	for _, op := range ops {
		if op.record() {
			b := data[op.off:op.end]
			op.chunk, op.off, op.end = r.keep(b)
			r.held += len(b)
		}
		r.add(op)
	}
	if tick {
		r.tick = r.last()
	}
}

// keep copies record b into the chunks and returns where it is.
func (r *recorder) keep(b []byte) (chunk, off, end int32) {
	n := len(b)
	if r.nbuf == 0 || len(r.bufs[r.nbuf-1])+n > cap(r.bufs[r.nbuf-1]) {
		if r.nbuf == len(r.bufs) {
			r.bufs = append(r.bufs, make([]byte, 0, max(recBytesChunk, n)))
		} else if cap(r.bufs[r.nbuf]) < n {
			r.bufs[r.nbuf] = make([]byte, 0, n)
		}
		r.nbuf++
	}
	c := &r.bufs[r.nbuf-1]
	o := len(*c)
	*c = append(*c, b...)
	return int32(r.nbuf - 1), int32(o), int32(len(*c))
}

// mergeRounds merges batch outs: it waits for every worker to pause or
// finish, takes what it can (mergeRound), gives each recorder back what
// was taken (compact) and lets the paused workers go on, until every
// worker is done and every record taken.
func (w *Workers) mergeRounds(outs []workOut) {
	w.mergeStart(outs)
	for {
		done := true
		for i := range outs {
			o := &outs[i]
			if o.state == workRunning {
				o.state = <-o.sig
			}
			done = done && o.state == workDone
		}
		w.mergeRound(outs)
		if done {
			break
		}
		w.rounds++
		for i := range outs {
			o := &outs[i]
			o.rec.compact(w.idx[i])
			w.idx[i], w.heads[i] = 0, headKey{}
			if o.state == workPaused {
				o.state = workRunning
				o.resume <- struct{}{}
			}
		}
	}
	w.mergeEnd(outs)
}

// mergeEnd ends the merge of a batch: the start and the closes no
// record marked, and the workers' counters summed.
func (w *Workers) mergeEnd(outs []workOut) {
	closes := w.closes
	if !w.started && outs[0].started { // no opStart seen: none expected
		w.start(outs[0].startNs)
	}
	for ; closes < len(outs[0].parts); closes++ { // no opClose seen: none expected
		w.mergeClose(outs, closes)
	}
	w.stats = Stats{}
	for i := range outs {
		w.stats.Add(&outs[i].stats)
	}
	w.reportDrops()
}

// nextItem ends the worker's work item (its ids noted: done) and begins
// the next: the end of the run's flow updates, which a worker may pause
// in (pausable), follow the ids it created before (fragments given up)
// in an item of their own, so that the merge has numbered them when it
// takes the updates while the worker is paused.
func (sh *shard) nextItem(p *Probe) {
	sh.done(p)
	sh.rec.ord = (itemOf(sh.rec.ord) + 1) << 32
	sh.begin()
}

// setBound sets every worker's recorder bound to n bytes (tests: a tiny
// bound pauses the workers at every item).
func (w *Workers) setBound(n int) {
	w.bound = n
	for _, b := range append([]*workBatch{w.cur}, w.free...) {
		for i := range b.out {
			b.out[i].rec.bound = n
		}
	}
}

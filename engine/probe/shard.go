package probe

import (
	"hash/fnv"
	"reflect"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// A probe's share of a Workers run (issue 14, design 1.14.2).
//
// Every worker sees every packet, in capture order: it stamps it, moves
// its clock, closes intervals and runs its timers exactly as a lone probe
// would. A worker dissects its own packets and those whose owner their
// headers do not tell (dissect.PeekShard, read once by Workers: all but
// TCP and UDP over Ethernet or Linux cooked links); it leaves the others'
// alone, unread, and its dissector counts only its own (shard.dissect).
// Only the worker that owns the packet's unordered address pair
// (dissect.Dissection.Shard: both directions, every fragment of a
// datagram, an FTP session's data connections and a request and its
// response fall together) sieves it and runs the flow table and the
// analysers on it; an ICMP error also reaches
// the owner of the packet it quotes (QuotedShard). Worker 0 reports what
// concerns every packet (definitions, probe_start, capture-time events);
// the workers' own figures (malformed packets and anomalies of each
// dissect kind, anomaly counters, S0 aggregates, evictions, totals) are
// summed by the merge (Workers.merge), so the events are one
// probe's. Flows, TCP connections and FTP sessions are numbered 1, 2,
// 3... by each worker, and the merge numbers them densely, as a lone
// probe does (renum.go): the same ids for any number of workers.

// shard is a worker probe's place in a Workers run.
type shard struct {
	w, n  int
	peek  int // the packet's owner as its headers say, or -1 (workItem.shard)
	tcps  []*tcpconn.Tracker
	ftps  []*ftp.Tracker
	rec   *recorder
	parts []closePart // interval closes since the last merge
	// The ids noted so far (created): the flow table's, the first TCP
	// tracker's and the first FTP tracker's counters (the others share
	// them); key is the capture ordinal the creations are counted for
	// (idSeg.key).
	markFlow, markConn, markSess uint64
	key                          uint64
	pend                         []idSeg // created, not handed over yet
	start                        int     // the recorder's ops when the work item began (done)
}

// closePart is a worker's share of one interval close (or of the end of
// the run, final), for the merge to sum.
type closePart struct {
	atNs     int64
	kinds    []kindCount // the packets of each dissect kind (packet_anomalies, malformed_packets)
	changes  []slotChange
	s0       []s0Count
	evicted  uint64
	reasmBad uint64 // reassembled datagrams with a bad UDP length (reasmAnomalyEvent)
	// limited counts the limited events of each kind the worker had in the
	// interval, those it kept included (limitedEvent), of severity
	// limitedSev: the merge sums them (Workers.limitedSummary)
	limited    [numLimited]uint64
	limitedSev [numLimited]uint8
	final      bool
	totals     []reflect.Value // per source (final)
	stats      Stats           // final
}

// primary reports whether p reports the packet-wide figures: a lone probe,
// or worker 0.
func (p *Probe) primary() bool { return p.sh == nil || p.sh.w == 0 }

// owns reports whether the worker owns the dissected packet; when it does
// not, it still counts an ICMP error in the flow it quotes if it owns that.
func (sh *shard) owns(p *Probe, d *dissect.Dissection) bool {
	if d.Shard(sh.n) != sh.w {
		if d.Flags&dissect.HasInner != 0 && sh.ownsQuoted(d) {
			p.icmpError(d)
		}
		return false
	}
	sh.setIDs(p, p.ord)
	return true
}

// created returns the ids the worker created since the last call, as
// segments of sparse ids in order of creation (valid until the next
// call).
func (sh *shard) created(p *Probe) []idSeg {
	sh.note(p)
	segs := sh.pend
	sh.pend = sh.pend[:0]
	return segs
}

// note adds what the worker created since the last note to sh.pend.
func (sh *shard) note(p *Probe) {
	w := uint16(sh.w)
	if n := p.flows.LastID() - sh.markFlow; n > 0 {
		sh.pend = append(sh.pend, idSeg{kind: segFlow, w: w, n: uint32(n), lo: sh.markFlow, key: sh.key})
		sh.markFlow += n
	}
	if len(sh.tcps) > 0 {
		if n := sh.tcps[0].LastID() - sh.markConn; n > 0 {
			sh.pend = append(sh.pend, idSeg{kind: segConn, w: w, n: uint32(n), lo: sh.markConn, key: sh.key})
			sh.markConn += n
		}
	}
	if len(sh.ftps) > 0 {
		if n := sh.ftps[0].LastID() - sh.markSess; n > 0 {
			sh.pend = append(sh.pend, idSeg{kind: segSession, w: w, n: uint32(n), lo: sh.markSess, key: sh.key})
			sh.markSess += n
		}
	}
}

// begin and done bracket one work item (a packet or a clock step): what
// the worker created during it is noted in its recorder before the
// item's records (recorder.insertIDs), for the merge to number.
func (sh *shard) begin() { sh.start = sh.rec.len() }

// done: see begin.
func (sh *shard) done(p *Probe) {
	if segs := sh.created(p); len(segs) > 0 {
		sh.rec.insertIDs(sh.start, segs)
	}
}

// dissect dissects a packet into p.d and reports whether the worker goes
// on with it: it owns it (owns). A packet another worker owns, as its
// headers say (sh.peek: dissect.PeekShard, read once by Workers for all:
// a TCP or UDP packet, which quotes no other flow), is left alone without
// dissecting it, nor reading it; the others (ICMP, not IP, links
// PeekShard does not read) are dissected by every worker to find their
// owner. The dissector's counters (dissect.Stats: packets, IP,
// malformed, each kind of anomaly) count only the packets the worker owns
// (Dissection.Shard, also for a malformed packet: every worker reads the
// same fields of it), so the workers' counters add up to one probe's
// (Stats, dissect_totals, the packet_anomalies events of mergeClose).
// Before, worker 0 dissected every packet to count them all: on the 5 M
// corpus with 2 workers, half its dissections for nothing (issue 14).
func (sh *shard) dissect(p *Probe, data []byte, m pkt.Meta) bool {
	d := &p.d
	if s := sh.peek; s >= 0 {
		if s != sh.w || p.dis.Dissect(data, m, d) != nil {
			return false
		}
		// its own, quoting no other (TestPeekShardAgrees): owns without
		// hashing its addresses again (netip.Addr: 50-60 instructions)
		sh.setIDs(p, p.ord)
		return true
	}
	saved := p.dis.Stats
	if err := p.dis.Dissect(data, m, d); err != nil {
		if d.Shard(sh.n) != sh.w {
			p.dis.Stats = saved
		}
		return false
	}
	if d.Shard(sh.n) != sh.w {
		p.dis.Stats = saved
	}
	return sh.owns(p, d)
}

// ownsQuoted reports whether the worker owns the packet an ICMP error
// quotes.
func (sh *shard) ownsQuoted(d *dissect.Dissection) bool {
	w, _ := d.QuotedShard(sh.n)
	return w == sh.w
}

// setIDs counts what the worker creates next for the packet of capture
// ordinal ord (idSeg.key), after noting what it created before. Flows,
// connections and sessions are numbered 1, 2, 3... by each worker.
func (sh *shard) setIDs(p *Probe, ord uint64) {
	sh.note(p)
	sh.key = ord
}

// trackers lists the classes' TCP and FTP trackers (setIDs, note; the
// walk over the classes cost 80 instructions a packet with the default
// config's, issue 14) and numbers the worker's ids from 0.
func (sh *shard) trackers(p *Probe) {
	sh.tcps, sh.ftps = []*tcpconn.Tracker{}, []*ftp.Tracker{}
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.tcp != nil {
			sh.tcps = append(sh.tcps, c.tcp)
		}
		if c.ftp != nil {
			sh.ftps = append(sh.ftps, c.ftp)
			c.ftp.OnFlushSession(p.keyed) // its rows at the end, keyed (order.go)
		}
	}
	p.setIDBase(0)
}

// markStart notes worker 0's start at nowNs in its recorder (opStart),
// after its probe_start: the merge sends the events held for the start
// there. Nothing for a lone probe (nil) or another worker.
func (sh *shard) markStart(nowNs int64) {
	if sh != nil && sh.w == 0 {
		sh.rec.add(recOp{ord: sh.rec.ord, op: opStart, nowNs: nowNs})
	}
}

// kindCount is a number of packets of one dissect kind.
type kindCount struct {
	k dissect.Kind
	n uint64
}

// kindsSince returns the kinds whose count moved from last to cur, in
// Kind order (nil when none did).
func kindsSince(cur, last *dissect.Stats) []kindCount {
	var out []kindCount
	for k := range cur.Kinds {
		if n := cur.Kinds[k] - last.Kinds[k]; n > 0 {
			out = append(out, kindCount{dissect.Kind(k), n})
		}
	}
	return out
}

// closeInterval keeps the worker's share of an interval's events.
func (sh *shard) closeInterval(p *Probe, atNs int64, kinds []kindCount) {
	sh.parts = append(sh.parts, closePart{atNs: atNs, kinds: kinds, changes: p.counterChanges(), s0: p.s0Take(), evicted: p.evictedI, reasmBad: p.reasmBadI,
		limited: p.limitedI, limitedSev: p.limitedSev})
	p.evictedI, p.reasmBadI, p.limitedI = 0, 0, [numLimited]uint64{}
	sh.rec.add(recOp{ord: sh.rec.ord, op: opCloseEnd, nowNs: atNs})
}

// final keeps the worker's totals at the end of the run.
func (sh *shard) final(p *Probe) {
	p.readSources()
	part := closePart{atNs: pkt.After(p.nowNs, p.startNs), final: true, stats: p.Stats()} // as Close stamps a lone probe's end
	for _, s := range p.sources {
		part.totals = append(part.totals, s.value)
	}
	sh.parts = append(sh.parts, part)
	sh.rec.add(recOp{ord: sh.rec.ord, op: opClose, nowNs: part.atNs})
	sh.rec.add(recOp{ord: sh.rec.ord, op: opCloseEnd, nowNs: part.atNs})
}

// sharedMetricID is a run-time metric's id: a hash of its name, the same
// in every worker of a Workers run and in a lone probe, with bit 31 set (above every fixed metric id) and bit 30
// clear (below every sharedICMP id). The names hashed are a fixed few
// (rtt_unanswered_<kind>, fragMetric): TestSharedMetricIDsDistinct.
func sharedMetricID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()&(1<<30-1) | 1<<31
}

// sharedICMP is the base of the ICMP metrics' ids (a lone probe's and a
// Workers run's): the id is sharedICMP | the 18-bit key of icmpMetricID (version, error,
// type, code), one id per name. A hash of the 2^18 names would collide
// (about 16 pairs expected in 31 bits), counting two kinds of message as
// one.
const sharedICMP = 1<<31 | 1<<30

// Add adds o's counters to s, field by field (Reasm's included): the
// sum of several workers' or probes' Stats (pipeline.Result.ProbeTotals).
func (s *Stats) Add(o *Stats) { addValue(reflect.ValueOf(s).Elem(), reflect.ValueOf(o).Elem()) }

// addValue adds src to dst field by field (unsigned and signed integers,
// arrays and structs of them): the sum of the workers' Stats.
func addValue(dst, src reflect.Value) {
	switch dst.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		dst.SetUint(dst.Uint() + src.Uint())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		dst.SetInt(dst.Int() + src.Int())
	case reflect.Array:
		for i := range dst.Len() {
			addValue(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		for i := range dst.NumField() {
			if dst.Field(i).CanSet() {
				addValue(dst.Field(i), src.Field(i))
			}
		}
	}
}

// recOp is one recorded Publisher call (32 bytes: the two bytes last).
type recOp struct {
	// ord places the call among the workers' (Workers.merge): the work
	// item of the batch (high 32 bits: the packet or clock step every
	// worker goes through) and the stage of the item the call was made in
	// (low 32 bits: stageOf), so that a lone probe's order of the stages
	// within one item is kept whichever worker made the call
	ord      uint64
	nowNs    int64
	chunk    int32 // the record's bytes: recorder.bufs[chunk][off:end] (opEnd)
	off, end int32
	op       uint8
	t        pdu.Type
	nmarks   uint16 // opEnd: the record's ids (recorder.marks)
}

const (
	opEnd = iota
	opTick
	opFlushType
	opIDs // ids created: recorder.segs[off:end] (shard.done)
	// opClose: the worker published its records of an interval close (or
	// of the end of the run) and starts on its events (Probe.intervalEvents),
	// which end at opCloseEnd (its share of the close kept: closePart).
	// The merge waits for every worker to reach opClose, replays each
	// one's events, then writes their sums (Workers.merge): where a lone
	// probe writes its own events, after every flow's records of the close
	opClose
	opCloseEnd
	// opStart: worker 0 started (its probe_start published): the merge
	// sends the events held for the start there, as a lone probe does
	opStart
)

// Chunk sizes of a recorder: an interval close publishes every active
// flow's report within one batch; chunks grow without copying what they
// hold, and the first stay for the next batches. A batch between closes
// publishes less than one of each: on the 5 M corpus (4883 batches of 2
// workers) 98 % published under 32 KiB and 1024 ops, the largest 256 KiB
// and 2048 ops, an interval close 4-8 MiB and 65-131 k ops.
const (
	recOpsChunk   = 1024
	recBytesChunk = 64 << 10
)

// recorder is a worker probe's Publisher: it keeps the records and the
// calls in order, for the merge to replay into the real senders.
type recorder struct {
	ord  uint64
	ops  [][]recOp // chunks of recOpsChunk
	bufs [][]byte  // chunks of recBytesChunk (or one record, when larger)
	nops int       // chunks of ops in use (the last may be partly filled)
	tick *recOp    // the last op when it is a clock step (Tick), else nil
	nbuf int
	enc  pdu.Enc
	// marks are the records' ids in order (recOp.nmarks each; a record,
	// at most pdu.MaxRecordBytes, has fewer than 65536), mi those replayed;
	// segs the ids created (opIDs).
	marks []pdu.IDMark
	mi    int
	segs  []idSeg
	// keys are the merge keys of the records published in a keyed stage
	// (stageKeyed: one each, in order), ki those replayed; key is the
	// next one's (Probe.keyed).
	keys []uint64
	ki   int
	key  uint64
	// held counts the bytes the recorder holds for the merge (its
	// records, ops, ids and keys: heldBytes), maxHeld the most it held
	// (compact, reset); bound is the worker's recorder bound (Workers.bound)
	// and pause, when set, waits until the merge has taken every record
	// (a mid-item pause: pausable).
	held, maxHeld, bound int
	pause                func()
	dropped              int // the ops the last compact forgot (pauseWorker)
	// lim, when not 0, is the op of the next record kept: opLimited+k for
	// a limited event of kind k (Probe.limitedEvent)
	lim uint8
}

// Bytes a recorder counts for each op, id mark, key and id segment it
// holds (recorder.held), besides the records' own bytes.
const (
	heldOpBytes  = int(unsafe.Sizeof(recOp{}))
	heldMarkByte = int(unsafe.Sizeof(pdu.IDMark{}))
	heldKeyBytes = 8
	heldSegBytes = int(unsafe.Sizeof(idSeg{}))
)

var _ pdu.Publisher = (*recorder)(nil)

// Begin returns the scratch encoder for one record.
func (r *recorder) Begin(t pdu.Type, nowNs int64) *pdu.Enc {
	r.enc.B, r.enc.Marks, r.enc.Mark = r.enc.B[:0], r.enc.Marks[:0], true
	return &r.enc
}

// End keeps the record.
func (r *recorder) End(t pdu.Type, nowNs int64) {
	n := len(r.enc.B)
	chunk, off, end := r.keep(r.enc.B)
	r.marks = append(r.marks, r.enc.Marks...)
	op := uint8(opEnd)
	if r.lim != 0 {
		op = r.lim // a limited event (Probe.limitedEvent)
	}
	r.add(recOp{ord: r.ord, op: op, t: t, nowNs: nowNs, chunk: chunk, off: off, end: end, nmarks: uint16(len(r.enc.Marks))})
	r.held += n + len(r.enc.Marks)*heldMarkByte
	if stageKeyed(r.ord) {
		r.keys = append(r.keys, r.key)
		r.held += heldKeyBytes
	}
	if r.held > r.bound && r.pause != nil && pausable(r.ord) {
		r.pause()
	}
}

// insertIDs keeps the ids created as an opIDs op at index at (the ops
// from at on move up one), before the records that name them.
//
// A clock step that was the last op stays the one the next step extends
// when it moved up with the others (it was published in this item); one
// of an earlier item that this item extended (before at) is no longer the
// last op: the next step adds another. Before, the opIDs op was taken for
// it, and the next item's step moved it, ids and all, to a later item:
// the merge numbered a worker's connection created by a packet that
// published nothing (a SYN in a known flow) after the other workers' of
// the packets in between (conn_ids swapped, TestWorkersSameFrames).
func (r *recorder) insertIDs(at int, segs []idSeg) {
	tick := r.tick != nil && r.len()-1 >= at
	off := len(r.segs)
	r.segs = append(r.segs, segs...)
	r.held += len(segs) * heldSegBytes
	r.add(recOp{})
	for i := r.len() - 1; i > at; i-- {
		*r.op(i) = *r.op(i - 1)
	}
	*r.op(at) = recOp{ord: r.ord &^ (1<<32 - 1), op: opIDs, off: int32(off), end: int32(len(r.segs))} // the item's first stage: before its records
	if tick {
		r.tick = r.last() // the clock step moved up with the others
	}
}

// add appends op.
func (r *recorder) add(op recOp) {
	r.tick = nil
	r.held += heldOpBytes
	if r.nops == 0 || len(r.ops[r.nops-1]) == recOpsChunk {
		if r.nops == len(r.ops) {
			r.ops = append(r.ops, make([]recOp, 0, recOpsChunk))
		}
		r.nops++
	}
	r.ops[r.nops-1] = append(r.ops[r.nops-1], op)
}

// last returns the last op kept, or nil.
func (r *recorder) last() *recOp {
	if r.nops == 0 {
		return nil
	}
	c := r.ops[r.nops-1]
	return &c[len(c)-1]
}

// Tick keeps the clock step: one step for a run of steps.
func (r *recorder) Tick(nowNs int64) {
	if !r.extend(nowNs) {
		r.add(recOp{ord: r.ord, op: opTick, nowNs: nowNs})
		r.tick = r.last()
	}
}

// extend moves the last op to nowNs when it is a clock step, and reports
// whether it was. Inlined (Probe.advance): a worker's every packet moves
// its clock.
func (r *recorder) extend(nowNs int64) bool {
	l := r.tick
	if l == nil {
		return false
	}
	l.ord, l.nowNs = r.ord, max(l.nowNs, nowNs)
	return true
}

// Flush is done by the merge at the end of the run.
func (r *recorder) Flush(nowNs int64) {}

// FlushType keeps the call (one-way observations go out in PDUs of their
// own).
func (r *recorder) FlushType(t pdu.Type, nowNs int64) {
	r.add(recOp{ord: r.ord, op: opFlushType, t: t, nowNs: nowNs})
}

// op returns the i-th op kept (i < len).
func (r *recorder) op(i int) *recOp { return &r.ops[i/recOpsChunk][i%recOpsChunk] }

// len returns the number of ops kept.
func (r *recorder) len() int {
	if r.nops == 0 {
		return 0
	}
	return (r.nops-1)*recOpsChunk + len(r.ops[r.nops-1])
}

// replay makes op's call on out, the ids of worker w's records
// renumbered by rn (opIDs were numbered by rn.prescan).
func (r *recorder) replay(op *recOp, out pdu.Publisher, rn *renum, w int) {
	switch {
	case op.record():
		if stageKeyed(op.ord) {
			r.ki++
		}
		e := out.Begin(op.t, op.nowNs)
		if n := int(op.nmarks); n > 0 {
			rn.rewrite(w, op.t, r.bufs[op.chunk][op.off:op.end], r.marks[r.mi:r.mi+n], e, op.nowNs)
			r.mi += n
		} else {
			e.B = append(e.B, r.bufs[op.chunk][op.off:op.end]...)
		}
		out.End(op.t, op.nowNs)
	case op.op == opTick:
		out.Tick(op.nowNs)
	case op.op == opFlushType:
		out.FlushType(op.t, op.nowNs)
	}
}

// Chunks a recorder keeps across batches: what a batch of packets
// publishes between interval closes fits in one of each 98 % of the time
// (a larger one grows a chunk for that batch); the chunks an
// interval close grew (every active flow's reports: 30 MB for the 5 M
// corpus's 197 k flows, in each of the workers' batches) are given back,
// so the heap does not keep the largest close's records for the rest of
// the run (they are made again at the next close: an allocation per
// interval, not per packet). A Workers run holds (workerInflight+1) x
// workers recorders: 0.6 MB kept for 2 workers (5 MB with two chunks of
// 4096 ops and 256 KiB each, before: issue 14).
const (
	recKeepOps   = 1
	recKeepBufs  = 1
	recKeepMarks = 4096 // ids of the records (32 KiB)
)

// reset forgets the ops and records, keeping the first chunks.
func (r *recorder) reset() {
	r.maxHeld, r.held = max(r.maxHeld, r.held), 0
	for i := range r.nops {
		r.ops[i] = r.ops[i][:0]
	}
	for i := range r.nbuf {
		r.bufs[i] = r.bufs[i][:0]
	}
	if len(r.ops) > recKeepOps {
		clear(r.ops[recKeepOps:])
		r.ops = r.ops[:recKeepOps]
	}
	if len(r.bufs) > recKeepBufs {
		clear(r.bufs[recKeepBufs:])
		r.bufs = r.bufs[:recKeepBufs]
	}
	r.nops, r.nbuf, r.tick = 0, 0, nil
	r.marks, r.mi, r.segs = r.marks[:0], 0, r.segs[:0]
	r.keys, r.ki = r.keys[:0], 0
	if cap(r.keys) > recKeepMarks {
		r.keys = nil
	}
	if cap(r.marks) > recKeepMarks { // an interval close's: given back as its chunks are
		r.marks = nil
	}
}

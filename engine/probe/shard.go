package probe

import (
	"hash/fnv"
	"reflect"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// A probe's share of a Workers run (issue 14, design 1.14.2).
//
// Every worker sees every packet, in capture order: it stamps it, moves
// its clock, closes intervals and runs its timers exactly as a lone probe
// would. Worker 0 dissects every packet; another worker dissects those
// whose owner its headers do not tell (dissect.PeekShard: all but TCP and
// UDP over Ethernet or Linux cooked links) and its own. Only the worker
// that owns the packet's unordered address pair (dissect.Dissection.Shard:
// both directions, every fragment of a datagram, an FTP session's data
// connections and a request and its response fall together) sieves it and
// runs the flow table and the analysers on it; an ICMP error also reaches
// the owner of the packet it quotes (QuotedShard). Worker 0 reports what
// concerns every packet (definitions, probe_start, malformed packets, capture-time events); the
// workers' own figures (anomaly counters, S0 aggregates, evictions,
// totals) are summed by the merge (Workers.merge), so the events are one
// probe's. Flows, TCP connections and FTP sessions are numbered from the
// capture ordinal of the packet that created them (setIDs), not in order
// of creation per worker: the same ids for any number of workers.

// shard is a worker probe's place in a Workers run.
type shard struct {
	w, n  int
	rec   *recorder
	parts []closePart // interval closes since the last merge
	ntcp  uint64      // classes with tcp (setIDs); 0 until counted
}

// closePart is a worker's share of one interval close (or of the end of
// the run, final), for the merge to sum.
type closePart struct {
	atNs     int64
	changes  []slotChange
	s0       []s0Count
	evicted  uint64
	reasmBad uint64 // reassembled datagrams with a bad UDP length (reasmAnomalyEvent)
	final    bool
	totals   []reflect.Value // per source (final)
	stats    Stats           // final
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

// skips reports whether a worker other than 0 can leave a packet alone
// without dissecting it: another worker owns it, as its headers say
// (dissect.PeekShard: a TCP or UDP packet, which quotes no other flow).
// Worker 0 dissects every packet (it counts them all: Stats, malformed
// packets); the others found the packets of other workers a no-op after
// dissecting them, which cost each of them the dissection of every packet.
func (sh *shard) skips(data []byte, lt pkt.LinkType) bool {
	if sh.w == 0 {
		return false
	}
	s := dissect.PeekShard(data, lt, sh.n)
	return s >= 0 && s != sh.w
}

// ownsQuoted reports whether the worker owns the packet an ICMP error
// quotes.
func (sh *shard) ownsQuoted(d *dissect.Dissection) bool {
	w, _ := d.QuotedShard(sh.n)
	return w == sh.w
}

// setIDs numbers what the packet of capture ordinal ord creates: flow
// ids base+(ord-1)*classes+1 onwards (a packet creates at most one flow
// per class), conn_ids base+(ord-1)*n+1 onwards, n the classes with tcp
// (at most one per such class; they share one counter: tcpconn.ShareIDs;
// with one such class, base+ord),
// session ids base+ord (at most one per class's tracker), base being
// Identity.IDBase.
func (sh *shard) setIDs(p *Probe, ord uint64) {
	p.flows.SetNextID(p.id.IDBase + (ord-1)*uint64(len(p.classes)))
	if sh.ntcp == 0 {
		for ci := range p.classes {
			if p.classes[ci].tcp != nil {
				sh.ntcp++
			}
		}
	}
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.tcp != nil {
			c.tcp.SetNextID(p.id.IDBase + (ord-1)*sh.ntcp)
		}
		if c.ftp != nil {
			c.ftp.SetNextID(p.id.IDBase + ord - 1)
		}
	}
}

// closeInterval keeps the worker's share of an interval's events.
func (sh *shard) closeInterval(p *Probe, atNs int64) {
	sh.parts = append(sh.parts, closePart{atNs: atNs, changes: p.counterChanges(), s0: p.s0Take(), evicted: p.evictedI, reasmBad: p.reasmBadI})
	p.evictedI, p.reasmBadI = 0, 0
}

// final keeps the worker's totals at the end of the run.
func (sh *shard) final(p *Probe) {
	p.readSources()
	part := closePart{atNs: pkt.After(p.nowNs, p.startNs), final: true, stats: p.Stats()} // as Close stamps a lone probe's end
	for _, s := range p.sources {
		part.totals = append(part.totals, s.value)
	}
	sh.parts = append(sh.parts, part)
}

// sharedMetricID is a run-time metric's id in a Workers run: a hash of its
// name, the same in every worker (a lone probe numbers them in order of
// first use), with bit 31 set (above every fixed metric id) and bit 30
// clear (below every sharedICMP id). The names hashed are a fixed few
// (rtt_unanswered_<kind>, fragMetric): TestSharedMetricIDsDistinct.
func sharedMetricID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()&(1<<30-1) | 1<<31
}

// sharedICMP is the base of the ICMP metrics' ids in a Workers run: the
// id is sharedICMP | the 18-bit key of icmpMetricID (version, error,
// type, code), one id per name. A hash of the 2^18 names would collide
// (about 16 pairs expected in 31 bits), counting two kinds of message as
// one.
const sharedICMP = 1<<31 | 1<<30

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
	ord      uint64 // capture ordinal of the packet being processed
	nowNs    int64
	chunk    int32 // the record's bytes: recorder.bufs[chunk][off:end] (opEnd)
	off, end int32
	op       uint8
	t        pdu.Type
}

const (
	opEnd = iota
	opTick
	opFlushType
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
	nbuf int
	enc  pdu.Enc
}

var _ pdu.Publisher = (*recorder)(nil)

// Begin returns the scratch encoder for one record.
func (r *recorder) Begin(t pdu.Type, nowNs int64) *pdu.Enc {
	r.enc.B = r.enc.B[:0]
	return &r.enc
}

// End keeps the record.
func (r *recorder) End(t pdu.Type, nowNs int64) {
	n := len(r.enc.B)
	if r.nbuf == 0 || len(r.bufs[r.nbuf-1])+n > cap(r.bufs[r.nbuf-1]) {
		if r.nbuf == len(r.bufs) {
			r.bufs = append(r.bufs, make([]byte, 0, max(recBytesChunk, n)))
		} else if cap(r.bufs[r.nbuf]) < n {
			r.bufs[r.nbuf] = make([]byte, 0, n)
		}
		r.nbuf++
	}
	b := &r.bufs[r.nbuf-1]
	off := len(*b)
	*b = append(*b, r.enc.B...)
	r.add(recOp{ord: r.ord, op: opEnd, t: t, nowNs: nowNs, chunk: int32(r.nbuf - 1), off: int32(off), end: int32(len(*b))})
}

// add appends op.
func (r *recorder) add(op recOp) {
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

// Tick keeps the clock step.
func (r *recorder) Tick(nowNs int64) {
	if l := r.last(); l != nil && l.op == opTick { // one step for a run of steps
		l.ord, l.nowNs = r.ord, max(l.nowNs, nowNs)
		return
	}
	r.add(recOp{ord: r.ord, op: opTick, nowNs: nowNs})
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

// replay makes op's call on out.
func (r *recorder) replay(op *recOp, out pdu.Publisher) {
	switch op.op {
	case opEnd:
		e := out.Begin(op.t, op.nowNs)
		e.B = append(e.B, r.bufs[op.chunk][op.off:op.end]...)
		out.End(op.t, op.nowNs)
	case opTick:
		out.Tick(op.nowNs)
	case opFlushType:
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
	recKeepOps  = 1
	recKeepBufs = 1
)

// reset forgets the ops and records, keeping the first chunks.
func (r *recorder) reset() {
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
	r.nops, r.nbuf = 0, 0
}

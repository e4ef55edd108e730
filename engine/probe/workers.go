package probe

import (
	"log/slog"
	"math"
	"sync/atomic"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Engine is what runs one probe identity: a lone Probe, or Workers.
type Engine interface {
	// Packet processes one captured packet (data is borrowed for the call).
	Packet(data []byte, m pkt.Meta)
	// Tick moves the clock to capture time nowNs without a packet.
	Tick(nowNs int64)
	// Close ends the run and sends every PDU under construction.
	Close()
	// Senders are the PDU channels, one per collector.
	Senders() []*pdu.Sender
	// Stats are the probe's counters.
	Stats() Stats
	// Event reports an event at capture time timeNs.
	Event(timeNs int64, sev uint8, kind, msg string)
	// EventCount is Event for an event that reports n things (kernel
	// drops, packets): n reaches events.count.
	EventCount(timeNs int64, sev uint8, kind, msg string, n uint64)
	// Now is the probe clock (Unix ns of capture time).
	Now() int64
	// Started reports whether the probe started (probe_start sent: a
	// packet with a valid time or a tick reached it).
	Started() bool
	// LastID is the highest flow, connection or session id given
	// (Identity.IDBase when none), once Close returned: the next run's
	// Identity.IDBase.
	LastID() uint64
	// Held counts the events reported before the start, waiting for it
	// (Probe.EventCount).
	Held() int
	// Pending counts the PDUs awaiting acknowledgement.
	Pending() int
	// EndCapture sends the one-way observations held when the engine's
	// captures ended before the run (endcapture.go), its clock unmoved.
	EndCapture()
	// Settle brings the outputs up to the packets taken, lastNs the time
	// of the latest, the clock unmoved: an engine holding packets (Workers'
	// batches) processes them and sends their PDUs; Probe, processing each
	// as it comes, does nothing (endcapture.go; pipeline's quietTicks).
	Settle(lastNs int64)
	// DestroyedAfterReport reports the PDUs destroyed after the final
	// reports (Probe.DestroyedAfterReport).
	DestroyedAfterReport(nowNs int64)
	// AppendSnapshot adds the engine's counters to an observe.Snapshot
	// (snapshot.go).
	AppendSnapshot(s *observe.Snapshot)
}

var (
	_ Engine = (*Probe)(nil)
	_ Engine = (*Workers)(nil)
)

// Batch bounds of Workers: packets and captured bytes per hand-over, and
// hand-overs in flight (the workers go on with the next batch while the
// caller merges the previous one).
const (
	workerBatchPackets = 1024
	workerBatchBytes   = 1 << 20
	workerInflight     = 2
	// workerBlockBytes bounds the blocks a batch holds references to
	// (their whole size, not the lent packets'): a packet whose block
	// would pass it is copied instead. A filter passing one packet of a
	// block would otherwise hold a 512 KiB block per packet, 1024 a batch
	// (a review: a 227 MB capture's whole file held, 96 -> 288 MB).
	workerBlockBytes = 4 * workerBatchBytes
)

// Workers runs one probe identity on n goroutines (issue 14, design
// 1.14.2): the caller's goroutine reads packets into batches of
// workerBatchPackets packets (or workerBatchBytes bytes), copied, or left
// in the source's blocks when it lends them (PacketLent); every worker
// goes through every batch and owns the flows of its share of address
// pairs (shard.go); the caller's goroutine merges what the workers
// published for each batch, in capture order of the packets that caused
// it, into the probe's real senders, while the workers go on with the
// next batch. The tables are the same for any n (TestWorkersSameRows),
// ids included: the workers' own flow, connection and session ids are
// renumbered densely by the merge, as a lone Probe numbers them
// (renum.go). Not safe for concurrent use: one goroutine calls its methods.
//
// Limits: max_flows and the analysers' tables hold per worker (n times
// the config's bound in all); under a flow-table or connection-table flood
// the evictions, and so the rows, depend on n. The limited events
// (ip_reassembly_incomplete, ip_reassembly_oversize) keep their first 20
// per interval across the workers, then one summary: the merge applies
// the lone probe's rule (limits.go). The records of one packet or clock step that
// several workers publish (an interval close, the timers, the end of the
// run) are merged in a lone probe's order (order.go), so the PDUs are a
// lone probe's, byte for byte (TestWorkersSameFrames), and so are a
// probe's Parquet files (TestWorkersSameFiles), but for the few stages
// order.go names. An interval close holds the interval's reports of a
// batch in memory until the merge; the end of the run goes through each
// worker's recorder bound (bound.go).
type Workers struct {
	ws       []*Probe
	out      pdu.Publisher
	senders  []*pdu.Sender
	lateSeen [][2]uint64 // see Probe.lateSeen
	jobs     []chan *workBatch
	cur      *workBatch
	inflight []*workBatch // oldest first
	free     []*workBatch
	stats    Stats
	now      int64
	merged   int64 // the latest capture time of the batches merged into the senders (ackNs)
	closed   bool
	resync   bool
	started  bool         // worker 0 started, as of the last merge (its probe_start is sent)
	startNs  int64        // worker 0's start: probe_start's time (afterStart)
	lastEvNs int64        // the latest time of an event given to EventCount or sent held (final)
	early    []earlyEvent // events reported before that, sent after it (Probe.EventCount)
	drops    [][]oneway.Dropped
	idx      []int
	heads    []headKey // the merge's keys of the workers' next records (head)
	slotN    []uint64
	slotAt   []int64
	rn       *renum // the workers' sparse ids to dense ones (renum.go)
	// scanned, lastItem and closes are the merge's place in a batch, from
	// one round to the next (mergeRound): the ids of item lastItem
	// numbered (scanned), the interval closes written
	scanned  bool
	lastItem uint64
	closes   int
	bound    int           // a worker's recorder bound (bound.go)
	rounds   uint64        // the merge's rounds cut short by a pause (mergeRounds; read by tests)
	direct   []renumbering // per worker: its records straight to the senders, renumbered
	lim      limitMerge    // the limited events replayed in the interval (limits.go)
}

// workBatch is one hand-over of packets to the workers, and what each
// worker published while going through it.
type workBatch struct {
	data  []byte
	items []workItem
	// blocks are the source's blocks the lent packets are in (PacketLent),
	// each with a reference released when the batch is merged; lentBytes
	// counts those packets' bytes.
	blocks     []*pkt.Block
	lentBytes  int
	blockBytes int       // the blocks' sizes summed (workerBlockBytes)
	maxNs      int64     // the latest capture time of its items
	final      bool      // the end of the run (Workers.Close): every worker's Probe.Close
	out        []workOut // per worker
}

type workItem struct {
	m        pkt.Meta
	lent     []byte // the packet in a block of blocks, or nil: copied, data[off:end]
	off, end int
	tick     bool
	// endCapture: the captures ended (EndCapture), not a packet
	endCapture bool
	// shard is the worker that owns the packet as its headers say
	// (dissect.PeekShard, read by the caller's goroutine, in whose cache
	// the packet is), or -1 when they do not say: a worker leaves the
	// packets of the others alone without reading them (shard.dissect).
	shard int32
}

// packet returns the bytes of item it.
func (b *workBatch) packet(it *workItem) []byte {
	if it.lent != nil {
		return it.lent
	}
	return b.data[it.off:it.end]
}

// workOut is what one worker published during one batch.
type workOut struct {
	rec   recorder
	parts []closePart
	stats Stats // the worker's Stats at the batch's end
	// started and startNs: the worker started, at that time (Probe.startNs),
	// as of the batch's end.
	started bool
	startNs int64
	// state is the worker's in this batch as the merge last saw it
	// (workRunning, workPaused, workDone: Workers.retire); the worker
	// sends its pauses and its end on sig and waits on resume (bound.go).
	state  int
	sig    chan int
	resume chan struct{}
}

// NewWorkers returns a probe engine of n workers (n >= 1) sending to
// channels as New would; the caller feeds it from one goroutine and ends
// with Close, which stops the workers. Errors are New's.
func NewWorkers(id Identity, cfg *config.Config, channels []Channel, log *slog.Logger, n int) (*Workers, error) {
	n = max(n, 1)
	w := &Workers{merged: math.MinInt64}
	quiet := make([]Channel, len(channels))
	for i, ch := range channels {
		quiet[i] = Channel{Link: nopLink{}, Config: ch.Config}
	}
	for i := range n {
		p, err := New(id, cfg, quiet, log)
		if err != nil {
			return nil, err
		}
		p.sh = &shard{w: i, n: n, peek: -1, rec: &recorder{}}
		p.sh.trackers(p)
		p.out, p.senders, p.drops = p.sh.rec, nil, nil
		w.ws = append(w.ws, p)
	}
	w.drops = make([][]oneway.Dropped, len(channels))
	for i, ch := range channels {
		sc := ch.Config
		sc.Epoch = id.Epoch
		s := pdu.NewSender(sc, id.ID, ch.Link)
		s.SetOnEventCount(w.eventCount)
		s.SetOnRestart(func() { w.resync = true })
		s.SetOnDestroy(func(t pdu.Type, payload []byte) {
			if t == pdu.TypePacketObs {
				oneway.Summarize(payload, func(x *oneway.Dropped) { w.drops[i] = append(w.drops[i], *x) })
			}
		})
		w.senders = append(w.senders, s)
	}
	var out pdu.Publisher = w.senders[0]
	if len(w.senders) > 1 {
		out = pdu.NewMulti(w.senders...)
	}
	w.out = &defOnce{out: out, defined: map[uint32]bool{}}
	w.rn = newRenum(n, id.IDBase, idGrace(cfg, w.ws[0]))
	w.direct = make([]renumbering, n)
	for i, p := range w.ws {
		w.direct[i] = renumbering{out: w.out, rn: w.rn, p: p, w: i}
	}
	w.bound = workerRecordBytes
	w.cur = w.batch()
	for i, p := range w.ws {
		ch := make(chan *workBatch, workerInflight)
		w.jobs = append(w.jobs, ch)
		go work(i, p, ch)
	}
	return w, nil
}

// work is worker i's goroutine.
func work(i int, p *Probe, jobs <-chan *workBatch) {
	var sum byte
	for b := range jobs {
		o := &b.out[i]
		p.sh.rec, p.out, p.sh.parts = &o.rec, &o.rec, o.parts[:0]
		if b.final {
			o.rec.ord = 1 << 32
			p.sh.begin()
			p.Close()
			p.sh.done(p)
		}
		for j := range b.items {
			if j%touchPackets == 0 {
				sum += b.touch(j, i)
			}
			it := &b.items[j]
			p.sh.rec.ord = uint64(j+1) << 32 // the item, every worker's the same (order.go)
			p.sh.begin()
			if it.tick {
				p.Tick(it.m.TimeNs)
			} else if it.endCapture {
				p.EndCapture()
			} else {
				p.sh.peek = int(it.shard)
				p.Packet(b.packet(it), it.m)
			}
			p.sh.done(p)
			if o.rec.held > o.rec.bound && j+1 < len(b.items) {
				pauseWorker(p, o) // at the item's end: bound.go
			}
		}
		o.parts, o.stats = p.sh.parts, p.Stats()
		o.started, o.startNs = p.started, p.startNs
		o.sig <- workDone
	}
	touchSink.Add(uint32(sum))
}

// touchPackets is how many packets of a batch a worker touches at once
// (workBatch.touch): 64 packets' headers, 4-8 KiB, stay in the core's L1
// and L2 caches until dissected.
const touchPackets = 64

// touchSink keeps the bytes touched alive, so the compiler keeps the loads.
var touchSink atomic.Uint32

// touch reads the first and 64th byte of items j to j+touchPackets-1
// that worker w may dissect (not another's: workItem.shard) and returns
// their sum. The caller's goroutine copied the packets into the
// batch (or the kernel into the source's blocks: PacketLent) on another
// core: the dissector's first read of each header was a
// cache miss, one after the other. These loads do not depend on each
// other, so the core has many misses in flight at once, and the dissector
// then finds the headers in cache. Measured on the 5 M corpus (bench
// --workers 1, CPU profiles of 2 runs each, alternated): Dissect 0.23 and
// 0.39 s before, Dissect and touch 0.22 s after; the worker's goroutine
// 2.20 and 2.24 s before, 2.07 and 2.13 s after.
func (b *workBatch) touch(j, w int) byte {
	var sum byte
	for k := j; k < min(j+touchPackets, len(b.items)); k++ {
		it := &b.items[k]
		if it.shard >= 0 && int(it.shard) != w {
			continue
		}
		if d := b.packet(it); len(d) > 0 {
			sum += d[0] + d[min(64, len(d)-1)]
		}
	}
	return sum
}

// batch returns an empty batch.
func (w *Workers) batch() *workBatch {
	if n := len(w.free); n > 0 {
		b := w.free[n-1]
		w.free = w.free[:n-1]
		return b
	}
	b := &workBatch{out: make([]workOut, len(w.ws)), maxNs: math.MinInt64}
	for i := range b.out {
		o, p := &b.out[i], w.ws[i]
		o.sig, o.resume = make(chan int, 1), make(chan struct{}, 1)
		o.rec.bound = w.bound
		o.rec.pause = func() { pauseWithin(p, o) }
	}
	return b
}

// Packet queues one packet (copied) for the workers.
func (w *Workers) Packet(data []byte, m pkt.Meta) {
	if w.closed {
		return
	}
	b := w.cur
	off := len(b.data)
	b.data = append(b.data, data...)
	b.items = append(b.items, workItem{m: m, off: off, end: len(b.data), shard: w.peek(data, m.LinkType)})
	w.queued(m.TimeNs)
}

// PacketLent is Packet for a packet whose bytes are in blk, a block of the
// source (pkt.Lender.Lent): the batch keeps a reference to blk until the
// workers are done with it instead of copying the packet (issue 14: the
// copy cost the reader's goroutine 50-80 ns a packet). A nil blk, or an
// empty packet, is copied as Packet does.
func (w *Workers) PacketLent(data []byte, m pkt.Meta, blk *pkt.Block) {
	if blk == nil || len(data) == 0 {
		w.Packet(data, m)
		return
	}
	if w.closed {
		return
	}
	b := w.cur
	if !b.holds(blk) {
		if b.blockBytes+len(blk.Data) > workerBlockBytes {
			w.Packet(data, m) // sparse packets: a copy is cheaper than their blocks
			return
		}
		blk.Retain()
		b.blocks = append(b.blocks, blk)
		b.blockBytes += len(blk.Data)
	}
	b.lentBytes += len(data)
	b.items = append(b.items, workItem{m: m, lent: data, shard: w.peek(data, m.LinkType)})
	w.queued(m.TimeNs)
}

// peek returns the worker that owns a packet as its headers say, or -1
// (dissect.PeekShard; workItem.shard).
func (w *Workers) peek(data []byte, lt pkt.LinkType) int32 {
	return int32(dissect.PeekShard(data, lt, len(w.ws)))
}

// holds reports whether the batch has a reference to blk: the last block
// taken, usually (one source reads block after block), or an earlier one
// (several sources merged).
func (b *workBatch) holds(blk *pkt.Block) bool {
	for i := len(b.blocks) - 1; i >= 0; i-- {
		if b.blocks[i] == blk {
			return true
		}
	}
	return false
}

// queued hands the current batch over when full, after a packet of
// capture time timeNs joined it.
func (w *Workers) queued(timeNs int64) {
	b := w.cur
	w.now = max(w.now, timeNs)
	b.maxNs = max(b.maxNs, timeNs)
	if len(b.items) >= workerBatchPackets || len(b.data)+b.lentBytes >= workerBatchBytes {
		w.dispatch()
	}
}

// Tick moves every worker's clock to nowNs (a live capture idles) and
// waits for them. After Close it moves the channels' clock (their
// retransmissions while lingering, as a closed Probe's Tick does).
func (w *Workers) Tick(nowNs int64) {
	if w.closed {
		w.out.Tick(nowNs)
		w.reportDrops()
		return
	}
	w.cur.items = append(w.cur.items, workItem{m: pkt.Meta{TimeNs: nowNs}, tick: true, shard: -1})
	w.now = max(w.now, nowNs)
	w.cur.maxNs = max(w.cur.maxNs, nowNs)
	w.dispatch()
	w.drain()
}

// dispatch hands the current batch to the workers, first merging the
// oldest batch in flight when workerInflight are.
func (w *Workers) dispatch() {
	if len(w.cur.items) == 0 {
		return
	}
	if w.resync { // a collector restarted: every worker defines its flows again
		w.resync = false
		w.drain()
		for i, p := range w.ws {
			p.out = &w.direct[i]
			p.resync()
		}
	}
	for len(w.inflight) >= workerInflight {
		w.retire()
	}
	w.send(w.cur)
	w.cur = w.batch()
}

// send hands batch b to the workers.
func (w *Workers) send(b *workBatch) {
	for _, ch := range w.jobs {
		ch <- b
	}
	w.inflight = append(w.inflight, b)
}

// retire waits for the oldest batch in flight and merges it.
func (w *Workers) retire() {
	b := w.inflight[0]
	// Shift, not w.inflight[1:]: the slice keeps its start, so the
	// dispatch's append does not outgrow it (a new backing array per
	// batch: 0.001 allocations a packet with 2 workers, issue 14).
	n := copy(w.inflight, w.inflight[1:])
	w.inflight[n] = nil
	w.inflight = w.inflight[:n]
	w.mergeRounds(b.out)
	w.merged = max(w.merged, b.maxNs)
	w.rn.expire(w.merged)
	b.data, b.items, b.maxNs = b.data[:0], b.items[:0], math.MinInt64
	for i, blk := range b.blocks {
		blk.Release()
		b.blocks[i] = nil
	}
	b.blocks, b.lentBytes, b.blockBytes = b.blocks[:0], 0, 0
	for i := range b.out {
		b.out[i].rec.reset()
		b.out[i].parts = b.out[i].parts[:0]
		b.out[i].state = workRunning
	}
	w.free = append(w.free, b)
}

// drain merges every batch in flight: the workers are then idle.
func (w *Workers) drain() {
	for len(w.inflight) > 0 {
		w.retire()
	}
}

// Close ends the run: the last batch, then every worker's end of run,
// run by the workers and merged as a batch's are (its last reports in the order of a
// lone probe's, so that the PDUs are the same bytes: before, each worker's went straight
// to the senders, one after the other), the summed totals, probe_stop, the final reports.
func (w *Workers) Close() {
	if w.closed {
		return
	}
	w.dispatch()
	w.drain()
	b := w.cur
	b.final = true
	w.send(b)
	w.retire()
	b.final = false
	w.closed = true
	for _, ch := range w.jobs {
		close(ch)
	}
	if w.rn.misses > 0 { // a fault of the merge: never seen in the tests (TestWorkersSameRows)
		w.ws[0].log.Error("workers: ids not renumbered, left sparse in the tables", "probe", w.ws[0].id.Name, "ids", w.rn.misses)
	}
}

// eventCount reports a channel's event (backlog, overflow).
func (w *Workers) eventCount(timeNs int64, sev uint8, kind, msg string, n uint64) {
	w.ws[0].logLifecycle(sev, kind, msg)
	appendEvent(w.out, timeNs, sev, kind, msg, n)
}

// Senders returns the PDU senders, one per channel.
func (w *Workers) Senders() []*pdu.Sender { return w.senders }

// Stats returns the workers' counters summed, as of the last merge.
func (w *Workers) Stats() Stats { return w.stats }

// Event reports an event at capture time timeNs.
func (w *Workers) Event(timeNs int64, sev uint8, kind, msg string) {
	w.EventCount(timeNs, sev, kind, msg, 0)
}

// EventCount is Event with what the event counts (events.count). One
// reported before the probe started is held for its start, as
// Probe.EventCount holds it.
func (w *Workers) EventCount(timeNs int64, sev uint8, kind, msg string, n uint64) {
	if !w.closed {
		// the batches in flight first: the workers' start may be among
		// them (an event held for it would then be sent at the start,
		// moving the senders' clock past the batches' records), and an
		// event at the reader's clock would move the senders' clock past
		// them (ackNs)
		w.dispatch()
		w.drain()
	}
	if !w.started {
		w.early = append(w.early, earlyEvent{timeNs: timeNs, sev: sev, kind: kind, msg: msg, n: n})
		return
	}
	timeNs = afterStart(kind, timeNs, w.startNs)
	if !w.closed {
		w.lastEvNs = max(w.lastEvNs, timeNs)
	}
	appendEvent(w.out, timeNs, sev, kind, msg, n)
}

// Started reports whether the probe started, as of the last merge of the
// workers' output (its probe_start is sent).
func (w *Workers) Started() bool { return w.started }

// Held counts the events held for the start: those given to EventCount
// and those the workers hold (a packet's capture_time_invalid before any
// valid time: Probe.stamp), once the batches in flight are merged. A
// worker's count is read while it is idle: Held waits for them.
func (w *Workers) Held() int {
	if w.closed {
		return len(w.early)
	}
	w.dispatch()
	w.drain()
	n := len(w.early)
	for _, p := range w.ws {
		n += p.Held()
	}
	return n
}

// Now returns the latest capture time handed to the workers.
func (w *Workers) Now() int64 { return w.now }

// ackNs is the probe time at which Run hands the senders the
// acknowledgements polled at nowNs: no later than the batches merged into
// them. The batches in flight (up to workerInflight and the one filling,
// 3 x 1024 packets) are behind Now; an acknowledgement handled at Now
// moved the senders' clock past them, so the PDUs built next, holding
// the observations of those batches, said Now as their build time, and
// the collector, taking a PDU's build time as the probe's one-way
// watermark (design 4.3), classified packets whose observations were
// still to come: lost, then missed (TestWorkersAcksKeepBuildTimes). After
// Close every batch is merged.
func (w *Workers) ackNs(nowNs int64) int64 {
	if w.closed {
		return nowNs
	}
	return min(nowNs, w.merged)
}

// Pending returns the PDUs waiting for an acknowledgement.
func (w *Workers) Pending() int {
	n := 0
	for _, s := range w.senders {
		n += s.Pending()
	}
	return n
}

// nopLink is the link of the worker probes' own senders, never used (the
// workers publish into recorders).
type nopLink struct{}

func (nopLink) Send(frame []byte) {}

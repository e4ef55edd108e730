package oneway

import (
	"fmt"
	"math"
	"slices"

	"github.com/google/btree"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Status is the classification of a packet (end to end) or of a packet on
// a hop pair; its String is the value of oneway_delays.status.
type Status uint8

// Statuses (design 4.3; RFC 7679 one-way delay, RFC 7680 loss).
const (
	StatusDelivered Status = iota // seen at both ends (delay known)
	StatusLost                    // seen upstream, never at the downstream end nor after it
	StatusMissed                  // seen downstream but not upstream (or passed a hop unobserved)
	StatusDropped                 // an observation was given up by its probe (Reconciler.Drop)
	StatusDuplicate               // an extra copy of the packet at a hop
)

var statusNames = [...]string{"delivered", "lost", "missed", "dropped", "duplicate"}

// String returns "delivered", "lost", "missed", "dropped" or "duplicate".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// Limits bound a Reconciler's state and set its reporting interval. Zero
// fields take the DefaultLimits values.
type Limits struct {
	// IntervalS is the length of the oneway_latency and oneway_loss
	// intervals in seconds, aligned on multiples of it since the epoch.
	// Default 60.
	IntervalS float64
	// MaxRecords bounds the packets awaiting classification; beyond it the
	// oldest is classified early (Stats.Evicted). Default 1<<20.
	MaxRecords int
	// MaxFlows bounds the one-way flows; observations of further flows
	// are counted (Stats.FlowsFull) and ignored. Default 65536.
	MaxFlows int
	// DupWindowS: a record seen at a strict subset of another's hops, with
	// the same signature and size and within this many seconds of it at
	// each of those hops, holds extra copies of that packet (duplicates);
	// otherwise it is another packet with the same signature. Default 0.02.
	DupWindowS float64
	// MaxDropRanges bounds the Drop notices held (Stats.DropRangesFull).
	// Default 4096.
	MaxDropRanges int
	// IdleS ends a one-way flow after this many seconds of capture time
	// without an observation (the collector gives its class's
	// idle_timeout_s): an observation later than that belongs to a new
	// flow of the same key (Observe returns false), and the flow's state
	// is freed once every hop has reported past its end plus the timeout,
	// its packets classified and its intervals written (Freed). 0, the
	// default: flows are kept for the Reconciler's life (Limits.MaxFlows
	// then bounds them over any run).
	IdleS float64
	// SilentS bounds, in seconds of capture time, how long a hop whose
	// probe stopped reporting (killed, partitioned, never heard from)
	// holds the packets and intervals of the class open: once another
	// hop's clock is that far ahead of its latest report, they are
	// closed without it (Advance; Stats.SilentHops). The collector gives
	// timeout_s + interval_s + the longest max_build_s + final_timeout_s
	// of the regulation: a PDU older than that was given up by its probe
	// (a drop notice says so), so nothing of the hop can still arrive in
	// time. 0, the default: a silent hop holds them until Flush (or
	// MaxRecords).
	SilentS float64
	// MaxBuildS is how far a probe's PDU build time (Advance) may run
	// ahead of observations still waiting to be sent in a later PDU (the
	// collector gives the longest max_build_s of the regulation): a run
	// killed reported everything only up to its latest report less that,
	// so a packet missing at its hop and due after that is dropped,
	// unreported, when its probe starts again (Resume) or when it is
	// classified before the probe reported past it (Flush, eviction, a
	// silent hop), not lost. 0, the default: the build time.
	MaxBuildS float64
}

// DefaultLimits returns 60 s intervals, 1<<20 records, 65536 flows, a 20
// ms duplicate window and 4096 drop notices.
func DefaultLimits() Limits {
	return Limits{IntervalS: 60, MaxRecords: 1 << 20, MaxFlows: 65536, DupWindowS: 0.02, MaxDropRanges: 4096}
}

// Output receives a Reconciler's results. Rows are reused: copy what you
// keep (pointer fields included) before returning. Any callback may be nil.
type Output struct {
	// Delay gets the oneway_delays rows (Config.Records only): per
	// classified packet, one row per hop pair it reached, plus a duplicate
	// row when a pair's to_hop saw extra copies.
	Delay func(*observe.OnewayDelay)
	// Latency gets one oneway_latency row per flow, hop pair and interval
	// with delays, once the interval is closed.
	Latency func(*observe.OnewayLatency)
	// Loss gets one oneway_loss row per flow, hop pair and interval with
	// packets, once the interval is closed.
	Loss func(*observe.OnewayLoss)
	// Packet gets every classified packet with its times at every hop
	// (design 4.3: "the record, with a list of timestamps, is produced
	// as-is"), before its Delay rows.
	Packet func(*Packet)
}

// Packet is one classified packet (or datagram) of a one-way flow. Its
// slices are reused: valid only during the Output.Packet call.
type Packet struct {
	FlowID    uint64 // collector-wide one-way flow id (as given to Observe)
	Signature uint64
	SizeBytes uint32 // IP length, 0 when no hop reported it
	Status    Status // end to end: delivered, lost, missed or dropped
	Seen      uint32 // bit i set: seen at hop i
	// LostAfter is, for StatusLost, the last hop that saw the packet: it
	// disappeared between hop LostAfter and LostAfter+1. -1 otherwise.
	LostAfter int
	// Collided is true when another packet of the flow had the same
	// signature within the matching window (resolved by size and time).
	Collided bool
	// FirstNs and LastNs are, per hop, the capture times (Unix ns, clock
	// offset subtracted) of the first and last fragment, equal for an
	// unfragmented packet; meaningful where Seen.
	FirstNs, LastNs []int64
	// Duplicates counts, per hop, the extra copies seen.
	Duplicates []uint32
}

// Stats counts what a Reconciler did; every counter only grows.
type Stats struct {
	Observations      uint64 // observations given to Observe (bad hops excluded)
	Matched           uint64 // observations joined to a record of another hop
	Records           uint64 // packet records created
	Collisions        uint64 // packets classified while another packet of the flow with the same signature was open (within the timeout): resolved by size and time
	Duplicates        uint64 // extra copies of a packet at a hop (folded into the packet: see Observe)
	Delivered         uint64 // packets seen at every hop
	Lost              uint64 // packets missing at the end of the path
	Missed            uint64 // packets seen at the end but missing upstream
	Dropped           uint64 // packets with an observation given up by a probe
	Unreported        uint64 // of Dropped: missing at a hop whose probe, still in its run, had not reported that far when they were classified (killed, silent, never heard from, still running at Flush), or due there between two runs of its probe (afterEnd)
	NegativeDelays    uint64 // hop-pair delays below zero after clock offsets (report them: clocks disagree)
	Late              uint64 // observations arriving after their timeout had passed at every hop
	Repeats           uint64 // observations of a later run of a hop's probe (Resume) that an open record already held (same hop, signature, size and times: a restarted probe's replay, a resent spool), ignored
	RepeatsClassified uint64 // observations of a later run of a hop's probe (Resume) up to the time its earlier runs had reported through, joining no open record: their packets were classified and written then; ignored
	Evicted           uint64 // records classified early for MaxRecords
	FlowsFull         uint64 // observations of flows beyond MaxFlows, ignored
	BadHop            uint64 // observations or clocks for a hop index out of range
	DropRangesFull    uint64 // Drop notices ignored for MaxDropRanges
	Intervals         uint64 // (flow, interval) slots closed
	FlowsExpired      uint64 // one-way flows ended after Limits.IdleS without an observation and freed, their packets classified and their intervals written (Freed; oneway_totals flows_expired)
	SilentHops        uint64 // times a hop fell silent: another hop's clock went Limits.SilentS past its latest report, so the packets and intervals were closed without it (Advance); its missing packets are Unreported
}

// mItem orders records for matching: flow, signature, reference time.
type mItem struct {
	flow uint64
	sig  uint64
	key  int64
	idx  int32
}

func mLess(a, b mItem) bool {
	if a.flow != b.flow {
		return a.flow < b.flow
	}
	if a.sig != b.sig {
		return a.sig < b.sig
	}
	if a.key != b.key {
		return a.key < b.key
	}
	return a.idx < b.idx
}

// tItem orders records for classification: reference time.
type tItem struct {
	key int64
	idx int32
}

func tLess(a, b tItem) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return a.idx < b.idx
}

// record is one packet being reconciled; its per-hop times live in the
// Reconciler's arenas at [idx*hops, (idx+1)*hops).
type record struct {
	flow     *flowState
	sig      uint64
	key      int64 // earliest hop time: the reference time (design 4.3)
	size     uint32
	seen     uint32
	collided bool
}

type dropRange struct {
	hop         int
	first, last int64
}

type flowState struct {
	id    uint64
	name  string
	slots []*slot // open intervals, ascending start
	drops []dropRange
	// est holds, per hop pair (index i*hops+j, i < j), the delay from hop
	// i to hop j of the latest observation matched across them (noEst
	// before the first): the flow's current delay, which picks among
	// packets with one signature (see visit). Allocated at the first match.
	est []int64
	// classEst holds, per hop pair like est, the delay of the flow's latest
	// packet classified with both hops seen (noEst before the first): the
	// flow's delay at the time of the records classified next, which
	// dueAt takes. est, the latest match's, may be ahead in time, or a
	// signature collision's that a later upstream observation undoes
	// (visitTaken). Allocated at the first such packet.
	classEst []int64
	// last is the time (corrected) of the flow's latest observation,
	// math.MinInt64 before the first (a sweep then starts its idle time);
	// end, once set (math.MinInt64: not yet), is when it ended: an
	// observation came more than Limits.IdleS after last (idle.go).
	last, end int64
	gen       uint64 // the latest sweep that found a record of it open
	// next is the id of the flow of the same key that follows this one,
	// ended (Renewed; 0: none told): an observation up to the end that
	// matches no record here may match one there (idle.go).
	next uint64
}

// noEst marks a hop pair without a delay estimate yet.
const noEst = math.MinInt64

// Reconciler gathers the partial observations of one one-way class from
// the probes of its path, matches them packet by packet and classifies
// them (design 4.3). Time is capture time: each hop's clock advances with
// Advance (the probes' PDU build times), and a packet is classified once
// every hop's clock has passed its reference time plus the timeout. Not
// safe for concurrent use.
type Reconciler struct {
	class    string
	cfg      Config
	lim      Limits
	out      Output
	nh       int
	pairs    []pair
	latPair  int
	offNs    []int64
	nowNs    []int64 // per hop, corrected
	endNs    []int64 // per hop, corrected: its probe's run ended there (EndProbe); math.MaxInt64 while it runs
	seenNs   []int64 // per hop, corrected: its latest observation (all runs); math.MinInt64 before the first
	rerunNs  []int64 // per hop, corrected: earlier runs of its probe reported through this time (Resume); math.MinInt64 before a rerun
	repeatNs []int64 // per hop, corrected: the latest observation of the earlier runs of its probe (Resume); math.MinInt64 before a rerun
	// gapLo and gapHi: per hop, corrected, the time nobody watched between
	// its probe's runs: what the run before the latest Resume reported
	// through, and the new run's first report (observation or Advance);
	// gapHi is math.MinInt64 before any Resume, math.MaxInt64 until that
	// first report (inGap)
	gapLo, gapHi []int64
	timeout      int64
	interval     int64
	dupWin       int64
	settled      int64 // every record with key <= settled is classified
	// forced is set while records are classified before every hop has
	// reported past them (Flush, eviction): afterEnd then takes a hop's
	// latest report for the end of what it watched.
	forced bool
	// lifted is set while records are classified past a silent hop's
	// clock (Limits.SilentS, Advance): afterEnd takes the latest report
	// of a quiet hop for the end of what it watched, as when forced.
	lifted                 bool
	quiet                  []bool // per hop: silent (Limits.SilentS), counted in Stats.SilentHops, until it catches up
	silent                 int64  // Limits.SilentS in ns; 0: a silent hop holds everything open
	maxBuild               int64  // Limits.MaxBuildS in ns
	firstNs                int64  // the first hop clock reported (silentFloor); math.MinInt64 before
	closed                 int64  // every slot ending at or before closed is emitted
	next                   int64  // earliest end of an open slot
	flows                  map[uint64]*flowState
	order                  []*flowState // by id, for deterministic output
	match                  *btree.BTreeG[mItem]
	times                  *btree.BTreeG[tItem]
	recs                   []record
	first                  []int64
	last                   []int64
	dupNs                  []int64
	dups                   []uint32
	free                   []int32
	live                   int
	ndrops                 int
	slotPool               []*slot
	histPool               []*histogram
	histLive, histPeak     int // histograms of open intervals, and their peak since the last trimHists
	pkt                    Packet
	row                    observe.OnewayDelay
	sendT                  int64
	recvT                  int64
	sendFirstT, recvFirstT int64 // first-fragment times of the row (design 3.8)
	delay                  float64
	visitFn                func(mItem) bool
	twinFn                 func(mItem) bool
	fold                   []int32
	graft                  []int32 // records holding the rest of the packet being classified (classify.go twin)
	q                      query
	stats                  Stats
	idle                   int64  // Limits.IdleS in ns; 0: flows never end
	sweepAt                int64  // the next sweep's earliest time (idle.go)
	gen                    uint64 // sweeps done
}

// query is the state of one matching scan.
type query struct {
	hop      int
	t        int64
	first    int64 // matching: first fragment time
	repeat   int32 // matching: the record already holding this observation (Repeats), or -1
	size     uint32
	best     int32 // matching: the best candidate; classifying: the record
	bestCost int64
	est      []int64 // matching: the flow's delay estimates (nil: none yet)
	bestPair int     // matching: est index of the best candidate's pair, -1 if non-causal
	bestD    int64   // matching: its delay on that pair
	into     int32   // classifying: the record this one duplicates, or -1
	// matching: the record whose observation at the hop this one replaces
	// (visitTaken), or -1; its cost, est index and delay
	swap     int32
	swapCost int64
	swapPair int
	swapD    int64
	noSwap   bool // matching a displaced observation: no place is taken again
}

// New returns a Reconciler for the class named class. cfg is validated
// (granularity unknown here: Validate(nil)) and its zero fields take the
// defaults; so do lim's. Errors wrap ErrConfig.
func New(class string, cfg Config, lim Limits, out Output) (*Reconciler, error) {
	if err := Validate(&cfg, nil); err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	d := DefaultLimits()
	if lim.IntervalS == 0 {
		lim.IntervalS = d.IntervalS
	}
	if lim.MaxRecords == 0 {
		lim.MaxRecords = d.MaxRecords
	}
	if lim.MaxFlows == 0 {
		lim.MaxFlows = d.MaxFlows
	}
	if lim.DupWindowS == 0 {
		lim.DupWindowS = d.DupWindowS
	}
	if lim.MaxDropRanges == 0 {
		lim.MaxDropRanges = d.MaxDropRanges
	}
	if !(lim.IntervalS >= 1e-3) || lim.MaxRecords < 1 || lim.MaxFlows < 1 || lim.DupWindowS < 0 || lim.MaxDropRanges < 0 || !(lim.IdleS >= 0) || math.IsInf(lim.IdleS, 0) ||
		!(lim.SilentS >= 0) || lim.SilentS > 1e9 {
		return nil, fmt.Errorf("%w: limits out of range: %+v", ErrConfig, lim)
	}
	nh := len(cfg.Hops)
	r := &Reconciler{
		class:    class,
		cfg:      cfg,
		lim:      lim,
		out:      out,
		nh:       nh,
		offNs:    make([]int64, nh),
		nowNs:    make([]int64, nh),
		endNs:    slices.Repeat([]int64{math.MaxInt64}, nh),
		seenNs:   slices.Repeat([]int64{math.MinInt64}, nh),
		rerunNs:  slices.Repeat([]int64{math.MinInt64}, nh),
		repeatNs: slices.Repeat([]int64{math.MinInt64}, nh),
		gapLo:    slices.Repeat([]int64{math.MinInt64}, nh),
		gapHi:    slices.Repeat([]int64{math.MinInt64}, nh),
		timeout:  int64(cfg.TimeoutS * 1e9),
		interval: int64(lim.IntervalS * 1e9),
		dupWin:   int64(lim.DupWindowS * 1e9),
		idle:     int64(lim.IdleS * 1e9),
		silent:   int64(lim.SilentS * 1e9),
		maxBuild: int64(lim.MaxBuildS * 1e9),
		quiet:    make([]bool, nh),
		firstNs:  math.MinInt64,
		sweepAt:  math.MinInt64,
		settled:  math.MinInt64,
		closed:   math.MinInt64,
		next:     math.MaxInt64,
		flows:    map[uint64]*flowState{},
		match:    btree.NewWithFreeListG(16, mLess, btree.NewFreeListG[mItem](1024)),
		times:    btree.NewWithFreeListG(16, tLess, btree.NewFreeListG[tItem](1024)),
	}
	from, to := slices.Index(cfg.Hops, cfg.Latency.From), slices.Index(cfg.Hops, cfg.Latency.To)
	r.pairs = pairsOf(nh, from, to)
	r.latPair = slices.Index(r.pairs, pair{from, to})
	for i, h := range cfg.Hops {
		r.offNs[i] = int64(math.Round(cfg.ClockOffsetUs[h] * 1e3))
		r.nowNs[i] = math.MinInt64
	}
	r.pkt.FirstNs = make([]int64, nh)
	r.pkt.LastNs = make([]int64, nh)
	r.pkt.Duplicates = make([]uint32, nh)
	r.visitFn = r.visit
	r.twinFn = r.twin
	return r, nil
}

// Config returns the configuration in use (defaults filled in).
func (r *Reconciler) Config() Config { return r.cfg }

// Limits returns the limits in use (defaults filled in).
func (r *Reconciler) Limits() Limits { return r.lim }

// Stats returns a copy of the counters.
func (r *Reconciler) Stats() Stats { return r.stats }

// Pending returns the number of packets awaiting classification.
func (r *Reconciler) Pending() int { return r.live }

// Hop returns the index of the capture point (probe, iface) on the path,
// or -1 (see HopIndex).
func (r *Reconciler) Hop(probe, iface string) int { return HopIndex(r.cfg.Hops, probe, iface) }

// DefineFlow names the one-way flow id for the output rows (the flow
// column), e.g. "10.10.1.100:high>198.51.100.10:9000/udp".
func (r *Reconciler) DefineFlow(flowID uint64, name string) {
	if f := r.flow(flowID); f != nil {
		f.name = name
	}
}

// Room reports whether a flow not held yet would be taken: the Reconciler
// holds fewer than Limits.MaxFlows flows (it keeps a flow until it is
// freed: Limits.IdleS).
func (r *Reconciler) Room() bool { return len(r.flows) < r.lim.MaxFlows }

// FlowName returns the name DefineFlow gave flow id, and whether the
// Reconciler holds that flow.
func (r *Reconciler) FlowName(id uint64) (string, bool) {
	f := r.flows[id]
	if f == nil {
		return "", false
	}
	return f.name, true
}

// flow returns flow id's state, made if there is room. Id 0 names no
// flow (the collector's for a flow it gave no id, the Reconciler being
// full): its observations are refused as those beyond MaxFlows.
func (r *Reconciler) flow(id uint64) *flowState {
	if f := r.flows[id]; f != nil {
		return f
	}
	if id == 0 || len(r.flows) >= r.lim.MaxFlows {
		r.stats.FlowsFull++
		return nil
	}
	f := &flowState{id: id, last: math.MinInt64, end: math.MinInt64}
	r.flows[id] = f
	i, _ := slices.BinarySearchFunc(r.order, id, func(f *flowState, id uint64) int {
		switch {
		case f.id < id:
			return -1
		case f.id > id:
			return 1
		}
		return 0
	})
	r.order = slices.Insert(r.order, i, f)
	return f
}

// Observe adds the observation o of one-way flow flowID (collector-wide)
// at hop (index in Config.Hops). The hop's clock offset is subtracted from
// o's times. The observation joins the open record of the flow with the
// same signature (and size, when both are known) that lacks this hop and
// whose nearest hop time is closest (design 4.3: "the packet whose
// reference time is the closest"), a causal candidate (delay >= 0)
// winning over one that is not; closest once the flow's current delay
// is counted (see visit). Otherwise it starts a record. Duplicates are
// decided when records are classified (see finalize). An observation of a
// later run of the hop's probe (Resume), at or before the earlier runs'
// latest observation there, that an open record already holds
// (same hop, signature, size and times: a restarted probe replaying its
// capture, a resent spool) is that observation reported again, not
// another copy of the packet: it is counted in Stats.Repeats and ignored
// (within one run the receiver drops repeated PDUs, so an equal
// observation is a real copy, a duplicate). One of a later run of the hop's
// probe (Resume) at or before the time its earlier runs had reported
// through, that neither repeats an open observation nor joins an open
// record, repeats one whose packet was classified and written already:
// counted in Stats.RepeatsClassified and ignored.
//
// With Limits.IdleS set, Observe returns false, having done nothing, for
// an observation of a flow that ended (more than IdleS after the flow's
// latest observation: the first of a new flow of the same key) or was
// freed (an id it does not hold; ids are defined with DefineFlow first):
// the caller gives it to a new flow id. It returns true otherwise.
func (r *Reconciler) Observe(hop int, flowID uint64, o *Obs) bool {
	if hop < 0 || hop >= r.nh {
		r.stats.BadHop++
		return true
	}
	off := r.offNs[hop]
	t := o.TimeNs - off
	f := r.flows[flowID]
	if f == nil && r.idle > 0 && flowID != 0 {
		return false // freed
	}
	if f != nil && r.ended(f, t) {
		return false
	}
	r.stats.Observations++
	if f == nil {
		if f = r.flow(flowID); f == nil {
			return true
		}
	}
	f.last = max(f.last, t)
	first := t
	if o.FirstNs != 0 && o.FirstNs <= o.TimeNs {
		first = o.FirstNs - off
	}
	late := t <= r.settled
	r.seenNs[hop] = max(r.seenNs[hop], t)
	if r.gapHi[hop] == math.MaxInt64 { // the new run's first report (Resume)
		r.gapHi[hop] = t
	}
	r.q = query{hop: hop, t: t, first: first, size: o.SizeBytes, best: -1, bestCost: math.MaxInt64, est: f.est, bestPair: -1, repeat: -1, swap: -1, swapCost: math.MaxInt64}
	lo := mItem{flow: flowID, sig: o.Signature, key: pkt.SubNs(t, r.timeout), idx: math.MinInt32}
	hi := mItem{flow: flowID, sig: o.Signature, key: pkt.AddNs(t, r.timeout), idx: math.MaxInt32}
	r.match.AscendRange(lo, hi, r.visitFn) // hi.idx is never a record's: the range holds key == hi.key
	if g := r.successor(f, lo, hi); g != nil {
		f = g // the packet, past the end at another hop, is the next flow's
		f.last = max(f.last, t)
	}
	switch {
	case r.q.repeat >= 0:
		r.stats.Repeats++
		return true
	case r.q.best < 0 && t <= r.rerunNs[hop]:
		r.stats.RepeatsClassified++
		return true
	case late:
		r.stats.Late++
	}
	if q := &r.q; q.swap >= 0 && (q.best < 0 || q.bestPair < 0) && r.recs[q.swap].flow == f {
		// no causal record lacks the hop: take the place of one held
		// there (visitTaken); the one displaced is matched again
		first, t = r.retake(hop, first, t)
		r.q = query{hop: hop, t: t, first: first, size: o.SizeBytes, best: -1, bestCost: math.MaxInt64, est: f.est, bestPair: -1, repeat: -1, swap: -1, swapCost: math.MaxInt64, noSwap: true}
		r.match.AscendRange(mItem{flow: f.id, sig: o.Signature, key: pkt.SubNs(t, r.timeout), idx: math.MinInt32},
			mItem{flow: f.id, sig: o.Signature, key: pkt.AddNs(t, r.timeout), idx: math.MaxInt32}, r.visitFn)
	}
	if r.q.best >= 0 {
		r.join(f, hop, o.SizeBytes, first, t)
		return true
	}
	r.record(f, hop, o.Signature, o.SizeBytes, first, t)
	return true
}

// join adds the observation at hop (times first, t) to the scan's best
// record and makes its delay the flow's current one on the pair.
func (r *Reconciler) join(f *flowState, hop int, size uint32, first, t int64) {
	q := &r.q
	rec := &r.recs[q.best]
	r.stats.Matched++
	i := int(q.best)*r.nh + hop
	r.first[i], r.last[i] = first, t
	rec.seen |= 1 << hop
	if rec.size == 0 {
		rec.size = size
	}
	if q.bestPair >= 0 {
		if f.est == nil {
			f.est = make([]int64, r.nh*r.nh)
			for i := range f.est {
				f.est[i] = noEst
			}
		}
		f.est[q.bestPair] = q.bestD
	}
	if t < rec.key {
		r.rekey(q.best, t)
	}
}

// retake gives the scan's observation at hop (times first, t) the place
// of the one record q.swap held there (visitTaken) and returns the times
// of the observation it displaced, to be matched again.
func (r *Reconciler) retake(hop int, first, t int64) (int64, int64) {
	q := &r.q
	rec := &r.recs[q.swap]
	base := int(q.swap) * r.nh
	i := base + hop
	oldFirst, oldLast := r.first[i], r.last[i]
	r.first[i], r.last[i] = first, t
	r.stats.Matched++
	q.est[q.swapPair] = q.swapD
	key := int64(math.MaxInt64)
	for h := range r.nh {
		if rec.seen&(1<<h) != 0 {
			key = min(key, r.last[base+h])
		}
	}
	if key != rec.key {
		r.rekey(q.swap, key)
	}
	return oldFirst, oldLast
}

// record starts a record of flow f seen at hop at times first and t.
func (r *Reconciler) record(f *flowState, hop int, sig uint64, size uint32, first, t int64) {
	idx := r.alloc()
	rec := &r.recs[idx]
	*rec = record{flow: f, sig: sig, key: t, size: size, seen: 1 << hop}
	base := int(idx) * r.nh
	clear(r.dups[base : base+r.nh])
	r.first[base+hop], r.last[base+hop] = first, t
	r.match.ReplaceOrInsert(mItem{flow: f.id, sig: sig, key: t, idx: idx})
	r.times.ReplaceOrInsert(tItem{key: t, idx: idx})
	r.stats.Records++
}

// rekey moves record idx to reference time key in both indexes.
func (r *Reconciler) rekey(idx int32, key int64) {
	rec := &r.recs[idx]
	r.match.Delete(mItem{flow: rec.flow.id, sig: rec.sig, key: rec.key, idx: idx})
	r.times.Delete(tItem{key: rec.key, idx: idx})
	rec.key = key
	r.match.ReplaceOrInsert(mItem{flow: rec.flow.id, sig: rec.sig, key: key, idx: idx})
	r.times.ReplaceOrInsert(tItem{key: key, idx: idx})
}

// sizesDiffer reports two known, different sizes: different packets.
func sizesDiffer(a, b uint32) bool { return a != 0 && b != 0 && a != b }

// visit examines one record of the scan's signature as a candidate.
func (r *Reconciler) visit(it mItem) bool {
	q := &r.q
	rec := &r.recs[it.idx]
	if sizesDiffer(q.size, rec.size) {
		return true // another packet
	}
	base := int(it.idx) * r.nh
	if rec.seen&(1<<q.hop) != 0 {
		// this very observation, reported again by a later run of the
		// hop's probe (within a run the receiver drops repeated PDUs, so
		// a copy with the same times is a real one: a duplicate)
		if i := base + q.hop; q.t <= r.repeatNs[q.hop] && r.last[i] == q.t && r.first[i] == q.first {
			q.repeat = it.idx
			return false
		}
		r.visitTaken(it.idx, base)
		return true // this hop already seen: another copy, or another packet
	}
	d, pi, cost := r.nearest(base, rec.seen, q.t)
	if cost < q.bestCost {
		q.best, q.bestCost, q.bestPair, q.bestD = it.idx, cost, pi, d
		if d < 0 {
			q.bestPair = -1
		}
	}
	return true
}

// nearest returns, for an observation at hop q.hop and time t, the
// delay d on the hop pair pi (est index) to the nearest hop of seen (hop
// q.hop left out) of the record at base, upstream first on a tie, and
// its matching cost; pi is -1 and the cost math.MaxInt64 when seen holds
// no other hop.
func (r *Reconciler) nearest(base int, seen uint32, t int64) (d int64, pi int, cost int64) {
	q := &r.q
	for dist := 1; dist < r.nh; dist++ {
		if u := q.hop - dist; u >= 0 && seen&(1<<u) != 0 {
			d, pi = t-r.last[base+u], u*r.nh+q.hop
			return d, pi, r.cost(d, pi, true)
		}
		if dn := q.hop + dist; dn < r.nh && seen&(1<<dn) != 0 {
			d, pi = r.last[base+dn]-t, q.hop*r.nh+dn
			return d, pi, r.cost(d, pi, false)
		}
	}
	return 0, -1, math.MaxInt64
}

// visitTaken examines a record that already holds an observation at the
// scan's hop: the scan's observation takes that place (Observe, when no
// record lacks the hop with a causal delay) if, the flow's current delay
// on the pair being known, it is causal and fits that delay better than
// the one held, which misses it by more than DupWindowS (a copy's jitter
// never moves one); the displaced observation is matched again. It
// happens when the observations of a hop reach the collector after those
// of the next one (a restarted collector, a PDU retransmitted): a packet
// downstream joined the only record of its signature lacking it, another
// packet's, and the upstream observation of its own comes later
// (TestLateUpstreamTakesItsMatch: 4.88 s delivered and a packet lost, for
// a 206 ms path that dropped the other one; TestLateUpstreamCrossedPair:
// two packets delivered, 1.49 s and -1.08 s instead of 202 and 208 ms).
func (r *Reconciler) visitTaken(idx int32, base int) {
	q := &r.q
	rec := &r.recs[idx]
	if q.noSwap || q.est == nil || r.dups[base+q.hop] != 0 {
		return
	}
	d, pi, cost := r.nearest(base, rec.seen&^(1<<q.hop), q.t)
	if pi < 0 || d < 0 || q.est[pi] == noEst || cost >= q.swapCost {
		return
	}
	if _, _, held := r.nearest(base, rec.seen&^(1<<q.hop), r.last[base+q.hop]); held > r.dupWin && cost < held {
		q.swap, q.swapCost, q.swapPair, q.swapD = idx, cost, pi, d
	}
}

// cost is the matching cost of a candidate whose delay on hop pair pi
// (est index) is d; up is true when the candidate was seen upstream of
// the observation. A non-causal candidate (d < 0) costs |d| plus the
// timeout, so that any causal one beats it. A causal one costs its
// distance to the flow's current delay on the pair (the delay of its
// latest match there): packets that share a signature (identical
// packets, or a collision) sent closer together than their delay are
// then each matched with their own copy, where the closest time would
// pair the first copy downstream with the last one upstream (1 ms
// apart, 3 ms delay: 0, 2, 4, 6 ms instead of 3, 3, 3, 3). Before the
// first match of the pair, the earliest candidate at its hop wins
// (first in, first out: the largest delay upstream, the smallest
// downstream), which is the closest when only one packet is near.
func (r *Reconciler) cost(d int64, pi int, up bool) int64 {
	switch {
	case d < 0:
		return pkt.AddNs(-d, r.timeout)
	case r.q.est != nil && r.q.est[pi] != noEst:
		return abs64(d - r.q.est[pi])
	case up:
		return max(r.timeout-d, 0)
	}
	return d
}

func (r *Reconciler) alloc() int32 {
	if r.live >= r.lim.MaxRecords {
		if it, ok := r.times.Min(); ok {
			r.stats.Evicted++
			r.forced = true
			r.finalize(it.idx)
			r.forced = false
		}
	}
	r.live++
	if n := len(r.free); n > 0 {
		idx := r.free[n-1]
		r.free = r.free[:n-1]
		return idx
	}
	r.recs = append(r.recs, record{})
	for range r.nh {
		r.first = append(r.first, 0)
		r.last = append(r.last, 0)
		r.dupNs = append(r.dupNs, 0)
		r.dups = append(r.dups, 0)
	}
	return int32(len(r.recs) - 1)
}

package oneway

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// State is everything a Reconciler holds that its configuration does not
// give: open packet records, open intervals, drop notices, hop clocks,
// counters. A collector persists it in its checkpoints (issue 13) and
// restores it into a Reconciler built with the same configuration, which
// then goes on exactly as the saved one would have: records keep their
// arena slots, so ties break the same way. It is a plain value
// (encoding/gob).
type State struct {
	NowNs            []int64
	EndNs            []int64 // Reconciler.endNs; nil in a state saved before it existed
	SeenNs, RerunNs  []int64 // Reconciler.seenNs and rerunNs; nil in a state saved before they existed
	RepeatNs         []int64 // Reconciler.repeatNs; nil in a state saved before it existed
	GapLo, GapHi     []int64 // Reconciler.gapLo and gapHi; nil in a state saved before they existed
	Quiet            []bool  // Reconciler.quiet: hops found silent (Limits.SilentS); nil in a state saved before it existed (none)
	FirstNs          int64   // Reconciler.firstNs; 0 in a state saved before it existed, or none yet (taken at the next report)
	Settled, Closed  int64
	Next             int64
	Arena            int     // records allocated (live and free)
	Free             []int32 // free record slots, in reuse order
	Records          []RecordState
	Flows            []FlowState // by id
	Stats            Stats
	Hops, Pairs, Bin int  // shape checks: hops, hop pairs, latency slices + 1
	HistNs           bool // the histograms count ns; false in a state saved before (whole µs): RestoreState converts them
	FlowTimes        bool // FlowState.LastNs and EndNs are set; false in a state saved before they existed (flows then start their idle time at the first sweep)
}

// RecordState is one open packet record and its per-hop times.
type RecordState struct {
	Idx                int32
	Flow               uint64
	Sig                uint64
	Key                int64
	Size               uint32
	Seen               uint32
	Collided           bool
	First, Last, DupNs []int64
	Dups               []uint32
}

// FlowState is one one-way flow: its name, open intervals and drop
// notices.
type FlowState struct {
	ID       uint64
	Name     string
	Slots    []SlotState
	Drops    []DropState
	Est      []int64 // per hop pair, the flow's current delay (flowState.est); nil before its first match, or in a state saved before it existed
	ClassEst []int64 // per hop pair, the delay of its latest packet classified (flowState.classEst); nil before the first, or in a state saved before it existed
	// LastNs and EndNs: the flow's latest observation and its end
	// (Limits.IdleS), corrected ns; math.MinInt64: none yet
	LastNs, EndNs int64
	Next          uint64 // flowState.next (Renewed); 0 in a state saved before it existed
}

// SlotState is one open interval of a flow: one aggregate per hop pair.
type SlotState struct {
	Start int64
	Pairs []AggState
}

// AggState is one hop pair's aggregate of an interval.
type AggState struct {
	Delay                                                    stat.Stat
	Hist                                                     *hdr.Snapshot // nil: no delay yet
	Slices                                                   []uint64
	Sent, Delivered, Lost, Missed, Dropped, Dups, Collisions uint64
}

// DropState is one drop notice (hop clock times).
type DropState struct {
	Hop         int
	First, Last int64
}

// SaveState returns the Reconciler's state (deep copy).
func (r *Reconciler) SaveState() State {
	st := State{NowNs: slices.Clone(r.nowNs), EndNs: slices.Clone(r.endNs), SeenNs: slices.Clone(r.seenNs), RerunNs: slices.Clone(r.rerunNs), RepeatNs: slices.Clone(r.repeatNs), GapLo: slices.Clone(r.gapLo), GapHi: slices.Clone(r.gapHi), Quiet: slices.Clone(r.quiet), FirstNs: r.firstNs, Settled: r.settled, Closed: r.closed, Next: r.next, Arena: len(r.recs),
		Free: slices.Clone(r.free), Stats: r.stats, Hops: r.nh, Pairs: len(r.pairs), Bin: len(r.cfg.Latency.SlicesMs) + 1, HistNs: true, FlowTimes: true}
	r.times.Ascend(func(it tItem) bool {
		rec := &r.recs[it.idx]
		b, e := int(it.idx)*r.nh, int(it.idx+1)*r.nh
		st.Records = append(st.Records, RecordState{Idx: it.idx, Flow: rec.flow.id, Sig: rec.sig, Key: rec.key, Size: rec.size, Seen: rec.seen,
			Collided: rec.collided, First: slices.Clone(r.first[b:e]), Last: slices.Clone(r.last[b:e]), DupNs: slices.Clone(r.dupNs[b:e]), Dups: slices.Clone(r.dups[b:e])})
		return true
	})
	for _, f := range r.order {
		fs := FlowState{ID: f.id, Name: f.name, Est: slices.Clone(f.est), ClassEst: slices.Clone(f.classEst), LastNs: f.last, EndNs: f.end, Next: f.next}
		for _, s := range f.slots {
			ss := SlotState{Start: s.start}
			for _, a := range s.pairs {
				as := AggState{Delay: a.delay, Slices: slices.Clone(a.slices), Sent: a.sent, Delivered: a.delivered, Lost: a.lost,
					Missed: a.missed, Dropped: a.dropped, Dups: a.dups, Collisions: a.collisions}
				if a.hist != nil {
					as.Hist = a.hist.h.Export()
				}
				ss.Pairs = append(ss.Pairs, as)
			}
			fs.Slots = append(fs.Slots, ss)
		}
		for _, d := range f.drops {
			fs.Drops = append(fs.Drops, DropState{Hop: d.hop, First: d.first, Last: d.last})
		}
		st.Flows = append(st.Flows, fs)
	}
	return st
}

// RestoreState replaces the state of r, freshly built with the
// configuration of the saved Reconciler, by st. Errors (r unchanged): st
// does not fit the configuration (hops, pairs, slices, arena indexes).
func (r *Reconciler) RestoreState(st State) error {
	if st.Hops != r.nh || st.Pairs != len(r.pairs) || st.Bin != len(r.cfg.Latency.SlicesMs)+1 || len(st.NowNs) != r.nh || st.Arena < 0 {
		return fmt.Errorf("%w: saved state of %d hops, %d pairs, %d slices does not fit class %s", ErrConfig, st.Hops, st.Pairs, st.Bin, r.class)
	}
	flows := map[uint64]*flowState{}
	var order []*flowState
	for _, fs := range st.Flows {
		if fs.Est != nil && len(fs.Est) != r.nh*r.nh {
			return fmt.Errorf("%w: saved flow with %d delay estimates", ErrConfig, len(fs.Est))
		}
		if fs.ClassEst != nil && len(fs.ClassEst) != r.nh*r.nh {
			return fmt.Errorf("%w: saved flow with %d classified delays", ErrConfig, len(fs.ClassEst))
		}
		f := &flowState{id: fs.ID, name: fs.Name, est: slices.Clone(fs.Est), classEst: slices.Clone(fs.ClassEst), last: math.MinInt64, end: math.MinInt64, next: fs.Next}
		if st.FlowTimes {
			f.last, f.end = fs.LastNs, fs.EndNs
		}
		for _, ss := range fs.Slots {
			if len(ss.Pairs) != st.Pairs {
				return fmt.Errorf("%w: saved interval with %d pairs", ErrConfig, len(ss.Pairs))
			}
			s := &slot{start: ss.Start, pairs: make([]agg, st.Pairs)}
			for i, as := range ss.Pairs {
				if len(as.Slices) != st.Bin {
					return fmt.Errorf("%w: saved interval with %d slices", ErrConfig, len(as.Slices))
				}
				s.pairs[i] = agg{delay: as.Delay, slices: slices.Clone(as.Slices), sent: as.Sent, delivered: as.Delivered, lost: as.Lost,
					missed: as.Missed, dropped: as.Dropped, dups: as.Dups, collisions: as.Collisions}
				if as.Hist != nil {
					s.pairs[i].hist = r.importHist(as.Hist, st.HistNs)
				}
			}
			f.slots = append(f.slots, s)
		}
		for _, d := range fs.Drops {
			f.drops = append(f.drops, dropRange{hop: d.Hop, first: d.First, last: d.Last})
		}
		flows[f.id] = f
		order = append(order, f)
	}
	slices.SortFunc(order, func(a, b *flowState) int { return cmp.Compare(a.id, b.id) })
	n := st.Arena
	recs := make([]record, n)
	first, last, dupNs, dups := make([]int64, n*r.nh), make([]int64, n*r.nh), make([]int64, n*r.nh), make([]uint32, n*r.nh)
	for _, rs := range st.Records {
		f := flows[rs.Flow]
		if rs.Idx < 0 || int(rs.Idx) >= n || f == nil || len(rs.First) != r.nh || len(rs.Last) != r.nh || len(rs.DupNs) != r.nh || len(rs.Dups) != r.nh {
			return fmt.Errorf("%w: saved record %d does not fit", ErrConfig, rs.Idx)
		}
		recs[rs.Idx] = record{flow: f, sig: rs.Sig, key: rs.Key, size: rs.Size, seen: rs.Seen, collided: rs.Collided}
		b := int(rs.Idx) * r.nh
		copy(first[b:], rs.First)
		copy(last[b:], rs.Last)
		copy(dupNs[b:], rs.DupNs)
		copy(dups[b:], rs.Dups)
	}
	for _, i := range st.Free {
		if i < 0 || int(i) >= n {
			return fmt.Errorf("%w: saved free slot %d out of %d", ErrConfig, i, n)
		}
	}
	r.match.Clear(false)
	r.times.Clear(false)
	for _, rs := range st.Records {
		r.match.ReplaceOrInsert(mItem{flow: rs.Flow, sig: rs.Sig, key: rs.Key, idx: rs.Idx})
		r.times.ReplaceOrInsert(tItem{key: rs.Key, idx: rs.Idx})
	}
	ndrops := 0
	for _, f := range order {
		ndrops += len(f.drops)
	}
	r.nowNs = slices.Clone(st.NowNs)
	if len(st.EndNs) == r.nh {
		r.endNs = slices.Clone(st.EndNs)
	}
	if len(st.SeenNs) == r.nh && len(st.RerunNs) == r.nh {
		r.seenNs, r.rerunNs = slices.Clone(st.SeenNs), slices.Clone(st.RerunNs)
	}
	if len(st.RepeatNs) == r.nh {
		r.repeatNs = slices.Clone(st.RepeatNs)
	}
	if len(st.Quiet) == r.nh {
		r.quiet = slices.Clone(st.Quiet)
	}
	if st.FirstNs != 0 {
		r.firstNs = st.FirstNs
	}
	if len(st.GapLo) == r.nh && len(st.GapHi) == r.nh {
		r.gapLo, r.gapHi = slices.Clone(st.GapLo), slices.Clone(st.GapHi)
	}
	r.settled, r.closed, r.next = st.Settled, st.Closed, st.Next
	r.flows, r.order = flows, order
	r.histLive = 0
	for _, f := range order {
		for _, sl := range f.slots {
			for i := range sl.pairs {
				if sl.pairs[i].hist != nil {
					r.histLive++
				}
			}
		}
	}
	r.histPeak = r.histLive
	r.recs, r.first, r.last, r.dupNs, r.dups = recs, first, last, dupNs, dups
	r.free = slices.Clone(st.Free)
	r.live = len(st.Records)
	r.ndrops = ndrops
	r.stats = st.Stats
	return nil
}

// importHist rebuilds a saved histogram. One in whole µs (a state saved
// before they counted ns) is re-recorded in ns, each µs bin's count at its
// upper edge, which quantile read before.
func (r *Reconciler) importHist(snap *hdr.Snapshot, ns bool) *histogram {
	if ns {
		return &histogram{h: hdr.Import(snap)}
	}
	h := hdr.New(1, histHighNs(r.timeout), 2)
	for _, b := range hdr.Import(snap).Distribution() {
		if b.Count > 0 {
			_ = h.RecordValues(min(b.To*1000, h.HighestTrackableValue()), b.Count) // in range by construction
		}
	}
	return &histogram{h: h}
}

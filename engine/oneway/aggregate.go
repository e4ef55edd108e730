package oneway

import (
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/stat"
)

// histogram holds the delays of one hop pair and interval, in whole
// nanoseconds, with 2 significant digits: a delay under 256 ns has a bin of
// its own, a larger one shares a bin at most 1/128 of the bin's lower edge
// wide (HdrHistogram's 128 sub-buckets per half for 2 digits), so a
// percentile read as its bin's upper edge is at most 0.79 % above the delay
// of its rank, never below (quantile). Whole µs bins would lose up to
// 0.5 µs of a delay under 100 µs (14.157 µs read 14): more than 1 %.
type histogram struct{ h *hdr.Histogram }

// agg is what one interval knows of one hop pair of one flow.
type agg struct {
	delay                                                    stat.Stat // delay_us
	hist                                                     *histogram
	slices                                                   []uint64
	sent, delivered, lost, missed, dropped, dups, collisions uint64
}

// slot is one open interval of one flow (design 4.3: "successive slots of
// aggregation are maintained in the collector").
type slot struct {
	start int64
	pairs []agg
}

// add accounts for one delay in microseconds.
func (a *agg) add(us float64, slicesMs []float64, r *Reconciler) {
	a.delay.Add(us)
	if a.hist == nil {
		a.hist = r.newHist()
	}
	v := int64(math.Round(us * 1e3)) // ns
	v = max(v, 0)                    // negative delays are counted in Stats.NegativeDelays
	v = min(v, a.hist.h.HighestTrackableValue())
	_ = a.hist.h.RecordValue(v) // in range by construction
	i := 0
	for i < len(slicesMs) && us > slicesMs[i]*1e3 {
		i++
	}
	a.slices[i]++
}

func (r *Reconciler) newHist() *histogram {
	r.histLive++
	r.histPeak = max(r.histPeak, r.histLive)
	if n := len(r.histPool); n > 0 {
		h := r.histPool[n-1]
		r.histPool = r.histPool[:n-1]
		return h
	}
	return &histogram{h: hdr.New(1, histHighNs(r.timeout), 2)}
}

// histHighNs is the highest delay in ns a histogram of a class with this
// timeout (ns) tells apart: twice the timeout, at least 1 s; larger ones
// count as it.
func histHighNs(timeout int64) int64 {
	return max(2*timeout, 1e9)
}

// aggregate returns the accumulator of pair pi of flow f for the interval
// holding time at (creating the slot), or nil when that interval was
// already emitted (the packet is late: Stats.Late counted it).
func (r *Reconciler) aggregate(f *flowState, pi int, at int64) *agg {
	start := floorDiv(at, r.interval) * r.interval
	if pkt.AddNs(start, r.interval) <= r.closed {
		return nil
	}
	i := len(f.slots)
	for i > 0 && f.slots[i-1].start > start {
		i--
	}
	if i > 0 && f.slots[i-1].start == start {
		return &f.slots[i-1].pairs[pi]
	}
	s := r.newSlot(start)
	f.slots = append(f.slots, nil)
	copy(f.slots[i+1:], f.slots[i:])
	f.slots[i] = s
	if end := pkt.AddNs(start, r.interval); end < r.next {
		r.next = end
	}
	return &s.pairs[pi]
}

func (r *Reconciler) newSlot(start int64) *slot {
	var s *slot
	if n := len(r.slotPool); n > 0 {
		s = r.slotPool[n-1]
		r.slotPool = r.slotPool[:n-1]
	} else {
		s = &slot{pairs: make([]agg, len(r.pairs))}
		for i := range s.pairs {
			s.pairs[i].slices = make([]uint64, len(r.cfg.Latency.SlicesMs)+1)
		}
	}
	s.start = start
	return s
}

// closeSlots emits and recycles every slot ending at or before l, flow by
// flow in flow id order, oldest first.
func (r *Reconciler) closeSlots(l int64) {
	next := int64(math.MaxInt64)
	for _, f := range r.order {
		k := 0
		for k < len(f.slots) && pkt.AddNs(f.slots[k].start, r.interval) <= l {
			r.emitSlot(f, f.slots[k])
			k++
		}
		if k > 0 {
			f.slots = f.slots[:copy(f.slots, f.slots[k:])]
		}
		if len(f.slots) > 0 {
			next = min(next, pkt.AddNs(f.slots[0].start, r.interval))
		}
	}
	r.next = next
	if l > r.closed {
		r.closed = l
	}
	r.trimHists()
}

// trimHists lets go of the pooled histograms (~24 KiB each) beyond what
// the open intervals used at their peak since the last trim: a burst of
// flows leaves no pool of its size behind once its intervals are written
// (the pool held the largest number of histograms ever open for the
// Reconciler's life), while a steady load reuses them, allocating none.
func (r *Reconciler) trimHists() {
	if keep := max(r.histPeak-r.histLive, 0); len(r.histPool) > keep {
		clear(r.histPool[keep:])
		r.histPool = r.histPool[:keep]
	}
	r.histPeak = r.histLive
}

// emitSlot writes the latency and loss rows of slot s and recycles it.
func (r *Reconciler) emitSlot(f *flowState, s *slot) {
	r.stats.Intervals++
	for pi, pr := range r.pairs {
		a := &s.pairs[pi]
		key := observe.OnewayKey{
			Class: r.class, FlowID: f.id, Flow: f.name,
			FromHop: r.cfg.Hops[pr.from], ToHop: r.cfg.Hops[pr.to],
			IntervalStart: s.start, IntervalS: r.lim.IntervalS,
			FromHopIndex: uint8(pr.from), ToHopIndex: uint8(pr.to), // < MaxHops
		}
		if a.delay.N > 0 && r.out.Latency != nil {
			row := observe.OnewayLatency{
				OnewayKey: key, N: a.delay.N, Sum: a.delay.Sum, SumSq: a.delay.SumSq, Min: a.delay.Min, Max: a.delay.Max,
				SlicesMs:    r.cfg.Latency.SlicesMs,
				SliceCounts: append([]uint64(nil), a.slices...),
			}
			// every delay was recorded in the histogram: its count is N
			row.P50Us = a.quantile(50)
			row.P90Us = a.quantile(90)
			row.P99Us = a.quantile(99)
			r.out.Latency(&row)
		}
		if (a.sent > 0 || a.missed > 0 || a.dropped > 0 || a.dups > 0) && r.out.Loss != nil {
			r.out.Loss(&observe.OnewayLoss{
				OnewayKey: key, Sent: a.sent, Delivered: a.delivered, Lost: a.lost, Missed: a.missed,
				Dropped: a.dropped, Duplicates: a.dups, Collisions: a.collisions,
			})
		}
		if a.hist != nil {
			a.hist.h.Reset()
			r.histPool = append(r.histPool, a.hist)
			r.histLive--
		}
		sl := a.slices
		clear(sl)
		*a = agg{slices: sl}
	}
	r.slotPool = append(r.slotPool, s)
}

// quantile returns the q-th percentile (1 <= q <= 100) of the delays in µs:
// the nearest rank, the ⌈q·n/100⌉-th smallest of the n delays (RFC 2330
// §11.3's empirical percentile, as RFC 7679 §5.1's Type-P-One-way-Delay-
// Percentile and the lab truth's summary.json take it), read as the upper edge of the histogram
// bin holding it: at most 0.79 % above that delay and never below it (to
// the ns; see histogram), then kept within the exact min and max.
func (a *agg) quantile(q int64) float64 {
	n := a.hist.h.TotalCount()
	rank := (q*n + 99) / 100
	// HdrHistogram reads the rank round(p·n/100), one below the nearest
	// rank when the fraction of q·n/100 is under one half (p99 of 1481
	// delays: rank 1466, not 1467). At p = 100·rank/n, p·n/100 is rank to
	// within a few ulps, far from the half where rounding turns.
	v := float64(a.hist.h.ValueAtPercentile(100*float64(rank)/float64(n))) / 1e3
	return min(max(v, a.delay.Min), a.delay.Max)
}

// floorDiv is a/b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

package oneway

import (
	"math"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// ended reports whether an observation at time t (corrected) comes after
// the end of flow f (Limits.IdleS): more than the idle time after its
// latest observation, or after the end set by such an observation
// earlier. The end, once set, stays: an observation of another hop up to
// it, reported later (a hop lagging), is still the flow's.
func (r *Reconciler) ended(f *flowState, t int64) bool {
	if r.idle == 0 || f.last == math.MinInt64 {
		return false
	}
	if f.end == math.MinInt64 && t > pkt.AddNs(f.last, r.idle) {
		f.end = pkt.AddNs(f.last, r.idle)
	}
	return f.end != math.MinInt64 && t > f.end
}

// Renewed tells r that flow id follows flow old, of the same key, ended
// (Observe returned false for old, and the caller gave the observation to
// id). A packet has a later time at the downstream hop (its delay), so
// its first observation past old's end, reported first by one hop, can
// be followed by another hop's, reported later (a probe lagging), before
// the end: that observation, matching no open record of old, joins the
// record of id it matches, so that the packet is not split between a
// lost one in old and a missed one in id (TestEndSplitsNoPacket). The
// first follower told stays; nothing happens if r holds no flow old.
func (r *Reconciler) Renewed(old, id uint64) {
	if f := r.flows[old]; f != nil && f.next == 0 && id != old {
		f.next = id
	}
}

// successor returns the flow following f (Renewed) when the scan just
// done on f (lo to hi: the observation's signature and times) found no
// record and f has ended, and the same scan there finds one, left in r.q;
// nil otherwise, r.q as it was.
func (r *Reconciler) successor(f *flowState, lo, hi mItem) *flowState {
	if r.q.best >= 0 || r.q.repeat >= 0 || f.end == math.MinInt64 || f.next == 0 {
		return nil
	}
	g := r.flows[f.next]
	if g == nil {
		return nil
	}
	r.q.est = g.est
	lo.flow, hi.flow = g.id, g.id
	r.match.AscendRange(lo, hi, r.visitFn)
	if r.q.best < 0 && r.q.repeat < 0 {
		r.q.est = f.est
		return nil
	}
	return g
}

// Freed returns the number of flows freed so far (Limits.IdleS): their
// ids are held no more (FlowName reports false), and an observation of
// one is refused (Observe returns false). Stats.FlowsExpired holds it.
func (r *Reconciler) Freed() uint64 { return r.stats.FlowsExpired }

// maybeSweep frees the flows that ended by the time every hop has
// reported through (its clock, or the end of its probe's run: a run ended
// reported nothing past its end), less the timeout: their packets are
// classified (settle) and their intervals written. It sweeps at most once
// an interval of capture time, never while records are classified early
// (Flush, a switch-over, an eviction: forced), so that a flow ends by
// capture time only. Past a silent hop (Limits.SilentS: lifted) it sweeps
// through what was settled without it.
func (r *Reconciler) maybeSweep() {
	if r.idle == 0 || r.forced {
		return
	}
	w := int64(math.MaxInt64)
	for h := range r.nh {
		w = min(w, r.nowNs[h], r.endNs[h])
	}
	if w >= math.MaxInt64/4 {
		return // every hop moved to the end of time without a time of its own (AdvanceProbe): no capture time tells an end
	}
	l := pkt.SubNs(w, r.timeout)
	if r.lifted {
		l = r.settled // past a silent hop's clock (Limits.SilentS): its flows end too
	}
	if l < r.sweepAt || l > r.settled {
		return
	}
	r.sweep(l)
	r.sweepAt = pkt.AddNs(l, r.interval)
}

// sweep frees every flow ended by l with no open record, open interval or
// drop notice. A flow never observed starts its idle time at its first
// sweep.
func (r *Reconciler) sweep(l int64) {
	r.gen++
	r.times.Ascend(func(it tItem) bool {
		r.recs[it.idx].flow.gen = r.gen
		return true
	})
	kept := r.order[:0]
	for _, f := range r.order {
		if f.last == math.MinInt64 {
			f.last = l
		}
		end := f.end
		if end == math.MinInt64 {
			end = pkt.AddNs(f.last, r.idle)
		}
		if f.gen == r.gen || len(f.slots) > 0 || len(f.drops) > 0 || end > l {
			kept = append(kept, f)
			continue
		}
		delete(r.flows, f.id)
		r.stats.FlowsExpired++
	}
	clear(r.order[len(kept):])
	r.order = kept
}

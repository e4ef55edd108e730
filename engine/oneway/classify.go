package oneway

import (
	"math"
	"slices"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// This file classifies the records Observe matched (design 4.3): hop
// clocks advance, records past every hop's clock plus the timeout are
// classified (delivered, lost, missed, dropped, duplicate copies folded)
// and accounted into their intervals.

// twin examines, for the record being classified (r.q.best), another open
// record of the same signature: a duplicate to fold, or a collision.
func (r *Reconciler) twin(it mItem) bool {
	q := &r.q
	if it.idx == q.best {
		return true
	}
	y, z := &r.recs[q.best], &r.recs[it.idx]
	if !sizesDiffer(y.size, z.size) {
		switch {
		case z.seen&^y.seen == 0 && z.seen != y.seen && r.close(q.best, it.idx, z.seen):
			r.fold = append(r.fold, it.idx) // z: extra copies of y at some of its hops
			return true
		case y.seen&^z.seen == 0 && y.seen != z.seen && r.close(q.best, it.idx, y.seen):
			q.into = it.idx // y: extra copies of z
			return false
		case y.seen&z.seen != 0 && z.seen&^y.seen != 0 && y.seen&^z.seen != 0 && r.close(q.best, it.idx, y.seen&z.seen):
			// z: the rest of y's packet at hops y lacks, and extra copies
			// at the hops both saw. One packet was split in two when a
			// copy at one hop came first and started a record that an
			// observation at another hop then joined (a copy at the last
			// of 3+ hops, the other hops' PDUs arriving after it).
			r.graft = append(r.graft, it.idx)
			return true
		}
	}
	y.collided, z.collided = true, true
	return true
}

// close reports whether records a and b were seen within the duplicate
// window of each other at every hop of hops.
func (r *Reconciler) close(a, b int32, hops uint32) bool {
	ba, bb := int(a)*r.nh, int(b)*r.nh
	for h := range r.nh {
		if hops&(1<<h) != 0 && abs64(r.last[ba+h]-r.last[bb+h]) > r.dupWin {
			return false
		}
	}
	return true
}

// takeHops moves into record dst src's observations at the hops dst
// lacks (times and extra copies): they are of dst's packet (twin).
func (r *Reconciler) takeHops(dst, src int32) {
	d, s := &r.recs[dst], &r.recs[src]
	bd, bs := int(dst)*r.nh, int(src)*r.nh
	for h := range r.nh {
		if s.seen&(1<<h) == 0 || d.seen&(1<<h) != 0 {
			continue
		}
		r.first[bd+h], r.last[bd+h] = r.first[bs+h], r.last[bs+h]
		r.dups[bd+h], r.dupNs[bd+h], r.dups[bs+h] = r.dups[bs+h], r.dupNs[bs+h], 0
		d.seen |= 1 << h
		s.seen &^= 1 << h
	}
	if d.size == 0 {
		d.size = s.size
	}
}

// absorb folds record src, extra copies of dst, into dst's duplicate
// counts and frees src without output.
func (r *Reconciler) absorb(dst, src int32) {
	s := &r.recs[src]
	bd, bs := int(dst)*r.nh, int(src)*r.nh
	for h := range r.nh {
		if s.seen&r.recs[dst].seen&(1<<h) != 0 && r.last[bs+h] < r.last[bd+h] {
			// RFC 7679 §3.6: the first copy to arrive gives the delay, whichever
			// record its observation joined (the order PDUs come in)
			r.first[bd+h], r.first[bs+h] = r.first[bs+h], r.first[bd+h]
			r.last[bd+h], r.last[bs+h] = r.last[bs+h], r.last[bd+h]
			if r.last[bd+h] < r.recs[dst].key {
				r.rekey(dst, r.last[bd+h])
			}
		}
	}
	for h := range r.nh {
		n := r.dups[bs+h]
		if s.seen&(1<<h) != 0 {
			n++
		}
		if n == 0 {
			continue
		}
		if r.dups[bd+h] == 0 {
			r.dupNs[bd+h] = r.last[bs+h]
		}
		r.dups[bd+h] += n
		r.stats.Duplicates += uint64(n)
	}
	r.match.Delete(mItem{flow: s.flow.id, sig: s.sig, key: s.key, idx: src})
	r.times.Delete(tItem{key: s.key, idx: src})
	r.free = append(r.free, src)
	r.live--
}

// Drop records that the observations described by x at hop, of one-way
// flow flowID, were given up by their probe (see Dropped): packets that
// would have been seen there within [x.FirstNs, x.LastNs] (hop clock) are
// classified dropped instead of lost or missed.
func (r *Reconciler) Drop(hop int, flowID uint64, x *Dropped) {
	if hop < 0 || hop >= r.nh {
		r.stats.BadHop++
		return
	}
	if r.ndrops >= r.lim.MaxDropRanges {
		r.stats.DropRangesFull++
		return
	}
	if r.idle > 0 && flowID != 0 && r.flows[flowID] == nil {
		return // a flow freed (Limits.IdleS): its packets are classified, nothing left to drop
	}
	f := r.flow(flowID)
	if f == nil {
		return
	}
	f.drops = append(f.drops, dropRange{hop: hop, first: x.FirstNs - r.offNs[hop], last: x.LastNs - r.offNs[hop]})
	r.ndrops++
}

// Advance tells the Reconciler that the capture point hop has reported
// everything up to nowNs of its clock (the build time of its latest PDU).
// Packets whose reference time plus the timeout is behind every hop's
// clock are classified, and intervals whose end plus the timeout is
// behind it are emitted. A hop that does not advance (a silent probe)
// holds the packets open (design 4.3) for Limits.SilentS of capture time
// at most: once the clock of a hop whose probe still runs is that far
// ahead of the hop's latest report, the hop is silent (Stats.SilentHops,
// once until it catches up) and the packets and intervals are closed as
// if it had reported up to that clock less SilentS; a packet due at the
// silent hop after its latest report is dropped there, unreported (as
// at Flush), not lost or missed.
func (r *Reconciler) Advance(hop int, nowNs int64) {
	if hop < 0 || hop >= r.nh {
		r.stats.BadHop++
		return
	}
	t := nowNs - r.offNs[hop]
	if t > r.nowNs[hop] {
		r.nowNs[hop] = t
	}
	if r.gapHi[hop] == math.MaxInt64 { // the new run's first report
		r.gapHi[hop] = t
	}
	w := slices.Min(r.nowNs)
	floor := r.silentFloor()
	if floor > w {
		w = floor
	}
	if l := pkt.SubNs(w, r.timeout); l > r.settled {
		r.lifted = floor > math.MinInt64
		r.settle(l)
		r.lifted = false
	}
}

// silentFloor returns the latest clock of a hop whose probe still runs
// less Limits.SilentS, and marks silent (counted once, Stats.SilentHops)
// the hops whose latest report or observation, in any run of their
// probe, is older (a hop never heard from: the first report of any hop),
// and no longer silent those that caught up. math.MinInt64 when no hop is
// silent (or SilentS is 0): the hops' own clocks rule.
func (r *Reconciler) silentFloor() int64 {
	if r.silent <= 0 {
		return math.MinInt64
	}
	top := int64(math.MinInt64)
	for i, t := range r.nowNs {
		if r.endNs[i] == math.MaxInt64 { // an ended run's hop is at the end of time (EndProbe)
			top = max(top, t)
		}
	}
	if top == math.MinInt64 {
		return math.MinInt64
	}
	if r.firstNs == math.MinInt64 {
		r.firstNs = top
	}
	floor := pkt.SubNs(top, r.silent)
	found := false
	for i, t := range r.nowNs {
		// its latest report or observation, in any run of its probe
		// (Resume); a hop not heard from yet is waited for from the
		// first report of any hop
		heard := max(t, r.gapLo[i], r.seenNs[i], r.firstNs)
		switch {
		case t >= floor:
			r.quiet[i] = false
		case heard < floor:
			if !r.quiet[i] {
				r.quiet[i] = true
				r.stats.SilentHops++
			}
			found = true
		}
	}
	if !found {
		return math.MinInt64
	}
	return floor
}

// AdvanceProbe advances every hop of the probe: hops named probe or
// "probe/<interface>".
func (r *Reconciler) AdvanceProbe(probe string, nowNs int64) {
	for i, h := range r.cfg.Hops {
		if h == probe || (len(h) > len(probe) && h[len(probe)] == '/' && h[:len(probe)] == probe) {
			r.Advance(i, nowNs)
		}
	}
}

// EndProbe tells the Reconciler that probe (its hops: named probe or
// "probe/<interface>") ended its run, having reported everything up to
// lastNs of its clock: it holds no packet open any more (AdvanceProbe to
// the end of time), and a packet missing at its hop that passed the hop
// upstream after lastNs is dropped, not lost or missed: nobody watched
// (design 4.3 does not count against the path what was not observed).
func (r *Reconciler) EndProbe(probe string, lastNs int64) {
	for i, h := range r.cfg.Hops {
		if h == probe || (len(h) > len(probe) && h[len(probe)] == '/' && h[:len(probe)] == probe) {
			r.endNs[i] = lastNs - r.offNs[i]
		}
	}
	r.AdvanceProbe(probe, math.MaxInt64/2)
}

// afterEnd reports whether the packet of record base (flow f), missing at
// hop h, was due there (dueAt) when nobody reported for the hop: after its
// probe's run ended (EndProbe); or, unreported, for a record classified
// before every hop reported past it (forced: Flush at the collector's end
// or a switch-over, an eviction), after the hop's latest report (Advance:
// a probe killed or silent, never heard from, or still running), or
// between two runs of its probe (inGap: a probe killed and started again).
// Nobody reported the packet there: it is dropped, not lost or missed
// (design 4.3: a missing observation its probe did not deliver is
// dropped). A record settled in time is not judged by the hops' latest
// reports: its hops reported past its key by the timeout, though a later
// hop's time may be beyond that.
func (r *Reconciler) afterEnd(f *flowState, seen uint32, base, h int) (dropped, unreported bool) {
	lo, hi, ok := r.dueAt(f, seen, base, h)
	switch {
	case !ok:
		return false, false
	case lo > r.endNs[h]:
		return true, false
	case (r.forced || r.lifted && r.quiet[h]) && lo > pkt.SubNs(r.nowNs[h], r.maxBuild), r.inGap(h, lo, hi):
		// after what its probe reported: its latest report less
		// MaxBuildS, an observation waiting that long for its PDU
		return true, true
	}
	return false, false
}

// dueAt is when the packet of record base (flow f), missing at hop h, was
// due there, as an interval [lo, hi]: the nearest hop upstream's time plus
// the flow's delay to h (flowState.delay: that of the latest packet
// classified across them, else of its latest match there, when known;
// lo = hi), or, seen downstream only, within the timeout before the
// nearest hop downstream's time. ok is false when it was seen nowhere.
func (r *Reconciler) dueAt(f *flowState, seen uint32, base, h int) (lo, hi int64, ok bool) {
	for u := h - 1; u >= 0; u-- {
		if seen&(1<<u) != 0 {
			t := r.last[base+u]
			if d := f.delay(u*r.nh + h); d != noEst {
				t = pkt.AddNs(t, d)
			}
			return t, t, true
		}
	}
	for d := h + 1; d < r.nh; d++ {
		if seen&(1<<d) != 0 {
			return pkt.SubNs(r.last[base+d], r.timeout), r.last[base+d], true
		}
	}
	return 0, 0, false
}

// inGap reports whether [lo, hi] lies between what hop h's probe reported
// before its latest Resume (a run killed, or ended) and the first report
// of its new run (gapLo, gapHi): a time nobody watched there.
func (r *Reconciler) inGap(h int, lo, hi int64) bool {
	return r.gapHi[h] != math.MinInt64 && lo > r.gapLo[h] && hi < r.gapHi[h]
}

// Resume returns the hops of probe (named probe or "probe/<interface>") to
// the state of hops not heard from yet: a new run of a probe whose
// previous run finished (AdvanceProbe to the end of time, or a collector
// switch-over) is waited for again, instead of every packet of the new run
// being late. Records already classified and intervals already emitted
// stay; an interval the finished run had emitted early (its end not
// reached) may get a second row from the new run's packets (sum them).
// A new run that observes again what an earlier one reported (a capture
// replayed from its start, a spool resent) adds no packet: its
// observations up to the time the earlier runs had reported through are
// repeats (see Observe: Stats.Repeats, Stats.RepeatsClassified).
func (r *Reconciler) Resume(probe string) {
	resumed := false
	for i, h := range r.cfg.Hops {
		if h == probe || (len(h) > len(probe) && h[len(probe)] == '/' && h[:len(probe)] == probe) {
			// the earlier runs reported every observation up to the hop's
			// clock (its probe's last report when it ended), none after
			// its latest observation
			r.rerunNs[i] = max(r.rerunNs[i], min(r.nowNs[i], r.endNs[i], r.seenNs[i]))
			r.repeatNs[i] = max(r.repeatNs[i], r.seenNs[i])
			// nobody watched from the end of what the earlier run
			// reported to the new run's first report (Observe, Advance);
			// a run that did not end (killed) had sent its observations
			// only up to its latest PDU's build time less MaxBuildS
			lo := r.endNs[i]
			if lo == math.MaxInt64 {
				lo = pkt.SubNs(r.nowNs[i], r.maxBuild)
			}
			r.gapLo[i], r.gapHi[i] = min(r.nowNs[i], lo), math.MaxInt64
			r.nowNs[i], r.endNs[i] = math.MinInt64, math.MaxInt64
			resumed = true
		}
	}
	if resumed {
		r.settled, r.closed = math.MinInt64, math.MinInt64
	}
}

// Flush classifies every open packet and emits every open interval (end
// of input).
func (r *Reconciler) Flush() {
	r.forced = true
	r.settle(math.MaxInt64)
	r.forced = false
}

// settle classifies the records with key <= l and closes the slots ending
// at or before l.
func (r *Reconciler) settle(l int64) {
	r.settled = l
	for {
		it, ok := r.times.Min()
		if !ok || it.key > l {
			break
		}
		r.finalize(it.idx)
	}
	if l >= r.next {
		r.closeSlots(l)
	}
	if r.ndrops > 0 {
		r.pruneDrops(pkt.SubNs(l, 2*r.timeout))
	}
	r.maybeSweep()
}

func (r *Reconciler) pruneDrops(before int64) {
	for _, f := range r.order {
		n := len(f.drops)
		f.drops = slices.DeleteFunc(f.drops, func(d dropRange) bool { return d.last < before })
		r.ndrops -= n - len(f.drops)
	}
}

// droppedAt reports whether a Drop notice covers the time the packet of
// record base would have been seen at missing hop h.
func (r *Reconciler) droppedAt(f *flowState, seen uint32, base, h int) bool {
	if len(f.drops) == 0 {
		return false
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	for u := h - 1; u >= 0; u-- {
		if seen&(1<<u) != 0 {
			lo = r.last[base+u]
			break
		}
	}
	for d := h + 1; d < r.nh; d++ {
		if seen&(1<<d) != 0 {
			hi = r.last[base+d]
			break
		}
	}
	if lo == math.MinInt64 {
		lo = pkt.SubNs(hi, r.timeout)
	}
	if hi == math.MaxInt64 {
		hi = pkt.AddNs(lo, r.timeout)
	}
	for _, d := range f.drops {
		if d.hop == h && d.first <= hi && d.last >= lo {
			return true
		}
	}
	return false
}

// finalize classifies record idx, emits its rows, aggregates it into its
// intervals and frees it.
func (r *Reconciler) finalize(idx int32) {
	rec := &r.recs[idx]
	f := rec.flow
	// the other open records with this signature: extra copies to fold
	// (a strict subset of the hops, within the duplicate window at each),
	// or other packets (a collision)
	r.q = query{best: idx, into: -1}
	r.fold, r.graft = r.fold[:0], r.graft[:0]
	w := pkt.AddNs(r.timeout, r.dupWin)
	r.match.AscendRange(mItem{flow: f.id, sig: rec.sig, key: pkt.SubNs(rec.key, w), idx: math.MinInt32},
		mItem{flow: f.id, sig: rec.sig, key: pkt.AddNs(rec.key, w), idx: math.MaxInt32}, r.twinFn)
	if r.q.into >= 0 {
		r.absorb(r.q.into, idx)
		return
	}
	for _, z := range r.graft {
		r.takeHops(idx, z)
		r.absorb(idx, z)
	}
	for _, z := range r.fold {
		r.absorb(idx, z)
	}
	if rec.collided {
		r.stats.Collisions++
	}
	r.match.Delete(mItem{flow: f.id, sig: rec.sig, key: rec.key, idx: idx})
	r.times.Delete(tItem{key: rec.key, idx: idx})
	nh, base := r.nh, int(idx)*r.nh
	all := uint32(1)<<nh - 1
	var dropped uint32
	unreported := false
	for h := range nh {
		if rec.seen&(1<<h) != 0 {
			continue
		}
		if r.droppedAt(f, rec.seen, base, h) {
			dropped |= 1 << h
		} else if after, unrep := r.afterEnd(f, rec.seen, base, h); after {
			dropped |= 1 << h
			unreported = unreported || unrep
		}
	}
	p := &r.pkt
	p.FlowID, p.Signature, p.SizeBytes, p.Seen, p.Collided, p.LostAfter = f.id, rec.sig, rec.size, rec.seen, rec.collided, -1
	switch {
	case rec.seen == all:
		p.Status = StatusDelivered
		r.stats.Delivered++
	case dropped != 0:
		p.Status = StatusDropped
		r.stats.Dropped++
		if unreported {
			r.stats.Unreported++
		}
	case rec.seen&(1<<(nh-1)) == 0:
		p.Status = StatusLost
		r.stats.Lost++
		for h := nh - 1; h >= 0; h-- {
			if rec.seen&(1<<h) != 0 {
				p.LostAfter = h
				break
			}
		}
	default:
		p.Status = StatusMissed
		r.stats.Missed++
	}
	for h := range nh {
		if rec.seen&(1<<h) != 0 {
			p.FirstNs[h], p.LastNs[h] = r.first[base+h], r.last[base+h]
		} else {
			p.FirstNs[h], p.LastNs[h] = 0, 0
		}
		p.Duplicates[h] = r.dups[base+h]
	}
	if r.out.Packet != nil {
		r.out.Packet(p)
	}
	r.noteDelays(f, rec.seen, base)
	for pi, pr := range r.pairs {
		r.pairOutcome(pi, pr, rec, base, dropped)
	}
	r.free = append(r.free, idx)
	r.live--
}

// noteDelays keeps, per hop pair both seen, the delay of the record at
// base, being classified, as the flow's classified delay (classEst);
// one below zero (clock offsets) is left out, as est leaves it out.
func (r *Reconciler) noteDelays(f *flowState, seen uint32, base int) {
	for u := range r.nh {
		if seen&(1<<u) == 0 {
			continue
		}
		for h := u + 1; h < r.nh; h++ {
			d := r.last[base+h] - r.last[base+u]
			if seen&(1<<h) == 0 || d < 0 {
				continue // a delay below zero (clock offsets) is no estimate, as in est
			}
			if f.classEst == nil {
				f.classEst = slices.Repeat([]int64{noEst}, r.nh*r.nh)
			}
			f.classEst[u*r.nh+h] = d
		}
	}
}

// delay is the flow's delay on hop pair pi (est index) for the records
// being classified: that of its latest packet classified across the pair
// (classEst), else of its latest match there (est); noEst when neither is
// known.
func (f *flowState) delay(pi int) int64 {
	if f.classEst != nil && f.classEst[pi] != noEst {
		return f.classEst[pi]
	}
	if f.est != nil {
		return f.est[pi]
	}
	return noEst
}

// pairOutcome classifies record rec on hop pair pr and accounts for it.
func (r *Reconciler) pairOutcome(pi int, pr pair, rec *record, base int, dropped uint32) {
	si := rec.seen&(1<<pr.from) != 0
	sj := rec.seen&(1<<pr.to) != 0
	later := rec.seen>>(pr.to+1) != 0
	var st Status
	switch {
	case si && sj:
		st = StatusDelivered
	case si && dropped&(1<<pr.to) != 0, sj && dropped&(1<<pr.from) != 0:
		st = StatusDropped
	case si && later, sj:
		st = StatusMissed
	case si:
		st = StatusLost
	default:
		return // the packet never reached this pair, or passed it unobserved at both ends
	}
	ti, tj := r.last[base+pr.from], r.last[base+pr.to]
	at := tj
	if si {
		at = ti
	}
	var delayUs float64
	if st == StatusDelivered {
		delayUs = float64(tj-ti) / 1e3
		if tj < ti {
			r.stats.NegativeDelays++
		}
	}
	dups := r.dups[base+pr.to]
	if a := r.aggregate(rec.flow, pi, at); a != nil {
		if si {
			a.sent++
		}
		switch st {
		case StatusDelivered:
			a.delivered++
			a.add(delayUs, r.cfg.Latency.SlicesMs, r)
		case StatusLost:
			a.lost++
		case StatusMissed:
			a.missed++
		case StatusDropped:
			a.dropped++
		}
		a.dups += uint64(dups)
		if rec.collided {
			a.collisions++
		}
	}
	if !r.cfg.Records || r.out.Delay == nil {
		return
	}
	row := &r.row
	*row = observe.OnewayDelay{
		Class: r.class, FlowID: rec.flow.id, Flow: rec.flow.name,
		FromHop: r.cfg.Hops[pr.from], ToHop: r.cfg.Hops[pr.to],
		FromHopIndex: uint8(pr.from), ToHopIndex: uint8(pr.to),
		SizeBytes: rec.size, Status: st.String(), Signature: rec.sig,
	}
	if si {
		r.sendT, r.sendFirstT = ti, r.first[base+pr.from]
		row.SendTime, row.SendFirstTime = &r.sendT, &r.sendFirstT
	}
	if sj {
		r.recvT, r.recvFirstT = tj, r.first[base+pr.to]
		row.RecvTime, row.RecvFirstTime = &r.recvT, &r.recvFirstT
	}
	if st == StatusDelivered {
		r.delay = delayUs
		row.DelayUs = &r.delay
	}
	r.out.Delay(row)
	if dups > 0 {
		row.Status = StatusDuplicate.String()
		r.recvT = r.dupNs[base+pr.to]
		row.RecvTime, row.RecvFirstTime = &r.recvT, &r.recvT
		row.DelayUs = nil
		if si {
			r.delay = float64(r.recvT-ti) / 1e3
			row.DelayUs = &r.delay
		}
		r.out.Delay(row)
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

package reasm

// Context life: a context is allocated for a new key (evicting the oldest
// at MaxDatagrams, giving up a stale one first), and removed as an
// Incomplete by its timeout (Expire), at the end of input (Flush) or when
// superseded; queued Incompletes are delivered by the next Expire or Flush.

// context returns the index of the context of f's datagram at timer clock
// clk (capture time now), giving up a stale one first (it starts again)
// and evicting the oldest context when MaxDatagrams are in progress.
func (r *Reassembler) context(f *frag, clk, now int64) int32 {
	idx, ok := r.index[f.key]
	if ok && r.expired(&r.ctxs[idx], clk) {
		r.retire(idx, ReasonTimeout, &r.stats.Timeouts, nil)
		ok = false
	}
	if !ok {
		if r.live >= r.cfg.MaxDatagrams {
			r.retire(r.oldest(&r.head), ReasonEvicted, &r.stats.Evictions, nil)
		}
		idx = r.alloc(&f.key, clk, now)
		r.ctxs[idx].proto = f.proto
	}
	return idx
}

// slotRecs is the room for fragment records and cover spans a new slot
// starts with; slotChunk slots' worth are allocated at once (issue 14: one
// allocation each per new slot was 1000 of the 12.8k allocations of the
// 5M corpus's steady state, its contexts in reassembly or kept after it
// growing towards MaxDatagrams).
const (
	slotRecs  = 4
	slotChunk = 256
)

// alloc takes a free slot for k, created at now, and links it newest.
func (r *Reassembler) alloc(k *key, clk, now int64) int32 {
	var idx int32
	if n := len(r.free); n > 0 {
		idx = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		r.ctxs = append(r.ctxs, ctx{})
		idx = int32(len(r.ctxs) - 1)
	}
	c := &r.ctxs[idx]
	if c.buf == nil && len(r.spare) > 0 { // a reassembled context's buffers (done.go)
		n := len(r.spare) - 1
		c.buf, c.hdr = r.spare[n].buf, r.spare[n].hdr
		r.spare = r.spare[:n]
	}
	if c.frags == nil { // a new slot: a datagram of a few fragments grows these no more
		if len(r.recs) < slotRecs {
			r.recs, r.spans = make([]fragRec, slotRecs*slotChunk), make([]span, slotRecs*slotChunk)
		}
		c.frags, c.cover = r.recs[:0:slotRecs], r.spans[:0:slotRecs]
		r.recs, r.spans = r.recs[slotRecs:], r.spans[slotRecs:]
	}
	if len(c.buf) < headroom {
		if cap(c.buf) < headroom {
			c.buf = make([]byte, headroom, 2048)
		} else {
			c.buf = c.buf[:headroom]
		}
	}
	c.key = *k
	c.createdNs, c.firstNs, c.lastNs = clk, now, now
	c.seq, r.seq = r.seq, r.seq+1
	v := ver(k.version)
	r.pushBack(idx, &r.head[v], &r.tail[v])
	r.index[*k] = idx
	r.live++
	return idx
}

// retire removes context idx as Incomplete: with fn nil it is queued for
// the next Expire or Flush, otherwise passed to fn. n counts the exit cause.
func (r *Reassembler) retire(idx int32, why Reason, n *uint64, fn func(Incomplete)) {
	c := &r.ctxs[idx]
	if c.dead != ReasonNone {
		why = c.dead
	}
	inc := Incomplete{
		Iface:     c.key.iface,
		IPVersion: c.key.version,
		SrcAddr:   c.key.src,
		DstAddr:   c.key.dst,
		Protocol:  c.proto,
		ID:        c.key.id,
		FirstNs:   c.firstNs,
		LastNs:    c.lastNs,
		Fragments: c.nfrag,
		BytesHave: c.have,
		HaveFirst: c.haveFirst,
		HaveLast:  c.haveLast,
		Reason:    why,
	}
	if c.haveLast {
		inc.TotalBytes = c.end
	}
	if c.copies > 0 && c.copies == c.nfrag {
		inc.Reason = ReasonLateCopies
		r.stats.Duplicates += uint64(c.copies)
	} else {
		*n++
	}
	r.release(idx)
	if fn == nil {
		r.pending = append(r.pending, inc)
		return
	}
	fn(inc)
}

// drain delivers the queued Incompletes.
func (r *Reassembler) drain(fn func(Incomplete)) {
	for i := range r.pending {
		fn(r.pending[i])
	}
	clear(r.pending)
	r.pending = r.pending[:0]
}

// Expire gives up every datagram whose first fragment arrived TimeoutNs
// (IPv6: IPv6TimeoutNs) or more before nowNs (timer clock, Unix ns), the
// earliest deadline first, calling fn with its Incomplete (ReasonTimeout,
// or the reason it was abandoned). It first delivers the Incompletes
// queued by Add (evictions, and contexts found stale by a later
// fragment). Contexts are kept in arrival order, one list per IP version
// (one timeout each), so with capture times that go backwards expiry can
// be late, never early. fn must not call Add. Call it as capture time
// advances, e.g. once per packet or per second of capture.
func (r *Reassembler) Expire(nowNs int64, fn func(Incomplete)) {
	r.drain(fn)
	for idx := r.due(&r.head, nowNs); idx >= 0; idx = r.due(&r.head, nowNs) {
		r.retire(idx, ReasonTimeout, &r.stats.Timeouts, fn)
	}
	for idx := r.due(&r.doneHead, nowNs); idx >= 0; idx = r.due(&r.doneHead, nowNs) {
		r.release(idx)
	}
}

// ver returns the index of IP version v in the per-version lists and
// timeouts: 0 for IPv4, 1 for IPv6.
func ver(v uint8) int {
	if v == 6 {
		return 1
	}
	return 0
}

// timeoutNs returns the life of a context of IP version v.
func (r *Reassembler) timeoutNs(v uint8) int64 { return r.timeouts[ver(v)] }

// TimeoutNs returns how long, in ns of timer clock from its first
// fragment, a datagram of IP version v (4 or 6) is held in reassembly
// (Config.TimeoutNs, IPv6TimeoutNs with their defaults).
func (r *Reassembler) TimeoutNs(v uint8) int64 { return r.timeoutNs(v) }

// expired reports whether context c has outlived its IP version's timeout
// at timer clock clk.
func (r *Reassembler) expired(c *ctx, clk int64) bool {
	return clk-c.createdNs >= r.timeoutNs(c.key.version)
}

// oldest returns the first entered of the two heads (a version's
// oldest context), or -1 when both lists are empty.
func (r *Reassembler) oldest(heads *[2]int32) int32 {
	a, b := heads[0], heads[1]
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	case r.ctxs[b].seq < r.ctxs[a].seq:
		return b
	}
	return a
}

// due returns the one of the two heads whose life (its version's timeout
// from createdNs) is over at timer clock now, the longest overdue first
// (then the first entered), or -1 when neither is.
func (r *Reassembler) due(heads *[2]int32, now int64) int32 {
	best, bestOver := int32(-1), int64(0)
	for _, h := range heads {
		if h < 0 {
			continue
		}
		c := &r.ctxs[h]
		over := now - c.createdNs - r.timeoutNs(c.key.version)
		if over < 0 {
			continue
		}
		if best < 0 || over > bestOver || over == bestOver && c.seq < r.ctxs[best].seq {
			best, bestOver = h, over
		}
	}
	return best
}

// Flush gives up every datagram still in reassembly, oldest first, at the
// end of input: fn receives the queued Incompletes, then one per context
// (ReasonFlush, or the reason it was abandoned). fn must not call Add.
func (r *Reassembler) Flush(fn func(Incomplete)) {
	r.drain(fn)
	for idx := r.oldest(&r.head); idx >= 0; idx = r.oldest(&r.head) {
		r.retire(idx, ReasonFlush, &r.stats.Flushed, fn)
	}
	for idx := r.oldest(&r.doneHead); idx >= 0; idx = r.oldest(&r.doneHead) {
		r.release(idx)
	}
}

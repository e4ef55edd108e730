package reasm

// Reassembled datagrams. A context is kept, its timeout (TimeoutNs, IPv6:
// IPv6TimeoutNs) of capture time from its completion, after its datagram
// was reassembled, so that a late copy of one of its fragments (a
// retransmission, or a capture duplicating every packet: a SPAN port
// mirroring both directions) is told from the start of another datagram reusing the identification. Both start a new
// context; the fragments that, when they came, had the offset, length, MF
// and bytes of one of the reassembled datagram's (the header's TTL and
// checksum may differ) are counted in it (ctx.copies). A context that
// completes is another datagram, whatever its fragments (the last one of
// a datagram reusing the identification may hold the same bytes as the
// previous one's); one given up whose every fragment was a copy is no
// failure: it is reported Incomplete with ReasonLateCopies, its fragments
// counted in Stats.Duplicates, not in Timeouts, Evictions or Flushed.
// Before, it was a datagram that never completed (as Linux, which keeps
// nothing, counts it in IpReasmFails at its timeout; Wireshark leaves it
// unreassembled). Reassembled contexts do not count in Len or against
// MaxDatagrams; at most MaxDatagrams are kept (the oldest goes first), in
// a list and an index of their own. They keep their fragments' offsets
// and a 64-bit hash of each one's payload, not the datagram: the buffer
// goes to the next context (Reassembler.spare), so keeping them costs
// about 24 bytes a fragment, not the datagram's size.

// spareBufs are the datagram and header buffers of a reassembled
// context, for the next context (Reassembler.alloc).
type spareBufs struct{ buf, hdr []byte }

// lateCopy reports whether f, of payload hash sig, repeats a fragment of
// the datagram reassembled with its key, within its timeout (timer clock
// clk) of its completion.
func (r *Reassembler) lateCopy(f *frag, sig uint64, clk int64) bool {
	idx, ok := r.doneIdx[f.key]
	if !ok || r.expired(&r.ctxs[idx], clk) {
		return false
	}
	for _, fr := range r.ctxs[idx].frags {
		if fr.off == f.off && fr.end == f.end && fr.last == f.last {
			return fr.sig == sig
		}
	}
	return false
}

// keep moves context idx, just reassembled, from the contexts in progress
// to the reassembled ones, with its time origin at timer clock clk. The
// previous reassembled context of its key goes, and the oldest one when
// MaxDatagrams are kept.
func (r *Reassembler) keep(idx int32, clk int64) {
	c := &r.ctxs[idx]
	if old, ok := r.doneIdx[c.key]; ok {
		r.release(old)
	}
	if r.ndone >= r.cfg.MaxDatagrams {
		r.release(r.oldest(&r.doneHead))
	}
	r.unlink(idx)
	delete(r.index, c.key)
	c.done, c.createdNs = true, clk
	if c.buf != nil { // the datagram, returned by this call, stays valid until the next fragment
		r.spare = append(r.spare, spareBufs{buf: c.buf[:0], hdr: c.hdr[:0]})
		c.buf, c.hdr = nil, nil
	}
	c.seq, r.seq = r.seq, r.seq+1
	v := ver(c.key.version)
	r.pushBack(idx, &r.doneHead[v], &r.doneTail[v])
	r.ndone++
	r.doneIdx[c.key] = idx
}

// release unlinks context idx, removes its key and returns the slot, with
// its buffers, to the free list.
func (r *Reassembler) release(idx int32) {
	c := &r.ctxs[idx]
	r.unlink(idx)
	if c.done {
		delete(r.doneIdx, c.key)
	} else {
		delete(r.index, c.key)
	}
	buf := c.buf
	if cap(buf) >= headroom {
		buf = buf[:headroom]
	}
	*c = ctx{
		buf:   buf,
		cover: c.cover[:0],
		frags: c.frags[:0],
		hdr:   c.hdr[:0],
	}
	r.free = append(r.free, idx)
}

// pushBack appends context idx to the list of head and tail: the
// contexts in progress or the reassembled ones (unlink removes it).
func (r *Reassembler) pushBack(idx int32, head, tail *int32) {
	c := &r.ctxs[idx]
	c.prev, c.next = *tail, -1
	if *tail >= 0 {
		r.ctxs[*tail].next = idx
	} else {
		*head = idx
	}
	*tail = idx
}

// unlink removes context idx from its list: the contexts in progress or
// the reassembled ones.
func (r *Reassembler) unlink(idx int32) {
	c := &r.ctxs[idx]
	v := ver(c.key.version)
	head, tail := &r.head[v], &r.tail[v]
	if c.done {
		head, tail = &r.doneHead[v], &r.doneTail[v]
		r.ndone--
	} else {
		r.live--
	}
	if c.prev >= 0 {
		r.ctxs[c.prev].next = c.next
	} else {
		*head = c.next
	}
	if c.next >= 0 {
		r.ctxs[c.next].prev = c.prev
	} else {
		*tail = c.prev
	}
}

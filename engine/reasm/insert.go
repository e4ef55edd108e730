package reasm

import "encoding/binary"

// Fragment insertion: the bytes a fragment brings are merged into its
// context (first wins), held data beyond the end is trimmed, and a
// complete datagram is assembled behind its header.

// trimTo drops held data beyond end (first MF=0 fragment wins) and reports
// whether there was any.
func (r *Reassembler) trimTo(c *ctx, end uint32) bool {
	n := len(c.cover)
	for n > 0 && c.cover[n-1].off >= end {
		n--
	}
	cut := n < len(c.cover)
	c.cover = c.cover[:n]
	if n > 0 && c.cover[n-1].end > end {
		c.cover[n-1].end = end
		cut = true
	}
	if cut {
		c.have = 0
		for _, sp := range c.cover {
			c.have += sp.end - sp.off
		}
	}
	return cut
}

// overlaps reports whether [s, e) intersects a span of cv.
func overlaps(cv []span, s, e uint32) bool {
	for _, sp := range cv {
		if sp.off >= e {
			return false
		}
		if sp.end > s {
			return true
		}
	}
	return false
}

// store copies the bytes of [s, e) not yet held (first wins) from payload,
// which starts at s, and merges [s, e) into the cover.
func (r *Reassembler) store(c *ctx, s, e uint32, payload []byte) {
	if need := headroom + int(e); need > len(c.buf) {
		if need > cap(c.buf) {
			nc := max(need, 2*cap(c.buf), 2048)
			nb := make([]byte, need, nc)
			copy(nb, c.buf)
			c.buf = nb
		} else {
			c.buf = c.buf[:need]
		}
	}
	pos := s
	for _, sp := range c.cover {
		if sp.end <= pos {
			continue
		}
		if sp.off >= e {
			break
		}
		if sp.off > pos {
			copy(c.buf[headroom+pos:headroom+sp.off], payload[pos-s:sp.off-s])
			c.have += sp.off - pos
		}
		pos = max(pos, sp.end)
		if pos >= e {
			break
		}
	}
	if pos < e {
		copy(c.buf[headroom+pos:headroom+e], payload[pos-s:e-s])
		c.have += e - pos
	}
	c.cover = insertSpan(c.cover, s, e)
}

// insertSpan merges [s, e) into the sorted, disjoint, non-adjacent spans.
func insertSpan(cv []span, s, e uint32) []span {
	i := 0
	for i < len(cv) && cv[i].end < s {
		i++
	}
	j := i
	for j < len(cv) && cv[j].off <= e {
		s = min(s, cv[j].off)
		e = max(e, cv[j].end)
		j++
	}
	if i == j {
		cv = append(cv, span{})
		copy(cv[i+1:], cv[i:])
		cv[i] = span{off: s, end: e}
		return cv
	}
	cv[i] = span{off: s, end: e}
	return append(cv[:i+1], cv[j:]...)
}

// complete assembles the datagram of context idx, keeps the context as
// reassembled at timer clock clk (done.go) and returns the Result; the
// Datagram stays valid until the next Add (the slot's buffer is only
// rewritten when the slot is reused by a later Add).
func (r *Reassembler) complete(idx int32, clk int64) Result {
	c := &r.ctxs[idx]
	hl := len(c.hdr)
	total := hl + int(c.end)
	var out []byte
	if hl <= headroom {
		out = c.buf[headroom-hl : headroom+int(c.end)]
		copy(out, c.hdr)
	} else {
		r.out = append(append(r.out[:0], c.hdr...), c.buf[headroom:headroom+int(c.end)]...)
		out = r.out
	}
	if c.key.version == 4 {
		binary.BigEndian.PutUint16(out[2:], uint16(total))
		out[6] &= 0xc0 // keep the reserved bit and DF; clear MF and the offset
		out[7] = 0
		out[10], out[11] = 0, 0
		binary.BigEndian.PutUint16(out[10:], checksum(out[:hl]))
	} else {
		binary.BigEndian.PutUint16(out[4:], uint16(total-40))
		out[c.nhOff] = c.proto
	}
	res := Result{
		Complete:  true,
		Datagram:  out,
		IPVersion: c.key.version,
		Iface:     c.key.iface,
		ID:        c.key.id,
		FirstNs:   c.firstNs,
		LastNs:    c.lastNs,
		Fragments: c.nfrag,
	}
	r.stats.Datagrams++
	r.keep(idx, clk)
	return res
}

// checksum is the Internet checksum (RFC 1071) of an IPv4 header whose
// checksum field is zero.
func checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	if len(h)%2 == 1 {
		sum += uint32(h[len(h)-1]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

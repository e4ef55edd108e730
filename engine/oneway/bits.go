package oneway

import "math/bits"

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	b   []byte
	acc uint64 // pending bits in the low n bits
	n   uint   // pending bits, < 8 between calls
}

// write appends the low n bits of v (n <= 64).
func (w *bitWriter) write(v uint64, n uint) {
	if n > 56 {
		w.write(v>>32, n-32)
		v, n = v&0xffffffff, 32
	}
	if n == 0 {
		return
	}
	w.acc = w.acc<<n | v&(1<<n-1)
	w.n += n
	for w.n >= 8 {
		w.n -= 8
		w.b = append(w.b, byte(w.acc>>w.n))
	}
}

// expGolomb appends v as an exponential-Golomb code of order k (k <= 63):
// with s = v + 2^k of nb significant bits, nb-1-k zero bits then the nb
// bits of s. Values near 2^64 take 65-bit s (the carry is its top bit).
func (w *bitWriter) expGolomb(v uint64, k uint) {
	s, carry := bits.Add64(v, 1<<k, 0)
	nb := uint(bits.Len64(s))
	if carry != 0 {
		nb = 65
	}
	for z := nb - 1 - k; z > 0; {
		c := min(z, 56)
		w.write(0, c)
		z -= c
	}
	if carry != 0 {
		w.write(1, 1)
		w.write(s, 64)
		return
	}
	w.write(s, nb)
}

// pad flushes the pending bits, zero-padded to a byte boundary.
func (w *bitWriter) pad() {
	if w.n > 0 {
		w.b = append(w.b, byte(w.acc<<(8-w.n)))
		w.n = 0
	}
}

// egLen is the length in bits of the exponential-Golomb code of order k
// of v.
func egLen(v uint64, k uint) uint64 {
	s, carry := bits.Add64(v, 1<<k, 0)
	nb := uint64(bits.Len64(s)) + carry
	if carry != 0 {
		nb = 65
	}
	return 2*nb - 1 - uint64(k)
}

// bitReader reads bits, most significant first. It never panics: reads
// past the end fail.
type bitReader struct {
	b   []byte
	pos uint64 // bit position
}

func (r *bitReader) left() uint64 { return uint64(len(r.b))*8 - r.pos }

// read returns the next n bits (n <= 64).
func (r *bitReader) read(n uint) (uint64, bool) {
	if uint64(n) > r.left() {
		r.pos = uint64(len(r.b)) * 8
		return 0, false
	}
	var v uint64
	for n > 0 {
		off := uint(r.pos & 7)
		avail := 8 - off
		take := min(avail, n)
		x := uint64(r.b[r.pos>>3]>>(avail-take)) & (1<<take - 1)
		v = v<<take | x
		r.pos += uint64(take)
		n -= take
	}
	return v, true
}

// expGolomb reads an exponential-Golomb code of order k.
func (r *bitReader) expGolomb(k uint) (uint64, bool) {
	var z uint
	for {
		if r.pos>>3 >= uint64(len(r.b)) {
			return 0, false
		}
		// skip whole zero bytes quickly
		if r.pos&7 == 0 && r.b[r.pos>>3] == 0 && z+8+k <= 64 {
			z += 8
			r.pos += 8
			continue
		}
		bit, ok := r.read(1)
		if !ok {
			return 0, false
		}
		if bit == 1 {
			break
		}
		z++
		if z+k > 64 {
			return 0, false
		}
	}
	if z+k > 64 {
		return 0, false
	}
	rest, ok := r.read(z + k)
	if !ok {
		return 0, false
	}
	// s = 2^(z+k) + rest, which wraps to rest when z+k == 64 (the carry).
	var top uint64
	if z+k < 64 {
		top = 1 << (z + k)
	}
	return top + rest - 1<<k, true
}

// zigzag maps a signed value to an unsigned one, small magnitudes first.
func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// unzigzag inverts zigzag.
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

package pdu

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAppendUvarintSameBytes: appendUvarintWide (for 2^49 and more, as
// Enc.Varint calls it) and Enc.Varint write encoding/binary's bytes for
// every length, at each length's bounds and for random values, after a
// prefix (the append keeps what was there).
func TestAppendUvarintSameBytes(t *testing.T) {
	var vs []uint64
	for k := 0; k <= 64; k++ {
		p := uint64(1) << k
		vs = append(vs, p, p-1, p+1)
	}
	vs = append(vs, math.MaxUint64, math.MaxUint64-1, 1_700_000_000_000_000_000*2, 120e9)
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		vs = append(vs, r.Uint64()>>r.IntN(64))
	}
	for _, v := range vs {
		if v >= 1<<49 {
			got := appendUvarintWide([]byte{0xaa}, v)
			if want := binary.AppendUvarint([]byte{0xaa}, v); !bytes.Equal(got, want) {
				t.Fatalf("appendUvarintWide(%#x) = % x, want % x", v, got, want)
			}
		}
		for _, s := range []int64{int64(v), -int64(v)} {
			e := Enc{B: []byte{0xaa}}
			e.Varint(s)
			if want := binary.AppendVarint([]byte{0xaa}, s); !bytes.Equal(e.B, want) {
				t.Fatalf("Varint(%d) = % x, want % x", s, e.B, want)
			}
		}
	}
	e := Enc{B: make([]byte, 0, 3)} // growing past the capacity
	e.Varint(math.MinInt64 + 12345)
	if want := binary.AppendVarint(nil, math.MinInt64+12345); !bytes.Equal(e.B, want) {
		t.Fatalf("grown: % x, want % x", e.B, want)
	}
}

// TestUvarintsAtRuns: uvarintsAt reads runs of varints of every length,
// one after the other, as binary.Uvarint reads them one by one, with the
// run's end at every distance from the buffer's end (its word reads and
// its byte by byte reads), and fails on a run cut short.
func TestUvarintsAtRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		vs := make([]uint64, 1+r.IntN(5))
		var b []byte
		for k := range vs {
			vs[k] = r.Uint64() >> r.IntN(64)
			b = binary.AppendUvarint(b, vs[k])
		}
		tail := r.IntN(12)
		for range tail {
			b = append(b, byte(r.IntN(256)))
		}
		got := make([]uint64, len(vs))
		if n := uvarintsAt(b, 0, got); n != len(b)-tail {
			t.Fatalf("uvarintsAt(% x) ends at %d, want %d", b, n, len(b)-tail)
		}
		for k := range vs {
			if got[k] != vs[k] {
				t.Fatalf("uvarintsAt(% x)[%d] = %d, want %d", b, k, got[k], vs[k])
			}
		}
		if cut := b[:len(b)-tail-1]; uvarintsAt(cut, 0, got) != 0 {
			t.Fatalf("uvarintsAt(% x) read a cut run", cut)
		}
	}
}

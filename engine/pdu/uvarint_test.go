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

package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// varintCases returns byte strings around every varint length: each
// value of 1 to 10 bytes at its edges (2^(7k) - 1, 2^(7k)) and random,
// followed by 0 to 10 more bytes; the same cut short; runs of 1 to 12
// continuation bytes; a 10th byte above 1 (an overflow); non-canonical
// encodings (0x80 0x00).
func varintCases() [][]byte {
	rng := rand.New(rand.NewPCG(14, 7))
	var out [][]byte
	tail := func(b []byte, n int) []byte {
		for range n {
			b = append(b, byte(rng.Uint32()))
		}
		return b
	}
	vals := []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, 1<<63 - 1, 1 << 63}
	for k := uint(1); k < 10; k++ {
		vals = append(vals, 1<<(7*k)-1, 1<<(7*k), 1<<(7*k)+1, rng.Uint64()>>(64-7*k))
	}
	for range 200 {
		vals = append(vals, rng.Uint64()>>rng.UintN(64))
	}
	for _, v := range vals {
		enc := binary.AppendUvarint(nil, v)
		for n := range 11 {
			out = append(out, tail(bytes.Clone(enc), n))
		}
		for cut := range len(enc) {
			out = append(out, bytes.Clone(enc[:cut]), tail(bytes.Clone(enc[:cut]), 0))
		}
	}
	for n := 1; n <= 12; n++ {
		run := bytes.Repeat([]byte{0xff}, n)
		out = append(out, run, append(bytes.Clone(run), 0), append(bytes.Clone(run), 1, 2, 3))
	}
	for _, last := range []byte{0, 1, 2, 0x7f} {
		b := append(bytes.Repeat([]byte{0x80}, 9), last)
		out = append(out, b, append(bytes.Clone(b), 5, 5))
	}
	out = append(out, []byte{0x80, 0x00}, []byte{0x80, 0x80, 0x00, 9, 9, 9, 9, 9, 9})
	for range 20000 {
		b := make([]byte, rng.IntN(14))
		for i := range b {
			b[i] = byte(rng.Uint32()) | byte(rng.IntN(2))<<7
		}
		out = append(out, b)
	}
	return out
}

// TestUvarintAsBinary: Dec.Uvarint, uvarintLong (its 8 bytes at once)
// and uvarintsAt (one and two bytes inline) read what binary.Uvarint reads, from every offset: the value, the bytes
// taken, and ErrShort for a varint cut short, ErrCorrupt for one past 64
// bits.
func TestUvarintAsBinary(t *testing.T) {
	for _, b := range varintCases() {
		for i := 0; i <= len(b); i++ {
			wantV, wantN := binary.Uvarint(b[i:])
			v, n := uvarintLong(b, i)
			if wantN > 0 && b[i] >= 0x80 && (v != wantV || n != i+wantN) || wantN <= 0 && (n > 0 || (n < 0) != (wantN < 0)) {
				t.Fatalf("uvarintLong(% x, %d) = %d, %d; binary.Uvarint gives %d, %d", b, i, v, n, wantV, wantN)
			}
			var one [1]uint64
			if n := uvarintsAt(b, i, one[:]); wantN > 0 && (one[0] != wantV || n != i+wantN) || wantN <= 0 && n != 0 {
				t.Fatalf("uvarintsAt(% x, %d) = %d, %d; binary.Uvarint gives %d, %d", b, i, one[0], n, wantV, wantN)
			}
			d := Dec{B: b[i:]}
			v = d.Uvarint()
			var wantErr error
			switch {
			case wantN == 0:
				wantErr = ErrShort
			case wantN < 0:
				wantErr = ErrCorrupt
			}
			left := len(b) - i - max(wantN, 0)
			if wantN <= 0 {
				left, wantV = 0, 0
			}
			if v != wantV || !errors.Is(d.Err(), wantErr) || d.Err() == nil != (wantErr == nil) || len(d.B) != left {
				t.Fatalf("Dec.Uvarint(% x) = %d, err %v, %d bytes left; want %d, %v, %d", b[i:], v, d.Err(), len(d.B), wantV, wantErr, left)
			}
		}
	}
}

// TestDecodeStatFast: decodeStat (its one pass when the stat is whole)
// reads every stat as decodeStatSlow does, field by field: the same
// values, bytes left and error for whole stats of every kind (count,
// integral, float) and for every cut and corruption of them.
func TestDecodeStatFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 8))
	var stats []stat.Stat
	for _, n := range []uint64{0, 1, 5, 300, 1 << 40} {
		var s stat.Stat
		for range n % 1000 {
			s.Add(float64(rng.IntN(1 << 20)))
		}
		stats = append(stats, s, stat.Stat{N: n, Sum: float64(n), SumSq: float64(n), Min: 1, Max: 1})
		s.Add(0.5)
		stats = append(stats, s)
	}
	for range 300 {
		var s stat.Stat
		for range 1 + rng.IntN(5) {
			s.Add(float64(rng.Uint64() >> rng.UintN(64)))
		}
		stats = append(stats, s)
	}
	for _, s := range stats {
		var e Enc
		appendStat(&e, s)
		inputs := damaged(append(bytes.Clone(e.B), 0x81, 0x01), len(e.B), 0x80, 0xff, 3)
		for _, b := range inputs {
			fast, slow := Dec{B: b}, Dec{B: b}
			got, want := decodeStat(&fast), decodeStatSlow(&slow)
			same := got.N == want.N && sameBits(got.Sum, want.Sum) && sameBits(got.SumSq, want.SumSq) && sameBits(got.Min, want.Min) && sameBits(got.Max, want.Max)
			if fast.Err() != nil {
				same = errors.Is(fast.Err(), slow.Err()) // the record is dropped: its values do not matter
			}
			if !same || (fast.Err() == nil) != (slow.Err() == nil) || len(fast.B) != len(slow.B) {
				t.Fatalf("decodeStat(% x) = %+v, err %v, %d left; field by field %+v, err %v, %d left", b, got, fast.Err(), len(fast.B), want, slow.Err(), len(slow.B))
			}
		}
	}
}

// damaged returns the inputs of the one-pass decoders' tests: whole cut
// at every length (none of it to all of it), then whole with each of its
// first n bytes replaced in turn by each of xs.
func damaged(whole []byte, n int, xs ...byte) [][]byte {
	var inputs [][]byte
	for cut := range len(whole) + 1 {
		inputs = append(inputs, whole[:cut])
	}
	for k := range n {
		for _, x := range xs {
			b := bytes.Clone(whole)
			b[k] = x
			inputs = append(inputs, b)
		}
	}
	return inputs
}

// sameBits reports whether a and b are the same float64, NaNs included.
func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// TestCountersDecodeFast: Counters.Decode (its one pass when the record
// is whole) reads every record as decodeSlow does, field by field: the
// same fields, bytes left and error for whole records of 0 to 8 metrics
// and for every cut and corruption of them.
func TestCountersDecodeFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 9))
	for trial := range 300 {
		r := Counters{IntervalStartNs: rng.Int64() >> rng.UintN(64), IntervalNs: int64(rng.IntN(1e12)) - 5, FlowID: rng.Uint64() >> rng.UintN(64)}
		for m := range rng.IntN(9) {
			var s stat.Stat
			for range rng.IntN(4) {
				s.Add(float64(rng.Uint64()>>rng.UintN(64)) / float64(1+trial%2))
			}
			r.Metrics = append(r.Metrics, Metric{ID: uint32(m * 37), Stat: s})
		}
		var e Enc
		r.Append(&e)
		inputs := damaged(append(bytes.Clone(e.B), 0x81, 0x01), len(e.B), 0x80, 0xff, 3, 200)
		for _, b := range inputs {
			var got, want Counters
			fast, slow := Dec{B: b}, Dec{B: b}
			got.Decode(&fast)
			want.decodeSlow(&slow)
			if (fast.Err() == nil) != (slow.Err() == nil) || !errors.Is(fast.Err(), slow.Err()) || len(fast.B) != len(slow.B) {
				t.Fatalf("Decode(% x): err %v, %d left; field by field err %v, %d left", b, fast.Err(), len(fast.B), slow.Err(), len(slow.B))
			}
			if fast.Err() != nil {
				continue // the record is dropped: its fields do not matter
			}
			same := got.IntervalStartNs == want.IntervalStartNs && got.IntervalNs == want.IntervalNs && got.FlowID == want.FlowID && len(got.Metrics) == len(want.Metrics)
			for i := 0; same && i < len(got.Metrics); i++ {
				g, w := got.Metrics[i], want.Metrics[i]
				same = g.ID == w.ID && g.Stat.N == w.Stat.N && sameBits(g.Stat.Sum, w.Stat.Sum) && sameBits(g.Stat.SumSq, w.Stat.SumSq) && sameBits(g.Stat.Min, w.Stat.Min) && sameBits(g.Stat.Max, w.Stat.Max)
			}
			if !same {
				t.Fatalf("Decode(% x) = %+v; field by field %+v", b, got, want)
			}
		}
	}
}

// TestFlowUpdateDecodeFast: FlowUpdate.Decode (its one pass when the
// record is whole) reads every record as decodeSlow does, field by field:
// the same fields, bytes left and error, for whole records and every cut
// and corruption of them.
func TestFlowUpdateDecodeFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 12))
	for range 500 {
		r := FlowUpdate{FlowID: rng.Uint64() >> rng.UintN(64), LastSeenNs: rng.Int64() >> rng.UintN(64), Packets: rng.Uint64() >> rng.UintN(64),
			Bytes: rng.Uint64() >> rng.UintN(64), Ended: uint8(rng.IntN(4))}
		var e Enc
		r.Append(&e)
		inputs := damaged(append(bytes.Clone(e.B), 0x81, 0x01), len(e.B), 0x80, 0xff, 3)
		for _, b := range inputs {
			var got, want FlowUpdate
			fast, slow := Dec{B: b}, Dec{B: b}
			got.Decode(&fast)
			want.decodeSlow(&slow)
			if (fast.Err() == nil) != (slow.Err() == nil) || !errors.Is(fast.Err(), slow.Err()) || len(fast.B) != len(slow.B) || fast.Err() == nil && got != want {
				t.Fatalf("Decode(% x) = %+v, err %v, %d left; field by field %+v, err %v, %d left", b, got, fast.Err(), len(fast.B), want, slow.Err(), len(slow.B))
			}
		}
	}
}

// TestDecAddr: Dec.Addr (its IPv4 path in one move) reads what the tag
// and bytes say, as a read of the tag then of the bytes does: every
// address kind, cut at every length, with an unknown tag, followed by more
// bytes or not.
func TestDecAddr(t *testing.T) {
	byParts := func(d *Dec) netip.Addr { // the tag, then the bytes
		switch d.Byte() {
		case 0:
			return netip.Addr{}
		case 4:
			if b := d.take(4); b != nil {
				return netip.AddrFrom4([4]byte(b))
			}
			return netip.Addr{}
		case 6:
			if b := d.take(16); b != nil {
				return netip.AddrFrom16([16]byte(b))
			}
			return netip.Addr{}
		}
		d.fail(ErrCorrupt)
		return netip.Addr{}
	}
	var inputs [][]byte
	for _, a := range []netip.Addr{{}, netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("2001:db8::9"), netip.MustParseAddr("::ffff:10.1.2.3")} {
		var e Enc
		e.Addr(a)
		whole := append(bytes.Clone(e.B), 4, 1)
		for cut := range len(whole) + 1 {
			inputs = append(inputs, whole[:cut])
		}
	}
	inputs = append(inputs, []byte{5, 1, 2, 3, 4}, []byte{1, 1, 2, 3, 4, 5})
	for _, b := range inputs {
		got, want := Dec{B: b}, Dec{B: b}
		ga, wa := got.Addr(), byParts(&want)
		if ga != wa || len(got.B) != len(want.B) || !errors.Is(got.Err(), want.Err()) || (got.Err() == nil) != (want.Err() == nil) {
			t.Errorf("Addr(% x) = %v, %d left, err %v; tag then bytes %v, %d left, err %v", b, ga, len(got.B), got.Err(), wa, len(want.B), want.Err())
		}
	}
}

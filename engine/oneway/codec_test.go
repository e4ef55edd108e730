package oneway

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

func TestExpGolombRoundTrip(t *testing.T) {
	vals := []uint64{0, 1, 2, 3, 7, 8, 255, 1 << 20, 1<<63 - 1, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	for k := uint(0); k <= maxK; k++ {
		var w bitWriter
		var want uint64
		for _, v := range vals {
			w.expGolomb(v, k)
			want += egLen(v, k)
			w.write(0x5, 3) // a marker between codes
		}
		want += 3 * uint64(len(vals))
		if got := uint64(len(w.b))*8 + uint64(w.n); got != want {
			t.Fatalf("k=%d: wrote %d bits, egLen says %d", k, got, want)
		}
		w.pad()
		r := bitReader{b: w.b}
		for _, v := range vals {
			got, ok := r.expGolomb(k)
			if !ok || got != v {
				t.Fatalf("k=%d: read %d (ok %v), want %d", k, got, ok, v)
			}
			if m, _ := r.read(3); m != 5 {
				t.Fatalf("k=%d: marker %d after %d", k, m, v)
			}
		}
	}
}

func TestZigzag(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 2, -2, math.MaxInt64, math.MinInt64} {
		if unzigzag(zigzag(v)) != v {
			t.Errorf("zigzag(%d) does not round-trip", v)
		}
	}
	if zigzag(-1) != 1 || zigzag(1) != 2 {
		t.Error("zigzag order")
	}
}

// randomObs makes n observations of nflows flows with the given shape.
func randomObs(rng *rand.Rand, n, nflows, bits int, sizes string, frag bool) []Obs {
	t := int64(1_795_964_222_463_376_885)
	keep := ^uint64(0) >> (64 - bits)
	obs := make([]Obs, n)
	for i := range obs {
		switch rng.IntN(10) {
		case 0:
			t -= rng.Int64N(5e6) // out of order
		case 1:
			t += rng.Int64N(1e12) // long silence
		default:
			t += 2e6 + rng.Int64N(2e5) - 1e5
		}
		o := Obs{FlowID: uint64(rng.IntN(nflows)) * 1000, Signature: rng.Uint64() & keep, TimeNs: t, FirstNs: t}
		if frag && rng.IntN(2) == 0 {
			o.FirstNs = t - rng.Int64N(3e6)
		}
		switch sizes {
		case "const":
			o.SizeBytes = 200
		case "random":
			o.SizeBytes = 28 + uint32(rng.IntN(1400))
		case "repeat":
			o.SizeBytes = []uint32{100, 1500}[rng.IntN(10)/9]
		case "huge":
			o.SizeBytes = rng.Uint32()
		}
		obs[i] = o
	}
	return obs
}

// TestEncoderRoundTrip encodes observations of many shapes and decodes
// them back: every observation comes back once, in its flow's order, with
// its times floored to the microsecond, and no PDU exceeds its budget.
func TestEncoderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bits := range []int{16, 24, 32, 64} {
		for _, sizes := range []string{"none", "const", "random", "repeat", "huge"} {
			for _, nflows := range []int{1, 3} {
				for _, frag := range []bool{false, true} {
					obs := randomObs(rng, 3000, nflows, bits, sizes, frag)
					enc, err := NewEncoder(EncoderConfig{SignatureBits: bits, MaxPayload: 600})
					if err != nil {
						t.Fatal(err)
					}
					var got []Obs
					decode := func(b []byte) {
						if len(b) > 600 {
							t.Fatalf("PDU of %d bytes over 600", len(b))
						}
						if err := Decode(b, func(o *Obs) { got = append(got, *o) }); err != nil {
							t.Fatal(err)
						}
					}
					for i := range obs {
						if enc.Add(&obs[i]) {
							var e pdu.Enc
							enc.Flush(&e, 0)
							decode(e.B)
						}
					}
					for enc.Len() > 0 {
						var e pdu.Enc
						if enc.Flush(&e, 0) == 0 {
							t.Fatal("flush wrote nothing")
						}
						decode(e.B)
					}
					if len(got) != len(obs) {
						t.Fatalf("bits %d sizes %s flows %d: decoded %d of %d", bits, sizes, nflows, len(got), len(obs))
					}
					// per flow, order is kept
					next := map[uint64]int{}
					for _, g := range got {
						i := next[g.FlowID]
						for i < len(obs) && obs[i].FlowID != g.FlowID {
							i++
						}
						if i == len(obs) {
							t.Fatalf("flow %d: extra observation", g.FlowID)
						}
						w := obs[i]
						// times come back exact: the record carries the capture's resolution
						if g != w {
							t.Fatalf("bits %d sizes %s: got %+v, want %+v", bits, sizes, g, w)
						}
						next[g.FlowID] = i + 1
					}
					if enc.Stats.Observations != uint64(len(obs)) {
						t.Errorf("stats %+v", enc.Stats)
					}
				}
			}
		}
	}
}

// TestFlushRespectsExistingBytes: Flush counts what the PDU already holds
// and keeps the observations that do not fit.
func TestFlushRespectsExistingBytes(t *testing.T) {
	enc, _ := NewEncoder(EncoderConfig{SignatureBits: 32})
	obs := randomObs(rand.New(rand.NewPCG(3, 4)), 100, 1, 32, "random", false)
	for i := range obs {
		enc.Add(&obs[i])
	}
	e := pdu.Enc{B: make([]byte, 180)}
	n := enc.Flush(&e, 200)
	if len(e.B) > 200 || n == 0 || n >= 100 {
		t.Fatalf("wrote %d observations, PDU %d bytes", n, len(e.B))
	}
	if enc.Len() != 100-n {
		t.Fatalf("%d left, want %d", enc.Len(), 100-n)
	}
	var got int
	if err := Decode(e.B[180:], func(*Obs) { got++ }); err != nil || got != n {
		t.Fatalf("decoded %d (%v), want %d", got, err, n)
	}
	if enc.Flush(&pdu.Enc{B: make([]byte, 200)}, 200) != 0 {
		t.Error("flush into a full PDU wrote something")
	}
}

func TestDecodeErrors(t *testing.T) {
	enc, _ := NewEncoder(EncoderConfig{SignatureBits: 32})
	obs := randomObs(rand.New(rand.NewPCG(5, 6)), 50, 1, 32, "random", true)
	for i := range obs {
		enc.Add(&obs[i])
	}
	var e pdu.Enc
	enc.Flush(&e, 0)
	for cut := 0; cut < len(e.B); cut++ {
		err := Decode(e.B[:cut], func(*Obs) {})
		if cut > 0 && err == nil {
			t.Fatalf("truncated at %d: no error", cut)
		}
		if err != nil && !errors.Is(err, pdu.ErrShort) && !errors.Is(err, pdu.ErrCorrupt) {
			t.Fatalf("truncated at %d: %v", cut, err)
		}
	}
}

func TestDroppedCodecAndSummarize(t *testing.T) {
	x := Dropped{FlowID: 9, Count: 3, FirstNs: 1e18, LastNs: 1e18 + 5e6}
	var e pdu.Enc
	AppendDropped(&e, &x)
	var y Dropped
	d := pdu.Dec{B: e.B}
	DecodeDropped(&d, &y)
	if d.Err() != nil || y != x || !d.Done() {
		t.Fatalf("got %+v (%v), want %+v", y, d.Err(), x)
	}
	enc, _ := NewEncoder(EncoderConfig{})
	for i, f := range []uint64{1, 2, 1} {
		enc.Add(&Obs{FlowID: f, Signature: 7, TimeNs: int64(1e18) + int64(i)*1e6, FirstNs: int64(1e18) + int64(i)*1e6 - 500})
	}
	e = pdu.Enc{}
	enc.Flush(&e, 0)
	var got []Dropped
	if err := Summarize(e.B, func(x *Dropped) { got = append(got, *x) }); err != nil {
		t.Fatal(err)
	}
	// times come back exact (the records carry the ns the capture had)
	want := []Dropped{{FlowID: 1, Count: 2, FirstNs: 1e18 - 500, LastNs: 1e18 + 2e6}, {FlowID: 2, Count: 1, FirstNs: 1e18 + 1e6 - 500, LastNs: 1e18 + 1e6}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// FuzzDecode: no panic on any input, and every decoded observation obeys
// the record's bounds.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sizes := range []string{"none", "const", "random", "repeat"} {
		enc, _ := NewEncoder(EncoderConfig{SignatureBits: 24, MaxPayload: 200})
		obs := randomObs(rng, 40, 2, 24, sizes, sizes == "random")
		for i := range obs {
			enc.Add(&obs[i])
		}
		var e pdu.Enc
		enc.Flush(&e, 0)
		f.Add(e.B)
	}
	f.Add([]byte{1, 255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		err := Decode(b, func(*Obs) { n++ })
		if err != nil && !errors.Is(err, pdu.ErrShort) && !errors.Is(err, pdu.ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
		if n > len(b)*8 {
			t.Fatalf("%d observations from %d bytes", n, len(b))
		}
		_ = Summarize(b, func(*Dropped) {})
	})
}

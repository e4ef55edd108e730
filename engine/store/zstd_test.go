package store

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestZstdSameBytes: the part codec (1 MiB window, one shared encoder)
// compresses inputs up to the window to the very bytes parquet-go's codec
// does, larger inputs to frames parquet-go decodes back, and is safe for
// concurrent writers.
func TestZstdSameBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	input := func(n int) []byte { // column-like data: repeats and counters
		b := make([]byte, 0, n)
		for len(b) < n {
			b = binary.LittleEndian.AppendUint64(b, uint64(rng.IntN(1000)))
			if rng.IntN(4) == 0 {
				b = append(b, "flow_counters"...)
			}
		}
		return b[:n]
	}
	for _, n := range []int{0, 1, 100, 64 << 10, 256 << 10, 300 << 10, zstdWindowBytes} {
		src := input(n)
		got, err := partCodec.Encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		want, err := parquet.Zstd.Encode(nil, src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d bytes: %d compressed bytes, parquet-go's %d (or different bytes)", n, len(got), len(want))
		}
	}
	big := input(3 << 20)
	enc, err := partCodec.Encode(nil, big)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parquet.Zstd.Decode(nil, enc)
	if err != nil || !bytes.Equal(back, big) {
		t.Errorf("3 MiB input: decoded %d bytes, err %v", len(back), err)
	}
	done := make(chan []byte)
	for range 4 {
		go func() {
			out, _ := partCodec.Encode(nil, big[:256<<10])
			done <- out
		}()
	}
	want, _ := parquet.Zstd.Encode(nil, big[:256<<10])
	for range 4 {
		if !bytes.Equal(<-done, want) {
			t.Error("concurrent encode differs")
		}
	}
}

package replay

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestSpans indexes captures whose time steps back (files concatenated
// out of order, a clock set back) and goes back and forth by less than
// StepBackNs (reordered packets), as Indexer does on replay, and checks
// that the spans Spans gives for a time range cover every packet captured
// in it (the brute-force answer over the file), each once. Before, the
// index noted no entry where time stepped back and a reader of the index
// found no packet of the later, earlier-timed part.
func TestSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	frame := capgen.UDP{Src: capgen.AP("192.0.2.1:1000"), Dst: capgen.AP("192.0.2.2:53")}.Frame()
	dir := t.TempDir()
	for c := range 40 {
		var fr []capgen.Frame
		for range 1 + rng.IntN(4) { // segments starting anywhere within a day
			at := capgen.Base + rng.Int64N(int64(24*time.Hour))
			for range 1 + rng.IntN(60) {
				at += rng.Int64N(int64(400 * time.Millisecond))
				ts := at
				if rng.IntN(8) == 0 { // reordered: up to 0.9 s back
					ts -= rng.Int64N(int64(900 * time.Millisecond))
				}
				fr = append(fr, capgen.Frame{TimeNs: ts, Data: frame})
			}
		}
		path := filepath.Join(dir, "c.pcap")
		if err := os.WriteFile(path, capgen.PCAP(fr, true), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, most := range []int{MaxIndexEntries, 2 + rng.IntN(6)} { // unbounded here, thinned
			ix := indexAll(t, path, uint64(1+rng.IntN(20)), most)
			if len(ix.Entries()) > most {
				t.Fatalf("%d entries, at most %d", len(ix.Entries()), most)
			}
			checkSpans(t, rng, c, fr, ix)
		}
	}
}

// indexAll indexes the capture at path keeping at most most entries.
func indexAll(t *testing.T, path string, every uint64, most int) *Indexer {
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndexer(f, "p", "if0", path, every, StepBackNs)
	ix.maxEntries = most
	for {
		if _, _, err := ix.Next(); err != nil {
			break
		}
	}
	ix.Close()
	return ix
}

// checkSpans checks that Spans covers every packet of fr in 50 random time
// ranges once, and none twice (the brute-force answer over the file).
func checkSpans(t *testing.T, rng *rand.Rand, c int, fr []capgen.Frame, ix *Indexer) {
	t.Helper()
	for range 50 {
		lo := fr[rng.IntN(len(fr))].TimeNs - rng.Int64N(int64(time.Second))
		hi := lo + rng.Int64N(int64(3*time.Second))
		covered := make([]int, len(fr)+1) // by frame number
		for _, sp := range Spans(ix.Entries(), lo, hi) {
			end := sp.EndFrame
			if end == 0 {
				end = uint64(len(fr)) + 1
			}
			for n := sp.Start.Frame; n < end; n++ {
				covered[n]++
			}
		}
		for i, x := range fr {
			if n := i + 1; x.TimeNs >= lo && x.TimeNs <= hi && covered[n] != 1 || covered[n] > 1 {
				t.Fatalf("capture %d, [%d, %d]: frame %d (time %d) read %d times; entries %+v", c, lo, hi, n, x.TimeNs, covered[n], ix.Entries())
			}
		}
	}
}

// TestIndexBounded: a capture whose clock steps back 2 s every other
// packet (the trial's "stepback" capture: 4 M packets gave 4 M
// packet_index rows, 1.16 GB of peak memory) is indexed in at most
// MaxIndexEntries entries, and Spans still finds every packet of a time
// range. The capture (built here with capgen.PCAP) has 20,000 UDP
// packets: 10 ms apart, every odd one 2 s earlier than its neighbours.
// Before, every odd packet and the next were entries (20,000).
func TestIndexBounded(t *testing.T) {
	frame := capgen.UDP{Src: capgen.AP("192.0.2.1:1000"), Dst: capgen.AP("192.0.2.2:53")}.Frame()
	var fr []capgen.Frame
	for i := range 20000 {
		ts := capgen.Base + int64(i)*int64(10*time.Millisecond)
		if i%2 == 1 {
			ts -= int64(2 * time.Second)
		}
		fr = append(fr, capgen.Frame{TimeNs: ts, Data: frame})
	}
	path := filepath.Join(t.TempDir(), "stepback.pcap")
	if err := os.WriteFile(path, capgen.PCAP(fr, true), 0o644); err != nil {
		t.Fatal(err)
	}
	ix := indexAll(t, path, 1000, MaxIndexEntries)
	if n := len(ix.Entries()); n > MaxIndexEntries || n < MaxIndexEntries/2 {
		t.Fatalf("%d entries, want between %d and %d", n, MaxIndexEntries/2, MaxIndexEntries)
	}
	checkSpans(t, rand.New(rand.NewPCG(3, 4)), 0, fr, ix)
}

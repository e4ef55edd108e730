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
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		ix := NewIndexer(f, "p", "if0", path, uint64(1+rng.IntN(20)), StepBackNs)
		for {
			if _, _, err := ix.Next(); err != nil {
				break
			}
		}
		ix.Close()
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
}

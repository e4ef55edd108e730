package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestGCCycleSingular (the sixth trial's D2): a full run with one
// garbage collection (runtime.MemStats.NumGC went up by 1) printed "GC: 1
// cycles"; "GC: 1 cycle", and "2 cycles", "1 (1-2) cycles" over runs
// that differ.
func TestGCCycleSingular(t *testing.T) {
	for _, c := range []struct {
		cycles []uint64
		want   string
	}{
		{[]uint64{1}, "GC: 1 cycle, "},
		{[]uint64{2}, "GC: 2 cycles, "},
		{[]uint64{1, 1}, "GC: 1 (1-1) cycle, "},
		{[]uint64{1, 2}, "GC: 2 (1-2) cycles, "},
	} {
		r := &Report{Paths: []string{"x.pcap"}, Packets: 1000, Stages: StageTimes{}}
		for _, n := range c.cycles {
			r.Full = append(r.Full, Measure{GCCycles: n, WallNs: 1e9})
			r.Floor = append(r.Floor, Measure{WallNs: 1e9})
			r.Ratios = append(r.Ratios, 1)
		}
		var text bytes.Buffer
		r.WriteText(&text)
		if !strings.Contains(text.String(), c.want) {
			t.Errorf("GC cycles %v: want %q in\n%s", c.cycles, c.want, text.String())
		}
	}
}

package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// sink keeps what the allocators below made, so that each is a heap
// allocation.
var sink []*[4]uint64

//go:noinline
func allocInWindow(n int) {
	for range n {
		sink = append(sink[:0], new([4]uint64))
	}
}

//go:noinline
func allocOutsideWindow(n int) {
	for range n {
		sink = append(sink[:0], new([4]uint64))
	}
}

// TestSteadyProfile (bench --steady-memprofile): the profile holds every
// allocation made between the samples the steady rate takes (the first at
// or past 20 % of the packets, the last at or before 80 %), counted one by
// one (MemProfileRate 1), and none made before or after; the snapshots'
// own allocations (pprof's encoding) are in neither the profile nor the
// rate, so the rate with the profile is the rate without it.
func TestSteadyProfile(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts are asserted without -race (testenv.Race)")
	}
	// 80 % of total falls between two samples: the window ends at the one
	// before (samples at 5..16 steadyEvery of 20.5: 11 intervals)
	const samples, perSample, inWindow = 20, 250, 11 * 250
	total := uint64(samples*steadyEvery + steadyEvery/2)
	s := newSteady()
	restore := s.profileWindow(total)
	defer restore()
	sink = make([]*[4]uint64, 0, 1)
	for i := 1; i <= samples; i++ {
		p := uint64(i * steadyEvery)
		s.progress(p, 0)
		if p >= total/5 && p+steadyEvery <= total*4/5 { // between the window's first and last sample
			allocInWindow(perSample)
		} else {
			allocOutsideWindow(1000)
		}
	}
	restore()
	if s.snaps[0] == nil || s.snaps[1] == nil {
		t.Fatal("no snapshot taken at the window's samples")
	}
	rate, ok := s.rate(total)
	if !ok {
		t.Fatal("no steady rate")
	}
	window := float64(11 * steadyEvery)
	// The runtime's counter counts a span's objects as it hands the span
	// to a P (and takes back the unused ones when it is swept), so it is
	// exact to about a span a size class: 256 of these 32-byte objects.
	// Without leaving out the snapshots' own, it counted ~2,800 more.
	if got := rate * window; got < inWindow-512 || got > inWindow+512 {
		t.Errorf("steady rate counts %.0f allocations in the window, want %d (the test's, within two spans): the snapshots' own left out", got, inWindow)
	}
	path := filepath.Join(t.TempDir(), "steady.pprof")
	if err := s.writeProfile(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	objects := slices.IndexFunc(p.SampleType, func(st *profile.ValueType) bool { return st.Type == "alloc_objects" })
	if objects < 0 {
		t.Fatalf("no alloc_objects in the profile's %v", p.SampleType)
	}
	counts := map[string]int64{}
	for _, smp := range p.Sample {
		for _, loc := range smp.Location {
			for _, ln := range loc.Line {
				counts[ln.Function.Name] += smp.Value[objects]
			}
		}
	}
	if got, want := counts["github.com/tmonbench/tmonbench/engine/bench.allocInWindow"], int64(inWindow); got != want {
		t.Errorf("the profile has %d allocations of allocInWindow, want %d (11 sample intervals in the window, %d each)", got, want, perSample)
	}
	if got := counts["github.com/tmonbench/tmonbench/engine/bench.allocOutsideWindow"]; got != 0 {
		t.Errorf("the profile has %d allocations made outside the window, want 0", got)
	}
	if got := counts["github.com/tmonbench/tmonbench/engine/bench.snapAllocs"]; got != 0 {
		t.Errorf("the profile has %d allocations of its own snapshots, want 0", got)
	}
}

package bench

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"

	"github.com/google/pprof/profile"
)

// steady records the allocation counter as the packets go, to measure the
// allocation rate away from the start and the end of the run.
type steady struct {
	packets []uint64
	allocs  []uint64
	sample  []metrics.Sample

	// The steady window's allocation profile (Options.SteadyProfilePath):
	// taken when the packets pass total/5 and total*4/5 (the window of
	// rate, total known from the floor's run of the same packets).
	total uint64
	snaps [2]*bytes.Buffer
	// own is what taking the snapshots allocated (pprof's encoding): left
	// out of allocs, so the measured rate is the pipeline's with or
	// without the profile.
	own uint64
}

func newSteady() *steady {
	return &steady{sample: []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}}
}

func (s *steady) progress(packets, _ uint64) {
	s.packets = append(s.packets, packets)
	s.allocs = append(s.allocs, s.read()-s.own)
	if s.total == 0 {
		return
	}
	// the samples rate takes: the first at or past 20 %, the last at or
	// before 80 % (the next comes steadyEvery packets later)
	lo, hi := s.total/5, s.total*4/5
	for i, due := range [2]bool{packets >= lo, packets >= hi || packets+steadyEvery > hi} {
		if s.snaps[i] == nil && due {
			before := s.read()
			s.snaps[i] = snapAllocs()
			s.own += s.read() - before
		}
	}
}

// read returns the process's allocations so far.
func (s *steady) read() uint64 {
	metrics.Read(s.sample)
	return s.sample[0].Value.Uint64()
}

// snapAllocs returns the allocation profile as of now: a collection
// first, as the profile counts the allocations up to the last one.
func snapAllocs() *bytes.Buffer {
	runtime.GC()
	var b bytes.Buffer
	pprof.Lookup("allocs").WriteTo(&b, 0) // into a bytes.Buffer: no error
	return &b
}

// profileWindow starts recording every allocation (runtime.MemProfileRate
// 1) for a run of total packets, so that progress takes the steady
// window's profiles; the function it returns puts the rate back.
func (s *steady) profileWindow(total uint64) (restore func()) {
	s.total = total
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	return func() { runtime.MemProfileRate = old }
}

// rate returns the allocations per packet between 20 % and 80 % of
// total; ok is false when no two samples fall in that span.
func (s *steady) rate(total uint64) (perPacket float64, ok bool) {
	lo, hi := -1, -1
	for i, p := range s.packets {
		if lo < 0 && p >= total/5 {
			lo = i
		}
		if p <= total*4/5 {
			hi = i
		}
	}
	if lo < 0 || hi <= lo || s.packets[hi] == s.packets[lo] {
		return 0, false
	}
	return float64(s.allocs[hi]-s.allocs[lo]) / float64(s.packets[hi]-s.packets[lo]), true
}

// writeProfile writes the steady window's allocations (the profile at
// its end less the one at its start) to path, in pprof's format.
func (s *steady) writeProfile(path string) error {
	if s.snaps[0] == nil || s.snaps[1] == nil {
		return fmt.Errorf("bench: steady-state profile: the run's %d packets left no steady window (the floor read %d)", lastOr(s.packets), s.total)
	}
	var ps [2]*profile.Profile
	for i, b := range s.snaps {
		p, err := profile.Parse(b)
		if err != nil {
			return fmt.Errorf("bench: steady-state profile: %w", err)
		}
		ps[i] = p
	}
	ps[0].Scale(-1)
	diff, err := profile.Merge(ps[:])
	if err != nil {
		return fmt.Errorf("bench: steady-state profile: %w", err)
	}
	// Left out: what the first snapshot's encoding allocated (its own,
	// out of the rate too), and the stacks that allocated nothing in the
	// window.
	diff.FilterSamplesByName(nil, snapFrames, nil, nil)
	kept := diff.Sample[:0]
	for _, smp := range diff.Sample {
		if slices.ContainsFunc(smp.Value, func(v int64) bool { return v != 0 }) {
			kept = append(kept, smp)
		}
	}
	diff.Sample = kept
	var out bytes.Buffer
	if err := diff.Write(&out); err != nil {
		return fmt.Errorf("bench: steady-state profile: %w", err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// snapFrames matches the frames of snapAllocs, whose allocations
// writeProfile leaves out.
var snapFrames = regexp.MustCompile(`bench\.snapAllocs`)

// lastOr returns the last of v, 0 when empty.
func lastOr(v []uint64) uint64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}

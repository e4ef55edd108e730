package collector

import (
	"slices"
	"testing"
)

// TestRetiredSetBounded: the retired set remembers the latest maxRetired
// flows at least and twice that at most, forgets the oldest, and its
// keys rebuild the same set (state.go saves them across restarts).
func TestRetiredSetBounded(t *testing.T) {
	var r retiredSet
	const n = 3*maxRetired + 5
	for i := range uint64(n) {
		r.add(flowKey{probe: uint16(i % 3), id: i})
		r.add(flowKey{probe: uint16(i % 3), id: i}) // twice: remembered once
	}
	size := len(r.older) + len(r.newer)
	if size < maxRetired || size > 2*maxRetired {
		t.Fatalf("remembers %d flows, want %d to %d", size, maxRetired, 2*maxRetired)
	}
	for i := uint64(n - maxRetired); i < n; i++ {
		if !r.has(flowKey{probe: uint16(i % 3), id: i}) {
			t.Fatalf("flow %d of the latest %d forgotten", i, maxRetired)
		}
	}
	if r.has(flowKey{probe: 0, id: 0}) || r.has(flowKey{probe: 1, id: maxRetired}) {
		t.Fatal("the oldest flows are still remembered")
	}
	var back retiredSet
	keys := r.keys()
	for _, k := range keys {
		back.add(k)
	}
	if len(back.older) != len(r.older) || len(back.newer) != len(r.newer) || !slices.Equal(back.keys(), keys) {
		t.Fatalf("rebuilt set: generations %d+%d, want %d+%d", len(back.older), len(back.newer), len(r.older), len(r.newer))
	}
}

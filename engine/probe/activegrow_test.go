package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// TestActiveListsDouble: the active lists grow by doubling from 512
// (growActive), so 200,000 flows of one interval (the 5M corpus's 197 k)
// take 10 arrays a list (512 ... 262,144), the lists stay in step, and
// every flow is listed once with the capture ordinal of its first packet.
// append's growth by a quarter past 256 elements took 28 a list, 5 times
// the final array in fresh memory, each of its pages a page fault
// (issue 14).
func TestActiveListsDouble(t *testing.T) {
	const flows = 200_000
	fs := make([]flow.Flow, flows)
	p := &Probe{}
	// the arrays each list went through: a new one at each capacity change
	// (counted, not measured by the process's mallocs, which other
	// goroutines' allocations reach: CI saw 27 for 20)
	arrays, ordArrays := 0, 0
	for i := range fs {
		c, co := cap(p.active), cap(p.activeOrd)
		p.ord = uint64(i + 1)
		p.touch(&fs[i])
		p.touch(&fs[i]) // a second packet of the interval: listed once
		if cap(p.active) != c {
			arrays++
		}
		if cap(p.activeOrd) != co {
			ordArrays++
		}
	}
	if len(p.active) != flows || len(p.activeOrd) != flows || cap(p.active) != 1<<18 || cap(p.activeOrd) != 1<<18 {
		t.Fatalf("lists of %d and %d flows, capacities %d and %d; want %d, capacities %d", len(p.active), len(p.activeOrd), cap(p.active), cap(p.activeOrd), flows, 1<<18)
	}
	for i := range fs {
		if p.active[i] != &fs[i] || p.activeOrd[i] != uint64(i+1) {
			t.Fatalf("entry %d: flow %p ordinal %d, want %p %d", i, p.active[i], p.activeOrd[i], &fs[i], i+1)
		}
	}
	if arrays != 10 || ordArrays != 10 {
		t.Errorf("%d and %d arrays for lists of %d flows, want 10 each (512 ... 262,144)", arrays, ordArrays, flows)
	}
}

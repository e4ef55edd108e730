package probe

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestActiveListsPopulated: the arrays the active lists grow into are
// resident (mincore(2)) over what the copy wrote and a window
// (flow.AheadBytes) past it, not a page at a time as the interval's flows
// are listed: growActive and touch populate them (flow.Populate,
// flow.PopulateAhead; a first write to a fresh page cost ~12.5 µs on the
// probe virtual machine, issue 14). The rest of the room is not, until
// the list reaches it. It runs alone in a process of its own
// (testref.AloneInProcess): after the package's other tests the heap's
// free pages could be resident or in a huge-page mapping already (CI saw
// 111 pages resident past the window, the array's whole rest).
func TestActiveListsPopulated(t *testing.T) {
	if !testref.AloneInProcess(t) {
		return
	}
	p := &Probe{}
	fs := make([]flow.Flow, 1<<16)
	for i := range fs {
		p.touch(&fs[i])
	}
	debug.FreeOSMemory() // free heap pages back to the kernel: the next arrays are fresh memory
	p.touch(&flow.Flow{})
	a, o := p.active[:cap(p.active)], p.activeOrd[:cap(p.activeOrd)]
	if len(a) != 1<<17 {
		t.Fatalf("capacity %d, want %d", len(a), 1<<17)
	}
	const written = 1<<16*8 + flow.AheadBytes // the copy, then a window
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&a[0])), written); err != nil || r != n {
		t.Errorf("active: %d of %d pages resident (%v), want all", r, n, err)
	}
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&o[0])), written); err != nil || r != n {
		t.Errorf("activeOrd: %d of %d pages resident (%v), want all", r, n, err)
	}
	end := uintptr(unsafe.Pointer(&a[0])) + written + 4<<10 // past a page of slack
	if r, _, err := testref.Resident(end, uintptr(unsafe.Pointer(&a[len(a)-1]))-end); err != nil || r != 0 {
		t.Errorf("active past the window: %d pages resident (%v), want 0", r, err)
	}
}

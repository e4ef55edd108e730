package probe

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestActiveListsPopulated: the arrays the active lists grow into are
// resident whole when made (mincore(2)), not a page at a time as the
// interval's flows are listed: growActive populates them
// (flow.Populate; a first write to a fresh page cost ~12.5 µs on the
// probe virtual machine, issue 14).
func TestActiveListsPopulated(t *testing.T) {
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
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&a[0])), uintptr(len(a))*8); err != nil || r != n {
		t.Errorf("active: %d of %d pages resident (%v), want all", r, n, err)
	}
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&o[0])), uintptr(len(o))*8); err != nil || r != n {
		t.Errorf("activeOrd: %d of %d pages resident (%v), want all", r, n, err)
	}
}

package tcpconn

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestPagePopulated: a page of connections is resident whole when cut
// from its chunk (mincore(2)), not a 4 KiB page at a time as its
// connections are made: page populates it (flow.Populate; a first write
// to a fresh page cost ~12.5 µs on the probe virtual machine, issue 14).
func TestPagePopulated(t *testing.T) {
	tr := New(DefaultConfig())
	debug.FreeOSMemory() // free heap pages back to the kernel: the chunk is fresh memory
	for range 3 {
		p := tr.page(connPage)
		if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&p[0])), uintptr(len(p))*unsafe.Sizeof(p[0])); err != nil || r != n {
			t.Errorf("page of %d connections: %d of %d pages resident (%v), want all", len(p), r, n, err)
		}
	}
}

// TestIndexSlotsPopulated: the slot arrays the connection index grows
// into are resident whole when made (mincore(2)), before grow writes
// them at random: a fault per 4 KiB page was the map's growth cost
// (index.go).
func TestIndexSlotsPopulated(t *testing.T) {
	debug.FreeOSMemory()
	s := flow.NewSlots[connSlot](1<<16, true)
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&s[0])), uintptr(len(s))*unsafe.Sizeof(s[0])); err != nil || r != n {
		t.Errorf("index slots: %d of %d pages resident (%v), want all", r, n, err)
	}
}

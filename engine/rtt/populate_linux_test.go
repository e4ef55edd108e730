package rtt

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestPagesPopulated: the pending table's entry pages and the
// histograms' pages are resident whole when made (mincore(2)), not a
// 4 KiB page at a time as they fill: they are populated (flow.Populate;
// a first write to a fresh page cost ~12.5 µs on the probe virtual
// machine, issue 14).
func TestPagesPopulated(t *testing.T) {
	resident := func(what string, p unsafe.Pointer, n uintptr) {
		t.Helper()
		if r, pages, err := testref.Resident(uintptr(p), n); err != nil || r != pages {
			t.Errorf("%s: %d of %d pages resident (%v), want all", what, r, pages, err)
		}
	}
	x := newPendTable()
	debug.FreeOSMemory() // free heap pages back to the kernel: what is made next is fresh memory
	var k pendKey
	x.put(&k, pending{})
	resident("first entry page", unsafe.Pointer(&x.pages[0][0]), pendPage*unsafe.Sizeof(pendEntry{}))
	tr := New(DefaultConfig())
	debug.FreeOSMemory()
	tr.observe(&tr.hist, 1, KindICMPEcho, 1)
	pg := tr.hist.pages[0]
	resident("first histogram page", unsafe.Pointer(&pg[0]), uintptr(len(pg))*unsafe.Sizeof(pg[0]))
}

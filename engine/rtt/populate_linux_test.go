package rtt

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/flow"
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

// TestArraysPopulated: the arrays the histograms' index and the pending
// requests' index grow into and the histograms' sort order are resident whole when made (mincore(2)),
// before anything is written to them.
func TestArraysPopulated(t *testing.T) {
	debug.FreeOSMemory() // free heap pages back to the kernel: what is made next is fresh memory
	s := flow.NewSlots[histSlot](1<<16, false)
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&s[0])), uintptr(len(s))*unsafe.Sizeof(s[0])); err != nil || r != n {
		t.Errorf("histogram slots: %d of %d pages resident (%v), want all", r, n, err)
	}
	debug.FreeOSMemory()
	ps := flow.NewSlots[pendSlot](1<<16, false)
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&ps[0])), uintptr(len(ps))*unsafe.Sizeof(ps[0])); err != nil || r != n {
		t.Errorf("pending slots: %d of %d pages resident (%v), want all", r, n, err)
	}
	debug.FreeOSMemory()
	is := flow.NewSlots[idSlot](1<<14, false)
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&is[0])), uintptr(len(is))*unsafe.Sizeof(is[0])); err != nil || r != n {
		t.Errorf("id table slots: %d of %d pages resident (%v), want all", r, n, err)
	}
	debug.FreeOSMemory()
	refs := sizedRefs(nil, 1<<16)[:1<<16]
	if r, n, err := testref.Resident(uintptr(unsafe.Pointer(&refs[0])), uintptr(len(refs))*unsafe.Sizeof(refs[0])); err != nil || r != n {
		t.Errorf("histogram order: %d of %d pages resident (%v), want all", r, n, err)
	}
	if got := sizedRefs(refs[:5], 100); len(got) != 0 || cap(got) != 1<<16 {
		t.Errorf("sizedRefs of room enough: len %d cap %d, want 0 and %d (kept)", len(got), cap(got), 1<<16)
	}
}

package flow

import (
	"runtime/debug"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tmonbench/tmonbench/internal/testref"
)

// TestPopulate: Populate makes every page of a fresh anonymous mapping
// resident (mincore(2): none before, all 16 after) without changing its
// bytes (still zero), and leaves a heap slice's values as they were.
func TestPopulate(t *testing.T) {
	const n = 16 << 12
	m, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	a := uintptr(unsafe.Pointer(&m[0]))
	if r, _, err := testref.Resident(a, n); err != nil || r != 0 {
		t.Fatalf("fresh mapping: %d pages resident (%v), want 0", r, err)
	}
	Populate(m)
	if r, p, err := testref.Resident(a, n); err != nil || r != p || p != 16 {
		t.Errorf("after Populate: %d of %d pages resident (%v), want 16 of 16", r, p, err)
	}
	for i, b := range m {
		if b != 0 {
			t.Fatalf("byte %d is %d after Populate, want 0", i, b)
		}
	}
	v := make([]uint64, 3000)
	for i := range v {
		v[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	Populate(v[1:]) // a start off a page
	for i := range v {
		if v[i] != uint64(i)*0x9e3779b97f4a7c15 {
			t.Fatalf("v[%d] = %#x after Populate, want %#x", i, v[i], uint64(i)*0x9e3779b97f4a7c15)
		}
	}
}

// TestChunkPopulated: the chunk a table carves its first flow from is
// resident whole once that flow is made (its 12 pages populated at once),
// not only the page the flow was written to; so is the id list (1024
// flows, 2 pages).
func TestChunkPopulated(t *testing.T) {
	debug.FreeOSMemory() // the heap's free pages back to the kernel: the chunk is fresh memory
	tb := New(1, 1<<20, 0)
	f, _ := tb.Lookup(benchKeys(1)[0], 1, func(*Flow) {})
	const chunk = flowChunk * unsafe.Sizeof(Flow{})
	if r, p, err := testref.Resident(uintptr(unsafe.Pointer(f)), chunk); err != nil || r != p {
		t.Errorf("first chunk: %d of %d pages resident (%v), want all", r, p, err)
	}
	all := tb.all[:cap(tb.all)]
	if r, p, err := testref.Resident(uintptr(unsafe.Pointer(&all[0])), uintptr(len(all))*8); err != nil || r != p {
		t.Errorf("id list: %d of %d pages resident (%v), want all", r, p, err)
	}
}

// TestSlotsPopulated: a slot array the index grows into is resident
// whole when made (256 pages of 1 MiB, fresh memory), before the rehash writes it.
func TestSlotsPopulated(t *testing.T) {
	debug.FreeOSMemory()
	s := NewSlots[slot](1<<16, true)
	if r, p, err := testref.Resident(uintptr(unsafe.Pointer(&s[0])), uintptr(len(s))*unsafe.Sizeof(s[0])); err != nil || r != p {
		t.Errorf("slots: %d of %d pages resident (%v), want all", r, p, err)
	}
}

// TestPopulateAhead: PopulateAhead populates a list's room one window
// (AheadBytes) at a time, when its length reaches a window's start, and
// nothing else (mincore(2) over a fresh mapping of three windows).
func TestPopulateAhead(t *testing.T) {
	const w = AheadBytes
	m, err := unix.Mmap(-1, 0, 3*w, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	res := func(i int) int {
		r, _, err := testref.Resident(uintptr(unsafe.Pointer(&m[i*w])), w)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	PopulateAhead(m[:0])
	PopulateAhead(m[:100]) // within the first window: nothing more
	if a, b, c := res(0), res(1), res(2); a != w/4096 || b != 0 || c != 0 {
		t.Errorf("at length 0 and 100: windows' resident pages %d %d %d, want %d 0 0", a, b, c, w/4096)
	}
	PopulateAhead(m[:w])
	if b, c := res(1), res(2); b != w/4096 || c != 0 {
		t.Errorf("at length %d: second and third windows' resident pages %d %d, want %d 0", w, b, c, w/4096)
	}
}

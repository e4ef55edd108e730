package flow

import "unsafe"

// list appends f to the id list. A full list moves to one of twice its
// capacity (at least minList); the pages the copy writes are populated
// at once (Populate), and the room after the end a window at a time
// (PopulateAhead): memory resident ahead of the flows, at most one
// window (64 KiB).
func (t *Table) list(f *Flow) {
	if len(t.all) == cap(t.all) {
		a := make([]*Flow, len(t.all), max(2*cap(t.all), minList))
		Populate(a)
		copy(a, t.all)
		t.all = a
	}
	PopulateAhead(t.all)
	t.all = append(t.all, f)
}

// AheadBytes is the window of a growing list's room that PopulateAhead
// populates at once.
const AheadBytes = 64 << 10

// PopulateAhead populates the next AheadBytes of s's room (its capacity
// past its length) when its length is a multiple of that window (as
// elements of T; the first window at length 0): a list appended to in
// order then takes no page fault, and holds at most one window resident
// ahead of its end. Call it before each append.
func PopulateAhead[T any](s []T) {
	step := max(AheadBytes/int(unsafe.Sizeof(*new(T))), 1)
	if n := len(s); n%step == 0 && n < cap(s) {
		Populate(s[n:min(n+step, cap(s))])
	}
}

// minList is the smallest capacity of the id list: 8 KiB.
const minList = 1024

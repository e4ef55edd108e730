package rtt

import (
	"math"
	"math/rand/v2"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// pendTable holds the pending requests by key: the entries in one dense
// slice, found through an open-addressing index (linear probing over a
// power-of-two array of 8-byte slots, at most 3/4 full) whose removals
// shift the slots that follow back (flow.ShiftBack), so there are no
// tombstones; a removed entry's place takes the last entry. The entries
// are kept in fixed pages of pendPage, kept when the table shrinks, never
// in one slice grown by append, whose copies into fresh memory were most
// of the inserts' time on the 5M corpus.
// It replaces a Go map (issue 14: the map's lookups and inserts, slowed by
// the tombstones of its deletions, were 30 ns per packet of the 5M
// corpus). The hash is seeded at random per table (the traffic cannot aim
// its keys at one chain), but nothing else depends on the seed: the
// entries' order (all, delAt) is that of the puts and removals.
type pendTable struct {
	pages [][]pendEntry // pendPage entries each
	n     int           // entries
	slots []pendSlot
	seed  uint64
	// homeMask is applied to every hash: all ones, except in a test that
	// crowds every key into a few home slots (long chains).
	homeMask uint32
}

// pendEntry is one pending request.
type pendEntry struct {
	k pendKey
	p pending
}

// pendSlot is one slot of the index: the hash of its entry's key and the
// entry's index plus one (0: an empty slot).
type pendSlot struct {
	h uint32
	i int32
}

// minPendSlots is the smallest slot array.
const minPendSlots = 64

// pendPage is the number of entries per page of a pendTable.
const pendPage = 512

// at returns entry e.
func (x *pendTable) at(e int) *pendEntry { return &x.pages[e/pendPage][e%pendPage] }

func newPendTable() pendTable {
	return pendTable{slots: make([]pendSlot, minPendSlots), seed: rand.Uint64(), homeMask: math.MaxUint32}
}

func (x *pendTable) hash(k *pendKey) uint32 {
	h := pendHash(k, x.seed)
	return uint32(h^h>>32) & x.homeMask
}

// pendHash returns a hash of k under seed, for the tables keyed by
// requests (pendTable, idTable).
func pendHash(k *pendKey, seed uint64) uint64 {
	h := k.addrs.Hash(seed)
	h = flow.Mix(h^(uint64(k.cport)|uint64(k.sport)<<16|uint64(k.kind)<<32|uint64(k.proto)<<40), k.id^seed)
	return flow.Mix(h^k.q^0x589965cc75374cc3, seed^0x1d8e4e27c47d124f)
}

// find returns the slot of k (hash h) and the index of its entry, or the
// empty slot where k goes and -1.
func (x *pendTable) find(k *pendKey, h uint32) (int, int) {
	mask := uint32(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := x.slots[j]
		if s.i == 0 {
			return int(j), -1
		}
		if s.h == h && x.at(int(s.i-1)).k == *k {
			return int(j), int(s.i - 1)
		}
	}
}

// len returns the number of entries.
func (x *pendTable) len() int { return x.n }

// get returns the entry of k.
func (x *pendTable) get(k *pendKey) (pending, bool) {
	if _, e := x.find(k, x.hash(k)); e >= 0 {
		return x.at(e).p, true
	}
	return pending{}, false
}

// has reports whether k has an entry.
func (x *pendTable) has(k *pendKey) bool {
	_, e := x.find(k, x.hash(k))
	return e >= 0
}

// put sets the entry of k to p, adding it at the end when k has none.
func (x *pendTable) put(k *pendKey, p pending) {
	h := x.hash(k)
	j, e := x.find(k, h)
	if e >= 0 {
		x.at(e).p = p
		return
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
		j, _ = x.find(k, h)
	}
	if x.n/pendPage == len(x.pages) {
		x.pages = append(x.pages, make([]pendEntry, pendPage))
		flow.Populate(x.pages[len(x.pages)-1]) // filled in order: one call, not a page fault per page
	}
	*x.at(x.n) = pendEntry{k: *k, p: p}
	x.n++
	x.slots[j] = pendSlot{h: h, i: int32(x.n)}
}

// grow doubles the slots (flow.NewSlots: populated) and places every
// entry again.
func (x *pendTable) grow() {
	x.slots = flow.NewSlots[pendSlot](2*len(x.slots), false)
	mask := uint32(len(x.slots) - 1)
	for i := range x.n {
		h := x.hash(&x.at(i).k)
		j := h & mask
		for x.slots[j].i != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = pendSlot{h: h, i: int32(i + 1)}
	}
}

// del removes the entry of k, if any.
func (x *pendTable) del(k *pendKey) {
	if j, e := x.find(k, x.hash(k)); e >= 0 {
		x.remove(j, e)
	}
}

// delAt removes entry e (0 to len-1): the last entry takes its
// place, so a loop from the last entry to the first that removes some
// visits each entry once.
func (x *pendTable) delAt(e int) {
	h := x.hash(&x.at(e).k)
	x.remove(x.slotOf(h, e), e)
}

// slotOf returns the slot of entry e, whose key hashes to h.
func (x *pendTable) slotOf(h uint32, e int) int {
	mask := uint32(len(x.slots) - 1)
	j := h & mask
	for x.slots[j].i != int32(e+1) {
		j = (j + 1) & mask
	}
	return int(j)
}

// remove empties slot j, that of entry e, and moves the last entry into e.
func (x *pendTable) remove(j, e int) {
	mask := len(x.slots) - 1
	flow.ShiftBack(x.slots, j, func(s pendSlot) (int, bool) { return int(s.h) & mask, s.i == 0 })
	last := x.n - 1
	if e != last {
		l := x.at(last)
		x.slots[x.slotOf(x.hash(&l.k), last)].i = int32(e + 1)
		*x.at(e) = *l
	}
	x.n = last
}

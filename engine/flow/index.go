package flow

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// index finds a table's flows by compact key: open addressing with linear
// probing over a power-of-two array of 16-byte slots (the flow and its
// key's hash), at most 3/4 full; a removal shifts the slots that follow
// back, so there are no tombstones (issue 14). Against a Go map of
// ckey -> *Flow it keeps no copy of the 48-byte key (the flow holds it),
// hashes the key once, as six words, and touches one slot before the flow
// itself: one cache miss less per packet on a table larger than the
// caches, and about a third of the memory per flow. The hash is seeded at
// random per table, so a capture cannot aim its flows at one chain
// without knowing the seed. An array of 2 MiB or more (131072 slots) is
// advised into transparent huge pages (HugePages, Linux): on the probe
// virtual machine a fresh 4 KiB page cost 30-50 µs at its first write and
// a huge page about 1 µs per 4 KiB, and the index of the 5M corpus's
// 197 k flows grows through 2, 4 and 8 MiB.
type index struct {
	slots []slot
	n     int
	seed  uint64
}

type slot struct {
	h uint64
	f *Flow // nil: empty
}

// minIndexSlots is the smallest slot array.
const minIndexSlots = 64

func newIndex() index {
	return index{slots: make([]slot, minIndexSlots), seed: rand.Uint64()}
}

// hash mixes the key's words wyhash-style (128-bit products folded).
func (x *index) hash(k *ckey) uint64 {
	h := Mix(k.src0^0xa0761d6478bd642f, k.src1^x.seed)
	h = Mix(k.dst0^0xe7037ed1a0b428db, k.dst1^h)
	h = Mix(k.ports^0x8ebc6af09c88c6e3, k.rest^h)
	return Mix(h^0x589965cc75374cc3, 0x1d8e4e27c47d124f)
}

// Mix folds the 128-bit product of a and b into 64 bits (wyhash's mum):
// the mixing step of the flow index's hash, and of the other
// open-addressing tables keyed by flows (engine/rtt, engine/collector).
func Mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// get returns the flow of k (hash h), or nil.
func (x *index) get(k *ckey, h uint64) *Flow {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.f == nil {
			return nil
		}
		if s.h == h && s.f.key.eq(k) {
			return s.f
		}
	}
}

// add adds f, whose key hashes to h and is not in the index.
func (x *index) add(f *Flow, h uint64) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	x.place(slot{h: h, f: f})
	x.n++
}

func (x *index) place(s slot) {
	mask := uint64(len(x.slots) - 1)
	i := s.h & mask
	for x.slots[i].f != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

func (x *index) grow() {
	x.slots = Grow(x.slots, minIndexSlots, true, func(s slot) (int, bool) { return int(s.h), s.f == nil })
}

// Grow returns the slot array an open-addressing table keyed by flows
// moves to when old is full: NewSlots of twice old's length (minLen at
// first), with every used slot of old placed again (Rehash). With huge,
// the new array is advised into huge pages and old's advice taken back
// (SmallPages). The flow index, engine/tcpconn's index and engine/rtt's
// id table grow so.
func Grow[S any](old []S, minLen int, huge bool, at func(S) (hash int, empty bool)) []S {
	s := NewSlots[S](max(2*len(old), minLen), huge)
	Rehash(s, old, at)
	if huge {
		SmallPages(old)
	}
	return s
}

// Rehash places every used slot of old into dst, empty and a power of two
// long, each by linear probing from its home (its hash masked to dst):
// the growing step of the open-addressing tables keyed by flows (this
// index, engine/rtt's and engine/tcpconn's), as ShiftBack is their
// removal. at gives a slot's hash, unmasked, and whether it is empty.
func Rehash[S any](dst, old []S, at func(S) (hash int, empty bool)) {
	mask := len(dst) - 1
	for _, s := range old {
		h, empty := at(s)
		if empty {
			continue
		}
		j := h & mask
		for {
			if _, e := at(dst[j]); e {
				break
			}
			j = (j + 1) & mask
		}
		dst[j] = s
	}
}

// NewSlots returns n empty slots of an open-addressing table, populated
// (Populate): growing writes them all over at once, random homes putting
// entries on every page, and a page fault per 4 KiB cost more than the
// populating (issue 14, faults a run of the 5M corpus: the flow index's
// 1.9 k, engine/rtt's histogram index's 0.25-0.5 k, its pending
// requests' 0.17 k). With huge, they are advised into huge pages first
// (HugePages): the table must take the advice back (SmallPages) from the
// array it drops.
func NewSlots[S any](n int, huge bool) []S {
	s := make([]S, n)
	if huge {
		HugePages(s)
	}
	Populate(s)
	return s
}

// remove removes f (held, its key hashing to h) and shifts back the slots
// of its chain that would no longer be found.
func (x *index) remove(f *Flow, h uint64) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i].f != f {
		i = (i + 1) & mask
	}
	ShiftBack(x.slots, int(i), func(s slot) (int, bool) { return int(s.h & mask), s.f == nil })
	x.n--
}

// ShiftBack empties slot i of a linear-probing hash table whose length is
// a power of two, moving back the slots after it whose chain would
// otherwise break (backward-shift deletion, no tombstones: Knuth, TAOCP
// vol. 3, §6.4 Algorithm R). at returns a slot's home index (its hash
// masked to the table) and whether the slot is empty. The flow table's
// index and the collector's sparse flow store use it.
func ShiftBack[S any](slots []S, i int, at func(S) (home int, empty bool)) {
	mask := len(slots) - 1
	for j := i; ; {
		j = (j + 1) & mask
		k, empty := at(slots[j])
		if empty {
			break
		}
		// slot j stays when its home k lies cyclically in (i, j].
		if (i < j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		slots[i] = slots[j]
		i = j
	}
	var zero S
	slots[i] = zero
}

// Hash returns a seeded hash of p (its address words and families mixed
// as the flow table's index mixes its keys), for the open-addressing
// tables of other packages keyed by an AddrPair (engine/rtt's pending
// requests). Equal pairs hash equal under one seed.
func (p *AddrPair) Hash(seed uint64) uint64 {
	s0, s1 := binary.LittleEndian.Uint64(p.src[:8]), binary.LittleEndian.Uint64(p.src[8:])
	d0, d1 := binary.LittleEndian.Uint64(p.dst[:8]), binary.LittleEndian.Uint64(p.dst[8:])
	h := Mix(s0^0xa0761d6478bd642f, s1^seed)
	return Mix(d0^0xe7037ed1a0b428db, d1^h^uint64(p.fam)<<56)
}

// LastID returns the highest flow id the table gave so far (or set by
// SetNextID): a later run of the probe numbers its flows above it
// (probe.Identity.IDBase).
func (t *Table) LastID() uint64 { return t.nextID }

package tcpconn

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// connIndex finds the connections by key: open addressing with linear
// probing over a power-of-two array of 8-byte slots (the key's hash and
// the connection's number plus one), at most 3/4 full; the keys are the
// connections' own (conn.k), not copied. A removal shifts the slots that
// follow back (flow.ShiftBack), so there are no tombstones. A grown array
// is populated at once (flow.Populate) and, from 2 MiB, advised into huge
// pages (flow.HugePages). It replaces a Go map[key]int32 whose growth
// (a split table's fresh groups cleared one page fault at a time) and
// lookups were ~4 % of the probe goroutine's CPU on the 5M corpus (issue
// 14). The hash is seeded at random per tracker; nothing but the slots'
// order depends on it.
type connIndex struct {
	slots []connSlot
	n     int
	seed  uint64
	// homeMask is applied to every hash: all ones, except in a test that
	// crowds every key into a few home slots (collisions).
	homeMask uint32
}

// connSlot is one slot: its connection's key hash and number plus one
// (0: an empty slot).
type connSlot struct {
	h uint32
	i int32
}

// minConnSlots is the smallest slot array.
const minConnSlots = 1024

func newConnIndex() connIndex {
	return connIndex{seed: rand.Uint64(), homeMask: math.MaxUint32}
}

// hash mixes the key's words (flow.Mix, as the flow table's index).
func (x *connIndex) hash(k *key) uint32 {
	h := flow.Mix(binary.LittleEndian.Uint64(k.a[:8])^0xa0761d6478bd642f, binary.LittleEndian.Uint64(k.a[8:])^x.seed)
	h = flow.Mix(binary.LittleEndian.Uint64(k.b[:8])^0xe7037ed1a0b428db, binary.LittleEndian.Uint64(k.b[8:])^h)
	h = flow.Mix(uint64(k.pa)|uint64(k.pb)<<16|uint64(k.iface)<<32|uint64(k.ipv)<<48^0x8ebc6af09c88c6e3, x.seed^h)
	return uint32(h^h>>32) & x.homeMask
}

// find returns the slot of k (hash h) and its connection, or the empty
// slot where k goes and -1. The array must not be empty.
func (t *Tracker) find(k *key, h uint32) (int, int32) {
	x := &t.index
	mask := uint32(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := x.slots[j]
		if s.i == 0 {
			return int(j), -1
		}
		if s.h == h && t.conn(s.i-1).k == *k {
			return int(j), s.i - 1
		}
	}
}

// lookup returns the connection indexed under k.
func (t *Tracker) lookup(k *key) (int32, bool) {
	if t.index.n == 0 {
		return 0, false
	}
	_, i := t.find(k, t.index.hash(k))
	return i, i >= 0
}

// indexAs indexes connection i under k, in place of the connection k
// was indexed under, if any (the map's t.index[k] = i). Connection i's
// key must be k.
func (t *Tracker) indexAs(k *key, i int32) {
	x := &t.index
	h := x.hash(k)
	if len(x.slots) > 0 {
		if j, e := t.find(k, h); e >= 0 {
			x.slots[j].i = i + 1
			return
		}
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	j, _ := t.find(k, h)
	x.slots[j] = connSlot{h: h, i: i + 1}
	x.n++
}

// unindex removes k from the index when it is connection i's.
func (t *Tracker) unindex(k *key, i int32) {
	x := &t.index
	if x.n == 0 {
		return
	}
	if j, e := t.find(k, x.hash(k)); e == i {
		mask := len(x.slots) - 1
		flow.ShiftBack(x.slots, j, func(s connSlot) (int, bool) { return int(s.h) & mask, s.i == 0 })
		x.n--
	}
}

// grow doubles the array (minConnSlots at first) and places every slot
// again (flow.Grow: populated, in huge pages).
func (x *connIndex) grow() {
	x.slots = flow.Grow(x.slots, minConnSlots, true, func(s connSlot) (int, bool) { return int(s.h), s.i == 0 })
}

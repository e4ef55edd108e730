package rtt

import (
	"math/rand/v2"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// idTable maps request keys to a 64-bit value (Tracker.dnsLast: a DNS
// question hash; Tracker.ntpXleave: an NTP transmit timestamp), at most
// max keys: setting a new key when max are held clears the table first,
// the clear-when-full bound of the Go maps it replaces (their entries are
// hints, harmless when forgotten). Open addressing with linear probing
// over a power-of-two array of slots that hold the entries themselves (a
// lookup reads one slot, not a slot then an entry), at most 3/4 full; a
// removal shifts the slots that follow back (flow.ShiftBack), so there
// are no tombstones. A grown array is populated at once (flow.Populate):
// the map it replaces took its room in fresh pages one fault at a time
// (issue 14). Clearing keeps the array. The hash is seeded at random per
// table; nothing but the slots' order depends on it.
type idTable struct {
	slots []idSlot
	n     int
	max   int
	seed  uint64
	// homeMask is applied to every hash: all ones, except in a test that
	// crowds every key into a few home slots (collisions).
	homeMask uint64
}

// idSlot is one entry: its key, its value and its key's hash with the
// top bit set (0: an empty slot).
type idSlot struct {
	k pendKey
	v uint64
	h uint64
}

// minIDSlots is the smallest slot array.
const minIDSlots = 64

// idFull marks a slot's hash (an empty slot's is 0).
const idFull = 1 << 63

func newIDTable(max int) idTable {
	return idTable{max: max, seed: rand.Uint64(), homeMask: ^uint64(0)}
}

func (x *idTable) hash(k *pendKey) uint64 { return pendHash(k, x.seed)&x.homeMask | idFull }

// find returns the slot of k (hash h) and true, or the empty slot where k
// goes and false. The array must not be empty.
func (x *idTable) find(k *pendKey, h uint64) (int, bool) {
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &x.slots[j]
		if s.h == 0 {
			return int(j), false
		}
		if s.h == h && s.k == *k {
			return int(j), true
		}
	}
}

// len returns the number of keys held.
func (x *idTable) len() int { return x.n }

// get returns the value of k.
func (x *idTable) get(k *pendKey) (uint64, bool) {
	if x.n == 0 {
		return 0, false
	}
	if j, ok := x.find(k, x.hash(k)); ok {
		return x.slots[j].v, true
	}
	return 0, false
}

// set sets the value of k. A new key when max keys are held clears the
// table first.
func (x *idTable) set(k *pendKey, v uint64) {
	h := x.hash(k)
	if len(x.slots) > 0 {
		j, ok := x.find(k, h)
		if ok {
			x.slots[j].v = v
			return
		}
		if x.n >= x.max {
			x.clear()
		}
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	j, _ := x.find(k, h)
	x.slots[j] = idSlot{k: *k, v: v, h: h}
	x.n++
}

// del removes k, if held.
func (x *idTable) del(k *pendKey) {
	if x.n == 0 {
		return
	}
	if j, ok := x.find(k, x.hash(k)); ok {
		mask := len(x.slots) - 1
		flow.ShiftBack(x.slots, j, func(s idSlot) (int, bool) { return int(s.h) & mask, s.h == 0 })
		x.n--
	}
}

// clear removes every key, keeping the array.
func (x *idTable) clear() {
	clear(x.slots)
	x.n = 0
}

// grow doubles the array (minIDSlots at first) and places every entry
// again (flow.Grow: populated).
func (x *idTable) grow() {
	x.slots = flow.Grow(x.slots, minIDSlots, false, func(s idSlot) (int, bool) { return int(s.h), s.h == 0 })
}

package rtt

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/flow"
)

// pendKeyN returns key n of a small universe (so puts find keys again):
// keys differ in each field by turns, IPv4 and IPv6.
func pendKeyN(n int) pendKey {
	src := netip.AddrFrom4([4]byte{10, 0, byte(n >> 8), byte(n)})
	if n%5 == 0 {
		src = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(n)})
	}
	return pendKey{
		addrs: flow.PackAddrs(src, netip.AddrFrom4([4]byte{192, 0, 2, byte(n % 3)})),
		cport: uint16(40000 + n%7), sport: 53, kind: Kind(n % int(NumKinds)), proto: 17,
		id: uint64(n % 11), q: uint64(n % 13),
	}
}

// pendOps runs a seeded sequence of puts, removals and sweeps (removals
// while looping over the entries, as expire and sweepAnswered do) on x
// and on a map, calling check after each step.
func pendOps(t *testing.T, x *pendTable, steps int, check func(step int, m map[pendKey]pending)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(14, 7))
	m := make(map[pendKey]pending)
	for step := range steps {
		k := pendKeyN(rng.IntN(600))
		switch r := rng.IntN(100); {
		case r < 60:
			p := pending{reqNs: int64(step), reqClk: int64(step), flowID: rng.Uint64(), answered: rng.IntN(3) == 0}
			x.put(&k, p)
			m[k] = p
		case r < 85:
			x.del(&k)
			delete(m, k)
		case r < 99:
			if p, ok := x.get(&k); ok != x.has(&k) || p != m[k] {
				t.Fatalf("step %d: get %v %v, has %v; map %v", step, p, ok, x.has(&k), m[k])
			}
		default: // sweep: the answered ones and the oldest half go
			cut := int64(step / 2)
			for i := x.len() - 1; i >= 0; i-- {
				if e := x.at(i); e.p.answered || e.p.reqClk < cut {
					x.delAt(i)
				}
			}
			for k, p := range m {
				if p.answered || p.reqClk < cut {
					delete(m, k)
				}
			}
		}
		check(step, m)
	}
}

// TestPendTableMatchesMap: the pending table holds what a Go map does
// through puts, overwrites, removals by key and removals while looping
// over the entries, with keys spread and crowded into 8 and into 1 home
// slot (long chains that backward-shift deletion must keep whole); every
// slot points at an entry of its key's hash, one slot per entry. It fails
// when removal empties a slot without shifting its chain back, or when
// the moved last entry's slot is not repointed.
func TestPendTableMatchesMap(t *testing.T) {
	for _, mask := range []uint32{math.MaxUint32, 7, 0} {
		x := newPendTable()
		x.homeMask = mask
		pendOps(t, &x, 20000, func(step int, m map[pendKey]pending) {
			if x.len() != len(m) {
				t.Fatalf("mask %#x step %d: %d entries, map %d", mask, step, x.len(), len(m))
			}
			if step%97 != 0 {
				return
			}
			for k, p := range m {
				if q, ok := x.get(&k); !ok || q != p {
					t.Fatalf("mask %#x step %d: key %v: %v %v, map %v", mask, step, k, q, ok, p)
				}
			}
			used := 0
			for _, s := range x.slots {
				if s.i == 0 {
					continue
				}
				used++
				if e := x.at(int(s.i - 1)); x.hash(&e.k) != s.h {
					t.Fatalf("mask %#x step %d: slot of entry %d has hash %#x, key %#x", mask, step, s.i-1, s.h, x.hash(&e.k))
				}
			}
			if used != x.len() {
				t.Fatalf("mask %#x step %d: %d slots used, %d entries", mask, step, used, x.len())
			}
		})
	}
}

// TestPendTableOrderSeedFree: two tables of different seeds given the
// same operations hold their entries in the same order (the order of
// the entries, which expire and sweepAnswered loop over, never depends on the
// seed).
func TestPendTableOrderSeedFree(t *testing.T) {
	a, b := newPendTable(), newPendTable()
	b.seed = a.seed + 1
	pendOps(t, &a, 5000, func(int, map[pendKey]pending) {})
	pendOps(t, &b, 5000, func(int, map[pendKey]pending) {})
	if a.len() == 0 || a.len() != b.len() {
		t.Fatalf("%d and %d entries", a.len(), b.len())
	}
	for i := range a.len() {
		if *a.at(i) != *b.at(i) {
			t.Fatalf("entry %d: %v and %v", i, a.at(i).k, b.at(i).k)
		}
	}
}

package rtt

import (
	"math/rand/v2"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestIDTableSetGet: values set are found, a second set of a key
// replaces its value without adding a key, a key never set is not found.
func TestIDTableSetGet(t *testing.T) {
	x := newIDTable(100)
	a, b, c := pendKeyN(1), pendKeyN(2), pendKeyN(3)
	if _, ok := x.get(&a); ok {
		t.Fatal("empty table: get found a key")
	}
	x.set(&a, 11)
	x.set(&b, 22)
	x.set(&a, 33)
	if x.len() != 2 {
		t.Errorf("len %d after setting a, b, a: want 2", x.len())
	}
	for _, c := range []struct {
		k    *pendKey
		v    uint64
		want bool
	}{{&a, 33, true}, {&b, 22, true}, {&c, 0, false}} {
		if v, ok := x.get(c.k); v != c.v || ok != c.want {
			t.Errorf("get(%v) = %d %v, want %d %v", *c.k, v, ok, c.v, c.want)
		}
	}
	x.del(&a)
	x.del(&c) // not held: nothing
	if v, ok := x.get(&a); ok || x.len() != 1 {
		t.Errorf("after del(a): get(a) = %d %v, len %d; want not found, len 1", v, ok, x.len())
	}
	if v, _ := x.get(&b); v != 22 {
		t.Errorf("after del(a): get(b) = %d, want 22", v)
	}
}

// TestIDTableBound: the clear-when-full bound of the maps it replaced
// (Tracker.dnsLast, ntpXleave: a new key when max are held clears them
// first). With max 3: a, b, c fill it; setting a again replaces its value
// (a is held: no clearing); d, a fourth key, clears a, b and c and is then
// the only key.
func TestIDTableBound(t *testing.T) {
	x := newIDTable(3)
	a, b, c, d := pendKeyN(1), pendKeyN(2), pendKeyN(3), pendKeyN(4)
	x.set(&a, 1)
	x.set(&b, 2)
	x.set(&c, 3)
	x.set(&a, 4)
	if v, ok := x.get(&a); x.len() != 3 || v != 4 || !ok {
		t.Fatalf("a set again at the bound: len %d, get(a) = %d %v; want 3, 4 true", x.len(), v, ok)
	}
	x.set(&d, 5)
	if x.len() != 1 {
		t.Errorf("a fourth key at the bound: len %d, want 1 (cleared, then d)", x.len())
	}
	for _, k := range []*pendKey{&a, &b, &c} {
		if v, ok := x.get(k); ok {
			t.Errorf("after the clear: get(%v) = %d, want not found", *k, v)
		}
	}
	if v, ok := x.get(&d); v != 5 || !ok {
		t.Errorf("get(d) = %d %v, want 5 true", v, ok)
	}
	if n := len(x.slots); n != minIDSlots {
		t.Errorf("%d slots after the clear, want %d kept", n, minIDSlots)
	}
}

// TestIDTableCollisions: every key crowded into home slot 0 (homeMask 0:
// every hash is idFull, which masks to 0) probes linearly, so keys 1-5 set
// in order take slots 0-4; removing key 2 (slot 1) shifts keys 3, 4 and 5
// back into slots 1-3 (Knuth's Algorithm R: their home, 0, is outside (1,
// j]) and empties slot 4; every key left is still found.
func TestIDTableCollisions(t *testing.T) {
	x := newIDTable(100)
	x.homeMask = 0
	var ks [6]pendKey
	for i := 1; i <= 5; i++ {
		ks[i] = pendKeyN(i)
		x.set(&ks[i], uint64(10*i))
	}
	at := func(want ...int) {
		t.Helper()
		for j, w := range want {
			s := &x.slots[j]
			if w == 0 {
				if s.h != 0 {
					t.Errorf("slot %d holds %v, want empty", j, s.k)
				}
				continue
			}
			if s.h == 0 || s.k != ks[w] || s.v != uint64(10*w) {
				t.Errorf("slot %d holds %v = %d (hash %#x), want key %d = %d", j, s.k, s.v, s.h, w, 10*w)
			}
		}
	}
	at(1, 2, 3, 4, 5, 0)
	x.del(&ks[2])
	at(1, 3, 4, 5, 0, 0)
	for i := 1; i <= 5; i++ {
		v, ok := x.get(&ks[i])
		if want := i != 2; ok != want || (ok && v != uint64(10*i)) {
			t.Errorf("key %d: get = %d %v, want found %v", i, v, ok, want)
		}
	}
}

// TestIDTableGrow: the 49th key passes 3/4 of the 64 first slots and
// doubles them to 128; every key is found after.
func TestIDTableGrow(t *testing.T) {
	x := newIDTable(1 << 20)
	ks := make([]pendKey, 49)
	for i := range ks {
		ks[i] = pendKeyN(i)
		x.set(&ks[i], uint64(i))
		if want := map[bool]int{true: 64, false: 128}[i < 48]; len(x.slots) != want {
			t.Fatalf("%d keys: %d slots, want %d", i+1, len(x.slots), want)
		}
	}
	for i := range ks {
		if v, ok := x.get(&ks[i]); v != uint64(i) || !ok {
			t.Errorf("key %d: get = %d %v after growing", i, v, ok)
		}
	}
}

// TestIDTableAsMap: a seeded run of sets, gets and removals, keys crowded
// into few home slots or not, agrees at every step with a Go map under
// the bound the tracker gave its maps (a new key when max are held
// clears the map first).
func TestIDTableAsMap(t *testing.T) {
	for _, mask := range []uint64{^uint64(0), 7} {
		x := newIDTable(40)
		x.homeMask = mask
		m := map[pendKey]uint64{}
		rng := rand.New(rand.NewPCG(14, 2))
		for step := range 20000 {
			k := pendKeyN(rng.IntN(120))
			switch r := rng.IntN(10); {
			case r < 5:
				v := rng.Uint64()
				x.set(&k, v)
				if _, had := m[k]; !had && len(m) >= 40 {
					clear(m)
				}
				m[k] = v
			case r < 7:
				x.del(&k)
				delete(m, k)
			default:
				v, ok := x.get(&k)
				if mv, mok := m[k]; v != mv || ok != mok {
					t.Fatalf("mask %#x step %d: get = %d %v, map %d %v", mask, step, v, ok, mv, mok)
				}
			}
			if x.len() != len(m) {
				t.Fatalf("mask %#x step %d: len %d, map %d", mask, step, x.len(), len(m))
			}
		}
	}
}

// TestIDTableZeroAllocs: sets, gets, removals and the clear at the bound
// allocate nothing once the slots have grown.
func TestIDTableZeroAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("allocations are counted without the race detector")
	}
	x := newIDTable(64)
	ks := make([]pendKey, 200)
	for i := range ks {
		ks[i] = pendKeyN(i)
		x.set(&ks[i], 1)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		k := &ks[i%len(ks)]
		x.set(k, uint64(i))
		x.get(k)
		if i%3 == 0 {
			x.del(k)
		}
		i++
	}); n != 0 {
		t.Errorf("%v allocations a run, want 0", n)
	}
}

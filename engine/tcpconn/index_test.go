package tcpconn

import (
	"math/rand/v2"
	"testing"
)

// indexKey returns key n of a small universe: distinct for distinct n,
// never the zero key of a cleared connection.
func indexKey(n int) key {
	return key{a: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: byte(n)}, b: [16]byte{10: 0xff, 11: 0xff, 12: 192, 15: 1},
		pa: uint16(40000 + n), pb: 80, iface: uint16(n % 3), ipv: 4}
}

// indexTracker returns a tracker holding n connections (no packet
// seen), whose keys the test sets, for the index's own tests.
func indexTracker(n int) *Tracker {
	t := New(DefaultConfig())
	for range (n + connPage - 1) / connPage {
		t.conns = append(t.conns, make([]conn, connPage))
	}
	return t
}

// TestConnIndexCollisions: every key crowded into home slot 0 (homeMask
// 0) probes linearly, so connections 0, 1 and 2 indexed in order take
// slots 0-2 (each slot holds its connection's number plus one);
// removing connection 1 shifts connection 2 back into slot 1 (its home,
// 0, is outside (1, 2]: Knuth's Algorithm R) and empties slot 2; the
// others are still found.
func TestConnIndexCollisions(t *testing.T) {
	tr := indexTracker(3)
	tr.index.homeMask = 0
	for i := range int32(3) {
		tr.conn(i).k = indexKey(int(i))
		tr.indexAs(&tr.conn(i).k, i)
	}
	slotsAre := func(want ...int32) {
		t.Helper()
		for j, w := range want {
			if got := tr.index.slots[j].i; got != w {
				t.Errorf("slot %d holds %d, want %d (number plus one; 0 empty)", j, got, w)
			}
		}
	}
	slotsAre(1, 2, 3, 0)
	tr.unindex(&tr.conn(1).k, 1)
	slotsAre(1, 3, 0, 0)
	for i, want := range []int32{0, -1, 2} {
		k := indexKey(i)
		if j, ok := tr.lookup(&k); ok != (want >= 0) || (ok && j != want) {
			t.Errorf("lookup(key %d) = %d %v, want %d", i, j, ok, want)
		}
	}
	if tr.index.n != 2 {
		t.Errorf("%d keys indexed, want 2", tr.index.n)
	}
}

// TestConnIndexReplace: a connection made again with the key of one still
// held (a port reuse) takes its place in the index, and the older one's
// release leaves it there: the semantics of the map it replaced
// (t.index[k] = i; delete only when t.index[k] == i).
func TestConnIndexReplace(t *testing.T) {
	tr := indexTracker(5)
	k := indexKey(7)
	tr.conn(3).k, tr.conn(4).k = k, k
	tr.indexAs(&k, 3)
	tr.indexAs(&k, 4)
	if j, ok := tr.lookup(&k); !ok || j != 4 || tr.index.n != 1 {
		t.Fatalf("after indexing 3 then 4 under one key: lookup = %d %v, %d keys; want 4, 1 key", j, ok, tr.index.n)
	}
	tr.unindex(&k, 3)
	if j, ok := tr.lookup(&k); !ok || j != 4 {
		t.Fatalf("after releasing 3: lookup = %d %v, want 4", j, ok)
	}
	tr.unindex(&k, 4)
	if j, ok := tr.lookup(&k); ok || tr.index.n != 0 {
		t.Errorf("after releasing 4: lookup = %d %v, %d keys; want none", j, ok, tr.index.n)
	}
}

// TestConnIndexGrow: the 769th key passes 3/4 of the 1024 first slots
// and doubles them to 2048; every key is found after.
func TestConnIndexGrow(t *testing.T) {
	const n = 769
	tr := indexTracker(n)
	for i := range int32(n) {
		tr.conn(i).k = indexKey(int(i))
		tr.indexAs(&tr.conn(i).k, i)
		want := 1024
		if i == n-1 {
			want = 2048
		}
		if len(tr.index.slots) != want {
			t.Fatalf("%d keys: %d slots, want %d", i+1, len(tr.index.slots), want)
		}
	}
	for i := range int32(n) {
		if j, ok := tr.lookup(&tr.conn(i).k); !ok || j != i {
			t.Errorf("key %d: lookup = %d %v", i, j, ok)
		}
	}
}

// TestConnIndexAsMap: a seeded run of connections made (indexed under a
// key of a small universe, replacing the one held) and released
// (unindexed, then cleared as release clears them), keys crowded into
// few home slots or not, agrees at every step with the map[key]int32 the
// index replaced.
func TestConnIndexAsMap(t *testing.T) {
	for _, mask := range []uint32{^uint32(0), 7} {
		const steps = 4000
		tr := indexTracker(steps)
		tr.index.homeMask = mask
		m := map[key]int32{}
		var live []int32
		rng := rand.New(rand.NewPCG(14, 3))
		for step := range int32(steps) {
			if rng.IntN(2) == 0 || len(live) == 0 {
				k := indexKey(rng.IntN(60))
				tr.conn(step).k = k
				tr.indexAs(&k, step)
				m[k] = step
				live = append(live, step)
			} else {
				n := rng.IntN(len(live))
				i := live[n]
				live = append(live[:n], live[n+1:]...)
				c := tr.conn(i)
				tr.unindex(&c.k, i)
				if j, ok := m[c.k]; ok && j == i {
					delete(m, c.k)
				}
				c.k = key{}
			}
			for u := range 60 {
				k := indexKey(u)
				j, ok := tr.lookup(&k)
				mj, mok := m[k]
				if ok != mok || j != mj && ok {
					t.Fatalf("mask %#x step %d key %d: lookup = %d %v, map %d %v", mask, step, u, j, ok, mj, mok)
				}
			}
			if tr.index.n != len(m) {
				t.Fatalf("mask %#x step %d: %d keys, map %d", mask, step, tr.index.n, len(m))
			}
		}
	}
}

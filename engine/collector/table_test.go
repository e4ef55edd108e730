package collector

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestFlowTable: the dense per-probe table holds exactly what a map
// would, whatever the ids (in order, spread, restarted at a new base,
// below the range) and the deletions (sliding ranges, ids sent to the map
// then deleted, Clear).
func TestFlowTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tab, ref := newFlowTable(), map[flowKey]cflow{}
	check := func(step int) {
		t.Helper()
		if tab.Len() != len(ref) {
			t.Fatalf("step %d: %d flows, want %d", step, tab.Len(), len(ref))
		}
		n := 0
		for k, f := range tab.All {
			if r, ok := ref[k]; !ok || r != *f {
				t.Fatalf("step %d: flow %v is %+v, want %+v (held %v)", step, k, *f, r, ok)
			}
			n++
		}
		if n != len(ref) {
			t.Fatalf("step %d: All gave %d flows, want %d", step, n, len(ref))
		}
	}
	next := map[uint16]uint64{1: 1, 2: 1, 7: 1 << 40}
	for step := range 200_000 {
		p := []uint16{1, 2, 7}[rng.IntN(3)]
		var id uint64
		switch r := rng.IntN(100); {
		case r < 50: // the next id
			next[p]++
			id = next[p]
		case r < 55: // spread ids (workers)
			next[p] += uint64(rng.IntN(200))
			id = next[p]
		case r < 56: // a new run's base
			next[p] += 1 << 30
			id = next[p]
		case r < 58: // an old or unknown id
			id = rng.Uint64N(next[p] + 10)
		default: // a recent id
			id = next[p] - min(next[p], rng.Uint64N(5000))
		}
		k := flowKey{p, id}
		f, ok := tab.Get(k)
		if r, rok := ref[k]; ok != rok || f != r {
			t.Fatalf("step %d: Get(%v) = %+v %v, want %+v %v", step, k, f, ok, r, rok)
		}
		if rng.IntN(3) == 0 {
			tab.Delete(k)
			delete(ref, k)
		} else {
			f.packets = uint64(step)
			tab.Set(k, f)
			ref[k] = f
		}
		if step%20_000 == 0 {
			check(step)
		}
		if step == 150_000 {
			tab.Clear()
			clear(ref)
			check(step)
		}
	}
	check(-1)

	// A long run: ids in order, each flow held for 3000 ids but one in
	// 10000 held to the end: the dense range slides, those few go to the map.
	tab.Clear()
	clear(ref)
	for id := uint64(1); id <= 100_000; id++ {
		k := flowKey{3, id}
		f := cflow{packets: id}
		tab.Set(k, f)
		ref[k] = f
		if id%500 == 0 {
			tab.Set(k, cflow{bytes: id})
			ref[k] = cflow{bytes: id}
		}
		old := id - min(id, 3000)
		if old%10_000 == 7 {
			continue
		}
		tab.Delete(flowKey{3, old})
		delete(ref, flowKey{3, old})
		if id%5000 == 0 {
			check(int(id))
		}
	}
	if d := tab.probe(3); d.sparse.n != 10 || d.size > 2*minDense {
		t.Errorf("ids in order: %d flows in the sparse store, dense range of %d", d.sparse.n, d.size)
	}
}

// TestSparseFlows: the sparse store holds exactly what a map would under
// random sets and deletions over few ids (about 3700 held, in 4096 slots
// up to 7/8 full or 8192: long probe chains, slots shifted back on
// removal, freed places reused, clear), and, once grown, a deletion and a
// new flow allocate nothing.
func TestSparseFlows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s sparseFlows
	ref := map[uint64]cflow{}
	check := func(step int) {
		t.Helper()
		if s.n != len(ref) {
			t.Fatalf("step %d: %d flows, want %d", step, s.n, len(ref))
		}
		n := 0
		s.all(5, func(k flowKey, f *cflow) bool {
			if r, ok := ref[k.id]; k.probe != 5 || !ok || r != *f {
				t.Fatalf("step %d: flow %v is %+v, want %+v (held %v)", step, k, *f, r, ok)
			}
			n++
			return true
		})
		if n != len(ref) {
			t.Fatalf("step %d: all gave %d flows, want %d", step, n, len(ref))
		}
	}
	for step := range 300_000 {
		id := rng.Uint64N(7400) * 25
		_, held := ref[id]
		if p := s.get(id); (p != nil) != held || p != nil && *p != ref[id] {
			t.Fatalf("step %d: get(%d) = %v, want %+v", step, id, p, ref[id])
		}
		if rng.IntN(2) == 0 {
			if s.del(id) != held {
				t.Fatalf("step %d: del(%d) = %v, want %v", step, id, !held, held)
			}
			delete(ref, id)
		} else {
			f := cflow{packets: uint64(step) + 1, sport: uint16(step)}
			if s.set(id, f) == held {
				t.Fatalf("step %d: set(%d) new = %v, want %v", step, id, held, !held)
			}
			ref[id] = f
		}
		if step%50_000 == 0 {
			check(step)
		}
		if step == 200_000 {
			s.clear()
			clear(ref)
			check(step)
		}
	}
	check(-1)
	if len(s.slots) != 8192 {
		t.Errorf("%d slots, want 8192 (the store grew past 7/8 of 4096)", len(s.slots))
	}
	i := uint64(1 << 40)
	if n := testing.AllocsPerRun(1000, func() {
		s.del(i)
		i++
		s.set(i, cflow{packets: i})
	}); n != 0 {
		t.Errorf("%.1f allocations per flow replaced, want 0", n)
	}
}

// TestSparseFlowsMemory: flows whose ids are spread out (a Workers run
// numbers them by capture ordinal: shard.setIDs) cost at most 107 bytes
// each in the table: 88 in the sparse store's pages (the flow and its id)
// and 8 per slot at no less than 7/16 load (18.3), plus the probe's first
// dense pages (the first ids fall in its minimal range); a Go map of
// flowKey to cflow took 139-184 (Go 1.26, measured the same way at these
// sizes) and pushed the 5 M corpus's `bench --workers N` live heap past
// the bench's memory limit (issue 14). Bytes from runtime.MemStats, after
// a collection.
func TestSparseFlowsMemory(t *testing.T) {
	for _, n := range []int{100_000, 150_000, 197_210} { // 197210: the 5 M corpus's flows
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		tab := newFlowTable()
		for i := range n {
			tab.Set(flowKey{1, 1 + uint64(i)*25}, cflow{packets: 1})
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if tab.Len() != n {
			t.Fatalf("%d flows held, want %d", tab.Len(), n)
		}
		limit := float64(n)*(88+8*16/7.0) + minDense*80 + 64<<10
		if got := float64(m1.HeapAlloc - m0.HeapAlloc); got > limit {
			t.Errorf("%d flows of spread ids: %.0f bytes (%.0f a flow), want at most %.0f", n, got, got/float64(n), limit)
		}
		runtime.KeepAlive(&tab)
	}
}

package collector

import (
	"math/rand/v2"
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
	if d := tab.probe(3); d.nsparse != 10 || d.size > 2*minDense {
		t.Errorf("ids in order: %d flows in the map, dense range of %d", d.nsparse, d.size)
	}
}

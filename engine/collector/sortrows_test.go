package collector

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestSortRuns: sortRuns orders rows as slices.SortStableFunc does (rows
// equal by both keys keep their order), whether the rows come sorted by
// the outer key (runs of 1 to 40 rows: insertion, or a stable sort past
// maxInsertion), as two interleaved sorted sequences (a drain over two
// interval closes), split into several runs of one outer key, or
// shuffled; runs often repeat the inner keys of the previous one (the
// permutation reused), and one scratch serves every call. Without inner
// it is a stable sort by outer.
func TestSortRuns(t *testing.T) {
	type row struct{ outer, inner, seq int }
	outer := func(x, y *row) int { return cmp.Compare(x.outer, y.outer) }
	inner := func(x, y *row) int { return cmp.Compare(x.inner, y.inner) }
	rng := rand.New(rand.NewPCG(1, 14))
	patterns := [][]int{{3, 7, 1, 0, 5, 2}, {3, 7, 1, 0, 5, 2, 6}, {0, 1, 2, 3}, {2, 2, 1, 1, 0}}
	var s runScratch
	for trial := range 400 {
		var rows []row
		for o := 0; len(rows) < 500; o++ {
			if rng.IntN(2) == 0 {
				for _, in := range patterns[rng.IntN(len(patterns))] {
					rows = append(rows, row{outer: o, inner: in})
				}
				continue
			}
			for range 1 + rng.IntN(40) {
				rows = append(rows, row{outer: o, inner: rng.IntN(8)})
			}
		}
		switch trial % 4 {
		case 1: // not sorted by the outer key
			rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		case 2: // two sorted sequences, one after the other
			var a, b []row
			for _, r := range rows {
				if r.outer%3 == 0 {
					a = append(a, r)
				} else {
					b = append(b, r)
				}
			}
			rows = append(b, a...)
		case 3: // some outer keys in two runs
			for i := range rows {
				if rows[i].outer%5 == 4 {
					rows[i].outer -= 2
				}
			}
		}
		for i := range rows {
			rows[i].seq = i
		}
		byOuter, wantByOuter := slices.Clone(rows), slices.Clone(rows)
		slices.SortStableFunc(wantByOuter, func(x, y row) int { return cmp.Compare(x.outer, y.outer) })
		sortRuns(byOuter, outer, nil, &s)
		if !slices.Equal(byOuter, wantByOuter) {
			t.Fatalf("trial %d: sortRuns without inner differs from a stable sort by outer:\n%v\nwant\n%v", trial, byOuter, wantByOuter)
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(x, y row) int { return cmp.Or(cmp.Compare(x.outer, y.outer), cmp.Compare(x.inner, y.inner)) })
		sortRuns(rows, outer, inner, &s)
		if !slices.Equal(rows, want) {
			t.Fatalf("trial %d: sortRuns differs from a stable sort:\n%v\nwant\n%v", trial, rows, want)
		}
	}
}

// TestSortKeyed: sortKeyed orders rows as slices.SortStableFunc by
// (group, id) does (rows of one group and id keep their order), with one
// or several groups (string pairs, out of order), ids repeated, rows
// sorted already or not; and it leaves the rows alone, returning false,
// for an id of 32 bits or more or more than 255 groups.
func TestSortKeyed(t *testing.T) {
	type row struct {
		probe, class string
		id           uint64
		seq          int
	}
	group := func(r *row) (string, string) { return r.probe, r.class }
	id := func(r *row) uint64 { return r.id }
	stable := func(x, y row) int {
		return cmp.Or(cmpStr(x.probe, y.probe), cmpStr(x.class, y.class), cmp.Compare(x.id, y.id))
	}
	rng := rand.New(rand.NewPCG(14, 13))
	var s runScratch
	for trial := range 300 {
		groups := 1 + trial%4
		rows := make([]row, rng.IntN(600))
		for i := range rows {
			g := rng.IntN(groups)
			rows[i] = row{probe: []string{"b", "a"}[g%2], class: []string{"x", "all"}[g/2], id: uint64(rng.IntN(400)) << (trial % 3 * 10), seq: i}
		}
		if trial%5 == 0 {
			slices.SortStableFunc(rows, stable)
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, stable)
		if !sortKeyed(rows, group, id, &s) {
			t.Fatalf("trial %d: keys that fit refused", trial)
		}
		if !slices.Equal(rows, want) {
			t.Fatalf("trial %d: sortKeyed differs from a stable sort:\n%v\nwant\n%v", trial, rows, want)
		}
	}
	big := []row{{probe: "a", id: 5, seq: 0}, {probe: "a", id: 1 << 32, seq: 1}, {probe: "a", id: 1, seq: 2}}
	if sortKeyed(big, group, id, &s) || big[0].seq != 0 || big[2].seq != 2 {
		t.Errorf("an id of 2^32: sorted %v, want it refused and left alone", big)
	}
	var many []row
	for i := range 300 {
		many = append(many, row{probe: strconv.Itoa(300 - i), id: 1, seq: i})
	}
	if sortKeyed(many, group, id, &s) || many[0].seq != 0 {
		t.Errorf("300 groups: sorted, want them refused and left alone")
	}
}

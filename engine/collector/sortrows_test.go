package collector

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortRuns: sortRuns orders rows as slices.SortStableFunc does (rows
// equal by both keys keep their order), whether the rows come sorted by
// the outer key (runs of 1 to 40 rows: insertion, or a stable sort past
// maxInsertion) or not (the whole batch stable-sorted).
func TestSortRuns(t *testing.T) {
	type row struct{ outer, inner, seq int }
	outer := func(x, y *row) int { return cmp.Compare(x.outer, y.outer) }
	inner := func(x, y *row) int { return cmp.Compare(x.inner, y.inner) }
	rng := rand.New(rand.NewPCG(1, 14))
	for trial := range 200 {
		var rows []row
		for o := 0; len(rows) < 500; o++ {
			for range 1 + rng.IntN(40) {
				rows = append(rows, row{outer: o, inner: rng.IntN(8), seq: len(rows)})
			}
		}
		if trial%2 == 1 { // not sorted by the outer key
			rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(x, y row) int { return cmp.Or(cmp.Compare(x.outer, y.outer), cmp.Compare(x.inner, y.inner)) })
		sortRuns(rows, outer, inner, func(x, y row) int { return cmp.Or(outer(&x, &y), inner(&x, &y)) })
		if !slices.Equal(rows, want) {
			t.Fatalf("trial %d: sortRuns differs from a stable sort:\n%v\nwant\n%v", trial, rows, want)
		}
	}
}

package collector

import "slices"

// sortRuns sorts rows by outer, then inner, keeping the order of rows
// equal by both (a stable sort, as slices.SortStableFunc). A drain's
// rows mostly come sorted by outer already, out of order only within
// each run of rows equal by outer (flow_counters: a flow's metrics of
// one interval, in the probe's metric order, not by name): then only
// those runs are sorted, by insertion, where a stable sort of the whole
// batch merged it again and again (7 % of the collector's path to
// Parquet on the 5M corpus, issue 14). Otherwise the whole batch is
// stable-sorted by both, which is both (on values: a comparison through
// outer and inner would move its two rows to the heap).
func sortRuns[T any](rows []T, outer, inner func(x, y *T) int, both func(x, y T) int) {
	for i := 1; i < len(rows); i++ {
		if outer(&rows[i-1], &rows[i]) > 0 {
			slices.SortStableFunc(rows, both)
			return
		}
	}
	for lo := 0; lo < len(rows); {
		hi := lo + 1
		for hi < len(rows) && outer(&rows[lo], &rows[hi]) == 0 {
			hi++
		}
		run := rows[lo:hi]
		if len(run) > maxInsertion {
			slices.SortStableFunc(run, func(x, y T) int { return inner(&x, &y) })
		} else {
			for i := 1; i < len(run); i++ {
				for j := i; j > 0 && inner(&run[j-1], &run[j]) > 0; j-- {
					run[j-1], run[j] = run[j], run[j-1]
				}
			}
		}
		lo = hi
	}
}

// maxInsertion is the longest run sortRuns sorts by insertion.
const maxInsertion = 32

// ptr is a nullable time's sort key: NULL first.
func ptr(p *int64) int64 {
	if p == nil {
		return -1 << 63
	}
	return *p
}

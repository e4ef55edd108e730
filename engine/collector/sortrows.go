package collector

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// sortRuns sorts rows by outer, then inner, keeping the order of rows
// equal by both: the order slices.SortStableFunc by both gives. A
// drain's rows come in runs of rows equal by outer (flow_counters: a
// flow's metrics of one interval, in the probe's metric order, not by
// name), the runs mostly sorted already (a drain spanning two interval
// closes interleaves them). So the runs, not the rows, are sorted (by
// outer, then position: the order is total, an unstable sort gives it)
// and moved into place once, when they are out of order; then each group
// of rows equal by outer is sorted by inner: by insertion on indexes,
// the permutation reused while a group's rows are equal by inner to the
// previous group's (the same metrics in the same order), and applied
// with one move per row. A stable sort of a whole unsorted batch, then
// insertion sorts swapping 96-byte rows, took 19 % of the collector's
// CPU on the 5M corpus (issue 14). s keeps the scratch slices across
// calls. A nil inner makes it a stable sort by outer (any table): the
// rows, already sorted or not, move once, where slices.SortStableFunc
// merges them again and again.
func sortRuns[T any](rows []T, outer, inner func(x, y *T) int, s *runScratch) {
	if len(rows) < 2 {
		return
	}
	starts, sorted := s.starts[:0], true
	starts = append(starts, 0)
	for i := 1; i < len(rows); i++ {
		if o := outer(&rows[i-1], &rows[i]); o != 0 {
			starts = append(starts, int32(i))
			sorted = sorted && o < 0
		}
	}
	s.starts = starts
	groups := starts
	if !sorted {
		groups = sortRunOrder(rows, outer, s)
	}
	groups = append(groups, int32(len(rows)))
	s.n = 0
	var prev []T
	for g := 0; inner != nil && g+1 < len(groups); g++ {
		run := rows[groups[g]:groups[g+1]]
		switch {
		case len(run) > maxInsertion:
			slices.SortStableFunc(run, func(x, y T) int { return inner(&x, &y) })
			s.n = 0
		case len(run) > 1:
			sortGroup(run, inner, s, prev)
		}
		prev = run
	}
}

// sortRunOrder puts the runs of rows (starting at s.starts) in order of
// outer, then of position, moving each row once, and returns where the
// groups of rows equal by outer start (in s.groups).
func sortRunOrder[T any](rows []T, outer func(x, y *T) int, s *runScratch) []int32 {
	starts := s.starts
	order := s.order[:0]
	for r := range starts {
		order = append(order, int32(r))
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(outer(&rows[starts[a]], &rows[starts[b]]), cmp.Compare(a, b))
	})
	s.order = order
	// src[i]: the row that goes to position i; groups: where a run whose
	// outer differs from its predecessor's lands.
	src, groups := s.src[:0], s.groups[:0]
	for k, r := range order {
		lo, hi := starts[r], int32(len(rows))
		if int(r)+1 < len(starts) {
			hi = starts[r+1]
		}
		if k == 0 || outer(&rows[starts[order[k-1]]], &rows[lo]) != 0 {
			groups = append(groups, int32(len(src)))
		}
		for i := lo; i < hi; i++ {
			src = append(src, i)
		}
	}
	s.src, s.groups = src, groups
	permute(rows, src)
	return groups
}

// permute moves row src[i] to position i, each row once (following the
// permutation's cycles), and spoils src.
func permute[T any](rows []T, src []int32) {
	for i := range src {
		if src[i] < 0 || int(src[i]) == i {
			continue
		}
		tmp := rows[i]
		k := i
		for {
			from := int(src[k])
			src[k] = -1
			if from == i {
				rows[k] = tmp
				break
			}
			rows[k] = rows[from]
			k = from
		}
	}
}

// Packing of sortKeyed's keys: group rank, id, position.
const (
	keyedPosBits = 24
	keyedIDBits  = 32
)

// sortKeyed sorts rows as slices.SortStableFunc by (group, id) does,
// groups compared as string pairs, when the keys fit in a uint64 (fewer
// than 256 groups, ids below 2^32, fewer than 2^24 rows): the group's
// rank, the id and the row's position packed, sorted as integers, and
// each row moved once. Otherwise it leaves rows alone and returns false.
// A stable sort of tcp_connections (rows of about 250 bytes, coming in
// order of their end, sorted by conn_id) merged and rotated them, about
// 2000 instructions a row on the 5M corpus (issue 14).
func sortKeyed[T any](rows []T, group func(*T) (string, string), id func(*T) uint64, s *runScratch) bool {
	if len(rows) < 2 {
		return true
	}
	if len(rows) >= 1<<keyedPosBits {
		return false
	}
	groups := s.pairs[:0]
	keys := s.keys[:0]
	last := -1
	for i := range rows {
		a, b := group(&rows[i])
		if last < 0 || groups[last] != [2]string{a, b} {
			last = slices.Index(groups, [2]string{a, b})
			if last < 0 {
				if len(groups) == 255 {
					return false
				}
				groups = append(groups, [2]string{a, b})
				last = len(groups) - 1
			}
		}
		v := id(&rows[i])
		if v >= 1<<keyedIDBits {
			return false
		}
		keys = append(keys, uint64(last)<<(keyedIDBits+keyedPosBits)|v<<keyedPosBits|uint64(i))
	}
	s.pairs, s.keys = groups, keys
	if len(groups) > 1 { // ranks in group order
		order := s.order[:0]
		for g := range groups {
			order = append(order, int32(g))
		}
		slices.SortFunc(order, func(x, y int32) int {
			return cmp.Or(cmpStr(groups[x][0], groups[y][0]), cmpStr(groups[x][1], groups[y][1]))
		})
		s.order = order
		var rank [256]uint64
		for r, g := range order {
			rank[g] = uint64(r)
		}
		for i, k := range keys {
			keys[i] = rank[k>>(keyedIDBits+keyedPosBits)]<<(keyedIDBits+keyedPosBits) | k&(1<<(keyedIDBits+keyedPosBits)-1)
		}
	}
	if slices.IsSorted(keys) {
		return true
	}
	slices.Sort(keys)
	src := s.src[:0]
	for _, k := range keys {
		src = append(src, int32(k&(1<<keyedPosBits-1)))
	}
	s.src = src
	permute(rows, src)
	return true
}

// sortGroup sorts run (at most maxInsertion rows) by inner, stably. prev
// is the group before it (nil for the first), sorted by s.perm when
// s.n == len(prev).
func sortGroup[T any](run []T, inner func(x, y *T) int, s *runScratch, prev []T) {
	n := len(run)
	same := s.n == n && len(prev) == n
	for i := 0; same && i < n; i++ {
		same = inner(&run[i], &prev[s.inv[i]]) == 0
	}
	if !same {
		s.n, s.moved = n, false
		p := s.perm[:n]
		for i := range p {
			p[i] = uint8(i)
		}
		for i := 1; i < n; i++ {
			for j := i; j > 0 && inner(&run[p[j-1]], &run[p[j]]) > 0; j-- {
				p[j-1], p[j] = p[j], p[j-1]
				s.moved = true
			}
		}
		for i, src := range p {
			s.inv[src] = uint8(i)
		}
	}
	if !s.moved {
		return
	}
	// Follow the permutation's cycles: position i takes run[perm[i]].
	var done [maxInsertion]bool
	for i := range n {
		if done[i] || int(s.perm[i]) == i {
			continue
		}
		tmp := run[i]
		k := i
		for {
			done[k] = true
			src := int(s.perm[k])
			if src == i {
				run[k] = tmp
				break
			}
			run[k] = run[src]
			k = src
		}
	}
}

// runScratch is sortRuns' memory between calls (no allocation per drain
// once grown).
type runScratch struct {
	starts, order, groups, src []int32
	keys                       []uint64    // sortKeyed's
	pairs                      [][2]string // sortKeyed's groups
	// perm is the last group's sort (position i takes row perm[i]), inv
	// its inverse, n its length (0: none), moved whether it moves a row.
	perm, inv [maxInsertion]uint8
	n         int
	moved     bool
}

// maxInsertion is the longest run sortRuns sorts by insertion.
const maxInsertion = 32

// cmpStr is cmp.Compare for strings in one comparison: equal strings (the
// rows' interned names, the same pointer) cost a length and pointer check,
// where cmp.Compare compares them twice, byte by byte unless the runtime
// sees the same pointer (issue 14).
func cmpStr(a, b string) int {
	if a == b {
		return 0
	}
	return strings.Compare(a, b)
}

// cmpOnewayKey orders oneway_latency and oneway_loss rows: by class, flow
// id, hop pair and interval.
func cmpOnewayKey(x, y *observe.OnewayKey) int {
	return cmp.Or(cmpStr(x.Class, y.Class), cmp.Compare(x.FlowID, y.FlowID), cmpStr(x.FromHop, y.FromHop), cmpStr(x.ToHop, y.ToHop), cmp.Compare(x.IntervalStart, y.IntervalStart))
}

// ptr is a nullable time's sort key: NULL first.
func ptr(p *int64) int64 {
	if p == nil {
		return -1 << 63
	}
	return *p
}

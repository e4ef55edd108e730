package rtt

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/stat"
)

// histKey is one histogram: a flow and a kind.
type histKey struct {
	flowID uint64
	kind   Kind
}

// histTable holds the histograms of the current interval: histogram i
// has its n slices at pages[i/histPage][(i%histPage)*n:][:n].
//
// The stats are kept in fixed pages, never in one growing slice: a new
// histogram takes the next slot of the last page or a new page, and pages
// are kept from one interval to the next, so no interval copies the
// histograms of the one before (issue 14: the growing slice's copies,
// into memory fresh from the operating system, were two thirds of the
// rtt stage's histogram time on the 5M corpus).
type histTable struct {
	bounds []float64 // slice upper bounds, ms
	n      int       // slices per histogram: len(bounds)+1
	max    int
	idx    histIndex
	keys   []histKey
	pages  [][]stat.Stat // histPage histograms each
	order  []histRef
	row    observe.RTTHistogram // the emitted row (borrowed by emit)
}

// histPage is the number of histograms per page of a histTable.
const histPage = 256

// hist returns the n slices of histogram i.
func (h *histTable) hist(i int32) []stat.Stat {
	o := int(i%histPage) * h.n
	return h.pages[i/histPage][o : o+h.n]
}

// histRef is a histogram's key and index, sorted for emission.
type histRef struct {
	key histKey
	i   int32
}

func compareHistRef(a, b histRef) int {
	return cmp.Or(cmp.Compare(a.key.flowID, b.key.flowID), cmp.Compare(a.key.kind, b.key.kind))
}

func (h *histTable) init(bounds []float64, max int) {
	h.bounds = bounds
	h.n = len(bounds) + 1
	h.max = max
	h.idx = histIndex{slots: make([]histSlot, minHistSlots), seed: rand.Uint64(), homeMask: math.MaxUint64}
}

// slice returns the index of the slice holding ms (negative values, from
// capture timestamps that went backwards, fall in the first).
func (h *histTable) slice(ms float64) int {
	for i, b := range h.bounds {
		if ms < b {
			return i
		}
	}
	return len(h.bounds)
}

// Observe adds one round trip of rttMs milliseconds of kind k in flow
// flowID to the current interval's histograms. Packet calls it for every
// sample; it is exported for samples measured elsewhere. An unknown k is
// ignored.
func (t *Tracker) Observe(flowID uint64, k Kind, rttMs float64) {
	t.observe(&t.hist, flowID, k, rttMs)
}

// observe adds a round trip to the histograms of h.
func (t *Tracker) observe(h *histTable, flowID uint64, k Kind, rttMs float64) {
	if k >= NumKinds {
		return
	}
	key := histKey{flowID: flowID, kind: k}
	slot := h.idx.find(key)
	i := slot.i - 1
	if i < 0 {
		if len(h.keys) >= h.max {
			t.stats.HistFull++
			return
		}
		i = int32(len(h.keys))
		h.idx.add(slot, key, i)
		h.keys = append(h.keys, key)
		if int(i/histPage) == len(h.pages) {
			// the last page holds no more than the table's bound
			h.pages = append(h.pages, make([]stat.Stat, min(histPage, h.max-int(i))*h.n))
			flow.Populate(h.pages[len(h.pages)-1]) // filled in order: one call, not a page fault per page
		} else {
			clear(h.hist(i)) // the slot of a histogram of an earlier interval
		}
	}
	h.hist(i)[h.slice(rttMs)].Add(rttMs)
}

// CloseInterval emits one rtt_histograms row per non-empty slice of every
// histogram of the interval starting at startNs (Unix ns, capture time) and
// lasting intervalNs, ordered by flow id, kind and slice, then empties the
// histograms. Rows are borrowed until emit returns; their strings are
// constants.
//
// A handshake's sample belongs to the interval of the SYN-ACK its client's
// ACK names (held.go), which may come after the close: a stray SYN-ACK
// with another ISN before the boundary, the real one after it (zeek#3313).
// So when handshakes of the interval are still held, its rows wait for the
// next call: those settled meanwhile on a SYN-ACK of the interval join it,
// the others are settled then on their first SYN-ACK, and its rows are
// emitted before the next interval's. Rows are thus at most one interval
// late, and the same for any timing of the calls. Only the histograms of
// the flows with a handshake held wait (a held handshake's sample goes to
// its own flow): the others' rows are emitted at once. Before, every
// histogram of the tracker waited while one handshake was held, so the
// rows of a flow came one close later or not depending on the other flows
// of its tracker: on a probe's workers, each following its own flows,
// they came at other closes than a lone probe's (issue 14: the same rows,
// in other PDUs).
func (t *Tracker) CloseInterval(startNs, intervalNs int64, emit func(*observe.RTTHistogram)) {
	if t.prevOpen {
		t.settleBefore(t.closes)
		t.prevOpen = false
		t.emitHist(&t.prev, t.prevStart, t.prevLen, emit, nil)
	}
	t.closes++
	var wait []uint64
	if len(t.held) > 0 {
		wait = t.heldFlows[:0]
		for _, h := range t.held {
			wait = append(wait, h.flowID)
		}
		slices.Sort(wait)
		t.heldFlows = wait
		t.prevOpen, t.prevStart, t.prevLen = true, startNs, intervalNs
	}
	t.emitHist(&t.hist, startNs, intervalNs, emit, wait)
}

// sizedRefs returns refs emptied, with room for n: a new array when it
// has less, made at once and populated (flow.Populate): appending the
// 58 k histograms of the 5M corpus's interval grew it through fresh
// memory a 4 KiB page fault at a time (issue 14: ~0.5-0.9 k faults).
func sizedRefs(refs []histRef, n int) []histRef {
	if cap(refs) >= n {
		return refs[:0]
	}
	refs = make([]histRef, n)
	flow.Populate(refs)
	return refs[:0]
}

// emitHist emits the rows of h for the interval at startNs lasting
// intervalNs and empties h. The histograms of the flows in wait (sorted)
// go to t.prev instead (empty: emitted before), for the next close.
func (t *Tracker) emitHist(h *histTable, startNs, intervalNs int64, emit func(*observe.RTTHistogram), wait []uint64) {
	h.order = sizedRefs(h.order, len(h.keys))
	for i, k := range h.keys {
		h.order = append(h.order, histRef{key: k, i: int32(i)})
	}
	slices.SortFunc(h.order, compareHistRef)
	row := &h.row
	for _, ref := range h.order {
		k, sts := ref.key, h.hist(ref.i)
		if len(wait) > 0 {
			if _, ok := slices.BinarySearch(wait, k.flowID); ok {
				t.prev.put(k, sts)
				continue
			}
		}
		for s := range sts {
			st := &sts[s]
			if st.N == 0 {
				continue
			}
			*row = observe.RTTHistogram{
				FlowID:        k.flowID,
				Kind:          kindNames[k.kind],
				IntervalStart: startNs,
				IntervalS:     float64(intervalNs) / 1e9,
				N:             st.N,
				Sum:           st.Sum,
				SumSq:         st.SumSq,
				Min:           st.Min,
				Max:           st.Max,
			}
			if s > 0 {
				row.SliceLoMs = h.bounds[s-1]
			}
			if s < len(h.bounds) {
				row.SliceHiMs = h.bounds[s]
			}
			if emit != nil {
				emit(row)
			}
		}
	}
	h.idx.reset()
	h.keys = h.keys[:0]
}

// put adds histogram k, of slices sts, to h, which does not hold it yet
// (a histogram that waits for the next close: Tracker.emitHist).
func (h *histTable) put(k histKey, sts []stat.Stat) {
	slot := h.idx.find(k)
	if slot.i > 0 {
		return // none expected: h was emptied
	}
	i := int32(len(h.keys))
	h.idx.add(slot, k, i)
	h.keys = append(h.keys, k)
	if int(i/histPage) == len(h.pages) {
		h.pages = append(h.pages, make([]stat.Stat, min(histPage, h.max-int(i))*h.n))
		flow.Populate(h.pages[len(h.pages)-1])
	}
	copy(h.hist(i), sts)
}

// histIndex finds an interval's histograms by key: open addressing with
// linear probing over a power-of-two array of slots, at most half full,
// emptied at once at the end of the interval (no deletion). It replaces a
// Go map (issue 14: its lookup and insert were two thirds of observe's
// time on the 5M corpus). The hash is a seeded 128-bit multiply of the
// flow id folded (as the flow table's index mixes its keys).
type histIndex struct {
	slots []histSlot
	n     int
	seed  uint64 // random per index: the traffic cannot aim flow ids at one chain
	// homeMask is applied to every home slot: all ones, except in a test
	// that crowds every key into a few home slots (long chains).
	homeMask uint64
}

// histSlot is one histogram of the index: its key and its index in
// histTable.keys plus one (0: an empty slot).
type histSlot struct {
	flowID uint64
	i      int32
	kind   Kind
}

// minHistSlots is the smallest slot array.
const minHistSlots = 64

func (x *histIndex) home(k histKey) uint64 {
	return flow.Mix(k.flowID^x.seed, 0x9e3779b97f4a7c15^uint64(k.kind)<<1) & x.homeMask // an odd multiplier per kind
}

// find returns the slot of k: its histogram's, or the empty slot where
// add puts it.
func (x *histIndex) find(k histKey) *histSlot {
	mask := uint64(len(x.slots) - 1)
	for j := x.home(k) & mask; ; j = (j + 1) & mask {
		s := &x.slots[j]
		if s.i == 0 || (s.flowID == k.flowID && s.kind == k.kind) {
			return s
		}
	}
}

// add fills s, the empty slot find returned for k, with histogram i.
func (x *histIndex) add(s *histSlot, k histKey, i int32) {
	*s = histSlot{flowID: k.flowID, i: i + 1, kind: k.kind}
	x.n++
	if 2*x.n > len(x.slots) {
		old := x.slots
		x.slots = flow.NewSlots[histSlot](2*len(old), false)
		for _, o := range old {
			if o.i != 0 {
				*x.find(histKey{flowID: o.flowID, kind: o.kind}) = o
			}
		}
	}
}

// reset empties the index, keeping its slots.
func (x *histIndex) reset() {
	if x.n > 0 {
		clear(x.slots)
	}
	x.n = 0
}

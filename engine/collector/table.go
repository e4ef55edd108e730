package collector

import (
	"math/bits"
	"slices"
)

// flowTable holds the collector's flows (issue 14). A probe numbers its
// flows in order (1, 2, ... within a run, offset by the run's base), so
// each probe's flows live in a dense table (pages) indexed by id-lo with a
// presence bit: one cache line a lookup, no hashing. Ids the table cannot
// reach at a bounded cost (ids spread out by capture ordinal, as the
// workers' were before their merge renumbered them, a restarted run's new base while old flows are held, a flow
// kept for very long) go to the probe's sparse store (sparseFlows: an
// index and pages, where a Go map held them before). An id is in the
// dense table when it falls in its range, in the sparse store otherwise:
// the range only grows over ids no flow of the sparse store can have,
// and slides up.
type flowTable struct {
	dense []*denseFlows // by probe id, nil until the probe's first flow
	n     int
}

// denseFlows is one probe's dense range of flow ids [lo, lo+size), in
// pages of pageFlows (growing or sliding the range copies no flow).
type denseFlows struct {
	lo       uint64
	size     int
	pages    [][]cflow
	present  []uint64    // bit i: flow lo+i is held
	n        int         // flows held in the dense range
	sparse   sparseFlows // the probe's other flows
	hiSparse uint64      // no flow of the sparse store has a higher id (0 when none)
	probe    uint16
}

// pageFlows is the flows of a page (a multiple of 64: pages drop whole
// words of presence bits).
const pageFlows = 1024

func (d *denseFlows) at(i int) *cflow { return &d.pages[i/pageFlows][i%pageFlows] }

// minDense is the dense range a probe may always have; beyond it the
// range is at most twice the flows it holds.
const minDense = 4096

func newFlowTable() flowTable { return flowTable{} }

// Len returns the number of flows held.
func (t *flowTable) Len() int { return t.n }

func (t *flowTable) probe(p uint16) *denseFlows {
	if int(p) < len(t.dense) {
		return t.dense[p]
	}
	return nil
}

// index returns k's index in its probe's dense range, or -1.
func (d *denseFlows) index(id uint64) int {
	if d == nil || id < d.lo || id-d.lo >= uint64(d.size) {
		return -1
	}
	return int(id - d.lo)
}

func (d *denseFlows) has(i int) bool { return d.present[i>>6]&(1<<(i&63)) != 0 }

// Get returns flow k and whether it is held.
func (t *flowTable) Get(k flowKey) (cflow, bool) {
	if p := t.Ptr(k); p != nil {
		return *p, true
	}
	return cflow{}, false
}

// Ptr returns where flow k is held (valid until the next Set or Delete),
// or nil: an update changes the flow in place, with one lookup.
func (t *flowTable) Ptr(k flowKey) *cflow {
	d := t.probe(k.probe)
	if i := d.index(k.id); i >= 0 {
		if d.has(i) {
			return d.at(i)
		}
		return nil
	}
	if d == nil {
		return nil
	}
	return d.sparse.get(k.id)
}

// Has reports whether flow k is held.
func (t *flowTable) Has(k flowKey) bool {
	_, ok := t.Get(k)
	return ok
}

// Set holds f as flow k.
func (t *flowTable) Set(k flowKey, f cflow) {
	d := t.probe(k.probe)
	if d == nil {
		for int(k.probe) >= len(t.dense) {
			t.dense = append(t.dense, nil)
		}
		d = &denseFlows{lo: k.id, probe: k.probe}
		t.dense[k.probe] = d
	}
	i := d.index(k.id)
	if i < 0 {
		i = d.reach(t, k.id)
	}
	if i < 0 {
		if d.sparse.set(k.id, f) {
			t.n++
			d.hiSparse = max(d.hiSparse, k.id)
		}
		return
	}
	if !d.has(i) {
		d.present[i>>6] |= 1 << (i & 63)
		d.n++
		t.n++
	}
	*d.at(i) = f
}

// reset empties the dense range (keeping its pages) and starts it at lo.
func (d *denseFlows) reset(lo uint64) {
	for _, pg := range d.pages[:(d.size+pageFlows-1)/pageFlows] {
		clear(pg)
	}
	clear(d.present)
	d.lo, d.size, d.present, d.n = lo, 0, d.present[:0], 0
}

// reach extends the dense range to id, sliding it up when id is too far
// from its start (the few long-lived flows below the new start move to
// the sparse store), and returns id's index; or -1: id goes to the sparse
// store (below the range, ids spread out, or a flow of the sparse store
// could be in the new part).
func (d *denseFlows) reach(t *flowTable, id uint64) int {
	if d.n == 0 && (d.sparse.n == 0 || d.hiSparse < id) { // nothing held: start the range at id
		d.reset(id)
	}
	if id < d.lo || d.sparse.n != 0 && d.hiSparse >= d.lo+uint64(d.size) {
		return -1
	}
	if limit := uint64(max(minDense, 2*(d.n+1))); id-d.lo >= limit {
		// The range starts that many pages higher.
		drop := min(int((id-limit/2-d.lo)/pageFlows), (d.size+pageFlows-1)/pageFlows)
		words := min(drop*pageFlows/64, len(d.present))
		moved := 0
		for _, w := range d.present[:words] {
			moved += bits.OnesCount64(w)
		}
		if moved > d.n/4 { // ids spread out, or a new run's base: not worth a dense range
			return -1
		}
		for w, word := range d.present[:words] {
			for word != 0 {
				i := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				d.sparse.set(d.lo+uint64(i), *d.at(i))
				d.hiSparse = max(d.hiSparse, d.lo+uint64(i))
			}
		}
		d.n -= moved
		for _, pg := range d.pages[:drop] { // the dropped pages become the last ones
			clear(pg)
		}
		dropped := slices.Clone(d.pages[:drop])
		copy(d.pages, d.pages[drop:])
		copy(d.pages[len(d.pages)-drop:], dropped)
		m := copy(d.present, d.present[words:])
		clear(d.present[m:])
		d.present = d.present[:m]
		d.lo += uint64(drop * pageFlows)
		d.size = max(d.size-drop*pageFlows, 0)
	}
	size := int(id-d.lo) + 1
	for len(d.pages)*pageFlows < size {
		d.pages = append(d.pages, make([]cflow, pageFlows))
	}
	d.size = max(d.size, size)
	for words := (size + 63) / 64; len(d.present) < words; {
		d.present = append(d.present, 0)
	}
	return size - 1
}

// Delete forgets flow k.
func (t *flowTable) Delete(k flowKey) {
	d := t.probe(k.probe)
	if i := d.index(k.id); i >= 0 {
		if d.has(i) {
			d.present[i>>6] &^= 1 << (i & 63)
			*d.at(i) = cflow{}
			d.n--
			t.n--
		}
		return
	}
	if d == nil {
		return
	}
	if d.sparse.del(k.id) {
		t.n--
		if d.sparse.n == 0 {
			d.hiSparse = 0
		}
	}
}

// Clear forgets every flow (keeping the memory for the next ones).
func (t *flowTable) Clear() {
	for _, d := range t.dense {
		if d != nil {
			d.reset(0)
			d.sparse.clear()
			d.hiSparse = 0
		}
	}
	t.n = 0
}

// All calls yield with every flow held (in no specified order) until it
// returns false. yield must not change the table.
func (t *flowTable) All(yield func(flowKey, *cflow) bool) {
	for p, d := range t.dense { // by probe id: wire ids are hashes, most slots of 65,536 nil
		if d != nil && !t.probeFlows(uint16(p), yield) {
			return
		}
	}
}

// Probe returns the iterator of every flow of probe p held (in no
// specified order), as All. yield must not change the table.
func (t *flowTable) Probe(p uint16) func(yield func(flowKey, *cflow) bool) {
	return func(yield func(flowKey, *cflow) bool) { t.probeFlows(p, yield) }
}

// probeFlows is Probe, reporting whether yield always returned true.
func (t *flowTable) probeFlows(p uint16, yield func(flowKey, *cflow) bool) bool {
	d := t.probe(p)
	if d == nil {
		return true
	}
	for w, word := range d.present {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if !yield(flowKey{p, d.lo + uint64(i)}, d.at(i)) {
				return false
			}
		}
	}
	return d.sparse.all(p, yield)
}

package collector

import (
	"cmp"
	"slices"
)

// maxRetired bounds the flows remembered as written (their late updates
// ignored): a reordered or retransmitted PDU comes within seconds, while
// remembering every flow ever written would grow with the traffic (it
// keeps between maxRetired and twice that). An update of a flow forgotten
// meanwhile counts as UnknownFlow.
const maxRetired = 1 << 18

// retiredSet remembers the latest flows written out in two generations
// of at most maxRetired each: when the newer is full the older is dropped
// whole (its memory freed, which deleting map entries one by one would
// not do) and the newer takes its place. No queue of keys is kept.
type retiredSet struct {
	older, newer map[flowKey]struct{}
}

// has reports whether k is remembered.
func (r *retiredSet) has(k flowKey) bool {
	if _, ok := r.newer[k]; ok {
		return true
	}
	_, ok := r.older[k]
	return ok
}

// add remembers k, and returns the generation it forgot to make room
// (nil when none).
func (r *retiredSet) add(k flowKey) (forgot map[flowKey]struct{}) {
	if r.has(k) {
		return nil
	}
	if r.newer == nil || len(r.newer) >= maxRetired {
		forgot = r.older
		r.older, r.newer = r.newer, make(map[flowKey]struct{}, min(maxRetired, 1024))
	}
	r.newer[k] = struct{}{}
	return forgot
}

// keys returns the remembered flows, the older generation first, each
// generation in key order: adding them in that order rebuilds the set.
func (r *retiredSet) keys() []flowKey {
	var out []flowKey
	for _, g := range []map[flowKey]struct{}{r.older, r.newer} {
		n := len(out)
		for k := range g {
			out = append(out, k)
		}
		slices.SortFunc(out[n:], func(a, b flowKey) int { return cmp.Or(cmp.Compare(a.probe, b.probe), cmp.Compare(a.id, b.id)) })
	}
	return out
}

// retire remembers that flow k was written out; the one-way state of the
// flows it forgets to make room goes with them (forgetOneway).
func (c *Collector) retire(k flowKey) {
	if forgot := c.retired.add(k); len(forgot) > 0 {
		c.forgetOneway(forgot)
	}
}

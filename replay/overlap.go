package replay

import (
	"cmp"
	"slices"
)

// Overlap is two capture files read as one interface of one probe whose
// capture times overlap: Later starts OverlapNs before Earlier (or
// another file starting before it) ends.
type Overlap struct {
	Probe, Iface   string
	Earlier, Later string // the files' paths, as indexed
	OverlapNs      int64
}

// Overlaps returns the capture files of the indexers that overlap in
// capture time by more than StepBackNs, per probe and interface, in
// capture-time order: one Overlap per file that starts inside an earlier
// one, naming the earlier file reaching latest. Rotated files of one
// capture point (tcpdump -C/-G) follow each other; captures of several
// points of a path run side by side, and merged as one link count every
// packet once per file. The spans are the indexes' earliest and latest
// capture times (exact, from every packet); entries feeding several
// interfaces (a pcapng's, interface "") are left out. Call it once the
// files are read.
func Overlaps(ixs []*Indexer) []Overlap {
	type span struct {
		probe, iface, path string
		first, last        int64
	}
	var spans []span
	idx := map[[3]string]int{} // probe, interface, path -> index in spans
	for _, x := range ixs {
		for _, e := range x.Entries() {
			if e.Interface == "" {
				continue
			}
			k := [3]string{e.Probe, e.Interface, e.Path}
			i, ok := idx[k]
			if !ok {
				i, idx[k] = len(spans), len(spans)
				spans = append(spans, span{probe: e.Probe, iface: e.Interface, path: e.Path, first: e.MinTime, last: e.MaxTime})
			}
			spans[i].first, spans[i].last = min(spans[i].first, e.MinTime), max(spans[i].last, e.MaxTime)
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.probe, b.probe), cmp.Compare(a.iface, b.iface), cmp.Compare(a.first, b.first), cmp.Compare(a.path, b.path))
	})
	var out []Overlap
	prev := 0 // the file of this interface reaching latest so far
	for i := 1; i < len(spans); i++ {
		a, b := spans[prev], spans[i]
		if a.probe != b.probe || a.iface != b.iface {
			prev = i
			continue
		}
		if over := min(a.last, b.last) - b.first; over > StepBackNs {
			out = append(out, Overlap{Probe: b.probe, Iface: b.iface, Earlier: a.path, Later: b.path, OverlapNs: over})
		}
		if b.last > a.last {
			prev = i
		}
	}
	return out
}

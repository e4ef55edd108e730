package replay

import "github.com/tmonbench/tmonbench/engine/pkt"

// StepBackNs is how far back in capture time a packet may come, from the
// latest index entry, without an entry of its own (packets reordered
// across capture queues do): one captured earlier than that is an entry
// (Indexer), so that a file whose clock steps back keeps precise entries.
// It is the probe's line between reordering and a clock set back
// (pkt.StepBackNs), which the pacer follows too (SetClockStep).
const StepBackNs = pkt.StepBackNs

// Span is where to read a capture file for the packets of a time range:
// from Start up to, not including, packet EndFrame (0: to the end of the
// file).
type Span struct {
	Start    IndexEntry
	EndFrame uint64
}

// Spans returns where to read one capture file for every packet captured
// in [loNs, hiNs], from its index entries in file order (as an Indexer
// noted them): each run of consecutive entries whose packets' times
// (MinTime to MaxTime, up to the next entry) meet the range gives a span,
// from the run's first entry to the entry after it. A file whose time
// steps back (captures concatenated, a clock set back) may give several;
// an entry none of whose packets is in the range is never read.
func Spans(entries []IndexEntry, loNs, hiNs int64) []Span {
	var spans []Span
	meets := func(e *IndexEntry) bool { return e.MaxTime >= loNs && e.MinTime <= hiNs }
	for i := 0; i < len(entries); i++ {
		if !meets(&entries[i]) {
			continue
		}
		j := i + 1
		for j < len(entries) && meets(&entries[j]) {
			j++
		}
		var end uint64
		if j < len(entries) {
			end = entries[j].Frame
		}
		spans = append(spans, Span{Start: entries[i], EndFrame: end})
		i = j
	}
	return spans
}

package replay

import "time"

// StepBackNs is how far back in capture time a packet may come, from the
// latest index entry of its segment, and stay in that segment (packets
// reordered across capture queues do): one captured earlier than that
// starts a new segment (Indexer).
const StepBackNs = int64(time.Second)

// Span is where to read a capture file for the packets of a time range:
// from Start up to, not including, packet EndFrame (0: to the end of the
// file).
type Span struct {
	Start    IndexEntry
	EndFrame uint64
}

// Spans returns where to read one capture file for every packet captured
// in [loNs, hiNs], from its index entries in file order (as an Indexer
// noted them with everyNs at most StepBackNs), in file order. A file's
// capture time need not only grow: the entries split it into segments
// where time steps back (see Indexer), and each segment whose times can
// hold the range gives a span.
//
// Within a segment every packet after an entry e is captured at or after
// e.Time-StepBackNs (else it would start a segment), and every packet
// before the next entry before e.Time+StepBackNs (else it would be an
// entry). So a span starts at the segment's last entry at or before
// loNs-2·StepBackNs (none: its first entry) and ends at its first entry
// after hiNs+StepBackNs (none: where the segment ends); a segment whose
// entries all lie before loNs-StepBackNs, or whose first entry is after
// hiNs+StepBackNs, holds no packet of the range.
func Spans(entries []IndexEntry, loNs, hiNs int64) []Span {
	var spans []Span
	for i := 0; i < len(entries); {
		// the segment entries[i:j]
		j, maxNs := i+1, entries[i].Time
		for j < len(entries) && entries[j].Time >= maxNs-StepBackNs {
			maxNs = max(maxNs, entries[j].Time)
			j++
		}
		seg := entries[i:j]
		var end uint64
		if j < len(entries) {
			end = entries[j].Frame
		}
		i = j
		if maxNs+StepBackNs <= loNs || seg[0].Time-StepBackNs > hiNs {
			continue
		}
		start := 0
		for k, e := range seg {
			if e.Time <= loNs-2*StepBackNs {
				start = k
			}
		}
		for _, e := range seg[start+1:] {
			if e.Time > hiNs+StepBackNs {
				end = e.Frame
				break
			}
		}
		spans = append(spans, Span{Start: seg[start], EndFrame: end})
	}
	return spans
}

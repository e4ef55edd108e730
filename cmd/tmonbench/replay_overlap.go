package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/replay"
)

// captureOverlaps says which capture files a folder or a quoted glob
// brought in as one interface of one probe overlap in capture time by
// more than replay.StepBackNs. Such files are taken for rotated files of
// one capture point (tcpdump -C/-G), which follow each other; captures of
// several points of a path (a lab's A.pcap and RC.pcap in one folder) run
// side by side, and merged as one link they count every packet once per
// file, the copies taken for TCP retransmissions (the lab's FTP control
// connection: 73 retransmissions, tshark none). A trial's `tmonbench
// replay DIR` over such a folder said nothing. Files named one by one
// (--probe NAME/IFACE=PCAP twice) are the user's choice, maybe the two
// directions of a passive tap (live --pair), which do overlap: not
// checked. The spans come from the packet index (each file's earliest and
// latest capture time, exact: replay.Indexer); files feeding several
// interfaces (a pcapng: an empty interface) and streams (no index) are
// left out. One capture_overlap event, at time at (replayTime), per file
// that starts inside an earlier one, naming that one, in capture-time
// order.
func captureOverlaps(indexers []fileIndex, at int64) []observe.Event {
	type span struct {
		probe, iface, path string
		first, last        int64
	}
	var spans []span
	idx := map[[3]string]int{} // probe, interface, path -> index in spans
	for _, x := range indexers {
		if !x.found {
			continue
		}
		for _, e := range x.ix.Entries() {
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
	var ev []observe.Event
	prev := 0 // the file of this interface reaching latest so far
	for i := 1; i < len(spans); i++ {
		a, b := spans[prev], spans[i]
		if a.probe != b.probe || a.iface != b.iface {
			prev = i
			continue
		}
		if over := min(a.last, b.last) - b.first; over > replay.StepBackNs {
			msg := fmt.Sprintf("%s and %s, read as interface %s of probe %s (a folder or glob is rotated files of one capture point, tcpdump -C/-G), overlap in capture time for %v: "+
				"merged as one link, a packet both captured counts twice (its copy a TCP retransmission); "+
				"give each capture point a probe of its own (--probe NAME=PCAP)",
				a.path, b.path, b.iface, b.probe, time.Duration(over).Round(time.Millisecond))
			ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: "capture_overlap", Severity: observe.SevWarning, Count: 1, Message: msg})
		}
		if b.last > a.last {
			prev = i
		}
	}
	return ev
}

// warnOverlaps says captureOverlaps' events on stderr.
func warnOverlaps(w io.Writer, ev []observe.Event) {
	for _, e := range ev {
		warnf(w, "replay", "%s (event capture_overlap)", e.Message)
	}
}

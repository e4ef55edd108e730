package main

import (
	"fmt"
	"io"
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
// checked, nor streams (no index). One capture_overlap event, at time at
// (replayTime), per replay.Overlaps.
func captureOverlaps(indexers []fileIndex, at int64) []observe.Event {
	var ixs []*replay.Indexer
	for _, x := range indexers {
		if x.found {
			ixs = append(ixs, x.ix)
		}
	}
	var ev []observe.Event
	for _, o := range replay.Overlaps(ixs) {
		msg := fmt.Sprintf("%s and %s, read as interface %s of probe %s (a folder or glob is rotated files of one capture point, tcpdump -C/-G), overlap in capture time for %v: "+
			"merged as one link, a packet both captured counts twice (its copy a TCP retransmission); "+
			"give each capture point a probe of its own (--probe NAME=PCAP)",
			o.Earlier, o.Later, o.Iface, o.Probe, time.Duration(o.OverlapNs).Round(time.Millisecond))
		ev = append(ev, observe.Event{Time: at, Source: "replay", Kind: "capture_overlap", Severity: observe.SevWarning, Count: 1, Message: msg})
	}
	return ev
}

// warnOverlaps says captureOverlaps' events on stderr.
func warnOverlaps(w io.Writer, ev []observe.Event) {
	for _, e := range ev {
		warnf(w, "replay", "%s (event capture_overlap)", e.Message)
	}
}

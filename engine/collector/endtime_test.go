package collector

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestEndEventsIgnoreHeartbeats: the end-of-run one-way events are stamped
// with the latest data PDU's build time. A heartbeat's build time is the
// probe's clock while it waits for acknowledgements, which depends on how
// long the link or the collector took (wall time): with it, a collector
// killed and restarted wrote oneway_totals 1 ms later than one never
// interrupted (TestKillCollector, CI of c4b80c7).
func TestEndEventsIgnoreHeartbeats(t *testing.T) {
	cfg, frames := labPDUs(t)
	endEvents := func(extra ...[]byte) map[string]int64 {
		c := labCollector(t, cfg)
		for _, f := range frames {
			c.Handle(f)
		}
		for _, f := range extra {
			c.Handle(f)
		}
		var all observe.Batch
		all.Append(c.Drain())
		all.Append(c.Finish())
		at := map[string]int64{}
		for _, e := range all.Events {
			if e.Kind == "oneway_totals" || e.Kind == "oneway_signature_collisions" {
				at[e.Kind] = e.Time
			}
		}
		return at
	}
	want := endEvents()
	if len(want) != 2 {
		t.Fatalf("end events of the lab frames: %v, want oneway_totals and oneway_signature_collisions", want)
	}
	var last pdu.Header
	for _, f := range frames {
		if h, _, err := pdu.ParseFrame(f); err == nil && h.ProbeID == cfg.ProbeID("A") && h.ID > last.ID {
			last = h
		}
	}
	wm := []byte{byte((last.ID + 1) >> 24), byte((last.ID + 1) >> 16), byte((last.ID + 1) >> 8), byte(last.ID + 1)}
	late := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHeartbeat, ProbeID: last.ProbeID, Epoch: last.Epoch, BuildTimeNs: want["oneway_totals"] + 5e9}, wm)
	if got := endEvents(late); got["oneway_totals"] != want["oneway_totals"] || got["oneway_signature_collisions"] != want["oneway_signature_collisions"] {
		t.Errorf("with a heartbeat 5 s after the data: end events at %v, want %v", got, want)
	}
}

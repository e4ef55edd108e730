package collector

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestEndEventsIgnoreHeartbeats: the end-of-run one-way events are not
// stamped with a heartbeat's build time (they take the capture time of the
// latest packet the flows report: TestEndEventsIgnoreSendingSlots). That
// is the probe's clock while it waits for acknowledgements, which depends
// on how long the link or the collector took (wall time): with it, a collector
// killed and restarted wrote oneway_totals 1 ms later than one never
// interrupted (TestKillCollector, CI of c4b80c7).
func TestEndEventsIgnoreHeartbeats(t *testing.T) {
	cfg, frames := labPDUs(t)
	endEvents := func(extra ...[]byte) map[string]int64 {
		return endTimes(t, cfg, append(slices.Clone(frames), extra...))
	}
	want := endEvents()
	if len(want) != 2 {
		t.Fatalf("end events of the lab frames: %v, want oneway_totals and oneway_signature_collisions", want)
	}
	last := lastHeader(frames, cfg.ProbeID("A"))
	wm := []byte{byte((last.ID + 1) >> 24), byte((last.ID + 1) >> 16), byte((last.ID + 1) >> 8), byte(last.ID + 1)}
	late := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHeartbeat, ProbeID: last.ProbeID, Epoch: last.Epoch, BuildTimeNs: want["oneway_totals"] + 5e9}, wm)
	if got := endEvents(late); got["oneway_totals"] != want["oneway_totals"] || got["oneway_signature_collisions"] != want["oneway_signature_collisions"] {
		t.Errorf("with a heartbeat 5 s after the data: end events at %v, want %v", got, want)
	}
}

// TestEndEventsHeartbeatsOnly: a collector that got heartbeats but no
// data PDU (its probes had nothing more to send) stamps its end-of-run
// one-way events with the heartbeats' time, not 0 (1970-01-01, a date
// partition of its own): the latest data PDU's build time is only
// preferred when there is one.
func TestEndEventsHeartbeatsOnly(t *testing.T) {
	cfg, _ := labPDUs(t)
	c := labCollector(t, cfg)
	const at = int64(1_700_000_000e9)
	c.Handle(pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHeartbeat, ProbeID: cfg.ProbeID("A"), Epoch: 3, BuildTimeNs: at}, nil))
	n := 0
	for _, e := range c.Finish().Events {
		if e.Kind == "oneway_totals" {
			n++
			if e.Time != at {
				t.Errorf("oneway_totals at %d, want the heartbeat's time %d", e.Time, at)
			}
		}
	}
	if n == 0 {
		t.Error("no oneway_totals event")
	}
}

// TestEndEventsIgnoreLateNotices: the end-of-run one-way events are not
// stamped by an events PDU built after the run's data: a probe lingering
// for its acknowledgements reports its link's trouble (pdu_long_retry_enter
// and _leave, pdu_destroyed_after_report) at its clock of then, which goes
// on with the wall clock. A collector killed for 3 s while two probes
// lingered wrote oneway_totals 580 ms later than one never interrupted
// (the probes' pdu_long_retry_enter, max_retries 3).
func TestEndEventsIgnoreLateNotices(t *testing.T) {
	cfg, frames := labPDUs(t)
	endEvents := func(extra ...[]byte) map[string]int64 {
		return endTimes(t, cfg, append(slices.Clone(frames), extra...))
	}
	want := endEvents()
	last := lastHeader(frames, cfg.ProbeID("A"))
	late := want["oneway_totals"] + 5e9
	var enc pdu.Enc
	ev := pdu.Event{TimeNs: late, Severity: pdu.SevWarning, Kind: "pdu_long_retry_enter", Message: "collector central: long retry mode"}
	ev.Append(&enc)
	f := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeEvents, ProbeID: last.ProbeID, Epoch: last.Epoch, ID: last.ID + 1, BuildTimeNs: late}, enc.B)
	if got := endEvents(f); got["oneway_totals"] != want["oneway_totals"] {
		t.Errorf("with an events PDU 5 s after the data: oneway_totals at %d, want %d", got["oneway_totals"], want["oneway_totals"])
	}
}

// TestEndEventsIgnoreSendingSlots: the build time of a probe's last PDUs
// is its channel's clock, which the sending slots move on, and
// retransmissions take slots: a collector killed and restarted while a
// probe flushed its last PDUs got the final report 1 ms later (report at
// +4 ms after the last packet, +3 ms uninterrupted), and so did
// oneway_totals. The end-of-run one-way events take the capture time of
// the latest packet the flows report.
func TestEndEventsIgnoreSendingSlots(t *testing.T) {
	cfg, frames := labPDUs(t)
	endEvents := func(frames [][]byte) map[string]int64 { return endTimes(t, cfg, frames) }
	want := endEvents(frames)
	var later [][]byte
	n := 0
	for _, f := range frames {
		if h, payload, err := pdu.ParseFrame(f); err == nil && h.Type == pdu.TypeReport {
			h.BuildTimeNs += 1e6
			f = pdu.AppendFrame(nil, h, payload)
			n++
		}
		later = append(later, f)
	}
	if n == 0 {
		t.Fatal("no report PDU in the lab frames")
	}
	if got := endEvents(later); got["oneway_totals"] != want["oneway_totals"] {
		t.Errorf("with the reports built 1 ms later: oneway_totals at %d, want %d", got["oneway_totals"], want["oneway_totals"])
	}
}

// endTimes runs frames through a lab collector to its end and returns the
// times of its oneway_totals and oneway_signature_collisions events.
func endTimes(t *testing.T, cfg *config.Config, frames [][]byte) map[string]int64 {
	c := labCollector(t, cfg)
	for _, f := range frames {
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

// lastHeader is the header of probe id's frame with the highest PDU id.
func lastHeader(frames [][]byte, id uint16) pdu.Header {
	var last pdu.Header
	for _, f := range frames {
		if h, _, err := pdu.ParseFrame(f); err == nil && h.ProbeID == id && h.ID > last.ID {
			last = h
		}
	}
	return last
}

package probe_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// engineEvents runs a probe engine (a lone probe, workers > 0: Workers) into
// an in-process collector through feed, closes it and returns its events
// in the events table's order (queries/events.sql: time, source, kind,
// message).
func engineEvents(t *testing.T, workers int, feed func(e probe.Engine)) []observe.Event {
	t.Helper()
	coll, err := collector.New(config.Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	lb := &pdu.Loopback{Deliver: coll.Handle}
	chans := []probe.Channel{{Link: lb, Config: pdu.DefaultSenderConfig()}}
	var e probe.Engine
	if workers > 0 {
		e, err = probe.NewWorkers(probe.Identity{Name: "p"}, config.Default(), chans, nil, workers)
	} else {
		e, err = probe.New(probe.Identity{Name: "p"}, config.Default(), chans, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	lb.Ack = e.Senders()[0].HandleAck
	feed(e)
	e.Close()
	ev := coll.Finish().Events
	slices.SortStableFunc(ev, func(a, b observe.Event) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Message, b.Message))
	})
	return ev
}

// checkLifecycle fails unless ev reads probe_start first, at startNs, and
// probe_stop last, after every other event in time, with no event at time
// 0 (1970).
func checkLifecycle(t *testing.T, name string, ev []observe.Event, startNs int64) {
	t.Helper()
	var kinds []string
	for _, e := range ev {
		kinds = append(kinds, fmt.Sprintf("%s@%d", e.Kind, e.Time-startNs))
	}
	n := len(ev)
	if n < 2 || ev[0].Kind != "probe_start" || ev[0].Time != startNs || ev[n-1].Kind != "probe_stop" || ev[n-2].Time >= ev[n-1].Time {
		t.Errorf("%s: events (kind@ns after the first packet) %v: want probe_start first at the first packet, probe_stop last and after every other", name, kinds)
	}
	for _, e := range ev {
		if e.Time < startNs {
			t.Errorf("%s: %s at %d, before probe_start at %d", name, e.Kind, e.Time, startNs)
		}
	}
}

// TestEventsBeforeStartFollowIt: an event given to a probe before its
// first packet (pipeline.inputFailed: one capture of the probe refused
// before its first record while another one has packets; Probe.Run's
// capture_damaged; a packet without a valid time) was sent at once,
// stamped at the unstarted clock, 0: the events table read capture_damaged
// at 1970-01-01, before probe_start. Now it is held and sent after
// probe_start, 1 ns after it; and a run of one instant (one packet) reads
// its totals after probe_start and probe_stop after them (they sorted
// around it by kind at one time: dissect_totals before probe_start,
// probe_totals and tcp_totals after probe_stop). For a lone probe and
// for 2 workers.
func TestEventsBeforeStartFollowIt(t *testing.T) {
	frame := capgen.UDP{Src: capgen.AP("192.0.2.1:4000"), Dst: capgen.AP("198.51.100.9:53"), Payload: []byte("q")}.Frame()
	t0 := capgen.Base
	meta := func(ns int64) pkt.Meta {
		return pkt.Meta{TimeNs: ns, CapLen: uint32(len(frame)), WireLen: uint32(len(frame)), LinkType: pkt.LinkEthernet}
	}
	for _, workers := range []int{0, 2} {
		for _, packets := range []int{1, 3} {
			name := fmt.Sprintf("workers %d, %d packets", workers, packets)
			ev := engineEvents(t, workers, func(e probe.Engine) {
				if e.Started() {
					t.Errorf("%s: started before any packet", name)
				}
				e.Event(e.Now(), pdu.SevWarning, "capture_damaged", "b.pcap: damaged before its first packet")
				if e.Held() != 1 {
					t.Errorf("%s: %d events held before the start, want 1", name, e.Held())
				}
				e.Packet(frame, meta(-1)) // no valid time, nothing before it to borrow one from: capture_time_invalid
				for i := range packets {
					e.Packet(frame, meta(t0+int64(i)*1e6))
				}
			})
			checkLifecycle(t, name, ev, t0)
			for _, k := range []string{"capture_damaged", "capture_time_invalid"} {
				i := slices.IndexFunc(ev, func(e observe.Event) bool { return e.Kind == k })
				if i < 0 || ev[i].Time != t0+1 {
					t.Errorf("%s: %s %+v, want it 1 ns after probe_start", name, k, ev[max(i, 0)])
				}
			}
		}
	}
}

// TestHeldEventsOfAProbeThatNeverStarts: a probe closed before any packet
// or tick sends nothing, not even the events it holds (Held says how
// many: the caller with a time starts it, Probe.Run at the wall clock, or
// reports them itself, as replay does); started by a tick, it sends them
// between its probe_start and probe_stop.
func TestHeldEventsOfAProbeThatNeverStarts(t *testing.T) {
	const wall = int64(1_800_000_000e9)
	for _, workers := range []int{0, 2} {
		if ev := engineEvents(t, workers, func(e probe.Engine) {
			e.Event(e.Now(), pdu.SevWarning, "capture_damaged", "damaged before its first packet")
		}); len(ev) != 0 {
			t.Errorf("workers %d: never started, yet events %+v", workers, ev)
		}
		ev := engineEvents(t, workers, func(e probe.Engine) {
			e.Event(e.Now(), pdu.SevWarning, "capture_damaged", "damaged before its first packet")
			e.Tick(wall)
		})
		checkLifecycle(t, fmt.Sprintf("workers %d, a tick", workers), ev, wall)
	}
}

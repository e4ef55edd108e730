package main

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/tui"
)

// TestLiveFeedFlows: the TUI's live feed passes the engines' busiest
// flows of a snapshot through field by field.
func TestLiveFeedFlows(t *testing.T) {
	var l observe.Latest
	f := &liveFeed{snap: &l}
	if s := f.Status(); len(s.Flows) != 0 {
		t.Fatalf("flows before any snapshot: %v", s.Flows)
	}
	in := observe.IntervalFlow{Probe: "A", Interface: "if0", Class: "all", FlowID: 7, IntervalStart: 1e18, IntervalS: 10,
		IPVersion: 4, Protocol: 6, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 21, Packets: 3, Bytes: 180}
	l.Publish(&observe.Snapshot{State: "capturing", Flows: []observe.IntervalFlow{in}})
	got := f.Status().Flows
	want := tui.LiveFlow{Probe: "A", Iface: "if0", Class: "all", FlowID: 7, IntervalStartNs: 1e18, IntervalS: 10,
		Protocol: 6, SrcAddr: "10.0.0.1", DstAddr: "10.0.0.2", SrcPort: 40000, DstPort: 21, Packets: 3, Bytes: 180}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("flows %+v, want %+v", got, want)
	}
}

// TestLiveFeedTime: the TUI's rates are taken over the snapshots' own
// times, so polling one snapshot twice gives no new rate (it gave 0 then
// twice the rate: a strip of █ █ █ during a steady transfer).
func TestLiveFeedTime(t *testing.T) {
	var l observe.Latest
	f := &liveFeed{snap: &l}
	l.Publish(&observe.Snapshot{WallNs: 5e18, Inputs: []observe.InputCounters{{Probe: "A", Interface: "if0", Packets: 2047}}})
	if a, b := f.Status(), f.Status(); a.TimeNs != 5e18 || b.TimeNs != 5e18 {
		t.Errorf("times %d, %d: want the snapshot's 5e18", a.TimeNs, b.TimeNs)
	}
}

package main

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestMetricsExposition: the families, labels and values /metrics serves
// for a snapshot of two inputs (one without kernel counters), a probe, two
// channels of one probe and a collector, against
// testdata/metrics.txt (each value distinct, so a field read for another
// shows; a failure prints what is served, to paste there after a
// deliberate change).
func TestMetricsExposition(t *testing.T) {
	snap := &observe.Snapshot{
		Inputs: []observe.InputCounters{
			{Probe: "p1", Interface: "eth0", Packets: 11, KernelPackets: 12, KernelDrops: 13, KernelFreezes: 14},
			{Probe: "p1", Interface: "file", Packets: 15, KernelPackets: -1},
		},
		Probes: []observe.ProbeCounters{{Probe: "p1", Packets: 21, Bytes: 22, Malformed: 23, Flows: 24, FlowsEvicted: 25}},
		Channels: []observe.ChannelCounters{
			{Probe: "p1", Sent: 31, Heartbeats: 37, Acked: 32, Retransmits: 33, Unacked: 34, Queued: 35, LongRetry: true, BacklogEntries: 36},
			{Probe: "p1", Sent: 41, Heartbeats: 47, Acked: 42, Retransmits: 43, Unacked: 44, Queued: 45, Backlog: true, BacklogEntries: 46},
		},
		Collectors: []observe.CollectorCounters{{QueueFrames: 51, OnewayPendingPackets: 52, OnewayHeldObservations: 53, Frames: 54, Accepted: 55, Duplicates: 56, Refused: 57, RowsWritten: 58}},
	}
	var l observe.Latest
	l.Publish(snap)
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(&liveMetrics{snap: &l}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got := rec.Body.Bytes()
	const golden = "testdata/metrics.txt"
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("exposition differs from %s:\n%s", golden, got)
	}
	if n := strings.Count(string(got), "# TYPE "); n != 26 {
		t.Errorf("%d families, want 26", n)
	}
}

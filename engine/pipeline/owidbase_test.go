package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/replay"
)

// TestOnewayIDBaseAcrossRuns runs probes A and B of lab/oneway-udp twice
// in a row, as live does across a configuration switch-over (one
// pipeline.Run and one in-process collector per version, into one
// output), the second run's Options.OnewayIDBase the first's
// Result.LastOnewayID. The capture has one one-way flow of class
// telemetry (udp dst port 9000, granularity [dst_addr, dst_port]:
// ground_truth.csv's packets all go to one address and port), so the
// first run numbers it 1 and the second 2: a live run numbered each
// version's one-way flows from 1 again, and flow_id 1 of oneway_delays,
// oneway_latency and oneway_loss named two flows of one output.
func TestOnewayIDBaseAcrossRuns(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "lab", "oneway-udp")
	cfg, err := config.Parse([]byte(udpConfig("A, B", "32")), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var base uint64
	for run, want := range []uint64{1, 2} {
		var inputs []pipeline.Input
		var ids []probe.Identity
		for i, n := range []string{"A", "B"} {
			f, err := replay.Open(filepath.Join(dir, n+".pcap"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			inputs = append(inputs, pipeline.Input{Source: f, Probe: i})
			ids = append(ids, probe.Identity{Name: n})
		}
		res, err := pipeline.Run(context.Background(), inputs, pipeline.Options{Config: cfg, Probes: ids, Sender: pdu.DefaultSenderConfig(),
			Merge: merge, OnewayIDBase: base})
		if err != nil {
			t.Fatal(err)
		}
		b := res.Batch
		if len(b.OnewayDelays) == 0 || len(b.OnewayLatency) == 0 || len(b.OnewayLoss) == 0 {
			t.Fatalf("run %d: %d oneway_delays, %d oneway_latency, %d oneway_loss rows: want some of each", run, len(b.OnewayDelays), len(b.OnewayLatency), len(b.OnewayLoss))
		}
		got := map[uint64]int{}
		for _, r := range b.OnewayDelays {
			got[r.FlowID]++
		}
		for _, r := range b.OnewayLatency {
			got[r.FlowID]++
		}
		for _, r := range b.OnewayLoss {
			got[r.FlowID]++
		}
		if len(got) != 1 || got[want] == 0 {
			t.Errorf("run %d (OnewayIDBase %d): one-way flow ids %v, want only %d", run, base, got, want)
		}
		if res.LastOnewayID != want {
			t.Errorf("run %d: LastOnewayID %d, want %d", run, res.LastOnewayID, want)
		}
		base = res.LastOnewayID
	}
}

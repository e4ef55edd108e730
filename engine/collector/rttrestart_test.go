package collector

import (
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestRestartedProbeRTTNoDuplicateRows: a probe run again on the capture
// it replays (run epochs 1 and 2 of lab/dns-snmp-ntp A.pcap) sends its
// round trips again. A closing note asked whether that writes duplicate
// rtt rows. It does not: the collector takes each run as a measurement of
// its own (docs/processes.md, Probe restarts; cmd TestProbeRunsInARow:
// twice the packets and flows), offsetting the second run's flow ids by
// run << 48 (pdu.RunShift), so each run's samples name its own flows and
// no two rows are equal. Values: each run gives 272 rtt_samples, the 264
// round trips of the lab truth at point A (rtt_pairs.csv: 201 dns, 10
// ntp, 53 snmp) and the 8 TCP handshakes (the probe's rtt_totals
// samples_tcp_handshake=8); 544 distinct rows in all, each sample's flow in
// the flows table with the run's offset, and the rtt_histograms rows of
// the two runs distinct too. (The same round trip is in the tables once
// per run, as its flow is: one-way observations alone are matched by
// content and de-duplicated across runs, oneway_repeats.)
func TestRestartedProbeRTTNoDuplicateRows(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 1\nprobes: [{name: A}]\n"), "rtt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all observe.Batch
	for epoch := int64(1); epoch <= 2; epoch++ {
		for _, f := range probeFrames(t, cfg, "A", "lab/dns-snmp-ntp/A.pcap", epoch) {
			c.Handle(f)
		}
		all.Append(c.Drain())
	}
	all.Append(c.Finish())

	flows := map[uint64]bool{}
	for _, f := range all.Flows {
		flows[f.FlowID] = true
	}
	perRun := map[uint64]int{}
	rows := map[string]bool{}
	for _, s := range all.RTTSamples {
		run := s.FlowID >> pdu.RunShift
		perRun[run]++
		if !flows[s.FlowID] {
			t.Errorf("sample %+v: flow %d (run %d) not in flows", s, s.FlowID, run)
		}
		k := fmt.Sprintf("%+v", s)
		if rows[k] {
			t.Errorf("duplicate rtt_samples row %s", k)
		}
		rows[k] = true
	}
	if len(perRun) != 2 || perRun[0] != 272 || perRun[1] != 272 {
		t.Errorf("rtt_samples per run (flow id >> %d): %v, want 272 in runs 0 and 1", pdu.RunShift, perRun)
	}
	hists := map[string]bool{}
	for _, h := range all.RTTHistograms {
		k := fmt.Sprintf("%+v", h)
		if hists[k] {
			t.Errorf("duplicate rtt_histograms row %s", k)
		}
		hists[k] = true
	}
	if len(hists) == 0 || len(hists)%2 != 0 {
		t.Errorf("%d rtt_histograms rows, want as many for each run", len(hists))
	}
}

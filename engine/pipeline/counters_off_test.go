package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestCountersAnalysisOff: counters is an analysis like the others (design
// 3.9 lists "counters statistics" among the analyses a flow class
// requires): a class whose analyses leave it out has flows but no
// flow_counters rows, one that lists it (or says nothing: its default)
// has them, adding up to its flows' packets. A trial's class all with
// analyses: [tcp] was warned "no flow_counters rows" and wrote 302.
// zeek_wikipedia.pcap: 126 IP packets, 57 flows (tshark, sampleTotals).
func TestCountersAnalysisOff(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 10\nclasses:\n  - name: all\n    analyses: [tcp]\n  - name: web\n    filter: \"tcp\"\n"), "an2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := replayFiles(t, cfg, nil, filepath.Join(samplesDir(t), "pcap", "mixed", "zeek_wikipedia.pcap"))
	b := res.Batch
	class := map[uint64]string{}
	flows := map[string]int{}
	packets := map[string]uint64{}
	for _, f := range b.Flows {
		class[f.FlowID] = f.Class
		flows[f.Class]++
		packets[f.Class] += f.Packets
	}
	counted := map[string]uint64{}
	rows := map[string]int{}
	for _, fc := range b.FlowCounters {
		rows[class[fc.FlowID]]++
		if fc.Metric == "ip_bytes" {
			counted[class[fc.FlowID]] += fc.N
		}
	}
	if flows["all"] != 57 || packets["all"] != 126 || len(b.TCPConnections) == 0 {
		t.Errorf("class all: %d flows, %d packets, %d tcp_connections rows; want 57, 126 (tshark) and some", flows["all"], packets["all"], len(b.TCPConnections))
	}
	if rows["all"] != 0 {
		t.Errorf("class all (analyses: [tcp]): %d flow_counters rows, want none", rows["all"])
	}
	if rows["web"] == 0 || counted["web"] != packets["web"] {
		t.Errorf("class web (counters by default): %d flow_counters rows counting %d packets, its flows %d", rows["web"], counted["web"], packets["web"])
	}
}

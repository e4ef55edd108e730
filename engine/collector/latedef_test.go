package collector

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestLateDefinitionOfIncompleteRun: the dead run of TestKilledProbeRestarted,
// its PDUs of flow definitions built after its first report (those of
// the echo flows, begun at 6 s) reordered after the restarted run's: the
// run was declared incomplete (probe_run_incomplete) when run 2 began,
// its flows without totals left out. The late definitions came after
// that and were written at the collector's end as flows of 0 packets,
// 0 bytes, the rows the event says were left out; they are left out now
// too (the echo flows' 4 round trips kept, naming them). The event
// counts the flows the collector knew of when the run ended: the late
// ones are not in its count.
func TestLateDefinitionOfIncompleteRun(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead, lastNs := deadRun(t, cfg)
	var early, late [][]byte
	for _, f := range dead {
		h, _, err := pdu.ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if h.Type == pdu.TypeFlowDef && h.BuildTimeNs > capgen.Ms(5000) {
			late = append(late, f)
			continue
		}
		early = append(early, f)
	}
	if len(late) == 0 {
		t.Fatal("no flow definition built after 5 s: the test reorders nothing")
	}
	again := restartedRun(t, cfg)
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all observe.Batch
	for _, f := range early {
		c.Handle(f)
	}
	c.Handle(again[0]) // run 2 begins: run 1 ends without its final report
	all.Append(c.Drain())
	for _, f := range late {
		if c.Handle(f) == nil {
			t.Fatal("late definition refused")
		}
	}
	for _, f := range again[1:] {
		c.Handle(f)
	}
	all.Append(c.Finish())
	// Run 1's flows: U1 and U2 with the totals of the 5 s report
	// (deadTraffic: 5 datagrams of U1 at 0.5 to 4.5 s, U2's 1), no echo
	// flow; its 4 echo round trips kept; one probe_run_incomplete at the
	// run's last data PDU.
	var got []string
	for _, f := range all.Flows {
		if f.FlowID>>pdu.RunShift == 0 {
			got = append(got, fmt.Sprintf("%s %d %d", f.Name, f.Packets, f.Bytes))
		}
		if f.Packets == 0 {
			t.Errorf("flow %s (%d) written with 0 packets", f.Name, f.FlowID)
		}
	}
	want := []string{fmt.Sprintf("10.0.0.1:1000>10.0.0.2:9/udp 5 %d", 5*udpBytes), fmt.Sprintf("10.0.0.3:2000>10.0.0.2:9/udp 1 %d", udpBytes)}
	if !slices.Equal(got, want) {
		t.Errorf("flows of the dead run %q, want %q", got, want)
	}
	echoes, inc := 0, 0
	for _, r := range all.RTTSamples {
		if r.FlowID>>pdu.RunShift == 0 && r.Kind == "icmp_echo" {
			echoes++
		}
	}
	for _, e := range all.Events {
		if e.Kind == "probe_run_incomplete" {
			inc++
			if e.Time != lastNs {
				t.Errorf("probe_run_incomplete at %d, want %d (the run's last data PDU)", e.Time, lastNs)
			}
		}
	}
	if echoes != 4 || inc != 1 {
		t.Errorf("%d icmp_echo rtt_samples of the dead run, want 4; %d probe_run_incomplete events, want 1", echoes, inc)
	}
}

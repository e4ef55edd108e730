package collector

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// handleRoundRobin gives c the frames of several probes interleaved.
func handleRoundRobin(c *Collector, per ...[][]byte) {
	for i := 0; ; i++ {
		any := false
		for _, fs := range per {
			if i < len(fs) {
				c.Handle(fs[i])
				any = true
			}
		}
		if !any {
			return
		}
	}
}

// TestOnewayStateOfWrittenFlows: probes A and B run the lab's one-way
// UDP captures twice (epochs 7 and 8), the collector switching
// configuration (the same one) between the runs. The one-way state kept
// per probe flow (its one-way flow, its route, held observations) went on
// naming the flows of the first runs after Drain wrote and deleted them
// (endRun deletes the flows of a killed run the same way), without bound
// over a long run, and the switch-over named the one-way flow from the
// first of them, now deleted: the second runs' oneway_loss and
// oneway_delays rows had flow "" (the name of the flow is
// "*>198.51.100.10:9000", the class's dst_addr and dst_port, as in
// docs/processes.md). Now the one-way name is kept with the one-way flow,
// and a probe flow's one-way state goes when the flow is forgotten.
func TestOnewayStateOfWrittenFlows(t *testing.T) {
	cfg, _ := labPDUs(t)
	c := labCollector(t, cfg)
	all := &observe.Batch{}
	for _, epoch := range []int64{7, 8} {
		handleRoundRobin(c, probeFrames(t, cfg, "A", "lab/oneway-udp/A.pcap", epoch), probeFrames(t, cfg, "B", "lab/oneway-udp/B.pcap", epoch))
		all.Append(c.Drain())
		if epoch == 7 {
			if err := c.Switch(cfg); err != nil {
				t.Fatal(err)
			}
		}
	}
	all.Append(c.Finish())
	const want = "*>198.51.100.10:9000"
	n := 0
	for _, r := range all.OnewayLoss {
		n++
		if r.Flow != want {
			t.Errorf("oneway_loss %s>%s at %d: flow %q, want %q", r.FromHop, r.ToHop, r.IntervalStart, r.Flow, want)
		}
	}
	for _, r := range all.OnewayDelays {
		if r.Flow != want {
			t.Errorf("oneway_delays row: flow %q, want %q", r.Flow, want)
			break
		}
	}
	if n == 0 {
		t.Fatal("no oneway_loss rows")
	}
	// Every flow is written at Finish; once 2*maxRetired later flows have
	// been written, the collector forgets them, and their one-way state
	// with them (before: every definition and route stayed for ever).
	if len(c.ow.defs) == 0 || len(c.ow.routes) == 0 {
		t.Fatalf("%d one-way definitions, %d routes after the runs: the test forgets nothing", len(c.ow.defs), len(c.ow.routes))
	}
	for i := range uint64(2 * maxRetired) {
		c.retire(flowKey{probe: 99, id: i})
	}
	if len(c.ow.defs)+len(c.ow.routes)+len(c.ow.pending) != 0 || c.ow.npend != 0 {
		t.Errorf("forgotten flows keep %d one-way definitions, %d routes, %d held observations (%d)", len(c.ow.defs), len(c.ow.routes), len(c.ow.pending), c.ow.npend)
	}
}

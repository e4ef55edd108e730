package collector

import (
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestOnewayIDsBounded: a long run defines ever new one-way flows (one
// source address each, as a scan or a rotating client would). The
// collector numbered every one and kept its name (ow.ids, ow.names)
// without bound, while its reconciler holds at most
// oneway.Limits.MaxFlows flows (65,536 a class) for its life and refused
// the others (FlowsFull). Now a one-way flow is numbered only while its
// reconciler has room: 2×MaxFlows+1000 flows defined leave MaxFlows ids,
// the first ones unchanged, and the name lives in the reconciler alone;
// an observation of a flow left without an id is refused and counted as
// before. A switch-over keeps only the ids of flows still defined, and a
// flow numbered after it gets an id never given before.
func TestOnewayIDsBounded(t *testing.T) {
	cfg, _ := labPDUs(t)
	c := labCollector(t, cfg)
	class := ""
	for _, cl := range cfg.Classes {
		if cl.Has(config.AnalysisOneway) {
			class = cl.Name
		}
	}
	rec := c.ow.recs[class]
	limit := oneway.DefaultLimits().MaxFlows
	pid := cfg.ProbeID("A")
	def := func(i int) *pdu.FlowDef {
		return &pdu.FlowDef{FlowID: uint64(i + 1), Class: class, Fields: pdu.FieldProtocol | pdu.FieldSrcAddr | pdu.FieldDstAddr | pdu.FieldDstPort,
			IPVersion: 4, Protocol: 17, SrcAddr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
			DstAddr: netip.MustParseAddr("198.51.100.10"), DstPort: 9000}
	}
	n := 2*limit + 1000
	for i := range n {
		c.defineOneway(pid, def(i))
	}
	if len(c.ow.ids) != limit {
		t.Fatalf("%d one-way flows defined: %d ids kept, want %d (the reconciler's MaxFlows)", n, len(c.ow.ids), limit)
	}
	for _, i := range []int{0, limit - 1} {
		d := def(i)
		k := owKey{class: class, ipVersion: 4, protocol: 17, dstPort: 9000, srcAddr: d.SrcAddr, dstAddr: d.DstAddr}
		if id := c.ow.ids[k]; id != uint64(i+1) {
			t.Errorf("flow %d: id %d, want %d", i, id, i+1)
		}
		if name, ok := rec.FlowName(uint64(i + 1)); !ok || name != FlowName(d) {
			t.Errorf("flow %d: the reconciler names it %q (%v), want %q", i, name, ok, FlowName(d))
		}
	}
	// a flow left without an id: its observations are refused, counted
	c.probes[pid] = &probeState{hello: true, id: pid, name: "A", ifaces: []string{"if0"}} // its Hello
	full := rec.Stats().FlowsFull
	rt, ok := c.route(pid, uint64(limit+1))
	if !ok || rt.flow != 0 {
		t.Fatalf("route of a flow beyond the bound: %+v %v, want flow 0", rt, ok)
	}
	rec.Observe(0, rt.flow, &oneway.Obs{TimeNs: 1e18, Signature: 1, SizeBytes: 100})
	if got := rec.Stats().FlowsFull; got != full+1 {
		t.Errorf("FlowsFull %d after an observation of a flow without id, want %d", got, full+1)
	}
	// every probe flow forgotten (written and gone), then a switch-over:
	// no id is kept; a new flow gets an id never given
	forgot := map[flowKey]struct{}{}
	for fk := range c.ow.defs {
		forgot[fk] = struct{}{}
	}
	c.forgetOneway(forgot)
	if err := c.Switch(cfg); err != nil {
		t.Fatal(err)
	}
	if len(c.ow.ids) != 0 {
		t.Fatalf("after the switch-over: %d ids kept, no flow defined", len(c.ow.ids))
	}
	c.defineOneway(pid, def(n))
	for _, id := range c.ow.ids {
		if id <= uint64(limit) {
			t.Errorf("a flow defined after the switch-over got id %d, given before", id)
		}
	}
}

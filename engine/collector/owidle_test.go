package collector

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestOnewayFlowsFreedWhenIdle: the collector's reconciler kept every
// one-way flow ever seen for its life, and its id here (ow.ids): a long
// run grew with every flow, and past oneway.Limits.MaxFlows (65,536) a
// class refused every new flow (FlowsFull) until a switch-over. A one-way
// flow now ends as its probe flows do, after the class's idle_timeout_s
// (300 s here: config default) without an observation, and is freed once
// both hops have reported past its end plus the timeout (5 s, oneway
// default) and its interval (interval_s 1) is written. MaxFlows flows,
// each seen once at A and B 1 ms apart at t0, leave no flow and no id
// once both hops report at t0 + 300 + 5 + 2 s; as many new flows then all
// get ids (0 refused, where 65,536 were before), and the same key
// observed again more than 300 s after its last packet is a new flow (a
// new id, the same name: the flows table gives a new flow_id to a flow
// back after idle_timeout_s the same way).
func TestOnewayFlowsFreedWhenIdle(t *testing.T) {
	cfg, err := config.Parse([]byte(labConfig), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := labCollector(t, cfg)
	const class = "telemetry"
	rec := c.ow.recs[class]
	limit := oneway.DefaultLimits().MaxFlows
	pa, pb := cfg.ProbeID("A"), cfg.ProbeID("B")
	c.probes[pa] = &probeState{hello: true, id: pa, name: "A", ifaces: []string{"if0"}}
	c.probes[pb] = &probeState{hello: true, id: pb, name: "B", ifaces: []string{"if0"}}
	def := func(i int) *pdu.FlowDef {
		return &pdu.FlowDef{FlowID: uint64(i + 1), Class: class, Fields: pdu.FieldDstAddr | pdu.FieldDstPort,
			IPVersion: 4, Protocol: 17, DstAddr: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), DstPort: 9000}
	}
	const s = int64(1e9)
	t0 := int64(1_700_000_000) * s
	batch := func(from, n int, at int64) {
		t.Helper()
		for i := from; i < from+n; i++ {
			for _, pid := range []uint16{pa, pb} {
				c.defineOneway(pid, def(i))
				rt, ok := c.route(pid, uint64(i+1))
				if !ok || rt.flow == 0 {
					t.Fatalf("flow %d at probe %d: route %+v %v, want an id", i, pid, rt, ok)
				}
				at := at
				if pid == pb {
					continue // seen at A only: lost, no delay histogram (1.7 GiB for 65,536)
				}
				if !rt.rec.Observe(rt.hop, rt.flow, &oneway.Obs{TimeNs: at, Signature: uint64(i), SizeBytes: 100}) {
					t.Fatalf("flow %d refused", i)
				}
			}
		}
	}
	advance := func(to int64) {
		rec.AdvanceProbe("A", to)
		rec.AdvanceProbe("B", to)
		c.pruneOwIDs()
	}
	batch(0, limit, t0)
	advance(t0 + 10*s)
	if len(c.ow.ids) != limit || rec.Freed() != 0 {
		t.Fatalf("10 s after: %d ids, %d freed, want %d and 0 (not idle yet)", len(c.ow.ids), rec.Freed(), limit)
	}
	advance(t0 + 307*s)
	if len(c.ow.ids) != 0 || rec.Freed() != uint64(limit) || !rec.Room() {
		t.Fatalf("307 s after: %d ids, %d freed, room %v, want 0, %d, true", len(c.ow.ids), rec.Freed(), rec.Room(), limit)
	}
	// every probe flow forgotten (written: the probes' own idle timeout)
	forgot := map[flowKey]struct{}{}
	for fk := range c.ow.defs {
		forgot[fk] = struct{}{}
	}
	c.forgetOneway(forgot)
	batch(limit, limit-1, t0+400*s) // room for one more: the renewed flow below
	st := rec.Stats()
	if st.FlowsFull != 0 || st.Lost != uint64(limit) || len(c.ow.ids) != limit-1 {
		t.Fatalf("second batch of %d flows after the first ended: %d refused (FlowsFull), %d lost (the first batch's), %d ids, want 0, %d, %d",
			limit-1, st.FlowsFull, st.Lost, len(c.ow.ids), limit, limit-1)
	}
	// flow `limit` back at A 301 s after its packet, before any sweep: a
	// new flow of the same key
	rt, _ := c.route(pa, uint64(limit+1))
	old := rt.flow
	name, _ := rec.FlowName(old)
	o := oneway.Obs{TimeNs: t0 + 701*s + 2e6, Signature: 7, SizeBytes: 100}
	if rec.Observe(rt.hop, rt.flow, &o) {
		t.Fatal("an observation 301 s after the flow's last one joined it, want a new flow")
	}
	nrt := c.renewOneway(pa, uint64(limit+1), rt)
	nrt.observe(&o)
	if nrt.flow == old || nrt.flow == 0 {
		t.Fatalf("renewed flow id %d (was %d)", nrt.flow, old)
	}
	if n, ok := rec.FlowName(nrt.flow); !ok || n != name || n != FlowName(def(limit)) {
		t.Errorf("renewed flow named %q (%v), want %q", n, ok, name)
	}
	if k := (owKey{class: class, ipVersion: 4, protocol: 17, dstPort: 9000, dstAddr: def(limit).DstAddr}); c.ow.ids[k] != nrt.flow {
		t.Errorf("the key's id %d, want the new %d", c.ow.ids[k], nrt.flow)
	}
	// B's observation of that packet (its route still on the old id)
	// joins the new flow too
	rtb, _ := c.route(pb, uint64(limit+1))
	ob := oneway.Obs{TimeNs: o.TimeNs + 1e6, Signature: 7, SizeBytes: 100}
	if rtb.rec.Observe(rtb.hop, rtb.flow, &ob) {
		t.Fatal("B's observation 301 s after the flow's last one joined the ended flow")
	}
	c.renewOneway(pb, uint64(limit+1), rtb).observe(&ob)
	m := rec.Stats().Matched
	if m != st.Matched+1 {
		t.Errorf("matched %d, want %d: A's and B's observations of the packet after the idle gap in one flow", m, st.Matched+1)
	}
	// the count of flows freed reaches the output: the class's
	// oneway_totals event says flows_expired=65536 (the first batch,
	// freed at the 307 s sweep; the second batch and the renewed flow are
	// still live at Finish, which classifies without freeing)
	var totals []string
	for _, e := range c.Finish().Events {
		if e.Kind == "oneway_totals" && strings.HasPrefix(e.Message, "class "+class+":") {
			totals = append(totals, e.Message)
		}
	}
	want := " flows_expired=" + strconv.Itoa(limit)
	if len(totals) != 1 || !strings.Contains(totals[0]+" ", want+" ") {
		t.Errorf("oneway_totals of class %s: %q, want one with%s", class, totals, want)
	}
}

// TestOnewayEndSplitsNoPacket: the collector tells the reconciler which
// flow follows an ended one (oneway.Reconciler.Renewed), so that a packet
// whose downstream observation (B), past the flow's end, reached the
// collector before its upstream one (A, lagging), before the end, is one
// packet of the new flow, not a lost one in the old and a missed one in
// the new. Packet 1 at A at t0 and at B 1 ms later; packet 2, after 300 s
// of silence (the class's idle_timeout_s), at A at t0 + 300.0005 s and at
// B 1 ms later, past the end (t0 + 300.001 s), B's reported first: both
// packets delivered, 0 lost, 0 missed (the arithmetic of this schedule).
func TestOnewayEndSplitsNoPacket(t *testing.T) {
	cfg, err := config.Parse([]byte(labConfig), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := labCollector(t, cfg)
	const class = "telemetry"
	pa, pb := cfg.ProbeID("A"), cfg.ProbeID("B")
	c.probes[pa] = &probeState{hello: true, id: pa, name: "A", ifaces: []string{"if0"}}
	c.probes[pb] = &probeState{hello: true, id: pb, name: "B", ifaces: []string{"if0"}}
	def := &pdu.FlowDef{FlowID: 1, Class: class, Fields: pdu.FieldDstAddr | pdu.FieldDstPort,
		IPVersion: 4, Protocol: 17, DstAddr: netip.AddrFrom4([4]byte{10, 0, 0, 1}), DstPort: 9000}
	c.defineOneway(pa, def)
	c.defineOneway(pb, def)
	const s = int64(1e9)
	t0 := int64(1_700_000_000) * s
	observe := func(pid uint16, sig uint64, at int64) {
		t.Helper()
		rt, ok := c.route(pid, 1)
		if !ok || rt.flow == 0 {
			t.Fatalf("probe %d: route %+v %v, want an id", pid, rt, ok)
		}
		o := oneway.Obs{TimeNs: at, Signature: sig, SizeBytes: 100}
		if !rt.rec.Observe(rt.hop, rt.flow, &o) {
			c.renewOneway(pid, 1, rt).observe(&o) // as packetObs does
		}
	}
	observe(pa, 1, t0)
	observe(pb, 1, t0+1e6)
	observe(pb, 2, t0+300*s+1_500_000)
	observe(pa, 2, t0+300*s+500_000)
	rec := c.ow.recs[class]
	rec.AdvanceProbe("A", t0+400*s)
	rec.AdvanceProbe("B", t0+400*s)
	c.Finish()
	if st := rec.Stats(); st.Delivered != 2 || st.Lost != 0 || st.Missed != 0 {
		t.Errorf("delivered %d, lost %d, missed %d, want 2, 0, 0", st.Delivered, st.Lost, st.Missed)
	}
}

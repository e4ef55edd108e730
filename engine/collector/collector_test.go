package collector

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestFlowName: the readable names of design 7 (ports folded to
// "high", IPv6 in brackets before a port, fields not split by as "*").
func TestFlowName(t *testing.T) {
	all := pdu.FieldIPVersion | pdu.FieldProtocol | pdu.FieldSrcAddr | pdu.FieldDstAddr | pdu.FieldSrcPort | pdu.FieldDstPort
	for _, c := range []struct {
		def  pdu.FlowDef
		want string
	}{
		{pdu.FlowDef{Fields: all, Protocol: 17, SrcAddr: netip.MustParseAddr("10.0.0.1"), DstAddr: netip.MustParseAddr("10.0.0.2"), DstPort: 161, FoldedPorts: 1}, "10.0.0.1:high>10.0.0.2:161/udp"},
		{pdu.FlowDef{Fields: all, Protocol: 17, SrcAddr: netip.MustParseAddr("2001:db8::1"), DstAddr: netip.MustParseAddr("2001:db8::2"), SrcPort: 53, DstPort: 33000}, "[2001:db8::1]:53>[2001:db8::2]:33000/udp"},
		{pdu.FlowDef{Fields: all, Protocol: 1, SrcAddr: netip.MustParseAddr("10.0.0.1"), DstAddr: netip.MustParseAddr("10.0.0.3")}, "10.0.0.1>10.0.0.3/icmp"},
		{pdu.FlowDef{Fields: pdu.FieldDstAddr | pdu.FieldDstPort, DstAddr: netip.MustParseAddr("198.51.100.10"), DstPort: 9000}, "*>198.51.100.10:9000"},
		{pdu.FlowDef{Fields: pdu.FieldProtocol | pdu.FieldDSCP, Protocol: 6, DSCP: 46}, "*>*/tcp dscp 46"},
		{pdu.FlowDef{Fields: all | pdu.FieldDSCP | pdu.FieldVLAN, Protocol: 253, SrcAddr: netip.MustParseAddr("::ffff:192.0.2.1"), DstAddr: netip.MustParseAddr("fe80::1%eth0"), DSCP: 63, VLAN: 4094},
			"::ffff:192.0.2.1>fe80::1%eth0/253 dscp 63 vlan 4094"},
		{pdu.FlowDef{Fields: all, Protocol: 6, SrcAddr: netip.MustParseAddr("::ffff:192.0.2.1"), DstAddr: netip.MustParseAddr("fe80::1%eth0"), SrcPort: 65535, FoldedPorts: 2},
			"[::ffff:192.0.2.1]:65535>[fe80::1%eth0]:high/tcp"},
	} {
		if got := FlowName(&c.def); got != c.want {
			t.Errorf("FlowName = %q, want %q", got, c.want)
		}
		// The flows rows' names take the address texts of their columns
		// (the arena's) rather than formatting them again.
		var a pdu.Arena
		if got := string(appendFlowName(nil, &c.def, a.Addr(c.def.SrcAddr), a.Addr(c.def.DstAddr))); got != c.want {
			t.Errorf("appendFlowName with the address texts = %q, want %q", got, c.want)
		}
	}
}

// TestLateDefinitions: over a lossy link a flow's totals and counters may
// arrive before its definition and its probe's Hello; the rows still get
// the right names in the end.
func TestLateDefinitions(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeFlowUpdate, 3, func(e *pdu.Enc) { (&pdu.FlowUpdate{FlowID: 7, LastSeenNs: 5e8, Packets: 9, Bytes: 900}).Append(e) }))
	c.Handle(testFrame(pdu.TypeCounters, 4, func(e *pdu.Enc) {
		(&pdu.Counters{IntervalStartNs: 0, IntervalNs: 60e9, FlowID: 7, Metrics: []pdu.Metric{{ID: 0}}}).Append(e)
	}))
	c.Handle(testFrame(pdu.TypeFlowDef, 2, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 1e8}).Append(e)
	}))
	c.Handle(testFrame(pdu.TypeMetricDef, 5, func(e *pdu.Enc) { (&pdu.MetricDef{ID: 0, Name: "packets"}).Append(e) }))
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	b := c.Finish()
	if len(b.Flows) != 1 || len(b.FlowCounters) != 1 {
		t.Fatalf("%d flows, %d counters", len(b.Flows), len(b.FlowCounters))
	}
	f, fc := b.Flows[0], b.FlowCounters[0]
	if f.Probe != "site-a" || f.Interface != "eth0" || f.Packets != 9 || f.Bytes != 900 || f.FirstSeen != 1e8 || f.LastSeen != 5e8 || f.Class != "all" {
		t.Errorf("flow %+v", f)
	}
	if fc.Probe != "site-a" || fc.Metric != "packets" {
		t.Errorf("counter %+v", fc)
	}
}

// TestLateDefinitionDrain: a flow the probe ended (evicted) whose
// definition comes after a Drain, as when the definition waited in the
// probe's spool (issue 13.5) while its final totals went out: the Drain
// holds the flow back, and the next one writes it once, with its
// definition and totals.
func TestLateDefinitionDrain(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(testFrame(pdu.TypeHello, 1, func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }))
	c.Handle(testFrame(pdu.TypeFlowUpdate, 2, func(e *pdu.Enc) {
		(&pdu.FlowUpdate{FlowID: 7, LastSeenNs: 5e8, Packets: 1, Bytes: 60, Ended: pdu.EndEvicted}).Append(e)
	}))
	if b := c.Drain(); len(b.Flows) != 0 {
		t.Fatalf("flow written before its definition: %+v", b.Flows)
	}
	c.Handle(testFrame(pdu.TypeFlowDef, 3, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 6, FirstSeenNs: 5e8}).Append(e)
	}))
	b := c.Drain()
	if len(b.Flows) != 1 || b.Flows[0].Protocol != 6 || b.Flows[0].Packets != 1 || b.Flows[0].Class != "all" {
		t.Fatalf("flows %+v", b.Flows)
	}
	if b := c.Finish(); len(b.Flows) != 0 {
		t.Fatalf("flow written twice: %+v", b.Flows)
	}
}

// testFrame is a frame of probe 3 with PDU id and type typ, built at 1 s of
// probe time, carrying the records rec appends.
func testFrame(typ pdu.Type, id uint32, rec func(e *pdu.Enc)) []byte {
	var e pdu.Enc
	rec(&e)
	return pdu.AppendFrame(nil, pdu.Header{Type: typ, ProbeID: 3, ID: id, BuildTimeNs: 1e9}, e.B)
}

// namedAlike sends c, from probe ids 3 then 4, a Hello naming site-a and
// one PDU of type typ with the records rec appends.
func namedAlike(c *Collector, typ pdu.Type, rec func(e *pdu.Enc)) {
	for _, id := range []uint16{3, 4} {
		for n, r := range []func(e *pdu.Enc){func(e *pdu.Enc) { (&pdu.Hello{Probe: "site-a", Interfaces: []string{"eth0"}}).Append(e) }, rec} {
			var e pdu.Enc
			r(&e)
			t := pdu.TypeHello
			if n == 1 {
				t = typ
			}
			c.Handle(pdu.AppendFrame(nil, pdu.Header{Type: t, ProbeID: id, ID: uint32(n + 1), BuildTimeNs: 1e9}, e.B))
		}
	}
}

// TestProbeNameConflict: a second probe id introducing itself with a name
// another id has (a reordered probes list, two probes named alike) keeps
// its placeholder name, probe-<id>, and a probe_name_conflict event says
// so: its flow 7 and the first probe's flow 7 stay two rows (under one
// name they were one flow written twice, FuzzApply).
func TestProbeNameConflict(t *testing.T) {
	c, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	namedAlike(c, pdu.TypeFlowDef, func(e *pdu.Enc) {
		(&pdu.FlowDef{FlowID: 7, Class: "all", Fields: pdu.FieldProtocol, Protocol: 17, FirstSeenNs: 5e8}).Append(e)
	})
	for _, id := range []uint16{3, 4} { // its totals: a flow without any is left out of flows
		var e pdu.Enc
		(&pdu.FlowUpdate{FlowID: 7, LastSeenNs: 6e8, Packets: 1, Bytes: 60}).Append(&e)
		c.Handle(pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeFlowUpdate, ProbeID: id, ID: 3, BuildTimeNs: 1e9}, e.B))
	}
	b := c.Finish()
	var probes []string
	for _, f := range b.Flows {
		probes = append(probes, f.Probe)
	}
	if !slices.Equal(probes, []string{"probe-4", "site-a"}) {
		t.Errorf("flows of probes %q, want probe-4 and site-a", probes)
	}
	n := 0
	for _, e := range b.Events {
		if e.Kind == "probe_name_conflict" && e.Severity == "error" && strings.HasPrefix(e.Message, "probe id 4 introduced itself as site-a, the name of probe id 3: its rows are under probe-4") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d probe_name_conflict events: %+v", n, b.Events)
	}
}

// TestProbeNameConflictDrained: the rows of a probe whose Hello named a
// probe another id has are written by a Drain under probe-<id>, as the
// probe_name_conflict event says, and its run is finished: a collector
// stopped by a signal (a Drain, not Finish) held them in its checkpoint
// for a Hello that never came (no row of the second probe in its output).
func TestProbeNameConflictDrained(t *testing.T) {
	var logs strings.Builder
	c, err := New(nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	namedAlike(c, pdu.TypeEvents, func(e *pdu.Enc) {
		(&pdu.Event{TimeNs: 1e9, Severity: pdu.SevInfo, Kind: "probe_start", Message: "started"}).Append(e)
	})
	b := c.Drain()
	var sources []string
	for _, e := range b.Events {
		if e.Kind == "probe_start" {
			sources = append(sources, e.Source)
		}
	}
	if !slices.Equal(sources, []string{"probe:probe-4", "probe:site-a"}) {
		t.Errorf("probe_start events of %q, want probe:probe-4 and probe:site-a", sources)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"probe name taken by another probe id: its rows are under probe-4") {
		t.Errorf("log %q: no warning of the conflict", logs.String())
	}
}

package probe

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// sendDefinitions sends what the collector needs to read observations: the
// probe's Hello (with as many interface names as its record holds:
// pdu.Hello.Fit) and RunConfig (its configuration's hash), metric names,
// histogram slices, and (after the first time) the definition of every
// live flow. Definitions are key PDUs: retried
// until delivered (design 1.5).
func (p *Probe) sendDefinitions(nowNs int64) {
	h := pdu.Hello{Probe: p.id.Name, Interfaces: p.id.Interfaces}
	fit := len(p.id.Interfaces) - h.Fit(pdu.MaxRecordBytes)
	h.Append(p.out.Begin(pdu.TypeHello, nowNs))
	p.out.End(pdu.TypeHello, nowNs)
	// Only the names left out that the collector's ifN does not restore
	// change what the tables say: interfaces the capture did not name
	// are ifN already (pipeline.Assign), and were warned about for nothing.
	renamed, first, last := 0, 0, 0
	for i := fit; i < len(p.id.Interfaces); i++ {
		if p.id.Interfaces[i] != fmt.Sprintf("if%d", i) {
			if renamed == 0 {
				first = i
			}
			renamed, last = renamed+1, i
		}
	}
	if renamed > 0 {
		p.EventCount(nowNs, pdu.SevWarning, "hello_interfaces_unnamed", fmt.Sprintf("the names of %d of the probe's %d interfaces do not fit its Hello record (%d bytes at most): the tables name interfaces %d to %d ifN, N their number, as a replay names an interface without a name",
			renamed, len(p.id.Interfaces), pdu.MaxRecordBytes, first, last), uint64(renamed))
	}
	rc := pdu.RunConfig{ConfigHash: p.cfgHash}
	rc.Append(p.out.Begin(pdu.TypeRunConfig, nowNs))
	p.out.End(pdu.TypeRunConfig, nowNs)
	for id, name := range flow.MetricNames {
		m := pdu.MetricDef{ID: uint32(id), Name: name}
		m.Append(p.out.Begin(pdu.TypeMetricDef, nowNs))
		p.out.End(pdu.TypeMetricDef, nowNs)
	}
	for ci := range p.classes {
		if c := &p.classes[ci]; c.sizes {
			h := pdu.HistDef{ID: uint32(ci), Unit: "bytes", Edges: c.cfg.SizeEdges}
			h.Append(p.out.Begin(pdu.TypeHistDef, nowNs))
			p.out.End(pdu.TypeHistDef, nowNs)
		}
	}
	p.sendMetricDefs(nowNs)
	p.flows.Each(func(f *flow.Flow) { p.define(f, f.Class()) })
}

// sendMetricDefs sends the names of the run-time metrics registered so
// far (metricID).
func (p *Probe) sendMetricDefs(nowNs int64) {
	for name, id := range p.metrics {
		m := pdu.MetricDef{ID: id, Name: name}
		m.Append(p.out.Begin(pdu.TypeMetricDef, nowNs))
		p.out.End(pdu.TypeMetricDef, nowNs)
	}
}

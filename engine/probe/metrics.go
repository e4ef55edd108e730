package probe

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// metricID returns the id of a run-time metric, registering it (and
// sending its MetricDef to the collector) on first use. id is its id,
// a function of its name alone (sharedMetricID, or sharedICMP for ICMP
// metrics): the same in every worker of a Workers run and in a lone
// probe, so that their records are the same bytes (a lone probe numbered
// them in order of first use, flow.NumFixed onwards, before: pdu_stats'
// bytes differed with the number of workers).
func (p *Probe) metricID(name string, id uint32) uint32 {
	if id, ok := p.metrics[name]; ok {
		return id
	}
	p.metrics[name] = id
	m := pdu.MetricDef{ID: id, Name: name}
	m.Append(p.out.Begin(pdu.TypeMetricDef, p.nowNs))
	p.out.End(pdu.TypeMetricDef, p.nowNs)
	return id
}

// icmpMetricID returns the metric counting ICMP messages of a type and
// code: icmp_type_T_code_C (ICMPv4), icmp6_type_T_code_C (ICMPv6), and for
// errors counted in the flow of the packet they quote,
// icmp_error_type_T_code_C / icmp6_error_type_T_code_C.
func (p *Probe) icmpMetricID(version uint8, quoted bool, typ, code uint8) uint32 {
	k := uint32(typ)<<8 | uint32(code)
	if version == 6 {
		k |= 1 << 16
	}
	if quoted {
		k |= 1 << 17
	}
	if id, ok := p.icmpMetric[k]; ok {
		return id
	}
	pre := "icmp"
	if version == 6 {
		pre = "icmp6"
	}
	if quoted {
		pre += "_error"
	}
	id := p.metricID(fmt.Sprintf("%s_type_%d_code_%d", pre, typ, code), sharedICMP|k)
	p.icmpMetric[k] = id
	return id
}

// icmpError counts an ICMP error in the flows of the packet it quotes
// (design 3.3: "the ICMP error belongs to the data flow at the origin of
// the error"): the quoted headers are sieved like a packet, and every
// existing flow they map to counts icmp_error_type_T_code_C. Flows are
// not created for quoted packets the probe never saw.
func (p *Probe) icmpError(d *dissect.Dissection) {
	q := &p.quoted
	// The quoted packet crossed the link the error came on: the error's
	// VLAN tags are its own (a class splitting or filtering by vlan finds
	// its flow), and its DSCP is the one its quoted header carries.
	*q = dissect.Dissection{Meta: d.Meta, Flags: dissect.HasIP, IPVersion: d.IPVersion, SrcAddr: d.InnerSrcAddr, DstAddr: d.InnerDstAddr, Protocol: d.InnerProtocol, TOS: d.InnerTOS, VLANs: d.VLANs, NVLAN: d.NVLAN, WScale: -1}
	if q.SrcAddr.Is4() {
		q.IPVersion = 4
	} else {
		q.IPVersion = 6
	}
	switch d.InnerProtocol {
	case dissect.ProtoTCP:
		q.Flags |= dissect.HasL4 | dissect.HasTCP
	case dissect.ProtoUDP:
		q.Flags |= dissect.HasL4 | dissect.HasUDP
	}
	q.SrcPort, q.DstPort = d.InnerSrcPort, d.InnerDstPort
	p.sieve.Match(q, &p.quotedSet)
	for ci := p.quotedSet.Next(0); ci >= 0; ci = p.quotedSet.Next(ci + 1) {
		if f := p.flows.Get(p.key(ci, q)); f != nil {
			p.touch(f)
			p.flows.Extra(f, p.icmpMetricID(d.IPVersion, true, d.ICMPType, d.ICMPCode)).Count()
		}
	}
}

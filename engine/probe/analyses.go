package probe

import (
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// tcpConnection sends one TCP connection record (borrowed).
func (p *Probe) tcpConnection(iface uint16, r *observe.TCPConnection) {
	tcpconn.AppendConn(p.out.Begin(pdu.TypeTCPConn, p.nowNs), iface, r)
	p.out.End(pdu.TypeTCPConn, p.nowNs)
}

// rttSample sends one round-trip sample (borrowed: encoded at once).
func (p *Probe) rttSample(s *observe.RTTSample) {
	rtt.AppendSample(p.out.Begin(pdu.TypeRTTSample, p.nowNs), s)
	p.out.End(pdu.TypeRTTSample, p.nowNs)
}

// rttHistogram sends one histogram slice row (borrowed).
func (p *Probe) rttHistogram(h *observe.RTTHistogram) {
	rtt.AppendHistogram(p.out.Begin(pdu.TypeRTTHist, p.nowNs), h)
	p.out.End(pdu.TypeRTTHist, p.nowNs)
}

// rttUnanswered counts a request left without a response in its flow as
// the metric rtt_unanswered_<kind>.
func (p *Probe) rttUnanswered(kind string, flowID uint64) {
	f := p.flows.ByID(flowID)
	if f == nil {
		return // the flow expired meanwhile
	}
	p.touch(f)
	f.Extra(p.metricID("rtt_unanswered_" + kind)).Count()
}

// closeRTT reports the interval's round-trip histograms of every class.
func (p *Probe) closeRTT() {
	for ci := range p.classes {
		if c := &p.classes[ci]; c.rtt != nil {
			c.rtt.CloseInterval(p.intervalStart, p.intervalNs, p.emitRTTHist)
		}
	}
}

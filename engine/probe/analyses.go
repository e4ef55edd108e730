package probe

import (
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// tcpConnection sends one TCP connection record of tracker t (borrowed:
// encoded at once, by t.AppendConn: the addresses of the row t is
// emitting are not parsed back from their text).
func (p *Probe) tcpConnection(t *tcpconn.Tracker, iface uint16, r *observe.TCPConnection) {
	if r.ConnState == "S0" && p.tcpUnderFlood(r.Class) {
		p.aggregateS0(r)
		return
	}
	t.AppendConn(p.out.Begin(pdu.TypeTCPConn, p.nowNs), iface, r)
	p.out.End(pdu.TypeTCPConn, p.nowNs)
}

// rttEmitters makes the emits of the rtt and tcp trackers once (New):
// the histograms' and unanswered requests', each class's emitRTT, which
// sends its tracker's samples (rttSample), and its emitConn, which sends
// its tracker's rows (tcpConnection).
func (p *Probe) rttEmitters() {
	p.emitRTTHist, p.unanswered = p.rttHistogram, p.rttUnanswered
	for ci := range p.classes {
		if t := p.classes[ci].rtt; t != nil {
			p.classes[ci].emitRTT = func(s *observe.RTTSample) { p.rttSample(t, s) }
		}
		if t := p.classes[ci].tcp; t != nil {
			p.classes[ci].emitConn = func(iface uint16, r *observe.TCPConnection) { p.tcpConnection(t, iface, r) }
		}
	}
}

// rttSample sends one round-trip sample of tracker t (borrowed: encoded
// at once, by t.AppendSample: the addresses of the sample t is emitting
// are not parsed back from their text).
func (p *Probe) rttSample(t *rtt.Tracker, s *observe.RTTSample) {
	p.sampleKey(s.RequestTime)
	t.AppendSample(p.out.Begin(pdu.TypeRTTSample, p.nowNs), s)
	p.out.End(pdu.TypeRTTSample, p.nowNs)
}

// rttHistogram sends one histogram slice row (borrowed).
func (p *Probe) rttHistogram(h *observe.RTTHistogram) {
	p.histKey(h.IntervalStart)
	sendRow(p, pdu.TypeRTTHist, rtt.AppendHistogram, h)
}

// sendRow encodes row r (borrowed: encoded at once) as one record of a
// PDU of type t.
func sendRow[R any](p *Probe, t pdu.Type, appendRow func(*pdu.Enc, *R), r *R) {
	appendRow(p.out.Begin(t, p.nowNs), r)
	p.out.End(t, p.nowNs)
}

// unansweredBy counts, before an interval closes, the requests whose
// timeout passed before clkNs (the timer clock at the interval's end) in
// their flows: in the interval where it passed. The trackers' own scans
// (Probe.timers) come at most every tenth of the timeout, at times that
// depend on the requests each tracker holds: a request whose timeout
// passed shortly before the end was counted in the next interval or not
// depending on the other requests of its tracker, so a probe's workers,
// each holding its own, counted it in other intervals than a lone probe
// (the 5 M corpus with 4 workers: 2226 rtt_unanswered in the first
// interval, 2210 for a lone probe; issue 14).
func (p *Probe) unansweredBy(clkNs int64) {
	for ci := range p.classes {
		if c := &p.classes[ci]; c.rtt != nil {
			p.stage(stageRTTDue, ci, 0)
			c.rtt.ExpireBefore(clkNs, p.unanswered)
		}
	}
}

// rttUnanswered counts a request left without a response in its flow as
// the metric rtt_unanswered_<kind>.
func (p *Probe) rttUnanswered(kind string, flowID uint64) {
	f := p.flows.ByID(flowID)
	if f == nil {
		return // the flow expired meanwhile
	}
	p.touch(f)
	id, ok := p.unansweredIDs[kind]
	if !ok {
		name := "rtt_unanswered_" + kind
		id = p.metricID(name, sharedMetricID(name))
		p.unansweredIDs[kind] = id
	}
	p.flows.Extra(f, id).Count()
}

// analysisMetrics keeps, in place, the metrics of ms that an analysis
// other than counters owns (rtt_unanswered_<kind>, the rtt analysis's):
// what a class whose analyses leave counters out still reports in
// flow_counters.
func (p *Probe) analysisMetrics(ms []pdu.Metric) []pdu.Metric {
	n := 0
	for _, m := range ms {
		for _, id := range p.unansweredIDs {
			if m.ID == id {
				ms[n] = m
				n++
				break
			}
		}
	}
	return ms[:n]
}

// closeRTTAt closes the round-trip trackers' interval starting at startNs,
// their rows published in stage (stageRTTClose and the like: keyed by
// their interval start, then by flow id, as each tracker emits them).
func (p *Probe) closeRTTAt(startNs int64, stage int) {
	for ci := range p.classes {
		if c := &p.classes[ci]; c.rtt != nil {
			p.stage(stage, ci, 0)
			c.rtt.CloseInterval(startNs, p.intervalNs, p.emitRTTHist)
		}
	}
}

// ftpJoin adds to the packet's classes every FTP class whose tracker knows
// the segment as one of its data connections (design 1.4, 3.6: passive data
// connections use ports no filter would match), so data connections count
// as FTP in the flow counters. Control segments (the sieve matched the
// class) are left to Control. Packet calls it only when a tracker follows
// an FTP peer or the previous segment joined (ftpBusy): while none does,
// Data and Joins have nothing to do and ftpData stays empty (issue 14:
// ~60 instructions a TCP segment of the 5M corpus, which has no FTP).
func (p *Probe) ftpJoin(d *dissect.Dissection) {
	p.ftpData, p.ftpJoined = filter.Set{}, false
	for _, ci := range p.ftpClasses {
		if p.set.Has(ci) {
			continue
		}
		ok := false
		if d.Flags&dissect.IsFrag != 0 {
			ok = p.classes[ci].ftp.Joins(d) // accounted once reassembled (reassemble)
		} else {
			p.classes[ci].ftp.SetOrdinal(p.ord)
			_, ok = p.classes[ci].ftp.Data(d)
		}
		if ok {
			p.set.Add(ci)
			p.ftpData.Add(ci)
			p.ftpJoined = true
		}
	}
}

// ftpBusy reports whether ftpJoin has work: a tracker follows an FTP
// peer (not ftp.Tracker.Idle: counted in ftpBusyN), or ftpData holds the
// previous segment's classes.
func (p *Probe) ftpBusy() bool { return p.ftpJoined || p.ftpBusyN > 0 }

// ftpTransfer sends one FTP transfer record (borrowed).
func (p *Probe) ftpTransfer(r *observe.FTPTransfer) {
	sendRow(p, pdu.TypeFTPTransfer, ftp.AppendTransfer, r)
}

// ftpSession sends one FTP session record (borrowed).
func (p *Probe) ftpSession(r *observe.FTPSession) {
	sendRow(p, pdu.TypeFTPSession, ftp.AppendSession, r)
}

// observe signs one packet of a one-way class and buffers its observation
// (design 3.7). Fragments are not signed one by one: their reassembled
// datagram is (observeDatagram).
func (p *Probe) observe(c *class, flowID uint64, d *dissect.Dissection, data []byte, timeNs int64) {
	if d.Fragment() {
		return
	}
	p.observeDatagram(c, flowID, d, data, timeNs, timeNs)
}

func (p *Probe) observeDatagram(c *class, flowID uint64, d *dissect.Dissection, data []byte, firstNs, lastNs int64) {
	sig, ok := c.ow.signer.Sign(d, data)
	if !ok {
		return
	}
	p.obs = oneway.Obs{FlowID: flowID, Signature: sig, TimeNs: lastNs, FirstNs: firstNs, SizeBytes: d.IPLen}
	if c.ow.enc.Add(&p.obs) {
		p.flushObservations(c)
	}
}

// flushObservations packs the buffered observations of a class into one
// PacketObs PDU (one record per flow, as many observations as fit) and
// sends it at once. It returns how many observations it sent.
func (p *Probe) flushObservations(c *class) int {
	p.out.FlushType(pdu.TypePacketObs, p.nowNs) // start from an empty PDU
	e := p.out.Begin(pdu.TypePacketObs, p.nowNs)
	n := c.ow.enc.Flush(e, p.obsPayload)
	p.out.End(pdu.TypePacketObs, p.nowNs)
	p.out.FlushType(pdu.TypePacketObs, p.nowNs)
	return n
}

// flushStaleObservations sends observations buffered for longer than a
// PDU's build time (design 1.5: a PDU under construction is flushed when
// too old), so the collector can reconcile them in time.
// It runs on every packet that moves the clock: it walks the one-way
// classes only, not every class.
func (p *Probe) flushStaleObservations(nowNs int64) {
	for _, ci := range p.owClasses {
		c := &p.classes[ci]
		if c.ow.enc.Len() > 0 && nowNs-c.ow.enc.OldestNs() >= p.obsMaxAgeNs {
			p.flushObservations(c)
		}
	}
}

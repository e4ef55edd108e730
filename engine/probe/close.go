package probe

import (
	"fmt"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// intervalEvents turns the interval's malformed packets and evictions into
// events (aggregated, never one per packet). A worker (workers.go) reports
// the clock summary only as worker 0 (every worker sees every packet) and
// hands the rest to the merge (closePart): the packets of each dissect
// kind it counted (those it owns: closePart.kinds), which Workers.mergeClose
// sums into the packet_anomalies and malformed_packets events, and its
// counter changes, S0 aggregates, evictions and limited events' counts.
func (p *Probe) intervalEvents(atNs int64) {
	cur := p.dis.Stats
	if p.sh != nil {
		p.sh.rec.add(recOp{ord: p.sh.rec.ord, op: opClose, nowNs: atNs})
	}
	if p.primary() {
		p.clockSummary(atNs)
	}
	last := p.lastDis
	p.lastDis = cur
	p.limitedSummary(atNs)
	if p.sh != nil {
		p.sh.closeInterval(p, atNs, kindsSince(&cur, &last))
		return
	}
	// in the order Workers.mergeClose writes the workers' sums, at the
	// same place among the close's records (after every worker's own:
	// opClose), so that the PDUs are the same bytes for any number of
	// workers
	for k := range cur.Kinds {
		kindEvent(p.EventCount, atNs, dissect.Kind(k), cur.Kinds[k]-last.Kinds[k])
	}
	reasmAnomalyEvent(p.out, atNs, p.reasmBadI)
	p.reasmBadI = 0
	for _, c := range p.counterChanges() {
		p.slotEvent(p.out, c.slot, c.firstNs, c.n)
	}
	p.s0Events(atNs)
	p.evictedEvent(p.out, atNs, p.evictedI)
	p.evictedI = 0
}

// kindEvent reports n packets of dissect kind k in an interval (none: no
// event) through event (Probe.EventCount).
func kindEvent(event func(timeNs int64, sev uint8, kind, msg string, n uint64), atNs int64, k dissect.Kind, n uint64) {
	if n == 0 {
		return
	}
	if k.Kept() {
		sev := pdu.SevInfo // the event's one kind's, as Wireshark rates it
		if k.Severe() {
			sev = pdu.SevError
		}
		event(atNs, sev, "packet_anomalies", pkt.Nouns(n, fmt.Sprintf("%d packet[s] with %s in the interval (counted at IP level)", n, k)), n)
	} else {
		event(atNs, pdu.SevWarning, "malformed_packets", pkt.Nouns(n, fmt.Sprintf("%d packet[s] with %s headers in the interval (skipped)", n, k)), n)
	}
}

// evictedEvent reports n flows evicted in an interval (none: no event).
func (p *Probe) evictedEvent(out pdu.Publisher, atNs int64, n uint64) {
	if n > 0 {
		appendEvent(out, atNs, pdu.SevWarning, "flows_evicted", pkt.Nouns(n, fmt.Sprintf("%d flow[s] evicted: flow table full (max_flows %d)", n, p.cfg.FlowTable.MaxFlows)), n)
	}
}

// reasmAnomalyEvent reports n reassembled datagrams of an interval whose
// UDP length disagrees with their reassembled IP payload (none: no event):
// a packet_anomalies event of kind udp_bad_length, an error as the
// single-packet one is (dissect.Kind.Severe), apart from the packets'
// event of that kind so that a Workers run, which sums each worker's
// datagrams (mergeClose), writes the same rows as a lone probe.
func reasmAnomalyEvent(out pdu.Publisher, atNs int64, n uint64) {
	if n > 0 {
		appendEvent(out, atNs, pdu.SevError, "packet_anomalies", pkt.Nouns(n, fmt.Sprintf("%d reassembled datagram[s] with %s in the interval: the UDP length disagrees with the reassembled IP payload (counted at IP level)", n, dissect.KindUDPBadLength)), n)
	}
}

// appendEvent publishes one event record.
func appendEvent(out pdu.Publisher, timeNs int64, sev uint8, kind, msg string, n uint64) {
	e := pdu.Event{TimeNs: timeNs, Severity: sev, Kind: kind, Message: msg, Count: n}
	e.Append(out.Begin(pdu.TypeEvents, timeNs))
	out.End(pdu.TypeEvents, timeNs)
}

// Close ends the run: it closes the last interval, reports every flow's
// final totals and sends every PDU under construction. The probe clock
// stops at the last packet's time.
func (p *Probe) Close() {
	if p.closed {
		return
	}
	p.closed = true
	if !p.started {
		return
	}
	// What is still pending is given up first (incomplete datagrams,
	// unanswered requests), so it counts in the last interval.
	p.stage(stageFinalFrag, 0, 0)
	p.flushFragments()
	if p.sh != nil { // what follows creates no id: a work item of its own (bound.go)
		p.sh.nextItem(p)
	}
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.rtt != nil {
			p.stage(stageFinalAnalyses, ci, subRTT)
			c.rtt.Flush(p.unanswered)
		}
		if c.tcp != nil {
			p.stage(stageFinalAnalyses, ci, subTCP)
			c.tcp.Flush(p.nowNs, c.emitConn) // in conn_id order
		}
		if c.ftp != nil {
			p.stage(stageFinalAnalyses, ci, subFTP)
			c.ftp.Flush(p.nowNs, p.emitXfer, p.emitSess)
		}
	}
	p.reportActive()
	p.active = nil // the flows go with the table's Close below
	// The analyses have emitted everything: their tables go before the
	// final flow reports, the end of the run being the peak of the heap
	// (issue 14).
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.rtt != nil {
			c.rtt.Release()
		}
		if c.tcp != nil {
			c.tcp.Release()
		}
	}
	p.stage(stageFinalOneway, 0, 0)
	for ci := range p.classes {
		if c := &p.classes[ci]; c.ow != nil {
			for c.ow.enc.Len() > 0 && p.flushObservations(c) > 0 {
			}
		}
	}
	// The end's events come after probe_start, stamped at the start: a run
	// of one instant (one packet, or a start by a tick and no packet)
	// stamps them 1 ns after it, so that they do not sort before it.
	endNs := pkt.After(p.nowNs, p.startNs)
	p.stage(stageFinalEvents, 0, 0)
	p.intervalEvents(endNs)
	p.stage(stageFinalFlows, 0, 0)
	p.flows.Close(func(f *flow.Flow) { // in id order
		u := pdu.FlowUpdate{FlowID: f.ID, LastSeenNs: f.LastSeenNs, Packets: f.Packets(), Bytes: f.Bytes(), Ended: pdu.EndFinal}
		u.Append(p.out.Begin(pdu.TypeFlowUpdate, p.nowNs))
		p.out.End(pdu.TypeFlowUpdate, p.nowNs)
	})
	if p.sh != nil {
		p.stage(stageFinalEnd, 0, 0)
		p.sh.final(p) // the merge writes the totals, probe_stop and the reports
		return
	}
	p.readSources()
	for i, s := range p.sources {
		p.Event(endNs, pdu.SevInfo, s.kind, totalsText(p.sources[i], s.value))
	}
	p.stopEvent(p.out, max(endNs, p.lastEvNs), p.Stats())
	p.out.Flush(p.nowNs)
	ow, all := p.ObservedBytes()
	sendReports(p.senders, ow, all, p.nowNs)
	p.out.Flush(p.nowNs)
}

// stopEvent reports the end of the run with the probe's counters st, 1 ns
// after lastNs, the latest time of the events of the run (its clock, an
// event given to EventCount later than it: a live capture's capture_stop,
// or one held for its start: sendEarly): the events table, sorted by time
// then kind, reads probe_stop after every event of the run, not among the
// totals stamped at the probe's clock (probe_totals, tcp_totals sorted
// after it by their kind).
func (p *Probe) stopEvent(out pdu.Publisher, lastNs int64, st Stats) {
	// each count its own noun ("1 flow", the sixth trial's D1); the
	// message keeps its fields and their order (the TUI reads "N
	// malformed" from it; docs/tables.md reads the formats: internal/refgen)
	// (markers resolved in the formats, not in the text: a name may hold
	// brackets)
	flows := fmt.Sprintf(pkt.Nouns(st.Flows, "%d flow[s]"), st.Flows)
	appendEvent(out, pkt.AddNs(lastNs, 1), pdu.SevInfo, "probe_stop", fmt.Sprintf(pkt.Nouns(st.Packets, "probe %s: %d packet[s], %d IP, %d not IP, %d malformed, "), p.id.Name, st.Packets, st.IP, st.NotIP, st.Malformed)+flows, 0)
	p.logLifecycle(pdu.SevInfo, "probe_stop", fmt.Sprintf(pkt.Nouns(st.Packets, "probe %s stopped: %d packet[s], "), p.id.Name, st.Packets)+flows)
}

// DestroyedAfterReport reports, as one pdu_destroyed_after_report event
// per channel at probe time nowNs (events.count: the records), the PDUs
// its channels destroyed since the previous call and after their final
// report, which its pdu_stats rows miss (pdu.SenderStats.DestroyedAfterReport),
// and sends each channel whose final report was acknowledged a late
// report of them (pdu.Sender.LateReport): pdu_stats rows that the
// collector gets as reliably as the final report, where the event
// travels as the PDUs destroyed did. A probe lingering for its
// acknowledgements, or a replay settling, calls it as time goes on; the
// totals stay in the senders' stats (the probe process's summary line).
func (p *Probe) DestroyedAfterReport(nowNs int64) {
	if reportLate(p.senders, &p.lateSeen, nowNs, func(coll string, n, recs uint64) {
		p.EventCount(nowNs, pdu.SevError, "pdu_destroyed_after_report", fmt.Sprintf("%s: "+pkt.Nouns(n, "%d PDU[s] (")+pkt.Nouns(recs, "%d record[s])")+pkt.Nouns(n, " destroyed after the final report of the channel: a late report adds [it|them] to its pdu_stats rows once the final report is acknowledged"), coll, n, recs), recs)
	}) {
		p.out.Flush(nowNs)
	}
}

// DestroyedAfterReport is Probe.DestroyedAfterReport for the workers'
// channels.
func (w *Workers) DestroyedAfterReport(nowNs int64) {
	if reportLate(w.senders, &w.lateSeen, nowNs, func(coll string, n, recs uint64) {
		appendEvent(w.out, nowNs, pdu.SevError, "pdu_destroyed_after_report", fmt.Sprintf("%s: "+pkt.Nouns(n, "%d PDU[s] (")+pkt.Nouns(recs, "%d record[s])")+pkt.Nouns(n, " destroyed after the final report of the channel: a late report adds [it|them] to its pdu_stats rows once the final report is acknowledged"), coll, n, recs), recs)
	}) {
		w.out.Flush(nowNs)
	}
}

// reportLate calls event for each of senders that destroyed PDUs after
// its final report since the counts in seen (updated), with its
// collector's name and the PDUs and records, sends the late reports due
// at nowNs (pdu.Sender.LateReport), and reports whether it did either.
func reportLate(senders []*pdu.Sender, seen *[][2]uint64, nowNs int64, event func(coll string, n, recs uint64)) (found bool) {
	if len(*seen) < len(senders) {
		*seen = make([][2]uint64, len(senders))
	}
	for i, s := range senders {
		st := s.Stats()
		now := [2]uint64{st.DestroyedAfterReport, st.DestroyedRecordsAfterReport}
		if n := now[0] - (*seen)[i][0]; n > 0 {
			event(s.Collector(), n, now[1]-(*seen)[i][1])
			found = true
		}
		(*seen)[i] = now
		if s.LateReport(nowNs) {
			found = true
		}
	}
	return found
}

// sendReports sends each channel its final report (pdu_stats): what its
// PDUs cost so far, once every PDU before it was sent. It is the last PDU
// of the run, so a collector that has everything up to it knows the probe
// finished. ow and all are the probe's ObservedBytes.
func sendReports(senders []*pdu.Sender, ow, all uint64, nowNs int64) {
	for _, s := range senders {
		st := s.Stats()
		r := pdu.Report{Final: true, Collector: s.Collector(), ObservedBytes: ow, IPBytes: all}
		pdu.ReportOf(&r, &st)
		s.ReportTaken()
		r.Append(s.Begin(pdu.TypeReport, nowNs))
		s.End(pdu.TypeReport, nowNs)
	}
}

// compactActive drops the flows that left the table (evicted, reported,
// so no longer Active) from the interval's active list once they are the
// larger part of it: under a flood of new flows the list would otherwise
// keep every evicted flow reachable until the interval closes, and the
// probe's memory would follow the flood instead of max_flows.
func (p *Probe) compactActive() {
	if len(p.active) <= 2*p.flows.Len()+4096 {
		return
	}
	kept, ords := p.active[:0], p.activeOrd[:0]
	for i, f := range p.active {
		if f.Active {
			kept = append(kept, f)
			ords = append(ords, p.activeOrd[i])
		}
	}
	clear(p.active[len(kept):])
	p.active, p.activeOrd = kept, ords
}

// reportActive reports every flow active in the current interval (the
// top talkers note them) and the interval's round-trip histograms.
func (p *Probe) reportActive() {
	stage := stageActive
	if p.closed {
		stage = stageFinalActive
	}
	p.stage(stage, 0, 0)
	sortActive(p.active, p.activeOrd)
	for i, f := range p.active {
		if f.Active {
			p.top.note(f)
			p.keyed(p.activeOrd[i])
			p.report(f, 0)
		}
	}
	p.active, p.activeOrd = p.active[:0], p.activeOrd[:0]
	end := pkt.AddNs(p.intervalStart, p.intervalNs)
	p.top.closed(p.intervalStart, p.intervalNs, max(p.intervalStart, p.firstNs), min(end, p.nowNs))
	if p.closed {
		p.closeRTTAt(p.intervalStart, stageFinalRTTClose)
	} else {
		p.closeRTTAt(p.intervalStart, stageRTTClose)
	}
}

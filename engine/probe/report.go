package probe

import (
	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/stat"
)

// report sends a flow's interval counters (if active) and its totals
// (ended: 0 still active, else pdu.EndIdle, EndEvicted, EndFinal), but not an active flow's
// totals at the run's end, which its final update carries (Close).
func (p *Probe) report(f *flow.Flow, ended uint8) {
	if f.Active {
		c := &p.counters
		c.IntervalStartNs, c.IntervalNs, c.FlowID = p.intervalStart, p.intervalNs, f.ID
		if p.classes[f.Class()].counters {
			p.appendCounters(f)
		} else {
			// Counters left out of the class's analyses: only the
			// metrics its other analyses keep (rtt_unanswered_<kind>).
			c.Metrics = c.Metrics[:0]
			for _, x := range f.Extras() {
				c.Metrics = append(c.Metrics, pdu.Metric{ID: x.ID, Stat: x.Stat})
			}
			if c.Metrics = p.analysisMetrics(c.Metrics); len(c.Metrics) > 0 {
				c.Append(p.out.Begin(pdu.TypeCounters, p.nowNs))
				p.out.End(pdu.TypeCounters, p.nowNs)
			}
		}
		if ci := f.Class(); f.Sizes() != nil && p.classes[ci].sizes {
			h := &p.hist
			h.IntervalStartNs, h.IntervalNs, h.FlowID, h.DefID = p.intervalStart, p.intervalNs, f.ID, uint32(ci)
			h.Counts = append(h.Counts[:0], f.Sizes()[:len(p.classes[ci].cfg.SizeEdges)+1]...)
			h.Append(p.out.Begin(pdu.TypeHistograms, p.nowNs))
			p.out.End(pdu.TypeHistograms, p.nowNs)
		}
		f.ResetInterval()
	}
	if p.closed && ended == 0 {
		// The run's end: the table's Close sends this flow's totals in
		// its final update (pdu.EndFinal), the same packets, bytes and
		// last seen; sent here too, they were decoded twice after the
		// last packet (88 k flows of the 5M corpus: TestFinalUpdateOnce).
		return
	}
	u := pdu.FlowUpdate{FlowID: f.ID, LastSeenNs: f.LastSeenNs, Packets: f.Packets(), Bytes: f.Bytes(), Ended: ended}
	u.Append(p.out.Begin(pdu.TypeFlowUpdate, p.nowNs))
	p.out.End(pdu.TypeFlowUpdate, p.nowNs)
}

// appendCounters sends f's interval counters (p.counters' interval and
// flow id) as one Counters record: its fixed metrics with packets, written
// from the flow's integer counters (pdu.AppendIntMetric), then its
// run-time metrics. The record is the one pdu.Counters.Append wrote from
// their stat.Stat values (TestReportSameRecords); the floats and their
// integral tests cost about 280 instructions a flow report (issue 14).
func (p *Probe) appendCounters(f *flow.Flow) {
	var ms [flow.NumFixed]stat.Ints
	f.IntMetrics(&ms)
	xs := f.Extras()
	n := len(xs)
	for i := range ms {
		if ms[i].N > 0 {
			n++
		}
	}
	e := p.out.Begin(pdu.TypeCounters, p.nowNs)
	p.counters.AppendHead(e, n)
	for i := range ms {
		if ms[i].N > 0 {
			pdu.AppendIntMetric(e, uint32(i), &ms[i])
		}
	}
	for i := range xs {
		pdu.AppendMetric(e, xs[i].ID, xs[i].Stat)
	}
	p.out.End(pdu.TypeCounters, p.nowNs)
}

package collector

import (
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// report turns a probe's report of its channel into pdu_stats rows: one
// per PDU type used, then a row of type "all" with the totals. The
// packet_obs row sets observed_bytes to the IP bytes its observations
// describe, so overhead_pct is design 1.3's "~1 % of the observed
// traffic"; the other rows use every IP byte the probe decoded.
// destroyed_pdus and destroyed_records count what long retry mode and the
// backlog bound gave up (sum over pdu_type 'all': everything missing). A final
// report is the probe's last PDU: once everything before it is in, the
// probe has finished (checkFinished).
func (c *Collector) report(h pdu.Header, p *probeState, r *pdu.Report) {
	if r.Final {
		p.finalID, p.finalEpoch, p.finished = h.ID, h.Epoch, false
	}
	var total observe.PDUStat
	for _, tc := range r.Types {
		row := observe.PDUStat{Probe: p.ref, Collector: r.Collector, PDUType: tc.Type.String(), PDUs: tc.PDUs, Records: tc.Records, Bytes: tc.Bytes,
			Retransmissions: tc.Retransmissions, ObservedBytes: r.IPBytes, DestroyedPDUs: tc.Destroyed, DestroyedRecords: tc.DestroyedRecords}
		if tc.Type == pdu.TypePacketObs {
			row.ObservedBytes = r.ObservedBytes
		}
		if row.ObservedBytes > 0 {
			row.OverheadPct = 100 * float64(row.Bytes) / float64(row.ObservedBytes)
		}
		c.batch.PDUStats = append(c.batch.PDUStats, row)
		total.PDUs += row.PDUs
		total.Records += row.Records
		total.Bytes += row.Bytes
		total.DestroyedPDUs += row.DestroyedPDUs
		total.DestroyedRecords += row.DestroyedRecords
	}
	total.Probe, total.Collector, total.PDUType, total.ObservedBytes = p.ref, r.Collector, "all", r.IPBytes
	total.Retransmissions = r.Retransmits
	if r.IPBytes > 0 {
		total.OverheadPct = 100 * float64(total.Bytes) / float64(r.IPBytes)
	}
	c.batch.PDUStats = append(c.batch.PDUStats, total)
}

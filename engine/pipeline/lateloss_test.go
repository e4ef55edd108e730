package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// TestDestroyedAfterFinalReport: the link is down from 15 s into the
// 20.3 s capture until 40 s, with a 3 s final timeout: PDUs still pending
// when the probe sent its final report (pdu_stats) are destroyed after
// it. They are counted apart (SenderStats.DestroyedAfterReport) and
// reported by a pdu_destroyed_after_report event whose count is their
// records, delivered once the link is back (issue 13). The event travels
// as the destroyed PDUs did, so the count reaches the tables reliably in a
// late report (pdu.Sender.LateReport, a permanent PDU sent once the final
// report is acknowledged): destroyed_pdus and destroyed_records summed
// over the 'all' rows of pdu_stats are every PDU and record the sender
// destroyed (its SenderStats.Destroyed, the probe's summary line). Before
// the late report the rows missed the ones destroyed after the final
// report.
func TestDestroyedAfterFinalReport(t *testing.T) {
	f := openCapture(t, filepath.Join(samplesDir(t), "lab", "dns-snmp-ntp", "A.pcap"))
	cfg := config.Default()
	cfg.IntervalS = 1
	tight := tightSender(1e8)
	res := runToCollectors(t, f, cfg, pipeline.Collector{Name: "cut", Sender: tight, Faults: pdu.Faults{Outages: []pdu.Window{{StartNs: 15e9, EndNs: 40e9}}}})
	st, b := res.Senders[0], res.Batches[0]
	var destroyed, destroyedRecs uint64
	for typ := range st.Destroyed {
		destroyed += st.Destroyed[typ]
		destroyedRecs += st.DestroyedRecords[typ]
	}
	if st.DestroyedAfterReport == 0 || st.DestroyedAfterReport >= destroyed {
		t.Fatalf("scenario too weak: %d PDUs destroyed, %d after the final report", destroyed, st.DestroyedAfterReport)
	}
	var reported, reportedRecs uint64
	alls := 0
	for _, r := range b.PDUStats {
		if r.PDUType == "all" {
			reported += r.DestroyedPDUs
			reportedRecs += r.DestroyedRecords
			alls++
		}
	}
	var events, eventRecs uint64
	for _, e := range b.Events {
		if e.Kind == "pdu_destroyed_after_report" {
			events++
			eventRecs += e.Count
		}
	}
	if reported != destroyed || reportedRecs != destroyedRecs || alls != 2 {
		t.Errorf("pdu_stats (%d 'all' rows, want 2: the final and the late report) count %d PDUs (%d records) destroyed; the sender destroyed %d (%d), %d (%d) after the final report",
			alls, reported, reportedRecs, destroyed, destroyedRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport)
	}
	if events != 1 || eventRecs != st.DestroyedRecordsAfterReport {
		t.Errorf("%d pdu_destroyed_after_report events counting %d records; the sender destroyed %d after the report", events, eventRecs, st.DestroyedRecordsAfterReport)
	}
	t.Logf("%d PDUs destroyed: %d (%d records) in pdu_stats, %d (%d records) after the final report", destroyed, reported, reportedRecs, st.DestroyedAfterReport, st.DestroyedRecordsAfterReport)
}

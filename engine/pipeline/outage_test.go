package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
)

// TestOutageLongerThanFinalTimeout: a 10 s outage of the link to one of
// two collectors, with a 3 s final timeout (design 1.5): the channel enters
// long retry mode and leaves it on the first ack after the outage;
// definitions (flows, metrics) are never dropped, so both collectors know
// every flow; the observations lost are exactly the records of the PDUs the
// sender destroyed, and it counted them.
func TestOutageLongerThanFinalTimeout(t *testing.T) {
	path := filepath.Join(samplesDir(t), "lab", "dns-snmp-ntp", "A.pcap") // 20.3 s of capture
	f := openCapture(t, path)
	cfg := config.Default()
	cfg.IntervalS = 1
	tight := tightSender(1e9)
	res := runToCollectors(t, f, cfg,
		pipeline.Collector{Name: "perfect", Sender: tight},
		pipeline.Collector{Name: "cut", Sender: tight, Faults: pdu.Faults{Outages: []pdu.Window{{StartNs: 3e9, EndNs: 13e9}}}},
	)
	perfect, cut := res.Batches[0], res.Batches[1]
	st := res.Senders[1]
	kinds := map[string]int{}
	for _, e := range cut.Events {
		kinds[e.Kind]++
	}
	if kinds[pdu.EventLongRetryEnter] != 1 || kinds[pdu.EventLongRetryLeave] != 1 || st.LongRetryEntries != 1 {
		t.Errorf("long retry events %v, entries %d", kinds, st.LongRetryEntries)
	}
	// Definitions are key PDUs: every flow is known at both collectors, with
	// the same totals (flow updates are cumulative, the last one arrives).
	if len(cut.Flows) != len(perfect.Flows) || len(cut.Flows) == 0 {
		t.Fatalf("%d flows behind the outage, %d without", len(cut.Flows), len(perfect.Flows))
	}
	for i := range perfect.Flows {
		if perfect.Flows[i] != cut.Flows[i] {
			t.Errorf("flow %d: %+v vs %+v", i, perfect.Flows[i], cut.Flows[i])
		}
	}
	// Counters: the (flow, interval) records missing behind the outage are
	// exactly the counters records destroyed.
	records := func(b *observe.Batch) map[[2]int64]bool {
		m := map[[2]int64]bool{}
		for _, c := range b.FlowCounters {
			m[[2]int64{int64(c.FlowID), c.IntervalStart}] = true
		}
		return m
	}
	pr, cr := records(perfect), records(cut)
	missing := 0
	for k := range pr {
		if !cr[k] {
			missing++
		}
	}
	if uint64(missing) != st.DestroyedRecords[pdu.TypeCounters] || missing == 0 {
		t.Errorf("%d counters records missing, %d destroyed by the sender", missing, st.DestroyedRecords[pdu.TypeCounters])
	}
	if lost := len(perfect.RTTSamples) - len(cut.RTTSamples); uint64(lost) != st.DestroyedRecords[pdu.TypeRTTSample] {
		t.Errorf("%d rtt samples missing, %d destroyed", lost, st.DestroyedRecords[pdu.TypeRTTSample])
	}
	probeEvents := func(b *observe.Batch) int {
		n := 0
		for _, e := range b.Events {
			if !strings.HasPrefix(e.Kind, "pdu_") {
				n++
			}
		}
		return n
	}
	if lost := probeEvents(perfect) - probeEvents(cut); uint64(lost) != st.DestroyedRecords[pdu.TypeEvents] {
		t.Errorf("%d events missing, %d destroyed", lost, st.DestroyedRecords[pdu.TypeEvents])
	}
	var destroyed uint64
	for _, n := range st.Destroyed {
		destroyed += n
	}
	for _, k := range []pdu.Type{pdu.TypeHello, pdu.TypeFlowDef, pdu.TypeMetricDef, pdu.TypeHistDef, pdu.TypeFTPTransfer, pdu.TypeFTPSession} {
		if st.Destroyed[k] != 0 {
			t.Errorf("%s PDUs destroyed: definitions and FTP records are kept until delivered", k)
		}
	}
	// What was destroyed is in pdu_stats (issue 13.5): per type and in
	// all, equal to the sender's counts, so for counters, rtt samples and
	// events to the rows missing (flow updates are cumulative: the last
	// one arrived).
	var rowRecs, allRecs, allPDUs uint64
	for _, r := range cut.PDUStats {
		if r.PDUType == "all" {
			allRecs, allPDUs = r.DestroyedRecords, r.DestroyedPDUs
			continue
		}
		rowRecs += r.DestroyedRecords
		if typ := pduType(t, r.PDUType); r.DestroyedRecords != st.DestroyedRecords[typ] || r.DestroyedPDUs != st.Destroyed[typ] {
			t.Errorf("pdu_stats %s: destroyed %d PDUs, %d records; the sender destroyed %d, %d", r.PDUType, r.DestroyedPDUs, r.DestroyedRecords, st.Destroyed[typ], st.DestroyedRecords[typ])
		}
	}
	if allPDUs != destroyed || allRecs != rowRecs || allRecs == 0 {
		t.Errorf("pdu_stats all: destroyed %d PDUs, %d records (types sum %d); the sender destroyed %d PDUs", allPDUs, allRecs, rowRecs, destroyed)
	}
	for _, r := range perfect.PDUStats {
		if r.DestroyedPDUs != 0 || r.DestroyedRecords != 0 {
			t.Errorf("without outage, pdu_stats %s destroyed %d PDUs", r.PDUType, r.DestroyedPDUs)
		}
	}
	t.Logf("outage: %d PDUs destroyed (%d counters, %d rtt records), %d kept by the break-border window, %d retransmissions",
		destroyed, st.DestroyedRecords[pdu.TypeCounters], st.DestroyedRecords[pdu.TypeRTTSample], st.BreakBorder, st.Retransmits)
}

// pduType returns the PDU type named as in pdu_stats.pdu_type.
func pduType(t *testing.T, name string) pdu.Type {
	t.Helper()
	for typ := pdu.Type(1); typ < 64; typ++ {
		if typ.String() == name {
			return typ
		}
	}
	t.Fatalf("pdu_stats names an unknown PDU type %q", name)
	return 0
}

// tightSender is a regulation that gives up fast: one retry after 0.5 s,
// a final timeout of 3 s and break-border PDUs every breakBorderNs, so a
// short outage in a lab capture reaches long retry mode and destroys PDUs.
func tightSender(breakBorderNs int64) pdu.SenderConfig {
	s := pdu.DefaultSenderConfig()
	s.MinGapNs, s.InitialTimeoutNs, s.TimeoutIncrementNs, s.TimeoutMultiplier = 1e6, 5e8, 0, 1
	s.MaxRetries, s.FinalTimeoutNs, s.BreakBorderNs = 1, 3e9, breakBorderNs
	return s
}

package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pipeline"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/replay"
)

// clock is replay's wall clock (a test's fake one counts what the wall
// time covers).
var clock = time.Now

// printSummary prints a replay's summary; leftOut is the packets --filter
// left out (they are not in "packets read", which counts what the probes
// got, as tcpdump -r FILE EXPR counts what matches); wall is from opening
// the captures (opening of it) to the output written.
func printSummary(w io.Writer, res *pipeline.Result, st store.Stats, out string, wall, opening time.Duration, files []*replay.File, skipped []store.Skipped, probes []probe.Identity, leftOut uint64) {
	ps := res.ProbeTotals()
	pdus, pduBytes, retrans := res.PDUTotals()
	secs := wall.Seconds()
	names := make([]string, len(probes))
	for i, p := range probes {
		names[i] = p.Name
	}
	fmt.Fprintf(w, "tmonbench replay: %s, "+pkt.Nouns(len(res.Probes), "%d probe[s]")+": %s\n", filesRead(len(files), skipped), len(res.Probes), strings.Join(names, ", "))
	fmt.Fprintf(w, "  packets read    %12d  (%d bytes captured)\n", res.Packets, res.Bytes)
	if leftOut > 0 {
		fmt.Fprintf(w, "  left out        %12d  (by --filter, not in packets read: event replay_filter)\n", leftOut)
	}
	fmt.Fprintf(w, "  decoded (IP)    %12d\n", ps.IP)
	fmt.Fprintf(w, "  not IP          %12d\n", ps.NotIP)
	fmt.Fprintf(w, "  malformed       %12d\n", ps.Malformed)
	if ps.Anomalies > 0 {
		fmt.Fprintf(w, "  anomalies       %12d  (packets kept with a doubtful length or header, once per kind%s: events packet_anomalies)\n", ps.Anomalies, anomalyRating(ps.Anomalies, st.Notable))
	}
	fmt.Fprintf(w, "  reassembled     %12d  (IP datagrams rebuilt from fragments: flow_counters ip_reassembled)\n", ps.Reassembled)
	fmt.Fprintf(w, "  flows           %12d  (granular flows of every class; query summary counts class 'all' only)\n", ps.Flows)
	switch {
	case res.FirstNs > 0 || res.LastNs > 0:
		fmt.Fprintf(w, "  capture span    %12.3f s%s\n", float64(res.LastNs-res.FirstNs)/1e9, longSpan(res.LastNs-res.FirstNs))
	case res.Packets > 0:
		fmt.Fprintf(w, "  capture span    %12s    (no packet has a valid capture time: capture_time_invalid)\n", "none")
	}
	// The whole run's, the PDUs and retransmissions after the final reports
	// (a replay settling, a probe lingering) included: pdu_stats counts
	// each channel's up to its final report only, which took the counts.
	fmt.Fprintf(w, "  PDUs            %12d  (%d bytes, %.2f%% of captured bytes; "+pkt.Nouns(retrans, "%d retransmission[s]")+"; all of the run: pdu_stats counts up to each final report)\n", pdus, pduBytes, 100*float64(pduBytes)/max(float64(res.Bytes), 1), retrans)
	fmt.Fprintf(w, "  rows written    ")
	for i, name := range st.Names() {
		if i > 0 {
			fmt.Fprintf(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", name, st.Tables[name].Rows)
	}
	fmt.Fprintln(w)
	printNotable(w, st.Notable)
	fmt.Fprintf(w, "  wall time       %12.3f s  (%.0f packets/s; opening the captures %.3f s of it)\n", secs, float64(res.Packets)/max(secs, 1e-9), opening.Seconds())
	fmt.Fprintf(w, "  output          %s\n", out)
}

// filesRead counts the summary's n capture files read and after them
// the files a folder or glob brought in that were skipped, not captures
// (skipNotCaptures), by name: "2 files (1 skipped...)" read as 1 of the 2
// skipped (a new-user trial's folder of 2 captures and a notes.txt).
// Each by the path the user's folder or glob gave it (as the warnings
// and run.json's skipped do): its base name alone made two notes.txt of
// two folders one. Without any skipped, "N file[s]".
func filesRead(n int, skipped []store.Skipped) string {
	if len(skipped) == 0 {
		return fmt.Sprintf(pkt.Nouns(n, "%d file[s]"), n)
	}
	names := make([]string, 0, maxSkippedNames+1)
	for _, s := range skipped[:min(len(skipped), maxSkippedNames)] {
		names = append(names, s.Path)
	}
	if more := len(skipped) - len(names); more > 0 {
		names = append(names, fmt.Sprintf("%d more", more))
	}
	return fmt.Sprintf(pkt.Nouns(n, "%d capture file[s]")+pkt.Nouns(len(skipped), " (%d other file[s] skipped, not [a capture|captures]: %s; event[s] capture_skipped)"),
		n, len(skipped), strings.Join(names, ", "))
}

// maxSkippedNames is how many skipped files the summary's first line
// names (filesRead); the warnings before it name each with its path.
const maxSkippedNames = 3

// anomalyRating splits the anomalies line's count n by the severity of
// their packet_anomalies events (dissect.Kind.Severe: Wireshark's rating),
// after "; ": the errors line counts only the error ones, so "anomalies
// 19" beside "packet_anomalies 11 (16 packets)" read as two counts of one
// thing that disagree. "" when none is an error.
func anomalyRating(n uint64, notable store.Notable) string {
	e := notable[store.EventKey{Severity: observe.SevError, Kind: "packet_anomalies"}].Count
	if e == 0 || e > n {
		return ""
	}
	return fmt.Sprintf("; "+pkt.Nouns(e, "%d rated error[s] (below)")+", "+pkt.Nouns(n-e, "%d note[s]"), e, n-e)
}

// longSpan says a capture span of ns nanoseconds from 1000 s up in
// hours or days, after two spaces and in parentheses ("  (27 h 05 min 12
// s)", "  (280 d 16 h)"; the TUI's fmtSpan), as nobody reads
// "24251308.426 s" as 280 days; "" below 1000 s.
func longSpan(ns int64) string {
	sec := ns / 1e9
	switch {
	case sec < 1000:
		return ""
	case sec < 100*3600:
		return fmt.Sprintf("  (%d h %02d min %02d s)", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("  (%d d %02d h)", sec/86400, sec/3600%24)
}

// printNotable prints a line per severity naming the warning and error
// event kinds written (replay's, live's and a collector's summaries), each
// with its number of events and, for kinds that count things, what they
// count (events.count summed, in countUnits' unit): "probe_run_incomplete
// 1 (2 flows still open)", "flows_evicted 3 (12000 flows)". A flow table
// that evicted, a clock that jumped, PDUs destroyed are said here, not
// left to the events table. It printed the counts alone, no unit:
// "probe_run_incomplete 2" for one event counting two flows.
func printNotable(w io.Writer, n store.Notable) {
	line := map[string][]string{}
	for _, k := range n.Keys() {
		t := n[k]
		n := fmt.Sprintf("%s %d", k.Kind, t.Events)
		if t.Unwritten > 0 { // an event the output refused is in no table
			why := "the output could not be written"
			if t.NoSpace {
				why = "the disk was full"
			}
			n += fmt.Sprintf(" (%d not written: %s; see above)", t.Unwritten, why)
		}
		if t.Count > 0 {
			unit := countUnits[k.Kind]
			if unit == "" {
				unit = "counted"
			}
			n += fmt.Sprintf(" (%d %s)", t.Count, pkt.Nouns(t.Count, unit))
		}
		line[k.Severity] = append(line[k.Severity], n)
	}
	for _, sev := range []string{observe.SevError, observe.SevWarning} {
		if l := line[sev]; len(l) > 0 {
			fmt.Fprintf(w, "  %-15s %s  (events, and what they count: tmonbench query events)\n", sev+"s", strings.Join(l, ", "))
		}
	}
}

// countUnits names what events.count counts for the warning and error
// kinds that count things (their messages in docs/tables.md' event
// reference), with pkt.Nouns markers for a count of 1 ("(1 packet)");
// a kind missing here is said "(N counted)".
var countUnits = map[string]string{
	"acks_limited": "acknowledgement[s]", "capture_trailing_data": "byte[s]", "capture_unsupported_link": "packet[s]", "flows_evicted": "flow[s]",
	"malformed_packets": "packet[s]", "packet_anomalies": "packet[s]", "oneway_bad_hop": "observation[s]", "oneway_drop_notices_full": "notice[s]",
	"oneway_evicted": "packet record[s]", "oneway_hop_silent": "silence[s]", "oneway_flows_full": "observation[s]", "oneway_late": "observation[s]",
	"oneway_negative_delays": "delay[s]", "oneway_unreported": "packet[s]", "pdu_bad_records": "PDU[s]",
	"pdu_destroyed_after_report": "record[s]", "pdu_overflow": "record[s]", "pdu_permanent_overflow": "record[s]",
	"pdu_refused": "frame[s]", "pdu_undelivered": "PDU[s]", "pdu_unreported": "PDU[s]", "probe_restart": "new run[s]",
	"probe_run_incomplete": "flow[s] still open", "replay_behind": "packet[s]", "run_interrupted": "packet[s]",
	"tcp_s0_aggregated": "half-open attempt[s]",
}

// senderSummary is a probe process's summary of its channel to collector
// name (stats ss, pending PDUs unacknowledged): the PDUs sent, heartbeats
// aside (the count a collector's pdus_accepted reaches), and every PDU it destroyed is
// said, by the regulation (pdu_overflow, pdu_destroyed: in pdu_stats) and
// by the spool bound (pdu_permanent_overflow), so "0 unacknowledged" never
// hides observations that did not reach the collector.
func senderSummary(name string, ss pdu.SenderStats, pending int) string {
	var pdus, destroyed, records uint64
	for t := range ss.PDUs {
		if pdu.Type(t) != pdu.TypeHeartbeat { // the PDUs a collector accepts: heartbeats are never acknowledged
			pdus += ss.PDUs[t]
		}
		destroyed += ss.Destroyed[t]
		records += ss.DestroyedRecords[t]
	}
	part := fmt.Sprintf("collector %s: "+pkt.Nouns(pdus, "%d PDU[s]")+", "+pkt.Nouns(ss.Retransmits, "%d retransmission[s]")+", %d unacknowledged", name, pdus, ss.Retransmits, pending)
	if d := destroyed - ss.PermanentDestroyed; d > 0 { // counters, histograms, RTT, TCP, one-way: past 16 MiB or final_timeout_s
		part += fmt.Sprintf(pkt.Nouns(d, ", %d PDU[s] destroyed by the regulation (")+pkt.Nouns(records-ss.PermanentDestroyedRecords, "%d record[s]: pdu_overflow, pdu_destroyed)"), d, records-ss.PermanentDestroyedRecords)
	}
	if ss.Spooled > 0 {
		part += fmt.Sprintf(", %d spooled to disk (at most %.1f MiB)", ss.Spooled, float64(ss.SpoolPeakBytes)/(1<<20))
	}
	if ss.PermanentDestroyed > 0 { // definitions past max_permanent_mb and spool_max_mb
		part += fmt.Sprintf(pkt.Nouns(ss.PermanentDestroyed, ", %d permanent PDU[s] destroyed (")+pkt.Nouns(ss.PermanentDestroyedRecords, "%d record[s]: pdu_permanent_overflow)"), ss.PermanentDestroyed, ss.PermanentDestroyedRecords)
	}
	if ss.DestroyedAfterReport > 0 { // not in the final pdu_stats rows: a late report's, if acknowledged
		part += fmt.Sprintf(", %d destroyed after the final report ("+pkt.Nouns(ss.DestroyedRecordsAfterReport, "%d record[s])"), ss.DestroyedAfterReport, ss.DestroyedRecordsAfterReport)
	}
	return part
}

// udpPart is what a UDP channel's socket counted that the summary line
// must not hide (pdu.UDPStats), "" when nothing: datagrams the kernel
// would not write, ICMP port unreachable reports, acknowledgements the
// probe's link dropped unread (their PDUs are retried), and a collector's
// acknowledgements it could not write back (the probes retry those PDUs).
func udpPart(st pdu.UDPStats) string {
	var parts []string
	for _, c := range []struct {
		n    uint64
		what string
	}{
		{st.SendErrors, "datagram write[s] failed"},
		{st.Refused, "refused (ICMP port unreachable)"},
		{st.AcksDropped, "acknowledgement[s] dropped unread ([its PDU|their PDUs] retried)"},
		{st.AckFails, "acknowledgement[s] not written back"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf(pkt.Nouns(c.n, "%d "+c.what), c.n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

// printAppended prints what an Appender's output (a collector's, a live
// run's) holds of note: its events (printNotable) and the table folders
// found removed under it and made again (store.Appender.FoldersRemade).
func printAppended(w io.Writer, app *store.Appender) {
	printNotable(w, app.Notable())
	if remade := app.FoldersRemade(); remade != nil {
		var l []string
		for _, t := range slices.Sorted(maps.Keys(remade)) {
			l = append(l, fmt.Sprintf("%s %d", t, remade[t]))
		}
		fmt.Fprintf(w, "  %-15s %s  (table folders removed while the run wrote them, made again: the rows they held went with them, the rows since are kept)\n", "folders remade", strings.Join(l, ", "))
	}
}

package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/store"
	"github.com/tmonbench/tmonbench/live"
)

// TestCountedNouns: the command lines that count things agree with the
// count (trials read "ring full 1 times", "1 frames received", "1
// retransmissions", "1 records"): the kernel health events, a collector's
// summary line, a probe's channel summary, the UDP socket's counters and
// the anomalies' rating, with 1, then 2.
func TestCountedNouns(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want []string
	}{
		{1, []string{
			"lo: 1 of 1 packet dropped by the kernel, ring full 1 time (1 dropped in all): the probe cannot keep up (bigger --ring-mb, a --filter, or fewer classes)",
			"lo: ring full 1 time, no packet dropped (1 dropped in all): the probe is at its limit (bigger --ring-mb, a --filter, or fewer classes)",
			"tmonbench collector: 1 frame received, 1 PDU accepted (of which 1 frame and 1 PDU before this process started: restored from its state folder), 1 heartbeat, 1 duplicate, 0 refused (0 bad, 0 unknown probe, 0 bad tag, 0 closed epoch, 0 too old), 1 datagram write failed, 1 acknowledgement dropped unread (its PDU retried), 1 acknowledgement not written back; output O",
			"collector c: 1 PDU, 1 retransmission, 0 unacknowledged, 1 PDU destroyed by the regulation (1 record: pdu_overflow, pdu_destroyed), 1 permanent PDU destroyed (1 record: pdu_permanent_overflow), 1 destroyed after the final report (1 record)",
			"; 1 rated error (below), 1 note",
		}},
		{2, []string{
			"lo: 2 of 2 packets dropped by the kernel, ring full 2 times (2 dropped in all): the probe cannot keep up (bigger --ring-mb, a --filter, or fewer classes)",
			"lo: ring full 2 times, no packet dropped (2 dropped in all): the probe is at its limit (bigger --ring-mb, a --filter, or fewer classes)",
			"tmonbench collector: 2 frames received, 2 PDUs accepted (of which 2 frames and 2 PDUs before this process started: restored from its state folder), 2 heartbeats, 2 duplicates, 0 refused (0 bad, 0 unknown probe, 0 bad tag, 0 closed epoch, 0 too old), 2 datagram writes failed, 2 acknowledgements dropped unread (their PDUs retried), 2 acknowledgements not written back; output O",
			"collector c: 2 PDUs, 2 retransmissions, 0 unacknowledged, 2 PDUs destroyed by the regulation (2 records: pdu_overflow, pdu_destroyed), 2 permanent PDUs destroyed (2 records: pdu_permanent_overflow), 2 destroyed after the final report (2 records)",
			"; 2 rated errors (below), 2 notes",
		}},
	} {
		n := c.n
		var got []string
		h := &health{}
		ev := func(_ uint8, _, msg string, _ uint64) { got = append(got, msg) }
		h.reportStats([]live.Stats{{Interface: "lo", KernelPackets: n, Drops: n, Freezes: n}}, ev)
		h.reportStats([]live.Stats{{Interface: "lo", KernelPackets: n, Drops: n, Freezes: 2 * n}}, ev)
		rx := pdu.ReceiverStats{Frames: n, Accepted: n, Duplicates: n, Heartbeats: n}
		got = append(got, collectorLine(rx, pdu.ReceiverStats{Frames: n, Accepted: n}, pdu.UDPStats{SendErrors: n, AcksDropped: n, AckFails: n}, "O"))
		var ss pdu.SenderStats
		ss.PDUs[pdu.TypeCounters], ss.Retransmits = n, n
		ss.Destroyed[pdu.TypeCounters], ss.DestroyedRecords[pdu.TypeCounters] = n, n
		ss.Destroyed[pdu.TypeFlowDef], ss.DestroyedRecords[pdu.TypeFlowDef] = n, n
		ss.PermanentDestroyed, ss.PermanentDestroyedRecords = n, n
		ss.DestroyedAfterReport, ss.DestroyedRecordsAfterReport = n, n
		got = append(got, senderSummary("c", ss, 0))
		got = append(got, anomalyRating(2*n, notableErrors(n)))
		if !slices.Equal(got, c.want) {
			t.Errorf("%d:\n got %s\nwant %s", n, strings.Join(got, "\n     "), strings.Join(c.want, "\n     "))
		}
	}
}

// notableErrors is a run's events with n packet_anomalies errors.
func notableErrors(n uint64) store.Notable {
	return store.Notable{store.EventKey{Severity: observe.SevError, Kind: "packet_anomalies"}: {Count: n}}
}

// TestCollectorLineAddsUp: a collector's summary line accounts for every
// frame. The ninth trial's collector (docs/processes.md's recipe, probes A
// and B of the lab's oneway-udp, 27 and 29 PDUs on their own summary
// lines) said "58 frames received, 56 PDUs accepted, 0 duplicates, 0
// refused": the 2 other frames were the probes' heartbeats, in no count.
// --any-probe's refusals past its bound are named too (Refused counts them).
func TestCollectorLineAddsUp(t *testing.T) {
	rx := pdu.ReceiverStats{Frames: 58, Accepted: 27 + 29, Heartbeats: 2}
	const want = "tmonbench collector: 58 frames received, 56 PDUs accepted, 2 heartbeats, 0 duplicates, 0 refused (0 bad, 0 unknown probe, 0 bad tag, 0 closed epoch, 0 too old); output O"
	if got := collectorLine(rx, pdu.ReceiverStats{}, pdu.UDPStats{}, "O"); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	rx = pdu.ReceiverStats{Frames: 5, Accepted: 2, ProbesFull: 3}
	const wantFull = "tmonbench collector: 5 frames received, 2 PDUs accepted, 0 heartbeats, 0 duplicates, 3 refused (0 bad, 0 unknown probe, 0 bad tag, 0 closed epoch, 0 too old, 3 past the 1024 probes followed); output O"
	if got := collectorLine(rx, pdu.ReceiverStats{}, pdu.UDPStats{}, "O"); got != wantFull {
		t.Errorf("got  %s\nwant %s", got, wantFull)
	}
}

package pipeline

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestUndeliveredNouns: the run's PDU lines count their nouns (a new-user
// trial read "1 PDUs were never acknowledged", "1 records"): one PDU
// pending at the end, one destroyed with one record, then two of each.
// The counts are the Result's own (pdu.SenderStats), the message is
// English grammar: singular for 1, plural for 2.
func TestUndeliveredNouns(t *testing.T) {
	res := func(n int) *Result {
		var s pdu.SenderStats
		s.Unacked = n
		s.Destroyed[pdu.TypeCounters] = uint64(n)
		s.DestroyedRecords[pdu.TypeCounters] = uint64(n)
		return &Result{Senders: []pdu.SenderStats{s}, Delivered: []Delivery{{UnackedReceived: n}}}
	}
	for _, c := range []struct {
		n                           int
		undelivered, pending, unrep string
	}{
		{1, "2 PDUs were never acknowledged by a collector: 1 still unacknowledged at the end (event pdu_undelivered) (1 of them reached the collector: only its acknowledgement was lost), 1 destroyed unacknowledged by the regulation, 1 record, with no final report in pdu_stats to count them (event pdu_unreported); the observations of 1 of them are missing from the tables",
			"1 PDU was never acknowledged by a collector, but it received it (only the acknowledgement was lost): its observations are in the tables",
			"1 PDU (1 record) was destroyed unacknowledged by the regulation (long retry final timeout, backlog or spool bound) and no final report that counts it reached a collector (pdu_stats lacks it): its observations are missing from the tables"},
		{2, "4 PDUs were never acknowledged by a collector: 2 still unacknowledged at the end (event pdu_undelivered) (2 of them reached the collector: only their acknowledgements were lost), 2 destroyed unacknowledged by the regulation, 2 records, with no final report in pdu_stats to count them (event pdu_unreported); the observations of 2 of them are missing from the tables",
			"2 PDUs were never acknowledged by a collector, but it received every one (only the acknowledgements were lost): their observations are in the tables",
			"2 PDUs (2 records) were destroyed unacknowledged by the regulation (long retry final timeout, backlog or spool bound) and no final report that counts them reached a collector (pdu_stats lacks them): their observations are missing from the tables"},
	} {
		r := res(c.n)
		if got := r.Undelivered(); got != c.undelivered {
			t.Errorf("%d: Undelivered\n got %s\nwant %s", c.n, got, c.undelivered)
		}
		ev := (&run{res: r, opt: Options{StartedNs: 1}}).runEvents()
		if len(ev) != 2 || ev[0].Message != c.pending || ev[1].Message != c.unrep {
			t.Errorf("%d: run events %+v\nwant %s\n and %s", c.n, ev, c.pending, c.unrep)
		}
	}
	// one pending, never received: the first form of pdu_undelivered
	r := &Result{Senders: []pdu.SenderStats{{Unacked: 1, ReportAcked: true}}}
	want := "1 PDU was never acknowledged by a collector: its observations are missing from the tables"
	if ev := (&run{res: r, opt: Options{StartedNs: 1}}).runEvents(); len(ev) != 1 || ev[0].Message != want {
		t.Errorf("run events %+v, want %s", ev, want)
	}
}

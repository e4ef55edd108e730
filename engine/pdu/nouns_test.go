package pdu

import (
	"slices"
	"strings"
	"testing"
)

// TestSenderNouns: the sender's counted messages agree with their count
// (trials read "1 PDUs pending", "1 records", "1 transmissions"): the end
// of long retry mode (EndLong), a round of retries (exhausted) and the
// spool bound (permanentOverflow) with 1, then 2 of each.
func TestSenderNouns(t *testing.T) {
	for _, c := range []struct {
		n    int
		want []string
	}{
		{1, []string{
			"1 transmission over ",
			"1 permanent PDU (1 record: flow definitions, FTP records, events) destroyed, oldest first: full while the collector did not acknowledge",
			"the run ends after 0s in long retry mode: 1 PDU pending, unacknowledged, 1 PDU (1 record) destroyed by the final timeout",
		}},
		{2, []string{
			"2 transmissions over ",
			"2 permanent PDUs (2 records: flow definitions, FTP records, events) destroyed, oldest first: full while the collector did not acknowledge",
			"the run ends after 0s in long retry mode: 2 PDUs pending, unacknowledged, 2 PDUs (2 records) destroyed by the final timeout",
		}},
	} {
		var got []string
		s := NewSender(DefaultSenderConfig(), 1, &Loopback{Deliver: func([]byte) []byte { return nil }})
		s.SetOnEvent(func(_ int64, _ uint8, _, msg string) { got = append(got, msg) })
		round := s.exhausted(&pending{round: c.n, sends: c.n, lastSendNs: -1e9})
		round = round[:min(len(round), len(c.want[0]))] // the time is the regulation's: only the count is checked
		got = append(got, round)
		s.permanentOverflow(uint64(c.n), uint64(c.n), "full")
		s.long = true
		for i := range c.n {
			s.unacked[uint32(i)] = &pending{}
		}
		s.lostPDUs, s.lostRecords = uint64(c.n), uint64(c.n)
		s.EndLong(0)
		if !slices.Equal(got, c.want) {
			t.Errorf("%d:\n got %s\nwant %s", c.n, strings.Join(got, "\n     "), strings.Join(c.want, "\n     "))
		}
	}
}

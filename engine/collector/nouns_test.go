package collector

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/oneway"
)

// TestCollectorNouns: the collector's counted messages agree with their
// count (trials read "1 observations arrived", "1 times a hop's probe
// fell silent", "1 acknowledgements not sent", "1 PDUs with records that
// do not decode"): each oneway_* event, oneway_repeats, acks_limited,
// pdu_bad_records and probe_run_incomplete with 1, then 2 (the probe
// never heard of is named by refPrefix and its wire id).
func TestCollectorNouns(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want []string
	}{
		{1, []string{
			"class o: 1 one-way delay below zero: check the probes' clock synchronisation or clock_offset_us",
			"class o: 1 signature collision resolved by time",
			"class o: 1 observation arrived after the timeout (timeout_s) had passed at every hop: it made a record of its own, so its packet may count as lost at one hop and missed at another; raise timeout_s if the probes' PDUs arrive that late",
			"class o: 1 packet record classified before its timeout to keep the collector's open records bounded: at a hop that had not reported it yet it counts as dropped; shorten timeout_s or narrow the class",
			"class o: 1 observation of one-way flows beyond the collector's limit of flows per class ignored: narrow the class or its granularity",
			"class o: 1 notice of observations a probe destroyed ignored beyond the collector's limit: their packets count as lost, not dropped",
			"class o: 1 packet dropped at hops whose probe had not reported that far when it was classified (a probe killed, silent or never heard from, or still running when the collector stopped): nobody can say whether it passed there",
			"class o: 1 time a hop's probe fell silent (no report while another hop's clock went on past timeout_s + interval_s + max_build_s + final_timeout_s): its packets and intervals were closed without it, the packets due there counted dropped and unreported (oneway_unreported)",
			"class o: 1 observation or clock for a hop outside the class's hops ignored",
			"class o: 1 observation reported again (a probe restarted on the capture it replays, a resent spool) ignored, not counted as packets: 1 of packets still open, 0 of packets already classified and written",
			"1 acknowledgement not sent: more than 200 a second to addresses not acknowledged before (forged sources?); its probe retries",
			"probe " + refPrefix + "p1: 1 PDU with records that do not decode (its rows are missing); first bad",
			"probe " + refPrefix + "p1: a run ended without its final report (killed, crashed, or the report never arrived): 1 flow still open in it never got its final totals; bad",
		}},
		{2, []string{
			"class o: 2 one-way delays below zero: check the probes' clock synchronisation or clock_offset_us",
			"class o: 2 signature collisions resolved by time",
			"class o: 2 observations arrived after the timeout (timeout_s) had passed at every hop: each made a record of its own, so its packet may count as lost at one hop and missed at another; raise timeout_s if the probes' PDUs arrive that late",
			"class o: 2 packet records classified before their timeout to keep the collector's open records bounded: at a hop that had not reported them yet they count as dropped; shorten timeout_s or narrow the class",
			"class o: 2 observations of one-way flows beyond the collector's limit of flows per class ignored: narrow the class or its granularity",
			"class o: 2 notices of observations a probe destroyed ignored beyond the collector's limit: their packets count as lost, not dropped",
			"class o: 2 packets dropped at hops whose probe had not reported that far when they were classified (a probe killed, silent or never heard from, or still running when the collector stopped): nobody can say whether they passed there",
			"class o: 2 times a hop's probe fell silent (no report while another hop's clock went on past timeout_s + interval_s + max_build_s + final_timeout_s): its packets and intervals were closed without it, the packets due there counted dropped and unreported (oneway_unreported)",
			"class o: 2 observations or clocks for a hop outside the class's hops ignored",
			"class o: 2 observations reported again (a probe restarted on the capture it replays, a resent spool) ignored, not counted as packets: 2 of packets still open, 0 of packets already classified and written",
			"2 acknowledgements not sent: more than 200 a second to addresses not acknowledged before (forged sources?); their probes retry",
			"probe " + refPrefix + "p1: 2 PDUs with records that do not decode (their rows are missing); first bad",
			"probe " + refPrefix + "p1: a run ended without its final report (killed, crashed, or the report never arrived): 2 flows still open in it never got their final totals; bad",
		}},
	} {
		c0, err := New(config.Default(), nil)
		if err != nil {
			t.Fatal(err)
		}
		n := c.n
		c0.reportClass(1, "o", &oneway.Stats{NegativeDelays: n, Collisions: n, Late: n, Evicted: n, FlowsFull: n, DropRangesFull: n,
			Unreported: n, SilentHops: n, BadHop: n, Repeats: n})
		var got []string
		for _, e := range c0.batch.Events {
			got = append(got, e.Message)
		}
		got = append(got, acksLimited(n))
		c0.batch.Events = nil
		c0.bad = map[uint16]*badPDUs{1: {n: n, first: "bad"}}
		c0.incomplete = map[uint16]*badPDUs{1: {n: n, first: "bad"}}
		c0.reportBad()
		for _, e := range c0.batch.Events {
			got = append(got, e.Message)
		}
		if !slices.Equal(got, c.want) {
			for i := range max(len(got), len(c.want)) {
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(c.want) {
					w = c.want[i]
				}
				if g != w {
					t.Errorf("%d:\n got %s\nwant %s", n, g, w)
				}
			}
		}
	}
}

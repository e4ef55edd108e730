package tui

import (
	"testing"
)

// TestFollowWhileTypingFilter: parts arriving while a filter is typed on
// the Flows screen (zeek_ntp's 24 flows moved into zeek_wikipedia's 59:
// followPair) are read at once, 83 flows under the filter box, the text
// typed and the box left as they were; the rest typed and enter then
// filter the refreshed rows: "udp port 123" gives the 24 NTP flows (the
// replay's flows of probe zeek_ntp, each to port 123). The refresh waited
// for the filter to be applied or dropped: the screen kept its 59 flows
// while the filter was typed, and after esc until shown again.
func TestFollowWhileTypingFilter(t *testing.T) {
	out, more := followPair(t)
	m, press, _ := screenModel(t, out)
	press("2", "/", "u", "d", "p", " ", "p", "o", "r", "t")
	tb := activeTable(t, m)
	if !tb.editing || tb.total != 59 {
		t.Fatalf("filter box open %v, %d flows; want it open over zeek_wikipedia's 59", tb.editing, tb.total)
	}
	moveIn(t, m, more, out, "flows/date=2016-10-15", "flow_counters/date=2016-10-15")
	if !tb.editing || tb.input.Value() != "udp port" || tb.total != 59+24 || len(tb.rows) == 0 {
		t.Fatalf("after the appends: filter box open %v, text %q, %d flows; want it open, %q, 83 flows", tb.editing, tb.input.Value(), tb.total, "udp port")
	}
	press(" ", "1", "2", "3", "enter")
	if tb.editing || tb.filter != "udp port 123" || tb.total != 24 {
		t.Fatalf("filter %q applied (box open %v): %d flows, want the 24 NTP flows", tb.filter, tb.editing, tb.total)
	}
	for i := range tb.rows {
		tb.cur = i
		if p := toString(tb.current()["probe"]); p != "zeek_ntp" {
			t.Fatalf("flow of probe %s under udp port 123, want zeek_ntp's only", p)
		}
	}
}

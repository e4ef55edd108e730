package tui

import (
	"testing"
)

// TestFollowDetailUnderPackets: a flow's detail under its Packets screen
// (p) when parts arrive for the flow (its flow_counters part written again
// as another: every interval counted twice) is marked to load again
// (screenBase.due) and, popped back to (esc), shows the new rows: each
// metric's n and sum double. Popped back to with nothing new, it is shown
// as it was, no query asked. It was reloaded only because a pushed
// screen was never marked loaded: every return to it read it again, and
// marking it so (as Model.show does) left the new rows unseen.
func TestFollowDetailUnderPackets(t *testing.T) {
	out, m, press, d := followedDetail(t)
	before := d.d
	press("p")
	if _, ok := m.active().(*packetsScreen); !ok {
		t.Fatalf("active screen %T after p, want the flow's packets", m.active())
	}
	press("esc")
	if m.active() != screen(d) || d.d != before {
		t.Fatalf("back on the detail with nothing new: active %T, read again %v; want the same detail as it was", m.active(), d.d != before)
	}

	press("p")
	countersTwice(t, out)
	drive(t, m, outputCheckMsg{})
	if d.d != before {
		t.Fatalf("detail under the packets after new parts: due %v, read again %v; want due, not read yet", d.due, d.d != before)
	}
	press("esc")
	if m.active() != screen(d) {
		t.Fatalf("active screen %T, due %v; want the detail, loaded", m.active(), d.due)
	}
	metricsTwice(t, before.metrics, d.d.metrics)
}

package oneway

import "testing"

// TestEndSplitsNoPacket: a one-way flow ends at its latest observation
// plus Limits.IdleS, whichever hop made it, and a packet has a later time
// at the downstream hop (its delay). When the downstream hop reports the
// first packet after the idle gap before the upstream hop does (the
// upstream probe lagging: its PDUs are sent at its own pace), the
// downstream time can be past the end while the upstream time is not:
// here packet 1 at a at 0 and at b at 1 ms, packet 2 at a at 300.0005 s
// and at b at 300.0015 s, 1 ms after it (idle 300 s: the end is 300.001
// s). b's observation of packet 2 opens the next flow (2); a's, reported
// after it and before the end, joined the ended flow, so packet 2 counted
// as lost in flow 1 and missed in flow 2. It belongs to flow 2 whole,
// delivered with its 1 ms delay: packets 1 and 2 are both delivered, one
// in each flow (the arithmetic of this schedule).
func TestEndSplitsNoPacket(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10, IdleS: 300})
	obs := func(hop int, flow, sig uint64, atUs float64) bool {
		return s.r.Observe(hop, flow, &Obs{Signature: sig, TimeNs: us(atUs), SizeBytes: 100})
	}
	s.r.DefineFlow(1, "f")
	obs(0, 1, 1, 0)
	obs(1, 1, 1, 1000)
	// b, ahead of a, reports packet 2: past the end, refused; the
	// collector gives it the key's next id (Collector.renewOneway)
	if obs(1, 1, 2, 300_001_500) {
		t.Fatal("b's packet 2, 300.0005 s after the flow's latest observation, joined flow 1")
	}
	s.r.DefineFlow(2, "f")
	s.r.Renewed(1, 2)
	if !obs(1, 2, 2, 300_001_500) {
		t.Fatal("flow 2 refused b's packet 2")
	}
	// a, lagging, reports packet 2 on flow 1, its probe flow's route
	if !obs(0, 1, 2, 300_000_500) {
		t.Fatal("a's packet 2, before flow 1's end, refused")
	}
	s.advanceAll(310e6) // both hops reported through 310 s
	s.r.Flush()
	st := s.r.Stats()
	if st.Delivered != 2 || st.Lost != 0 || st.Missed != 0 {
		t.Errorf("delivered %d, lost %d, missed %d, want 2, 0, 0", st.Delivered, st.Lost, st.Missed)
	}
	want := map[uint64]uint64{1: 1, 2: 2} // flow: signature delivered
	for _, p := range s.packets {
		if p.Status != StatusDelivered || want[p.FlowID] != p.Signature {
			t.Errorf("packet %d of flow %d %v, want packet %d of flow %d delivered", p.Signature, p.FlowID, p.Status, want[p.FlowID], p.FlowID)
		}
	}
	for _, d := range s.delays {
		if d.Status != "delivered" || d.DelayUs == nil || *d.DelayUs != 1000 {
			t.Errorf("delay row %+v, want delivered with 1000 µs", d)
		}
	}
}

package oneway

import (
	"math"
	"testing"
)

// TestResumeAfterFinishedRun: both probes of a two-hop class finish a run
// (the collector advances their hops to the end of time: every record
// classified), then start new runs (a restart or a config switch-over).
// After Resume their packets are waited for and matched as in a first
// run: the new packet seen at a then b is delivered once its timeout has
// passed at both hops, and nothing is late. Without Resume every packet
// of the new runs would be late, and an interval of theirs never close.
func TestResumeAfterFinishedRun(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 1})
	s.obs(0, 1, 100, 100)
	s.obs(1, 1, 300, 100)
	s.r.Advance(0, math.MaxInt64/2) // both runs finished
	s.r.Advance(1, math.MaxInt64/2)
	if len(s.packets) != 1 || s.packets[0].Status != StatusDelivered || len(s.loss) != 1 {
		t.Fatalf("first run: packets %+v, loss rows %d", s.packets, len(s.loss))
	}
	s.r.Resume("a")
	s.r.Resume("b")
	s.obs(0, 2, 5e6, 100) // 5 s later, interval [5 s, 6 s)
	s.advanceAll(5.5e6)
	s.obs(1, 2, 5.0002e6, 100)
	if len(s.packets) != 1 {
		t.Fatalf("second run classified before its timeout: %+v", s.packets)
	}
	s.advanceAll(7e6) // past the timeout and the interval's end at both hops
	if len(s.packets) != 2 || s.packets[1].Status != StatusDelivered || s.r.Stats().Late != 0 {
		t.Errorf("second run: packets %+v, stats %+v", s.packets, s.r.Stats())
	}
	if len(s.loss) != 2 || s.loss[1].Delivered != 1 {
		t.Errorf("loss rows %+v", s.loss)
	}
}

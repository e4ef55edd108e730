package oneway

import "testing"

// TestSilentHopBounded: on hops [a, b] (timeout 1 s, 1 s intervals,
// Limits.SilentS 5 s), b reports through 1 s and falls silent while a
// goes on reporting a packet a second to 20 s. Design 4.3 holds a packet
// open until every hop's clock passed its time plus the timeout; a hop
// that never reports again held every packet and interval open for ever
// (memory: records, and a slot with its histograms per interval). Now the
// wait is bounded: with a's clock at T, b counts as reported up to T - 5 s,
// so the packets up to T - 6 s are classified and the intervals ending by
// then emitted. The values, by the rules of design 4.3 (doc.go):
//   - the packet at 0 s, seen at both, is delivered; the one at 0.5 s, seen
//     at a only and due at b (0.5 s + its 100 µs delay) before b's last
//     report (1 s), is lost: b watched and did not see it;
//   - the packets at 2..14 s (a's clock at 20 s: classified up to 14 s),
//     due at b after its last report, are dropped there, unreported
//     (nobody watched), not lost;
//   - the intervals with packets ending by 14 s are written: [0,1) and
//     [2,3) .. [13,14) s (13 rows; no packet in [1,2)), the rest open;
//   - at most 7 records open at any time (a packet a second over the 6 s
//     of the bounded wait, plus the one just made);
//   - SilentHops counts the silence once, however long it lasts.
func TestSilentHopBounded(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 1, SilentS: 5})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 100, 100)
	s.obs(0, 2, 0.5e6, 100)
	s.r.Advance(1, us(1e6)) // b's last report
	maxOpen := 0
	for sec := 1; sec <= 20; sec++ {
		if sec >= 2 {
			s.obs(0, uint64(sec+1), float64(sec)*1e6, 100)
		}
		s.r.Advance(0, us(float64(sec)*1e6))
		maxOpen = max(maxOpen, s.r.Pending())
	}
	st := s.r.Stats()
	if st.Delivered != 1 || st.Lost != 1 || st.Dropped != 13 || st.Unreported != 13 || st.Missed != 0 {
		t.Errorf("stats %+v, want 1 delivered, 1 lost, 13 dropped (13 unreported)", st)
	}
	if st.SilentHops != 1 {
		t.Errorf("%d silences counted, want 1", st.SilentHops)
	}
	if len(s.loss) != 13 || s.loss[len(s.loss)-1].IntervalStart != t0+13e9 {
		t.Errorf("%d oneway_loss rows, want 13 (intervals [0,1), [2,3) .. [13,14) s)", len(s.loss))
	}
	if maxOpen > 7 || s.r.Pending() != 6 {
		t.Errorf("open records: at most %d, %d at the end; want at most 7, 6 at the end (15..20 s)", maxOpen, s.r.Pending())
	}
	// b's probe reports again: no longer silent; falling silent again is
	// a second silence
	s.r.Advance(1, us(20e6))
	s.r.Advance(0, us(30e6))
	if st := s.r.Stats(); st.SilentHops != 2 {
		t.Errorf("%d silences counted after b's second silence, want 2", st.SilentHops)
	}
}

// TestSilentHopWaitsWhenZero: Limits.SilentS 0 keeps design 4.3's rule
// as it was (a silent hop holds every packet open until Flush) and an
// ended probe's hop (EndProbe: its clock at the end of time) never makes
// the running hops silent.
func TestSilentHopWaitsWhenZero(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 1})
	s.obs(0, 1, 0, 100)
	s.r.Advance(0, us(1e9))
	if s.r.Pending() != 1 || s.r.Stats().SilentHops != 0 {
		t.Errorf("SilentS 0: %d open, %d silences; want 1, 0", s.r.Pending(), s.r.Stats().SilentHops)
	}
	e := newSim(t, twoHops(), Limits{IntervalS: 1, SilentS: 5})
	e.obs(1, 1, 0, 100)
	e.r.Advance(1, us(1e6))
	e.r.EndProbe("a", us(0.5e6))
	if e.r.Stats().SilentHops != 0 {
		t.Errorf("an ended hop made b silent: %+v", e.r.Stats())
	}
}

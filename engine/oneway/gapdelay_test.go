package oneway

import "testing"

// TestGapJudgedByClassifiedDelay reproduces the live trial's F2
// (TRIAL-LIVE.md, run 4: 157 packets tcpdump saw delivered at B counted
// lost in the middle of B's kill gap, its packets before and after
// dropped). b's probe reports through 1000 µs on a 200 µs path, is killed
// and started again, its new run first reporting at 1,000,200 µs
// (Resume): the packets left a at 0.2 and 0.3 s, due at b 200 µs later,
// fell between its runs: dropped there, unreported (design 4.3, RFC 7680:
// nobody watched; TestRestartedProbeGapDrops). Then, as after the
// collector's restart when b's retransmitted PDUs came before a's, b's
// new run reports a packet (signature 3, 1.8 s) before a does: it joins
// the only record of its signature lacking b, another packet's left a at
// 0.9 s in the gap (a 16-bit signature collision, 0.9 s, within the
// timeout), and the flow's current delay becomes 0.9 s. The records of
// 0.2 and 0.3 s, classified then, were judged due at b at 1.1 and 1.2 s,
// after the new run's first report: lost. The delay they are judged by is
// the flow's at their time, that of its latest packet classified (200
// µs), not the latest match's, which a's late observation of the packet
// undoes (visitTaken).
func TestGapJudgedByClassifiedDelay(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 200, 100)
	s.advanceAll(1000) // b's first run reported through 1000 µs, then killed
	s.r.Resume("b")
	s.obs(0, 2, 0.2e6, 100)
	s.obs(0, 4, 0.3e6, 100)
	s.obs(0, 3, 0.9e6, 100) // lost in the gap, shares signature 3 with the packet of 1.8 s
	s.obs(0, 5, 1.0e6, 100)
	s.obs(1, 5, 1.0002e6, 100) // the new run's first report
	s.obs(1, 6, 1.7002e6, 100)
	s.obs(1, 3, 1.8e6, 100) // b's report ahead of a's: joins the record of 0.9 s
	s.r.Advance(0, us(1.5e6))
	s.r.Advance(1, us(1.9e6))  // classifies the records up to 0.5 s
	s.obs(0, 6, 1.7e6, 100)    // a's late reports: the flow's delay is 200 µs again,
	s.obs(0, 3, 1.7998e6, 100) // and the packet of 1.8 s takes its own observation back
	s.reported()
	got := map[int64]Status{}
	for _, p := range s.packets {
		got[(p.LastNs[0]-us(0))/1e3] = p.Status
	}
	want := map[int64]Status{0: StatusDelivered, 0.2e6: StatusDropped, 0.3e6: StatusDropped, 0.9e6: StatusDropped, 1.0e6: StatusDelivered, 1.7e6: StatusDelivered, 1.7998e6: StatusDelivered}
	for at, st := range want {
		if got[at] != st {
			t.Errorf("packet left a at %d µs: %v, want %v", at, got[at], st)
		}
	}
	if st := s.r.Stats(); len(s.packets) != 7 || st.Lost != 0 || st.Dropped != 3 || st.Unreported != 3 {
		t.Errorf("%d packets, stats %+v: want 7, none lost, 3 dropped (unreported)", len(s.packets), st)
	}
}

// TestKilledRunReportedLessMaxBuild reproduces F2's first packet
// (TRIAL-LIVE.md, run 4: left A at 987.466983, seen at B 75,877 µs later
// by tcpdump, counted lost): b's probe saw it at 1000 µs, built a PDU at
// its clock of 1000 µs without it (an observation waits for the next PDU
// up to max_build_s: TestWorkersAcksKeepBuildTimes), and was killed
// before sending it. Its latest report, 1000 µs, is not the end of what
// it reported: that is 1000 µs less Limits.MaxBuildS (500 µs here). The
// packet, due at b at 1000 µs, is dropped (unreported) once b's new run
// reports (Resume), not lost; one due before that (500 µs, unseen at b)
// stays lost.
func TestKilledRunReportedLessMaxBuild(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10, MaxBuildS: 0.0005})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 200, 100)
	s.obs(0, 2, 300, 100)    // due at b at 500 µs: not seen there
	s.obs(0, 3, 800, 100)    // seen at b at 1000 µs, never sent
	s.r.Advance(1, us(1000)) // the killed run's latest PDU, built at 1000 µs
	s.r.Resume("b")
	s.obs(0, 4, 5000, 100)
	s.obs(1, 4, 5200, 100) // the new run's first report
	s.reported()
	want := map[uint64]Status{1: StatusDelivered, 2: StatusLost, 3: StatusDropped, 4: StatusDelivered}
	for _, p := range s.packets {
		if p.Status != want[p.Signature] {
			t.Errorf("packet %d: %v, want %v", p.Signature, p.Status, want[p.Signature])
		}
	}
	if st := s.r.Stats(); len(s.packets) != 4 || st.Lost != 1 || st.Dropped != 1 || st.Unreported != 1 {
		t.Errorf("%d packets, stats %+v: want 4, 1 lost, 1 dropped (unreported)", len(s.packets), st)
	}
}

// TestFlushReportedLessMaxBuild: as TestKilledRunReportedLessMaxBuild,
// b's probe killed after its PDU built at 1000 µs, never started again;
// the collector stops (Flush). The packet due at b at 1000 µs, which the
// probe may have seen without sending it, is dropped (unreported), not
// lost; the one due at 500 µs, before the latest report less MaxBuildS
// (500 µs), stays lost.
func TestFlushReportedLessMaxBuild(t *testing.T) {
	s := newSim(t, twoHops(), Limits{IntervalS: 10, MaxBuildS: 0.0005})
	s.obs(0, 1, 0, 100)
	s.obs(1, 1, 200, 100)
	s.obs(0, 2, 300, 100)
	s.obs(0, 3, 800, 100)
	s.r.Advance(1, us(1000))
	s.r.Advance(0, us(1e7))
	s.r.Flush()
	want := map[uint64]Status{1: StatusDelivered, 2: StatusLost, 3: StatusDropped}
	for _, p := range s.packets {
		if p.Status != want[p.Signature] {
			t.Errorf("packet %d: %v, want %v", p.Signature, p.Status, want[p.Signature])
		}
	}
	if st := s.r.Stats(); len(s.packets) != 3 || st.Lost != 1 || st.Dropped != 1 || st.Unreported != 1 {
		t.Errorf("%d packets, stats %+v: want 3, 1 lost, 1 dropped (unreported)", len(s.packets), st)
	}
}

package pdu

import "testing"

// TestWallGatedTimeouts: a probe process replaying a capture faster than
// real time (probe --pcap --speed full) over a healthy link. The collector
// acknowledges every frame 1 ms of wall time after it is sent, while the
// capture clock races 10 s ahead per millisecond of wall time. With the
// acknowledgement timeouts on capture time alone, PDUs are retransmitted
// and the channel goes into long retry mode with a collector that answers
// every frame (seen: 144 PDUs, 1228 retransmissions on a 900 s capture);
// with SenderConfig.WallNs they also wait their time in wall time: no
// retransmission, every record once.
func TestWallGatedTimeouts(t *testing.T) {
	for _, gated := range []bool{false, true} {
		var wall int64 // the fake wall clock, ns
		coll := newColl(t)
		type inFlight struct {
			at    int64
			frame []byte
		}
		var queue []inFlight
		var s *Sender
		link := &Loopback{Deliver: func(f []byte) []byte {
			queue = append(queue, inFlight{wall + 1e6, append([]byte(nil), f...)}) // acked 1 ms later
			return nil
		}}
		cfg := SenderConfig{Collector: "c", MaxPDUBytes: 1400, MaxBuildNs: 1e9, MinGapNs: 10e6, InitialTimeoutNs: 2e9,
			TimeoutIncrementNs: 1e9, TimeoutMultiplier: 1.5, MaxRetries: 5, FinalTimeoutNs: 600e9}
		if gated {
			cfg.WallNs = func() int64 { return wall }
		}
		s = NewSender(cfg, 3, link)
		g := newGen(s)
		deliver := func() {
			for len(queue) > 0 && queue[0].at <= wall {
				if ack := coll.handle(queue[0].frame); ack != nil {
					s.HandleAck(ack)
				}
				queue = queue[1:]
			}
		}
		const n = 2000
		for i := range int64(n) {
			now := t0 + i*1e9 // a record a second of capture time
			g.rec(TypeCounters, now)
			s.Tick(now)
			wall += 100e3 // 0.1 ms of wall time per second of capture: 10,000x
			deliver()
		}
		s.Flush(t0 + n*1e9)
		for i := 0; i < 1000 && (s.Pending() > 0 || len(queue) > 0); i++ { // linger on the wall clock
			wall += 1e6
			deliver()
			s.Tick(t0 + n*1e9 + int64(i)*1e6)
		}
		st := s.Stats()
		got := len(coll.recs[TypeCounters])
		t.Logf("gated %v: %d records received, %d retransmissions, %d pending, long retry %v", gated, got, st.Retransmits, s.Pending(), st.LongRetryNs > 0)
		if got != n || s.Pending() != 0 {
			t.Errorf("gated %v: %d of %d records received, %d PDUs pending", gated, got, n, s.Pending())
		}
		if gated && (st.Retransmits != 0 || st.LongRetryNs != 0) {
			t.Errorf("wall-gated: %d retransmissions, %d ns in long retry mode, want none with a collector acknowledging in 1 ms", st.Retransmits, st.LongRetryNs)
		}
		if !gated && st.Retransmits == 0 {
			t.Errorf("capture time only: no retransmission; the test no longer shows what the gate prevents")
		}
	}
}

// TestWallGatedDeadLink: the gate delays timeouts, never loses them. With
// no collector, a capture replayed at 10,000x retransmits nothing while
// its acknowledgement timeouts have not passed in wall time; once they
// have (the probe lingering on the wall clock), the PDUs are retried and
// the channel goes into long retry mode, as design 1.5 wants.
func TestWallGatedDeadLink(t *testing.T) {
	var wall int64
	var kinds []string
	cfg := SenderConfig{Collector: "c", MaxPDUBytes: 1400, MaxBuildNs: 1e9, MinGapNs: 10e6, InitialTimeoutNs: 2e9,
		TimeoutIncrementNs: 1e9, TimeoutMultiplier: 1.5, MaxRetries: 5, FinalTimeoutNs: 600e9,
		WallNs:  func() int64 { return wall },
		OnEvent: func(_ int64, _ uint8, kind, _ string) { kinds = append(kinds, kind) }}
	s := NewSender(cfg, 3, &Loopback{Deliver: func([]byte) []byte { return nil }})
	g := newGen(s)
	for i := range int64(100) {
		g.rec(TypeCounters, t0+i*1e9)
		s.Tick(t0 + i*1e9)
		wall += 100e3
	}
	if r := s.Stats().Retransmits; r != 0 {
		t.Fatalf("%d retransmissions within 10 ms of wall time (timeouts of 2 s and more)", r)
	}
	for i := int64(0); i < 200; i++ { // lingering: a second of wall and capture time a step
		wall += 1e9
		s.Tick(t0 + 100e9 + i*1e9)
	}
	st := s.Stats()
	if st.Retransmits == 0 || len(kinds) == 0 || kinds[0] != EventLongRetryEnter {
		t.Errorf("after 200 s of wall time with no collector: %d retransmissions, events %v; want retries and %s", st.Retransmits, kinds, EventLongRetryEnter)
	}
}

// TestWallGatedKeyedRetry: with retries waiting in wall time, a capture
// replayed at 10,000x moves the probe clock 20,000 s past a lost PDU
// before its retry (2 s of wall time), far beyond a keyed collector's age
// bound (742.25 s by default). The retry is kept (FlagKept, covered by the
// tag), so the collector takes it: every record arrives once, none
// refused as too old.
func TestWallGatedKeyedRetry(t *testing.T) {
	secret := []byte("wall secret")
	var wall int64
	coll := newColl(t)
	if err := coll.rx.SetKeys(map[uint16][]byte{3: secret}); err != nil {
		t.Fatal(err)
	}
	type inFlight struct {
		at    int64
		frame []byte
	}
	var queue []inFlight
	lost := 0
	link := &Loopback{Deliver: func(f []byte) []byte {
		if h, _, err := ParseFrame(f); err == nil && h.ID == 5 && lost == 0 {
			lost++ // the first transmission of PDU 5 is lost
			return nil
		}
		queue = append(queue, inFlight{wall + 1e6, append([]byte(nil), f...)})
		return nil
	}}
	cfg := DefaultSenderConfig()
	cfg.Key = secret
	cfg.WallNs = func() int64 { return wall }
	s := NewSender(cfg, 3, link)
	g := newGen(s)
	deliver := func() {
		for len(queue) > 0 && queue[0].at <= wall {
			if ack := coll.handle(queue[0].frame); ack != nil {
				s.HandleAck(ack)
			}
			queue = queue[1:]
		}
	}
	const n = 50000
	for i := range int64(n) {
		now := t0 + i*1e9
		g.rec(TypeCounters, now)
		s.Tick(now)
		wall += 100e3
		deliver()
	}
	s.Flush(t0 + n*1e9)
	for i := 0; i < 5000 && (s.Pending() > 0 || len(queue) > 0); i++ {
		wall += 1e6
		deliver()
		s.Tick(t0 + n*1e9 + int64(i)*1e6)
	}
	rs := coll.rx.Stats()
	if lost != 1 || s.Pending() != 0 || rs.TooOld != 0 || uint64(len(coll.recs[TypeCounters])) != n {
		t.Errorf("lost %d; %d pending, %d refused as too old, %d of %d records", lost, s.Pending(), rs.TooOld, len(coll.recs[TypeCounters]), n)
	}
}

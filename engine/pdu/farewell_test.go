package pdu

import "testing"

// TestFarewellClosesGaps: PDUs the backlog bound destroyed while the
// channel stayed busy leave gaps no idle heartbeat closes; once every
// other PDU is acknowledged, Farewell's heartbeat tells the collector
// they are gone (its window's low mark passes them: the collector finds
// the probe run finished), and it sends nothing while PDUs are pending.
func TestFarewellClosesGaps(t *testing.T) {
	cfg := DefaultSenderConfig()
	cfg.MaxQueueBytes = 8 << 10
	cfg.HeartbeatNs = 3600e9 // no idle heartbeat closes the gaps
	coll := newColl(t)
	down := true
	lb := &Loopback{Deliver: func(f []byte) []byte {
		if down {
			return nil
		}
		return coll.handle(f)
	}}
	s := NewSender(cfg, 4, lb)
	lb.Ack = func(a []byte) { s.HandleAck(a) }
	g := newGen(s)
	now := t0
	for range 2000 { // ~80 kB of counters while the collector is away
		g.rec(TypeCounters, now)
		now += 1e6
	}
	s.Tick(now)
	destroyed := s.Stats().Destroyed[TypeCounters]
	if destroyed == 0 {
		t.Fatal("the backlog bound destroyed nothing: scenario too weak")
	}
	s.Farewell(now)
	if s.Stats().Heartbeats != 0 {
		t.Fatal("a farewell heartbeat was sent with PDUs pending")
	}
	down = false
	for i := 0; s.Pending() > 0 && i < 10000; i++ {
		now += 1e9
		s.Tick(now)
	}
	if s.Pending() != 0 {
		t.Fatalf("%d PDUs still pending", s.Pending())
	}
	if rs := coll.rx.Stats(); rs.Skipped != 0 {
		t.Fatalf("gaps closed before the farewell: %+v", rs)
	}
	var stamp int64 = -1
	lb.Deliver = func(f []byte) []byte {
		if h, _, err := ParseFrame(f); err == nil && h.Type == TypeHeartbeat {
			stamp = h.BuildTimeNs
		}
		return coll.handle(f)
	}
	s.Farewell(now + 3600e9) // after an hour of lingering on the wall clock
	// Stamped with the latest PDU's build time, not the lingering's: the
	// collector's one-way watermark does not move with how long the
	// acknowledgements took.
	if stamp != s.lastBuildNs || stamp > now {
		t.Errorf("farewell stamped %d, latest PDU built at %d", stamp, s.lastBuildNs)
	}
	rs := coll.rx.Stats()
	if rs.Heartbeats != 1 || rs.Skipped != destroyed || coll.rx.Low(4, s.cfg.Epoch) < s.nextID {
		t.Errorf("after the farewell: receiver %+v, low %d; want %d ids skipped, low at least %d", rs, coll.rx.Low(4, s.cfg.Epoch), destroyed, s.nextID)
	}
}

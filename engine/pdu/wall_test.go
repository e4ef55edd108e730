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
		r := newWallRig(t)
		cfg := SenderConfig{Collector: "c", MaxPDUBytes: 1400, MaxBuildNs: 1e9, MinGapNs: 10e6, InitialTimeoutNs: 2e9,
			TimeoutIncrementNs: 1e9, TimeoutMultiplier: 1.5, MaxRetries: 5, FinalTimeoutNs: 600e9}
		if gated {
			cfg.WallNs = func() int64 { return r.wall }
		}
		s := NewSender(cfg, 3, r.link())
		r.s = s
		const n = 2000
		r.replay(n, 1000)
		coll := r.coll
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
	r := newWallRig(t)
	if err := r.coll.rx.SetKeys(map[uint16][]byte{3: secret}); err != nil {
		t.Fatal(err)
	}
	lost := 0
	r.drop = func(h Header) bool {
		if h.ID == 5 && lost == 0 {
			lost++ // the first transmission of PDU 5 is lost
			return true
		}
		return false
	}
	cfg := DefaultSenderConfig()
	cfg.Key = secret
	cfg.WallNs = func() int64 { return r.wall }
	s := NewSender(cfg, 3, r.link())
	r.s = s
	const n = 50000
	r.replay(n, 5000)
	coll := r.coll
	rs := coll.rx.Stats()
	if lost != 1 || s.Pending() != 0 || rs.TooOld != 0 || uint64(len(coll.recs[TypeCounters])) != n {
		t.Errorf("lost %d; %d pending, %d refused as too old, %d of %d records", lost, s.Pending(), rs.TooOld, len(coll.recs[TypeCounters]), n)
	}
}

// wallRig is a fake wall clock and a link whose collector acknowledges
// each frame 1 ms of wall time after it is sent, unless drop says the
// frame is lost.
type wallRig struct {
	wall  int64 // ns
	coll  *testColl
	queue []wallFrame
	s     *Sender
	drop  func(h Header) bool
}

type wallFrame struct {
	at    int64
	frame []byte
}

func newWallRig(t *testing.T) *wallRig { return &wallRig{coll: newColl(t)} }

func (r *wallRig) link() *Loopback {
	return &Loopback{Deliver: func(f []byte) []byte {
		if h, _, err := ParseFrame(f); err == nil && r.drop != nil && r.drop(h) {
			return nil
		}
		r.queue = append(r.queue, wallFrame{r.wall + 1e6, append([]byte(nil), f...)})
		return nil
	}}
}

func (r *wallRig) deliver() {
	for len(r.queue) > 0 && r.queue[0].at <= r.wall {
		if ack := r.coll.handle(r.queue[0].frame); ack != nil {
			r.s.HandleAck(ack)
		}
		r.queue = r.queue[1:]
	}
}

// replay sends n counter records, one a second of capture time, while the
// wall clock moves 0.1 ms a record (10,000x), then lingers on the wall
// clock, 1 ms a step, until nothing is pending (at most steps).
func (r *wallRig) replay(n int64, steps int) {
	g := newGen(r.s)
	for i := range n {
		now := t0 + i*1e9
		g.rec(TypeCounters, now)
		r.s.Tick(now)
		r.wall += 100e3
		r.deliver()
	}
	r.s.Flush(t0 + n*1e9)
	for i := 0; i < steps && (r.s.Pending() > 0 || len(r.queue) > 0); i++ {
		r.wall += 1e6
		r.deliver()
		r.s.Tick(t0 + n*1e9 + int64(i)*1e6)
	}
}

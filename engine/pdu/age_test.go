package pdu

import (
	"errors"
	"testing"
)

// TestMaxFrameAgeDefault: the default bound is the final timeout plus
// twice the exhaustion span: 600 + 2 x 71.125 s; no bound when the sender
// never destroys.
func TestMaxFrameAgeDefault(t *testing.T) {
	if got := MaxFrameAgeNs(DefaultSenderConfig()); got != 742_250e6 || DefaultMaxAgeNs != got {
		t.Fatalf("default bound %d ns, DefaultMaxAgeNs %d", got, DefaultMaxAgeNs)
	}
	c := DefaultSenderConfig()
	c.FinalTimeoutNs = 0
	if got := MaxFrameAgeNs(c); got != 0 {
		t.Fatalf("no final timeout: bound %d", got)
	}
	c = DefaultSenderConfig()
	c.MaxRetries, c.TimeoutMultiplier, c.TimeoutIncrementNs = 2, 0, 0 // 3 timeouts of 2 s
	if got := MaxFrameAgeNs(c); got != 600e9+12e9 {
		t.Fatalf("2 retries of 2 s: bound %d", got)
	}
}

// TestFrameAge: a keyed receiver refuses a frame built more than MaxAgeNs
// before the newest frame of its probe run (issue 13.3), whether it was
// never delivered (withheld) or already was (re-sent); it takes permanent
// types, FlagKept frames and heartbeats of any age. The age is measured
// on the probe's clock alone: capture times of 2019 received at a 2026
// collector clock are all accepted. The newest time survives State.
func TestFrameAge(t *testing.T) {
	secret := []byte("age secret")
	k, _ := NewKey(secret)
	const capture = int64(1_550_000_000e9) // 2019: a replayed capture's clock
	const wall = int64(1_790_000_000e9)    // 2026: the collector's
	frame := func(typ Type, id uint32, buildNs int64, flags uint8) []byte {
		return k.AppendFrame(nil, Header{Type: typ, Flags: flags, ProbeID: 1, Epoch: wall - 5e9, ID: id, BuildTimeNs: buildNs}, []byte{1})
	}
	r := NewReceiver()
	if err := r.SetKeys(map[uint16][]byte{1: secret}); err != nil {
		t.Fatal(err)
	}
	send := func(r *Receiver, f []byte) ([]byte, error) {
		t.Helper()
		h, _, _ := ParseFrame(f)
		refuses := r.Refuses(h)
		ack, _, _, _, err := r.HandleAt(wall, f)
		if refuses != (err != nil) {
			t.Fatalf("Refuses %v, HandleAt %v", refuses, err)
		}
		return ack, err
	}
	// PDUs 1..100 built 10 s apart (990 s in all), PDU 5 withheld.
	for id := uint32(1); id <= 100; id++ {
		if id == 5 {
			continue
		}
		if _, err := send(r, frame(TypeCounters, id, capture+int64(id)*10e9, 0)); err != nil {
			t.Fatalf("fresh PDU %d: %v", id, err)
		}
	}
	newest := capture + 1000e9
	for _, c := range []struct {
		what string
		f    []byte
		want error
	}{
		{"withheld PDU 5 (950 s old)", frame(TypeCounters, 5, capture+50e9, 0), ErrTooOld},
		{"re-sent PDU 2 (980 s old)", frame(TypeCounters, 2, capture+20e9, 0), ErrTooOld},
		{"re-sent PDU 30 (700 s old): duplicate", frame(TypeCounters, 30, capture+300e9, 0), nil},
		{"PDU 200 at the bound", frame(TypeCounters, 200, newest-DefaultMaxAgeNs, 0), nil},
		{"PDU 201 just past it", frame(TypeCounters, 201, newest-DefaultMaxAgeNs-1, 0), ErrTooOld},
		{"old flow definition", frame(TypeFlowDef, 202, capture, 0), nil},
		{"old kept PDU", frame(TypeCounters, 203, capture, FlagKept), nil},
		{"old heartbeat", k.AppendFrame(nil, Header{Type: TypeHeartbeat, ProbeID: 1, Epoch: wall - 5e9, BuildTimeNs: capture}, nil), nil},
	} {
		ack, err := send(r, c.f)
		if !errors.Is(err, c.want) || (err != nil) != (ack == nil) && c.f[3] != byte(TypeHeartbeat) {
			t.Errorf("%s: %v, ack %v; want %v", c.what, err, ack != nil, c.want)
		}
	}
	st := r.Stats()
	if st.TooOld != 3 || st.Refused() != 3 || st.Accepted != 99+3 || st.Duplicates != 1 {
		t.Errorf("stats %+v", st)
	}
	// A collector restarted from the saved state still refuses it.
	r2 := NewReceiver()
	_ = r2.SetKeys(map[uint16][]byte{1: secret})
	r2.SetState(r.State())
	if _, err := send(r2, frame(TypeCounters, 5, capture+50e9, 0)); !errors.Is(err, ErrTooOld) {
		t.Errorf("after a restart, withheld PDU 5: %v", err)
	}
	// Unkeyed, a forged build time could move the newest: no age check.
	u := NewReceiver()
	for _, id := range []uint32{1, 100, 5} {
		f := AppendFrame(nil, Header{Type: TypeCounters, ProbeID: 1, Epoch: 7, ID: id, BuildTimeNs: capture + int64(id)*10e9}, []byte{1})
		if _, err := send(u, f); err != nil {
			t.Errorf("unkeyed PDU %d: %v", id, err)
		}
	}
}

// TestKeptFramesPassAgeBound: a keyed sender and receiver, the
// acknowledgements lost for 900 s (longer than the age bound) while the
// frames get through: the break-border and exhausted PDUs, re-sent after
// the break older than the bound, carry FlagKept and are acknowledged (as
// duplicates), so nothing stays pending; every record arrives exactly
// once and nothing is refused for its age.
func TestKeptFramesPassAgeBound(t *testing.T) {
	secret := []byte("kept secret")
	cfg := DefaultSenderConfig()
	cfg.Key = secret
	coll := newColl(t)
	if err := coll.rx.SetKeys(map[uint16][]byte{1: secret}); err != nil {
		t.Fatal(err)
	}
	var clock, newest int64
	var oldAcked, oldKept int
	deliver := func(f []byte) []byte {
		h, _, err := ParseFrame(f)
		ack := coll.handle(f)
		if err == nil && ack != nil && newest-h.BuildTimeNs > DefaultMaxAgeNs && !Permanent(h.Type) {
			oldAcked++
			if h.Flags&FlagKept != 0 {
				oldKept++
			}
		}
		newest = max(newest, h.BuildTimeNs)
		if clock >= t0+300e9 && clock < t0+1200e9 {
			return nil // the acknowledgements are lost
		}
		return ack
	}
	lb := &Loopback{Deliver: deliver}
	s := NewSender(cfg, 1, lb)
	lb.Ack = s.HandleAck
	g := newGen(s)
	g.rec(TypeHello, t0)
	end := t0 + 2400e9
	for clock = t0; clock < end; clock += 100e6 {
		g.rec(TypeCounters, clock)
		s.Tick(clock)
	}
	s.Flush(end)
	clock = end + 600e9
	s.Tick(clock)
	st, rs := s.Stats(), coll.rx.Stats()
	if s.Pending() != 0 || rs.TooOld != 0 || rs.Refused() != 0 {
		t.Fatalf("%d pending; receiver %+v", s.Pending(), rs)
	}
	if st.BreakBorder == 0 || oldAcked == 0 || oldKept != oldAcked {
		t.Fatalf("scenario too weak: %d border PDUs, %d acknowledged past the bound (%d kept)", st.BreakBorder, oldAcked, oldKept)
	}
	if got := uint64(len(coll.recs[TypeCounters])); got != g.n[TypeCounters] {
		t.Fatalf("%d counter records received of %d", got, g.n[TypeCounters])
	}
	t.Logf("%d PDUs older than the %v bound acknowledged (FlagKept); %d border PDUs", oldAcked, DefaultMaxAgeNs, st.BreakBorder)
}

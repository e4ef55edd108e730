package pdu

import (
	"bytes"
	"errors"
	"testing"
)

// TestKeyChangeRunBegunBefore: a configuration switch-over that changes a
// probe's key (TestProbeLiveSwitchKeyOnly failing under load,
// 2026-12-06). The collector took the new key first; the probe's run of
// the version that stops went on signing with the key it began with (a
// run keeps its key: the probe's switch ends it, flushed, and starts a new
// one with the new key), and its last PDUs, received after the
// collector's change, were refused (bad tag) and never acknowledged: lost,
// and the probe's switch waited for them its whole --linger. The
// receiver now keeps a changed key (SetKeysAt) for the runs begun before
// the change, for KeyGraceNs: those PDUs are accepted (PrevKey) and
// acknowledged with the key the run checks acknowledgements with. A run
// begun after the change, or a frame past the grace, is refused as
// before. Times are the frames' collector times, given (HandleAt).
func TestKeyChangeRunBegunBefore(t *testing.T) {
	oldKey, newKey := []byte("old-key"), []byte("new-key")
	rx := NewReceiver()
	if err := rx.SetKeys(map[uint16][]byte{1: oldKey, 2: []byte("quiet-old")}); err != nil {
		t.Fatal(err)
	}
	clock := t0
	var refused []error
	changed, afterChange := false, uint64(0) // frames received after the change
	deliver := func(f []byte) []byte {
		if changed {
			afterChange++
		}
		ack, _, _, _, err := rx.HandleAt(clock, bytes.Clone(f))
		if err != nil {
			refused = append(refused, err)
		}
		return ack
	}
	cfg := DefaultSenderConfig()
	cfg.Key, cfg.Epoch = oldKey, t0-1e9 // the run of the version that stops
	lb := &Loopback{Deliver: deliver}
	s := NewSender(cfg, 1, lb)
	lb.Ack = s.HandleAck
	g := newGen(s)
	for ; clock < t0+1e9; clock += 100e6 {
		g.rec(TypeCounters, clock)
		s.Tick(clock)
	}
	if s.Pending() != 0 || len(refused) != 0 {
		t.Fatalf("before the change: %d PDUs pending, refused %v", s.Pending(), refused)
	}

	change, changed := clock, true
	if err := rx.SetKeysAt(change, map[uint16][]byte{1: newKey, 2: []byte("quiet-new")}); err != nil {
		t.Fatal(err)
	}
	// The probe's run goes on a little, then ends: its final flush.
	for end := clock + 1e9; clock < end; clock += 100e6 {
		g.rec(TypeCounters, clock)
		s.Tick(clock)
	}
	s.Flush(clock)
	after := rx.Stats()
	if s.Pending() != 0 || len(refused) != 0 || after.BadAuth != 0 {
		t.Errorf("the run begun before the change: %d PDUs pending after its final flush, %d frames refused for their tag (%v); want every PDU acknowledged", s.Pending(), after.BadAuth, refused)
	}
	if st := s.Stats(); st.BadAckTags != 0 {
		t.Errorf("%d acknowledgements refused by the probe for their tag, want 0 (tagged with the key of its run)", st.BadAckTags)
	}
	if after.PrevKey != afterChange || afterChange == 0 {
		t.Errorf("PrevKey %d, want the %d frames received after the change", after.PrevKey, afterChange)
	}

	sign := func(secret []byte, h Header) []byte {
		k, _ := NewKey(secret)
		return k.AppendFrame(nil, h, []byte{0})
	}
	// A probe whose run was never heard from before the change (a quiet
	// run): begun before it, its first and last PDUs come after.
	if _, _, _, _, err := rx.HandleAt(clock, sign([]byte("quiet-old"), Header{Type: TypeCounters, ProbeID: 2, Epoch: change - 5e9, ID: 1, BuildTimeNs: clock})); err != nil {
		t.Errorf("a run begun before the change, first heard after it, under its key: %v", err)
	}
	// A run begun after the change must use the new key.
	newRun := Header{Type: TypeCounters, ProbeID: 1, Epoch: change + 1, ID: 1, BuildTimeNs: clock}
	if _, _, _, _, err := rx.HandleAt(clock, sign(oldKey, newRun)); !errors.Is(err, ErrAuth) {
		t.Errorf("a run begun after the change under the previous key: %v, want ErrAuth", err)
	}
	ack, _, _, _, err := rx.HandleAt(clock, sign(newKey, newRun))
	if k, _ := NewKey(newKey); err != nil || k.Verify(ack) != nil {
		t.Errorf("a run begun after the change under the new key: %v (its ack tagged with the new key: %v)", err, k.Verify(ack))
	}
	// Past the grace, the previous key is refused.
	late := Header{Type: TypeCounters, ProbeID: 1, Epoch: cfg.Epoch, ID: 1000, BuildTimeNs: clock}
	if _, _, _, _, err := rx.HandleAt(change+KeyGraceNs, sign(oldKey, late)); !errors.Is(err, ErrAuth) {
		t.Errorf("the previous key %d ns after the change: %v, want ErrAuth", KeyGraceNs, err)
	}
	// A switch-over that leaves the keys as they are keeps the grace of
	// the change before it; SetKeys (a collector's start) forgets it.
	late.ID++
	if err := rx.SetKeysAt(clock, map[uint16][]byte{1: newKey, 2: []byte("quiet-new")}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := rx.HandleAt(clock, sign(oldKey, late)); err != nil {
		t.Errorf("the previous key after a second switch-over without a key change, within the grace: %v", err)
	}
	late.ID++
	if err := rx.SetKeys(map[uint16][]byte{1: newKey}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := rx.HandleAt(clock, sign(oldKey, late)); !errors.Is(err, ErrAuth) {
		t.Errorf("the previous key after SetKeys: %v, want ErrAuth", err)
	}
}

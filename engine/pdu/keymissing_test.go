package pdu

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestKeyOnProbeOnly: a probe with a key and a collector without one (the
// tester's p2-d4nokey.yaml run of 2026-12-05). The collector accepted the
// tagged PDUs (it checked no tag) and wrote their rows, while the probe
// refused every untagged acknowledgement: 26 PDUs "still unacknowledged"
// after 63 retransmissions, written data a live probe would count as
// destroyed, and no word on either side. An acknowledgement means the data
// is safe and keys authenticate both ways (auth.go), so the collector now
// refuses a tagged frame it has no key for (BadAuth, NoKey) and names the
// probe once (KeyMissing); and a probe whose acknowledgements arrive but
// fail their tag says so once, with the likely cause (EventAckRefused).
func TestKeyOnProbeOnly(t *testing.T) {
	secret := []byte("secret-of-probe-1")
	cfg := DefaultSenderConfig()
	cfg.Key = secret
	var events []string
	cfg.OnEvent = func(_ int64, sev uint8, kind, msg string) {
		if kind == EventAckRefused && sev == SevError {
			events = append(events, msg)
		}
	}

	// The collector side: no keys, every tagged frame refused.
	coll := newColl(t)
	var frames int
	lb := &Loopback{Deliver: func(f []byte) []byte { frames++; return coll.handle(bytes.Clone(f)) }}
	s := NewSender(cfg, 1, lb)
	lb.Ack = s.HandleAck
	g := newGen(s)
	for now := t0; now < t0+5e9; now += 100e6 {
		g.rec(TypeCounters, now)
		s.Tick(now)
	}
	s.Flush(t0 + 5e9)
	st := coll.rx.Stats()
	if frames == 0 || st.Accepted != 0 || len(coll.recs) != 0 || st.BadAuth != uint64(frames) || st.NoKey != uint64(frames) {
		t.Errorf("%d frames sent: %d accepted, %d refused for their tag (%d without a key here); want all %d refused", frames, st.Accepted, st.BadAuth, st.NoKey, frames)
	}
	if got := coll.rx.KeyMissing(); !slices.Equal(got, []uint16{1}) {
		t.Errorf("KeyMissing %v, want [1]", got)
	}
	if s.Pending() == 0 || len(events) != 0 {
		t.Errorf("%d PDUs pending, %d pdu_ack_refused events; want all pending and no event (no ack came)", s.Pending(), len(events))
	}

	// The probe side: acknowledgements of its own PDUs arrive untagged (a
	// collector of before this change), then under another key.
	s.HandleAck(AppendAck(nil, 1, 0, 1))
	s.HandleAck(AppendAck(nil, 1, 0, 2))
	other, _ := NewKey([]byte("another-key"))
	s.HandleAck(other.AppendAck(nil, 1, 0, 3))
	s.HandleAck(AppendAck(nil, 2, 0, 1)) // another probe's: not counted as a tag refusal
	if st := s.Stats(); st.BadAckTags != 3 || st.Acked != 0 {
		t.Errorf("%d acks refused for their tag, %d acked; want 3 and 0", st.BadAckTags, st.Acked)
	}
	want := "acknowledgements arrive but are refused: they carry no HMAC tag: the collector has no key for this probe"
	if len(events) != 1 || !strings.Contains(events[0], want) {
		t.Errorf("pdu_ack_refused events %q, want one containing %q", events, want)
	}
	s2 := NewSender(cfg, 1, &Loopback{})
	s2.HandleAck(other.AppendAck(nil, 1, 0, 1))
	want = "they carry another HMAC tag: the collector has another key for this probe"
	if len(events) != 2 || !strings.Contains(events[1], want) {
		t.Errorf("pdu_ack_refused events %q, want a second containing %q", events, want)
	}
}

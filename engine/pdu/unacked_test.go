package pdu

import (
	"slices"
	"testing"
)

// TestUnackedHeadersAllocs: the headers of the PDUs waiting for an
// acknowledgement are yielded without allocating (they came in a slice
// made per call: 1 allocation each), and they are those of the PDUs sent
// and never acknowledged (the link delivers nothing: every PDU built is
// one of them, ids 1 to Pending, of this channel).
func TestUnackedHeadersAllocs(t *testing.T) {
	cfg := DefaultSenderConfig()
	cfg.Epoch = 1_765_000_000e9
	lb := &Loopback{Deliver: func([]byte) []byte { return nil }}
	s := NewSender(cfg, 7, lb)
	g := newGen(s)
	now := t0
	for range 200 {
		g.rec(TypeCounters, now)
		now += 1e6
	}
	s.Flush(now)
	n := s.Pending()
	if n == 0 {
		t.Fatal("no PDU waits for an acknowledgement: scenario too weak")
	}
	var ids []uint32
	for h := range s.UnackedHeaders() {
		if h.ProbeID != 7 || h.Epoch != cfg.Epoch || h.Type != TypeCounters {
			t.Fatalf("header %+v: want probe 7, epoch %d, counters", h, cfg.Epoch)
		}
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	if len(ids) != n || ids[0] != 1 || ids[n-1] != uint32(n) {
		t.Fatalf("ids %v: want 1 to %d", ids, n)
	}
	seen := 0
	if a := testing.AllocsPerRun(100, func() {
		for h := range s.UnackedHeaders() {
			seen += int(h.ID & 1)
		}
	}); a != 0 {
		t.Fatalf("UnackedHeaders: %.1f allocations per call, want 0", a)
	}
}

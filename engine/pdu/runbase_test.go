package pdu

import "testing"

// TestRunBaseRange pins the id ranges docs/tables.md (flows) now states: a
// collector adds r × 2^48 to the ids of run r of a probe (0 for the first
// run it heard), so run 1's flow 1 is 281474976710657; the ordinal keeps
// its low 16 bits, so run 65,536 (the 65,537th) numbers as run 0 does.
// The wrap was stated nowhere: 2^48 × 65,536 = 2^64.
func TestRunBaseRange(t *testing.T) {
	r := NewReceiver()
	base := func(epoch int64) uint64 {
		t.Helper()
		v, err := r.Accept(epoch, Header{Type: TypeEvents, ProbeID: 1, Epoch: epoch, ID: 1, BuildTimeNs: epoch}, nil, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v.Base
	}
	if b := base(1); b != 0 {
		t.Errorf("first run: base %d, want 0", b)
	}
	if b := base(2); b != 1<<48 || b+1 != 281474976710657 {
		t.Errorf("second run: base %d, want 2^48 = 281474976710656", b)
	}
	st := r.State()
	st.Probes[0].Runs = 1<<16 - 1 // the collector heard 65,535 runs of the probe
	r.SetState(st)
	if b := base(3); b != 65535<<48 {
		t.Errorf("run 65,535: base %d, want 65535 × 2^48", b)
	}
	if b := base(4); b != 0 {
		t.Errorf("run 65,536: base %d, want 0 (the ordinal's low 16 bits, as docs/tables.md says)", b)
	}
}

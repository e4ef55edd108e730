package probe

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestEpochAfterClockStepBack: with an injected clock, a run started
// after the wall clock stepped back gets an epoch above the previous
// run's, kept in the state folder; a clock past it gives the clock; no
// folder gives the clock as is (issue 13).
func TestEpochAfterClockStepBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	steps := []struct{ now, want int64 }{
		{1_700_000_000e9, 1_700_000_000e9},     // first run
		{1_700_000_100e9, 1_700_000_100e9},     // clock forward
		{1_699_000_000e9, 1_700_000_100e9 + 1}, // clock stepped back 11 days
		{1_699_000_001e9, 1_700_000_100e9 + 2}, // still behind
		{1_700_000_100e9 + 2, 1_700_000_100e9 + 3},
		{1_800_000_000e9, 1_800_000_000e9}, // past it again
	}
	prev := int64(0)
	rx := pdu.NewReceiver() // the collector takes every run as a restart
	for i, s := range steps {
		got, err := NextEpoch(dir, "A", s.now)
		if err != nil || got != s.want || got <= prev {
			t.Fatalf("run %d at %d: epoch %d %v, want %d (> %d)", i, s.now, got, err, s.want, prev)
		}
		prev = got
		f := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHello, ProbeID: 1, Epoch: got, ID: 1, BuildTimeNs: s.now}, nil)
		if _, _, _, fresh, err := rx.HandleAt(s.now, f); !fresh || err != nil {
			t.Fatalf("run %d: collector: fresh %v, %v", i, fresh, err)
		}
	}
	if st := rx.Stats(); st.Restarts != uint64(len(steps)-1) || st.ClosedEpoch != 0 {
		t.Fatalf("collector %+v", st)
	}
	if got, _ := NextEpoch(dir, "B", 5); got != 5 {
		t.Errorf("another probe's epoch %d: each probe has its own", got)
	}
	if got, err := NextEpoch("", "A", 7); got != 7 || err != nil {
		t.Errorf("no state folder: %d %v", got, err)
	}
	// An unwritable folder: the error, and still the best epoch known.
	ro := filepath.Join(t.TempDir(), "file")
	os.WriteFile(ro, nil, 0o644)
	if got, err := NextEpoch(filepath.Join(ro, "sub"), "A", 9); got != 9 || err == nil {
		t.Errorf("unwritable folder: %d %v", got, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("state folder holds %d files, want 2 (no temporary left)", len(ents))
	}
}

package probe

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
)

// TestWatchCountersAllocs: the check of the anomaly counters, every
// second of capture time, reads every Stats source (probe, dissect,
// reasm, and each class's tcp, rtt, ftp) without allocating:
// reading them as an any boxed each Stats value (issue 14: 288 of the 12.8k
// allocations of the 5M corpus's steady state, 9 a check with the default
// config). That it still sees them move: TestCountersReachOutput and
// TestEveryCounterReported.
func TestWatchCountersAllocs(t *testing.T) {
	p := newTestProbe(t, config.Default())
	if len(p.sources) < 5 {
		t.Fatalf("%d Stats sources, want every analysis's", len(p.sources))
	}
	p.watchCounters()
	if n := testing.AllocsPerRun(100, p.watchCounters); n != 0 {
		t.Errorf("%v allocations per check of %d sources, want 0", n, len(p.sources))
	}
}

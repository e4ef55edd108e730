package pipeline

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/engine/reasm"
)

// TestProbeTotalsEveryField: ProbeTotals sums every counter of
// probe.Stats, not a hand-kept list of them (it left out FragsNotHeld, the
// capture-time counters and Reasm). Sums by arithmetic: 1+4, 2+0, 0+5, 3+6.
func TestProbeTotalsEveryField(t *testing.T) {
	r := Result{Probes: []probe.Stats{
		{Packets: 1, FragsNotHeld: 2, Reasm: reasm.Stats{Fragments: 3}},
		{Packets: 4, ClockJumps: 5, Reasm: reasm.Stats{Fragments: 6}},
	}}
	want := probe.Stats{Packets: 5, FragsNotHeld: 2, ClockJumps: 5, Reasm: reasm.Stats{Fragments: 9}}
	if got := r.ProbeTotals(); got != want {
		t.Errorf("ProbeTotals = %+v, want %+v", got, want)
	}
}

package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/probe"
)

// clockEngine records the Ticks and Settles quietTicks gives it; the
// other probe.Engine methods are not called (a call panics on the nil
// embedded interface).
type clockEngine struct {
	probe.Engine
	name  string
	calls *[]string
}

func (e clockEngine) Tick(nowNs int64) {
	*e.calls = append(*e.calls, fmt.Sprintf("%s tick %d", e.name, nowNs/1e6))
}
func (e clockEngine) Settle(lastNs int64) {
	*e.calls = append(*e.calls, fmt.Sprintf("%s settle %d", e.name, lastNs/1e6))
}

// TestQuietTicksSettleAnyEngine: every quietNs (100 ms) of run time the
// replay's clock ticks a quiet probe at the run's time and settles every
// other started probe at its latest packet's time, whatever engine it is
// (probe.Engine.Settle; before, only a *probe.Workers was, by a type
// assertion: an engine of another type was never settled). P sends every
// 10 ms from 0 to 500 ms, Q every 10 ms from 5 to 205 ms, then nothing
// (its input still open): at 100 and 200 ms both are settled at their
// last packets (P's at 100 and 200 ms are still to come: 90 and 190), at
// 300 ms Q, 95 ms without a packet, still is (205), at 400 and 500 ms it
// is quiet and ticked at the run's time.
func TestQuietTicksSettleAnyEngine(t *testing.T) {
	var calls []string
	const ms = int64(1e6)
	q := &quietTicks{
		probes: []probe.Engine{clockEngine{name: "P", calls: &calls}, clockEngine{name: "Q", calls: &calls}},
		lastNs: make([]int64, 2),
		inputs: [][]*guarded{{{}}, {{}}},
	}
	for k := int64(0); k <= 50; k++ {
		q.packet(0, 1e9*ms+k*10*ms) // run times from 1,000,000 s on, so that none is 0 ("no packet yet")
		if k <= 20 {
			q.packet(1, 1e9*ms+k*10*ms+5*ms)
		}
	}
	base := int64(1e9)
	want := []string{
		fmt.Sprintf("P settle %d", base+90), fmt.Sprintf("Q settle %d", base+95),
		fmt.Sprintf("P settle %d", base+190), fmt.Sprintf("Q settle %d", base+195),
		fmt.Sprintf("P settle %d", base+290), fmt.Sprintf("Q settle %d", base+205),
		fmt.Sprintf("P settle %d", base+390), fmt.Sprintf("Q tick %d", base+400),
		fmt.Sprintf("P settle %d", base+490), fmt.Sprintf("Q tick %d", base+500),
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls\n%q\nwant\n%q", calls, want)
	}
}

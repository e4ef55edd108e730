package probe

import (
	"slices"
	"testing"

	"github.com/tmonbench/tmonbench/engine/oneway"
)

// TestSendDroppedAddedMeanwhile: sending a dropped notice moves its
// channel's clock, which can destroy more one-way observations (a final
// timeout in long retry mode, the backlog bound; a Workers' clock runs
// ahead of its senders'), and the destroy hook appends their notices to
// the channel's list while it is being sent. reportDrops ranged over the
// notices there were when it began and then emptied the list: the ones
// added meanwhile were never sent, and the collector took those packets
// for lost or missed instead of dropped (design 4.3). Every notice is
// sent now, in order: 3 to begin with, 2 added by the first send (as the
// hook appends them, p.drops[i] = append(p.drops[i], x)), 1 by the last
// of them, on channel 1 of 2; channel 0's one notice too.
func TestSendDroppedAddedMeanwhile(t *testing.T) {
	drops := [][]oneway.Dropped{{{FlowID: 100}}, {{FlowID: 1}, {FlowID: 2}, {FlowID: 3}}}
	var sent [2][]uint64
	sendDropped(drops, func(i int, x *oneway.Dropped) {
		sent[i] = append(sent[i], x.FlowID)
		switch {
		case i == 1 && x.FlowID == 1:
			drops[1] = append(drops[1], oneway.Dropped{FlowID: 4}, oneway.Dropped{FlowID: 5})
		case i == 1 && x.FlowID == 5:
			drops[1] = append(drops[1], oneway.Dropped{FlowID: 6})
		}
	})
	if !slices.Equal(sent[0], []uint64{100}) || !slices.Equal(sent[1], []uint64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("notices sent per channel %v, want [100] and [1 2 3 4 5 6]", sent)
	}
	if len(drops[0]) != 0 || len(drops[1]) != 0 {
		t.Errorf("notices left %v, want none", drops)
	}
}

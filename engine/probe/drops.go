package probe

import (
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// reportDrops tells each collector which one-way observations its channel
// destroyed, so it classifies those packets as dropped rather than lost or
// missed (design 4.3). Dropped notices are key PDUs: never destroyed.
func (p *Probe) reportDrops() {
	if !p.dropsWaiting {
		return
	}
	p.dropsWaiting = false
	sendDropped(p.drops, func(i int, x *oneway.Dropped) {
		s := p.senders[i]
		oneway.AppendDropped(s.Begin(pdu.TypeDropped, p.nowNs), x)
		s.End(pdu.TypeDropped, p.nowNs)
	})
}

// sendDropped sends (send) every dropped notice of drops (per channel i)
// and empties them. Sending one can add more: Begin and End move the
// channel's clock to the probe's, where a final timeout in long retry mode or
// the backlog bound may destroy more observations, whose destroy hook
// appends their notices to drops[i] (a Workers' clock runs ahead of its
// senders' until the batches in flight are merged). The loop reads the
// length again at each notice, so those are sent too: ranging over the
// notices there were at the start, then emptying the slice, cut them.
func sendDropped(drops [][]oneway.Dropped, send func(i int, x *oneway.Dropped)) {
	for i := range drops {
		for k := 0; k < len(drops[i]); k++ {
			send(i, &drops[i][k]) // an append moving the notices leaves this one where it was
		}
		drops[i] = drops[i][:0]
	}
}

// reportDrops tells each collector which one-way observations its channel
// destroyed (Probe.reportDrops).
func (w *Workers) reportDrops() {
	sendDropped(w.drops, func(i int, x *oneway.Dropped) {
		s := w.senders[i]
		oneway.AppendDropped(s.Begin(pdu.TypeDropped, w.now), x)
		s.End(pdu.TypeDropped, w.now)
	})
}

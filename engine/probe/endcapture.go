package probe

import "github.com/tmonbench/tmonbench/engine/pkt"

// EndCapture sends the one-way observations p holds (its classes'
// encoders, design 3.7) when its captures have ended while the run goes
// on (a replay of several probes whose captures end apart): without more
// packets or ticks they would wait for Close, at the run's end, past the
// collector's timeout, each one reconciled late, a missed row
// (engine/pipeline TestEndedCaptureNotTicked). The probe clock does not move: the PDU's
// build time is the probe's last packet's, as the collector's watermark
// of the probe is. Nothing else is given up: the analysers' state waits
// for Close, as before.
func (p *Probe) EndCapture() {
	if p.closed || !p.started {
		return
	}
	p.stage(stageOneway, 0, 0)
	for _, ci := range p.owClasses {
		c := &p.classes[ci]
		for c.ow.enc.Len() > 0 && p.flushObservations(c) > 0 {
		}
	}
	p.stage(stageTick, 0, 0)
	p.out.Tick(p.nowNs) // the PDUs' sending slot, at the probe's time
}

// EndCapture is Probe.EndCapture for every worker, through the merge (a
// work item of its own, after the packets queued), waiting for it.
func (w *Workers) EndCapture() {
	if w.closed {
		return
	}
	w.cur.items = append(w.cur.items, workItem{m: pkt.Meta{TimeNs: w.now}, endCapture: true, shard: -1})
	w.dispatch()
	w.drain()
}

// Settle does nothing: a Probe processes each packet as Packet takes it,
// its PDUs are up to its packets (Engine.Settle).
func (p *Probe) Settle(int64) {}

// Settle hands the packets w holds in batches (up to three of
// workerBatchPackets in flight and the one it fills: seconds of a slow
// link) to the workers and merges them, their PDUs sent, as a Tick at
// lastNs does; lastNs is the time of the latest packet taken, so the clock
// does not move (Engine.Settle). Nothing after Close.
func (w *Workers) Settle(lastNs int64) {
	if !w.closed {
		w.Tick(lastNs)
	}
}

package collector

import "github.com/tmonbench/tmonbench/engine/observe"

// OnewayPending returns the one-way records the collector holds now
// (design 4.3, live --metrics): packets seen at some hops of their path
// and waiting for the others (or for their timeout) to be classified, and
// observations held until their probe's flow definition arrives. Like
// every Collector method it must be called from the goroutine that feeds
// the collector.
func (c *Collector) OnewayPending() (packets, held int) {
	for _, rec := range c.ow.recs {
		packets += rec.Pending()
	}
	return packets, c.ow.npend
}

// Counters returns the collector's counters for an observe.Snapshot, as
// collector name (queue depth 0 and rows written 0: the caller knows
// them).
func (c *Collector) Counters(name string) observe.CollectorCounters {
	rx := c.rx.Stats()
	pk, held := c.OnewayPending()
	return observe.CollectorCounters{Collector: name, Frames: rx.Frames, Accepted: rx.Accepted, Duplicates: rx.Duplicates,
		Refused: rx.Refused(), OnewayPendingPackets: pk, OnewayHeldObservations: held}
}

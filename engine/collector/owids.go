package collector

// SetOnewayIDBase makes the collector number the one-way flows it defines
// from base+1 (the flow_id of oneway_delays, oneway_latency and
// oneway_loss rows), unless it already numbered above base. An in-process
// collector built for each configuration version of one output (live's
// switch-overs, design 1.6) is given the previous one's LastOnewayID, so
// that a one-way flow id never names two flows of one run's tables (a
// collector process keeps its own counter across switch-overs: Switch).
func (c *Collector) SetOnewayIDBase(base uint64) { c.ow.next = max(c.ow.next, base) }

// LastOnewayID returns the highest collector-wide one-way flow id given
// (or set by SetOnewayIDBase; 0 when none): ids are never reused.
func (c *Collector) LastOnewayID() uint64 { return c.ow.next }

package probe

// setIDBase makes the probe number its flows, connections and sessions
// from base+1 (Identity.IDBase); a Workers share renumbers them per
// packet (shard.setIDs), above the same base.
func (p *Probe) setIDBase(base uint64) {
	p.flows.SetNextID(base)
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.tcp != nil {
			c.tcp.SetNextID(base)
		}
		if c.ftp != nil {
			c.ftp.SetNextID(base)
		}
	}
}

// LastID returns the highest flow id, conn_id or session_id the probe
// gave (Identity.IDBase when none): a later run of the probe into the same
// output starts above it (its Identity.IDBase).
func (p *Probe) LastID() uint64 {
	n := max(p.id.IDBase, p.flows.LastID())
	for ci := range p.classes {
		c := &p.classes[ci]
		if c.tcp != nil {
			n = max(n, c.tcp.LastID())
		}
		if c.ftp != nil {
			n = max(n, c.ftp.LastID())
		}
	}
	return n
}

// LastID returns the highest id any worker gave (Probe.LastID; a bound:
// a worker numbers by capture ordinal, shard.setIDs). Valid once Close
// returned (the workers have stopped).
func (w *Workers) LastID() uint64 {
	var n uint64
	for _, p := range w.ws {
		n = max(n, p.LastID())
	}
	return n
}

package probe

import (
	"github.com/tmonbench/tmonbench/engine/config"
)

// setIDBase makes the probe number its flows, connections and sessions
// from base+1 (Identity.IDBase); a Workers share numbers its own from 1
// (0: shard.trackers), and the merge renumbers them above the base
// (renum.go).
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

// LastID returns the highest id the merge gave (renum.go), as a lone
// Probe's LastID. Valid once Close returned (the workers have stopped).
func (w *Workers) LastID() uint64 { return w.rn.last() }

// idGrace is how long, in ns of capture time, the merge keeps a sparse
// id after the record that ends it (renum.go): what still names it is
// sent within an interval (RTT histograms, the last counters), the rtt
// timeout (unanswered requests) and the PDU build time (one-way
// observations in an encoder, p.obsMaxAgeNs); twice their sum, and a
// minute more for FTP transfers that end after their session.
func idGrace(cfg *config.Config, p *Probe) int64 {
	rttS := 10.0
	for _, c := range cfg.Classes {
		rttS = max(rttS, c.RTT.TimeoutS)
	}
	return 2*(p.intervalNs+int64(rttS*1e9)+p.obsMaxAgeNs) + 60e9
}

package probe

import (
	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
)

// match sieves d into set. Classes with upper_layer (config.Class.UpperLayer)
// are also matched on the packet as if its IPv6 extension headers were
// absent, so that "udp port 53" sees DNS behind a hop-by-hop header or in
// the first fragment of a fragmented datagram: a deliberate difference
// from tcpdump, whose port and protocol tests stop at the first extension
// header (libpcap gen_port6). Other classes keep tcpdump's semantics.
func (p *Probe) match(d *dissect.Dissection, set *filter.Set) {
	p.sieve.Match(d, set)
	if p.upperLayer.Empty() || d.IPVersion != 6 || d.IPHdrLen == 40 || d.Flags&dissect.HasL4 == 0 {
		return
	}
	v := &p.uv
	*v = *d
	v.IPHdrLen = 40
	v.Flags &^= dissect.IsFrag
	p.sieve.Match(v, &p.uset)
	for i := range set {
		set[i] |= p.uset[i] & p.upperLayer[i]
	}
}

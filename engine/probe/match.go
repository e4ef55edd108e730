package probe

import (
	"math/bits"

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
	// The version first: most packets are IPv4, and it is one compare
	// where Empty is four words (issue 14).
	if d.IPVersion != 6 || d.IPHdrLen == 40 || d.Flags&dissect.HasL4 == 0 || p.upperLayer.Empty() {
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

// accountSet accounts d in each class of p.set, in class order. With 64
// classes or fewer (filter.Set: bit i of word i/64 is class i) the first
// word holds them all: its bits are taken lowest first, without Set.Next's
// scan of the other words after the last class (issue 14: ~40
// instructions a packet).
func (p *Probe) accountSet(d *dissect.Dissection) {
	if len(p.classes) > 64 {
		for ci := p.set.Next(0); ci >= 0; ci = p.set.Next(ci + 1) {
			p.stats.Matched++
			p.account(ci, d)
		}
		return
	}
	for w := p.set[0]; w != 0; w &= w - 1 {
		p.stats.Matched++
		p.account(bits.TrailingZeros64(w), d)
	}
}

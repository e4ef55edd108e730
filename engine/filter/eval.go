package filter

import (
	"github.com/tmonbench/tmonbench/engine/dissect"
)

// Match reports whether d passes the expression. It walks the parse tree
// primitive by primitive: a slow but plain reference for the semantics the
// Sieve implements (tests compare the two), fine for a one-off check. The
// empty expression matches every packet. It does not allocate.
func (e Expr) Match(d *dissect.Dissection) bool {
	if e.root == nil {
		return true
	}
	return e.root.eval(d, false)
}

// eval is the truth of n on d, or of `not n` when neg: negations are
// pushed down to the primitives, where a relation on packet bytes has its
// own negation (prim.relEval).
func (n *node) eval(d *dissect.Dissection, neg bool) bool {
	switch n.kind {
	case nAnd:
		if neg {
			return n.l.eval(d, true) || n.r.eval(d, true)
		}
		return n.l.eval(d, false) && n.r.eval(d, false)
	case nOr:
		if neg {
			return n.l.eval(d, true) && n.r.eval(d, true)
		}
		return n.l.eval(d, false) || n.r.eval(d, false)
	case nNot:
		return n.l.eval(d, !neg)
	}
	if n.p.kind == pRel {
		return n.p.relEval(d, neg)
	}
	return n.p.eval(d) != neg
}

// ipProto reports whether d's IP protocol is proto as libpcap sees it,
// for IPv4 (v4) and/or IPv6 (v6).
func ipProto(d *dissect.Dissection, proto uint8, v4, v6 bool) bool {
	switch d.IPVersion {
	case 4:
		return v4 && d.Protocol == proto
	case 6:
		return v6 && v6Proto(v6ProtoKey(d), proto)
	}
	return false
}

// eval is the libpcap meaning of one primitive on the dissected fields.
func (p *prim) eval(d *dissect.Dissection) bool {
	switch p.kind {
	case pAbbrev, pProto:
		switch {
		case p.kind == pAbbrev && p.pq == qIP:
			return d.IPVersion == 4
		case p.kind == pAbbrev && p.pq == qIP6:
			return d.IPVersion == 6
		}
		proto, v4, v6 := p.ipProtocol()
		return ipProto(d, uint8(proto), v4, v6)
	case pHost, pNet:
		if d.IPVersion != 4 && d.IPVersion != 6 || p.pq == qARP || p.pq == qRARP {
			return p.arpAddr(d)
		}
		if p.pfx.Addr().Is4() != (d.IPVersion == 4) {
			return false
		}
		return p.dir(p.pfx.Contains(d.SrcAddr), p.pfx.Contains(d.DstAddr))
	case pPort, pPortRange:
		k := portsVisible(d)
		if k == l4None || p.pq == qTCP && k != l4TCP || p.pq == qUDP && k != l4UDP || p.pq == qSCTP && k != l4SCTP {
			return false
		}
		in := func(v uint16) bool { return uint32(v) >= p.lo && uint32(v) <= p.hi }
		return p.dir(in(d.SrcPort), in(d.DstPort))
	case pLen:
		return compare(p.rel, d.Meta.WireLen, p.lo)
	case pVLAN:
		if int(d.NVLAN) <= int(p.depth) {
			return false
		}
		return !p.hasID || p.depth < 2 && uint32(d.VLANs[p.depth]&0xfff) == p.lo
	case pFlag:
		return portsVisible(d) == l4TCP && d.Flags&dissect.TCPFlagsCut == 0 && d.TCPFlags&(1<<p.lo) != 0
	case pDSCP:
		return (d.IPVersion == 4 || d.IPVersion == 6) && uint32(d.TOS>>2) == p.lo
	case pLink:
		return isLink(d, p.lo)
	}
	return false
}

// dir combines the source and destination tests by the direction qualifier.
func (p *prim) dir(src, dst bool) bool {
	switch p.dq {
	case dSrc:
		return src
	case dDst:
		return dst
	case dAnd:
		return src && dst
	}
	return src || dst
}

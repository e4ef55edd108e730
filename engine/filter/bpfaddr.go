package filter

import (
	"encoding/binary"

	"golang.org/x/net/bpf"
)

// pair combines the tests of the source and destination side of a field by
// the direction qualifier: side(src, t, f) emits one side's test.
func (c *bpfc) pair(dq dqual, side func(src bool, t, f label), t, f label) {
	switch dq {
	case dSrc:
		side(true, t, f)
	case dDst:
		side(false, t, f)
	case dAnd:
		m := c.newLabel()
		side(true, m, f)
		c.place(m)
		side(false, t, f)
	default:
		m := c.newLabel()
		side(true, t, m)
		c.place(m)
		side(false, t, f)
	}
}

// addr tests `host` and `net` on the outer IPv4 or IPv6 addresses, and
// IPv4 ones on the protocol addresses of ARP and RARP (prim.arpAddr).
func (c *bpfc) addr(p *prim, t, f label) {
	c.emit(ldM(mIPVer))
	ip, arp := c.newLabel(), c.newLabel()
	switch {
	case p.pq == qARP:
		c.jif(bpf.JumpEqual, etherARP, arp, f)
	case p.pq == qRARP:
		c.jif(bpf.JumpEqual, etherRARP, arp, f)
	case !p.pfx.Addr().Is4():
		c.jif(bpf.JumpEqual, 6, ip, f)
		c.place(ip)
		c.addr6(p, t, f)
		return
	case p.pq == qDefault: // libpcap: ip, arp or rarp host
		c.cases(f, arm{4, ip}, arm{etherARP, arp}, arm{etherRARP, arp})
	default:
		c.jif(bpf.JumpEqual, 4, ip, f)
	}
	if p.pq != qARP && p.pq != qRARP {
		c.place(ip)
		c.addr4(p, 12, 16, 0, t, f)
	}
	if p.pq != qIP {
		c.place(arp)
		c.addr4(p, arpSPA, arpTPA, arpLen, t, f)
	}
}

// addr6 tests an IPv6 host or net on the IPv6 header at M[mNet].
func (c *bpfc) addr6(p *prim, t, f label) {
	c.emit(ldxM(mNet))
	bitsLeft := p.pfx.Bits()
	a := p.pfx.Addr().As16()
	c.pair(p.dq, func(src bool, t, f label) {
		off := uint32(24)
		if src {
			off = 8
		}
		left := bitsLeft
		for w := 0; w < 4 && left > 0; w++ {
			bits := min(left, 32)
			left -= bits
			mask := ^uint32(0) << (32 - bits)
			v := binary.BigEndian.Uint32(a[4*w:]) & mask
			c.emit(bpf.LoadIndirect{Off: off + uint32(4*w), Size: 4})
			if mask != ^uint32(0) {
				c.emit(aluK(bpf.ALUOpAnd, mask))
			}
			if w == 3 || left == 0 {
				c.jif(bpf.JumpEqual, v, t, f)
			} else {
				n := c.newLabel()
				c.jif(bpf.JumpEqual, v, n, f)
				c.place(n)
			}
		}
		if bitsLeft == 0 {
			c.jump(t)
		}
	}, t, f)
}

// addr4 tests an IPv4 host or net on the 4 bytes at srcOff and dstOff
// from M[mNet], once the frame holds need bytes from there (else f).
func (c *bpfc) addr4(p *prim, srcOff, dstOff, need uint32, t, f label) {
	if need > 0 {
		ok := c.newLabel()
		c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, need), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
		c.jifX(bpf.JumpGreaterOrEqual, ok, f)
		c.place(ok)
	}
	c.emit(ldxM(mNet))
	a := p.pfx.Addr().As4()
	v := binary.BigEndian.Uint32(a[:])
	bitsLeft := p.pfx.Bits()
	mask := ^uint32(0) << (32 - bitsLeft)
	if bitsLeft == 0 {
		mask = 0
	}
	c.pair(p.dq, func(src bool, t, f label) {
		off := dstOff
		if src {
			off = srcOff
		}
		c.emit(bpf.LoadIndirect{Off: off, Size: 4})
		if mask != ^uint32(0) {
			c.emit(aluK(bpf.ALUOpAnd, mask))
		}
		c.jif(bpf.JumpEqual, v&mask, t, f)
	}, t, f)
}

// port tests `port` and `portrange` on visible TCP or UDP ports.
func (c *bpfc) port(p *prim, t, f label) {
	n := c.newLabel()
	c.emit(ldM(mPorts))
	switch p.pq {
	case qTCP:
		c.jif(bpf.JumpEqual, l4TCP, n, f)
	case qUDP:
		c.jif(bpf.JumpEqual, l4UDP, n, f)
	case qSCTP:
		c.jif(bpf.JumpEqual, l4SCTP, n, f)
	default:
		c.jif(bpf.JumpEqual, l4None, f, n)
	}
	c.place(n)
	c.emit(ldxM(mL4))
	c.pair(p.dq, func(src bool, t, f label) {
		off := uint32(2)
		if src {
			off = 0
		}
		c.emit(bpf.LoadIndirect{Off: off, Size: 2})
		if p.lo == p.hi {
			c.jif(bpf.JumpEqual, p.lo, t, f)
			return
		}
		in := c.newLabel()
		c.jif(bpf.JumpGreaterOrEqual, p.lo, in, f)
		c.place(in)
		c.jif(bpf.JumpLessOrEqual, p.hi, t, f)
	}, t, f)
}

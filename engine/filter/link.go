package filter

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// linkTypes are the EtherTypes of the link-layer primitives `arp` and
// `rarp` (libpcap gen_linktype(ETHERTYPE_ARP / ETHERTYPE_REVARP)).
var linkTypes = map[string]uint32{"arp": etherARP, "rarp": etherRARP}

// etherProto parses `ether proto V` (the tokens `ether proto` current):
// V is \arp, \rarp, \ip, \ip6 (the backslash optional, as for `proto`) or
// their EtherType numbers. Other EtherTypes are refused: the dissector
// reads no other network layer.
func (p *parser) etherProto() (*node, qual, error) {
	start := p.next()
	p.next()
	t := p.tok()
	if t.kind != tWord {
		return nil, qerr, p.errAt(t, "expected an EtherType")
	}
	name := strings.TrimPrefix(t.text, "\\")
	v, ok := linkTypes[name]
	switch {
	case ok:
	case name == "ip":
		v = 0x0800
	case name == "ip6":
		v = 0x86dd
	default:
		n, err := parseNum(name)
		if err != nil {
			return nil, qerr, p.errAt(t, fmt.Sprintf("unknown EtherType %q", t.text))
		}
		v = n
	}
	p.next()
	switch v {
	case etherARP, etherRARP:
		return prim{kind: pLink, lo: v, off: start.off}.node(), qerr, nil
	case 0x0800:
		return prim{kind: pAbbrev, pq: qIP, off: start.off}.node(), qerr, nil
	case 0x86dd:
		return prim{kind: pAbbrev, pq: qIP6, off: start.off}.node(), qerr, nil
	}
	return nil, qerr, p.errAt(t, fmt.Sprintf("unsupported EtherType %#04x: ether proto takes \\ip (0x0800), \\ip6 (0x86dd), \\arp (0x0806) or \\rarp (0x8035)", v))
}

// linkEther returns the EtherType of a frame's network layer past its
// VLAN tags, and the offset of the network header, on the link types
// that carry one (Ethernet, Linux cooked SLL and SLL2: the walk of
// dissect's link and tagged); 0 elsewhere (raw IP, loopback, PPP carry
// no ARP) and on a frame cut inside its link header.
func linkEther(d *dissect.Dissection) (etype uint16, off int) {
	var at int
	switch d.Meta.LinkType {
	case pkt.LinkEthernet:
		at, off = 12, 14
	case pkt.LinkLinuxSLL:
		at, off = 14, 16
	case pkt.LinkLinuxSLL2:
		at, off = 0, 20
	default:
		return 0, 0
	}
	b := d.Data
	if len(b) < off {
		return 0, 0
	}
	etype = binary.BigEndian.Uint16(b[at:])
	for etype == 0x8100 || etype == 0x88a8 || etype == 0x9100 {
		if len(b) < off+4 {
			return 0, 0
		}
		etype = binary.BigEndian.Uint16(b[off+2:])
		off += 4
	}
	return etype, off
}

// isLink reports whether d is a non-IP frame of EtherType et (pLink).
func isLink(d *dissect.Dissection, et uint32) bool {
	if d.IPVersion != 0 {
		return false
	}
	e, _ := linkEther(d)
	return uint32(e) == et
}

// ARP packet offsets (RFC 826 for Ethernet hardware and IPv4 protocol
// addresses, as libpcap reads them whatever the hardware and protocol
// lengths say: gen_hostop(ETHERTYPE_ARP, 14, 24)): the sender and target
// protocol addresses.
const (
	arpSPA = 14
	arpTPA = 24
	arpLen = 28
)

// arpAddr is the truth of a host or net primitive on a non-IP frame:
// libpcap's `host A` and `net N` (no protocol qualifier) also test the
// protocol addresses of ARP and RARP packets, `arp host A` those of ARP
// only, `rarp host A` of RARP; src is the sender's, dst the target's.
// An IPv6 address, or an ARP packet cut before its target address, never
// matches.
func (p *prim) arpAddr(d *dissect.Dissection) bool {
	if d.IPVersion != 0 || !p.pfx.Addr().Is4() {
		return false
	}
	e, off := linkEther(d)
	switch {
	case e == etherARP && (p.pq == qDefault || p.pq == qARP):
	case e == etherRARP && (p.pq == qDefault || p.pq == qRARP):
	default:
		return false
	}
	b := d.Data
	if len(b) < off+arpLen {
		return false
	}
	src := netip.AddrFrom4([4]byte(b[off+arpSPA:]))
	dst := netip.AddrFrom4([4]byte(b[off+arpTPA:]))
	return p.dir(p.pfx.Contains(src), p.pfx.Contains(dst))
}

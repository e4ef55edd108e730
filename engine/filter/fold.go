package filter

import (
	"net/netip"
	"strings"
)

// Primitive describes one primitive of a parsed Expr, for code that
// translates a filter into another language (queries.PcapSQL turns one
// into SQL over a table's endpoint columns) with this package's grammar
// and semantics rather than a second parser.
type Primitive struct {
	// Kind is "host", "net", "port", "portrange", "proto" (an IP protocol
	// test: `proto 47`, `ip proto 1`, and tcp, udp, icmp, icmp6, igmp,
	// sctp alone), "ip" or "ip6" (an IP version test: ip, ip6 alone),
	// "len", "vlan", "tcp-flag", "dscp", "relation" (on packet bytes) or
	// "ethertype" (the link layer's: arp, rarp; Lo is the EtherType).
	Kind string
	// Dir is the direction qualifier of host, net, port and portrange:
	// "" (src or dst, unqualified), "src", "dst", "src or dst",
	// "src and dst".
	Dir string
	// Qual is the protocol qualifier written before host, net, port and
	// portrange (`tcp port 21`: "tcp"; `ip host a`: "ip"; `arp host a`:
	// "arp", a test of ARP's addresses, not of IP's), or "".
	Qual string
	// QualProto is the IP protocol Qual stands for (6 for tcp), 0 for
	// "", ip and ip6.
	QualProto uint32
	// Prefix is the address of host (full length) or the network of net.
	Prefix netip.Prefix
	// Lo and Hi are the port of port (Lo == Hi), the bounds of portrange
	// (Lo <= Hi, reversed bounds swapped as libpcap does), the protocol
	// number of proto (Lo), the operand of len, the ID of vlan, the value
	// of dscp.
	Lo, Hi uint32
	// V4 and V6: the IP versions a proto primitive tests in (icmp: IPv4
	// only; `ip6 proto 17`: IPv6 only).
	V4, V6 bool
	// Text is the primitive in canonical form, as Expr.String writes it.
	Text string
	// Offset is the byte offset of the primitive in the source.
	Offset int
}

var primKindNames = [...]string{pHost: "host", pNet: "net", pPort: "port", pPortRange: "portrange",
	pProto: "proto", pAbbrev: "proto", pLen: "len", pVLAN: "vlan", pFlag: "tcp-flag", pDSCP: "dscp", pRel: "relation", pLink: "ethertype"}

// describe returns the Primitive view of p.
func (p *prim) describe() Primitive {
	var b strings.Builder
	p.write(&b)
	d := Primitive{Kind: primKindNames[p.kind], Dir: dqualNames[p.dq], Qual: pqualNames[p.pq],
		Prefix: p.pfx, Lo: p.lo, Hi: p.hi, Text: b.String(), Offset: p.off}
	if p.pq != qIP && p.pq != qIP6 && p.pq != qDefault && int(p.pq) < len(abbrevProtos) {
		d.QualProto = abbrevProtos[p.pq].proto
	}
	switch {
	case p.kind == pAbbrev && p.pq == qIP:
		d.Kind, d.Qual = "ip", ""
	case p.kind == pAbbrev && p.pq == qIP6:
		d.Kind, d.Qual = "ip6", ""
	case p.kind == pAbbrev || p.kind == pProto:
		d.Lo, d.V4, d.V6 = p.ipProtocol()
		d.Qual, d.QualProto = "", 0
	}
	return d
}

// Fold evaluates e bottom-up into a value of another language: prim for
// each primitive, and, or and not for the connectives (in the parse
// tree's order: and/or left to right, as libpcap). The first error prim
// returns ends the walk. The empty expression gives the zero T.
func Fold[T any](e Expr, prim func(Primitive) (T, error), and, or func(l, r T) T, not func(T) T) (T, error) {
	var zero T
	if e.root == nil {
		return zero, nil
	}
	var walk func(n *node) (T, error)
	walk = func(n *node) (T, error) {
		switch n.kind {
		case nPrim:
			return prim(n.p.describe())
		case nNot:
			v, err := walk(n.l)
			if err != nil {
				return zero, err
			}
			return not(v), nil
		}
		l, err := walk(n.l)
		if err != nil {
			return zero, err
		}
		r, err := walk(n.r)
		if err != nil {
			return zero, err
		}
		if n.kind == nAnd {
			return and(l, r), nil
		}
		return or(l, r), nil
	}
	return walk(e.root)
}

// IsKeyword reports whether w (as written: keywords are lower case) is a
// word of the pcap-filter grammar: a qualifier or primitive this package
// implements (tcp, host, portrange, len, less, vlan, tcp-syn ...), a
// libpcap keyword it rejects as unsupported (gateway, broadcast ...), or
// a named constant of byte relations (tcpflags, icmp-echo ...). Text that
// starts with one is meant as a filter, even when it does not parse.
func IsKeyword(w string) bool {
	_, load := lprotoWords[w]
	return isKeyword(w) || load
}

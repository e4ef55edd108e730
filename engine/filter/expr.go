package filter

import (
	"net/netip"
	"strconv"
	"strings"
)

// Expr is a parsed filter expression (see Parse). The zero Expr, like the
// one Parse returns for an empty string, matches every packet. An Expr is
// immutable and safe for concurrent use.
type Expr struct {
	root *node
	src  string
}

// String returns the expression in canonical form: every primitive fully
// qualified (`host a or b` reads `(host a or host b)`), every binary
// connective parenthesised. Parsing the result gives the same filter.
// The empty expression reads "".
func (e Expr) String() string {
	if e.root == nil {
		return ""
	}
	var b strings.Builder
	e.root.write(&b)
	return b.String()
}

// Source returns the text the expression was parsed from.
func (e Expr) Source() string { return e.src }

// MatchesAll reports whether the expression is empty (matches everything).
func (e Expr) MatchesAll() bool { return e.root == nil }

// nodeKind is the kind of an expression node.
type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nPrim
)

// node is one node of the parse tree.
type node struct {
	kind nodeKind
	l, r *node // nAnd, nOr: both; nNot: l
	p    prim  // nPrim
}

// pqual is a protocol qualifier (pcap-filter "proto"), also used for the
// protocol abbreviations (`tcp` alone).
type pqual uint8

const (
	qDefault pqual = iota
	qIP
	qIP6
	qTCP
	qUDP
	qICMP
	qICMP6
	qIGMP
	qSCTP
	qARP  // arp host/net: the ARP sender and target protocol addresses
	qRARP // rarp host/net: those of RARP
)

var pqualNames = [...]string{"", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "igmp", "sctp", "arp", "rarp"}

// abbrevProtos are the IP protocol of each protocol abbreviation and the
// IP versions it stands in (tcp, udp, sctp: both; icmp, igmp: IPv4; icmp6:
// IPv6). ip and ip6 test the version alone.
var abbrevProtos = [...]struct {
	proto  uint32
	v4, v6 bool
}{qTCP: {6, true, true}, qUDP: {17, true, true}, qSCTP: {132, true, true},
	qICMP: {1, true, false}, qICMP6: {58, false, true}, qIGMP: {2, true, false}}

// ipProtocol returns the IP protocol a pProto primitive, or a pAbbrev
// other than ip and ip6, tests and whether it tests it in IPv4 and IPv6.
func (p *prim) ipProtocol() (proto uint32, v4, v6 bool) {
	if p.kind == pAbbrev {
		a := abbrevProtos[p.pq]
		return a.proto, a.v4, a.v6
	}
	return p.lo, p.pq != qIP6, p.pq != qIP
}

// dqual is a direction qualifier.
type dqual uint8

const (
	dDefault dqual = iota // src or dst
	dSrc
	dDst
	dOr  // src or dst, spelled out
	dAnd // src and dst
)

var dqualNames = [...]string{"", "src", "dst", "src or dst", "src and dst"}

// aqual is an address-type qualifier ("type" in pcap-filter(7)).
type aqual uint8

const (
	aDefault aqual = iota // host
	aHost
	aNet
	aPort
	aPortRange
	aProto
)

var aqualNames = [...]string{"host", "host", "net", "port", "portrange", "proto"}

// primKind is the kind of a primitive.
type primKind uint8

const (
	pHost      primKind = iota // pfx is a single address
	pNet                       // pfx is a network
	pPort                      // lo == hi
	pPortRange                 // lo <= hi
	pProto                     // ip/ip6/(both) proto lo
	pAbbrev                    // pq alone: ip, ip6, tcp, udp, icmp, icmp6, igmp, sctp
	pLen                       // len rel lo
	pVLAN                      // vlan [lo] at depth
	pFlag                      // TCP flag bit lo set
	pDSCP                      // DSCP == lo
	pRel                       // a rel b: arithmetic on packet bytes (arith.go)
	pLink                      // arp, rarp: EtherType lo (etherARP, etherRARP) of a non-IP frame
)

// EtherTypes of the pLink primitives (IEEE 802 numbers; RFC 826, RFC 903).
const (
	etherARP  = 0x0806
	etherRARP = 0x8035
)

// relop is a comparison operator of a `len` relation.
type relop uint8

const (
	rLT relop = iota
	rLE
	rGT
	rGE
	rEQ
	rNE
)

var relopNames = [...]string{"<", "<=", ">", ">=", "=", "!="}

// flagNames are the TCP flag primitives, indexed by the bit number in
// dissect's TCPFlags (FIN=0 ... CWR=7).
var flagNames = [...]string{"tcp-fin", "tcp-syn", "tcp-rst", "tcp-push", "tcp-ack", "tcp-urg", "tcp-ece", "tcp-cwr"}

// prim is one primitive with its qualifiers and value.
type prim struct {
	kind  primKind
	pq    pqual
	dq    dqual
	pfx   netip.Prefix // pHost, pNet
	lo    uint32       // port, range start, proto, len operand, vlan ID, flag bit, DSCP, EtherType
	hi    uint32       // range end
	rel   relop        // pLen, pRel
	a, b  *arith       // pRel: the two sides
	hasID bool         // pVLAN: an ID was given
	depth uint8        // pVLAN: number of vlan primitives lexically before this one
	off   int          // byte offset in the source
}

func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case nAnd, nOr:
		b.WriteByte('(')
		n.l.write(b)
		if n.kind == nAnd {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		n.r.write(b)
		b.WriteByte(')')
	case nNot:
		b.WriteString("not ")
		n.l.write(b)
	case nPrim:
		n.p.write(b)
	}
}

func (p *prim) write(b *strings.Builder) {
	qual := func(a aqual) {
		if p.pq != qDefault {
			b.WriteString(pqualNames[p.pq])
			b.WriteByte(' ')
		}
		if p.dq != dDefault {
			b.WriteString(dqualNames[p.dq])
			b.WriteByte(' ')
		}
		b.WriteString(aqualNames[a])
		b.WriteByte(' ')
	}
	u := func(v uint32) { b.WriteString(strconv.FormatUint(uint64(v), 10)) }
	switch p.kind {
	case pHost:
		qual(aHost)
		b.WriteString(p.pfx.Addr().String())
	case pNet:
		qual(aNet)
		b.WriteString(p.pfx.String())
	case pPort:
		qual(aPort)
		u(p.lo)
	case pPortRange:
		qual(aPortRange)
		u(p.lo)
		b.WriteByte('-')
		u(p.hi)
	case pProto:
		qual(aProto)
		u(p.lo)
	case pAbbrev:
		b.WriteString(pqualNames[p.pq])
	case pLen:
		b.WriteString("len ")
		b.WriteString(relopNames[p.rel])
		b.WriteByte(' ')
		u(p.lo)
	case pVLAN:
		b.WriteString("vlan")
		if p.hasID {
			b.WriteByte(' ')
			u(p.lo)
		}
	case pFlag:
		b.WriteString(flagNames[p.lo])
	case pDSCP:
		b.WriteString("dscp ")
		u(p.lo)
	case pLink:
		if p.lo == etherARP {
			b.WriteString("arp")
		} else {
			b.WriteString("rarp")
		}
	case pRel:
		p.a.write(b)
		b.WriteByte(' ')
		b.WriteString(relopNames[p.rel])
		b.WriteByte(' ')
		p.b.write(b)
	}
}

package filter

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Parse parses a filter expression in the pcap-filter(7) syntax (see the
// package documentation for the accepted grammar and the differences from
// libpcap). The empty (or all-blank) string gives an Expr that matches every
// packet. Errors are *SyntaxError values wrapping ErrSyntax, carrying the
// byte offset of the offending token.
func Parse(expr string) (Expr, error) {
	p := &parser{src: expr, toks: lex(expr)}
	if p.tok().kind == tEOF {
		return Expr{src: expr}, nil
	}
	n, _, err := p.expr(qerr)
	if err != nil {
		return Expr{}, err
	}
	if t := p.tok(); t.kind != tEOF {
		switch t.kind {
		case tRParen:
			return Expr{}, p.errAt(t, "unbalanced ')'")
		case tBad, tArith, tLBrack, tRBrack, tColon:
			return Expr{}, p.errAt(t, fmt.Sprintf("unexpected character %q", t.text))
		}
		return Expr{}, p.errAt(t, fmt.Sprintf("expected 'and' or 'or' before %q", t.text))
	}
	return Expr{root: n, src: expr}, nil
}

// qual is the set of qualifiers a bare value inherits (libpcap's `struct
// qual`); err marks libpcap's qerr: no value may follow.
type qual struct {
	pq  pqual
	dq  dqual
	aq  aqual
	err bool
}

var qerr = qual{err: true}

// maxDepth bounds the nesting of parentheses and negations, so that hostile
// input cannot exhaust the stack.
const maxDepth = 200

type parser struct {
	src   string
	toks  []token
	pos   int
	depth int
	vlans int // vlan primitives seen so far (libpcap moves the offsets at each)
}

func (p *parser) tok() token { return p.toks[p.pos] }

func (p *parser) peek(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Expr: p.src, Offset: t.off, Msg: msg}
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, "expression nested too deeply")
	}
	return nil
}

// leave ends the level of nesting enter counted (refused past maxDepth).
func (p *parser) leave() { p.depth-- }

// expr parses `term { (and|or) (term|id) }`. libpcap gives and/or the same
// precedence, left associative (pcap-filter(7): "Alternation and
// concatenation have equal precedence and associate left to right").
// ctx is the qualifier context a leading parenthesis inherits.
func (p *parser) expr(ctx qual) (*node, qual, error) {
	n, q, err := p.term(ctx)
	if err != nil {
		return nil, q, err
	}
	for {
		kind, ok := junction(p.tok().kind)
		if !ok {
			return n, q, nil
		}
		p.next()
		var r *node
		if p.idAhead() {
			r, q, err = p.id(q)
		} else {
			r, q, err = p.term(q)
		}
		if err != nil {
			return nil, q, err
		}
		n = &node{kind: kind, l: n, r: r}
	}
}

// junction is the node an and/or token joins its operands with.
func junction(k tokKind) (nodeKind, bool) {
	switch k {
	case tAnd:
		return nAnd, true
	case tOr:
		return nOr, true
	}
	return 0, false
}

// idAhead reports whether the operand that starts here is a bare value
// (libpcap's `id`, possibly behind `not` and parentheses), which inherits
// the qualifiers of the expression to its left.
func (p *parser) idAhead() bool {
	for k := 0; ; k++ {
		t := p.peek(k)
		switch t.kind {
		case tNot, tLParen:
			continue
		case tWord:
			if isKeyword(t.text) {
				return false
			}
			// `60 < len`, `2 & tcp[13] != 0` are relations, not values.
			nx := p.peek(k + 1).kind
			return nx != tRel && nx != tArith && nx != tLBrack
		}
		return false
	}
}

// term parses `not term | ( expr ) | head id | primitive`.
func (p *parser) term(ctx qual) (*node, qual, error) {
	t := p.tok()
	if err := p.enter(t); err != nil {
		return nil, qerr, err
	}
	defer p.leave()
	if p.arithAhead() {
		return p.relExpr()
	}
	switch t.kind {
	case tNot:
		p.next()
		return negated(p.term(ctx))
	case tLParen:
		p.next()
		n, _, err := p.expr(ctx)
		if err != nil {
			return nil, qerr, err
		}
		if c := p.tok(); c.kind != tRParen {
			return nil, qerr, p.unclosed(c)
		}
		p.next()
		// libpcap: `paren expr ')'` carries the qualifiers from before the '('.
		return n, ctx, nil
	case tWord:
		return p.primitive()
	case tEOF:
		return nil, qerr, p.errAt(t, "unexpected end of expression")
	case tBad:
		return nil, qerr, p.errAt(t, fmt.Sprintf("unexpected character %q", t.text))
	}
	return nil, qerr, p.errAt(t, fmt.Sprintf("expected a primitive before %q", t.text))
}

// keywords of the grammar; a word that is not one is a value.
var keywords = map[string]bool{
	"ip": true, "ip6": true, "tcp": true, "udp": true, "icmp": true, "icmp6": true, "igmp": true, "sctp": true,
	"arp": true, "rarp": true, "src": true, "dst": true, "host": true, "net": true, "mask": true, "port": true, "portrange": true, "proto": true,
	"len": true, "less": true, "greater": true, "vlan": true, "dscp": true,
	"tcp-fin": true, "tcp-syn": true, "tcp-rst": true, "tcp-push": true, "tcp-ack": true, "tcp-urg": true, "tcp-ece": true, "tcp-cwr": true,
}

// unsupported are libpcap keywords this package knows but does not
// implement: they get a clear error instead of "not an address".
var unsupported = map[string]bool{
	"ether": true, "gateway": true, "broadcast": true, "multicast": true,
	"vrrp": true, "carp": true, "mpls": true, "pppoed": true, "pppoes": true,
	"geneve": true, "link": true, "ppp": true, "fddi": true, "tr": true, "wlan": true, "decnet": true, "iso": true,
	"atalk": true, "aarp": true, "ipx": true, "netbeui": true, "stp": true, "lat": true, "mopdl": true, "moprc": true,
	"sca": true, "clnp": true, "esis": true, "isis": true, "protochain": true, "inbound": true, "outbound": true,
	"ifname": true, "on": true, "rnr": true, "rulenum": true, "reason": true, "rset": true, "srnr": true, "subrulenum": true,
	"action": true, "type": true, "subtype": true, "dir": true, "ra": true, "ta": true, "addr1": true, "addr2": true,
	"addr3": true, "addr4": true, "llc": true, "atm": true, "radio": true,
}

// unsupportedWhy says why the unsupported keyword w is refused, and what
// to write instead where there is a way.
func unsupportedWhy(w string) string {
	if n, ok := protoNumbers[w]; ok { // vrrp: libpcap's IPv4-only abbreviation
		return fmt.Sprintf("write ip proto %d", n)
	}
	if w == "ether" {
		return "the sieve classifies IP headers, after the dissector has taken off the link header (Ethernet, VLAN tags, MPLS, PPPoE, Linux cooked): MAC addresses are none of its fields; " +
			"ether[N] reads the frame's bytes as captured: on untagged Ethernet, ether[6:4] = 0x00112233 and ether[10:2] = 0x4455 is ether src 00:11:22:33:44:55 (ether[0:4], ether[4:2]: dst)"
	}
	if w == "protochain" {
		return "the sieve does not walk header chains: ip6 proto N tests the fixed header's next header; a class with upper_layer: true sees TCP and UDP behind IPv6 extension headers"
	}
	return "the sieve sees IP headers only"
}

func isKeyword(w string) bool {
	_, c := arithConsts[w]
	return keywords[w] || unsupported[w] || c || protoAbbrevs[w]
}

// protoAbbrevs are libpcap's protocol abbreviations that stand for `proto
// N` in IPv4 and IPv6 alike (gencode.c gen_proto_abbrev: Q_AH, Q_ESP,
// Q_PIM, gen_proto(N, Q_DEFAULT)): `ah` is `proto 51`.
var protoAbbrevs = map[string]bool{"ah": true, "esp": true, "pim": true}

var pqualWords = map[string]pqual{
	"ip": qIP, "ip6": qIP6, "tcp": qTCP, "udp": qUDP, "icmp": qICMP, "icmp6": qICMP6, "igmp": qIGMP, "sctp": qSCTP,
	"arp": qARP, "rarp": qRARP,
}

var aqualWords = map[string]aqual{
	"host": aHost, "net": aNet, "port": aPort, "portrange": aPortRange, "proto": aProto,
}

// primitive parses a term starting with a word.
func (p *parser) primitive() (*node, qual, error) {
	t := p.tok()
	w := t.text
	if w == "ether" && p.peek(1).kind == tWord && p.peek(1).text == "proto" {
		return p.etherProto()
	}
	if unsupported[w] {
		return nil, qerr, p.errAt(t, fmt.Sprintf("unsupported primitive %q (%s)", w, unsupportedWhy(w)))
	}
	if protoAbbrevs[w] {
		p.next()
		return prim{kind: pProto, pq: qDefault, lo: protoNumbers[w], off: t.off}.node(), qerr, nil
	}
	if pq, ok := pqualWords[w]; ok {
		switch nx := p.peek(1); {
		case nx.kind == tWord && nx.text == "multicast" && (pq == qIP || pq == qIP6):
			// libpcap: the destination address is multicast (ip[16] >= 224,
			// ip6[24] == 255), as `dst net 224.0.0.0/4` and `dst net ff00::/8`
			pfx := netip.MustParsePrefix("224.0.0.0/4")
			if pq == qIP6 {
				pfx = netip.MustParsePrefix("ff00::/8")
			}
			p.next()
			p.next()
			return prim{kind: pNet, pq: pq, dq: dDst, pfx: pfx, off: t.off}.node(), qerr, nil
		case nx.kind == tWord && unsupported[nx.text]:
			return nil, qerr, p.errAt(nx, fmt.Sprintf("unsupported primitive %q (%s)", w+" "+nx.text, unsupportedWhy(nx.text)))
		case nx.kind == tWord && isHeadWord(nx.text):
			return p.head()
		case pq == qARP || pq == qRARP:
			if nx.kind == tLBrack {
				return nil, qerr, p.errAt(t, fmt.Sprintf("unsupported primitive %q (loads of ARP fields are not translated: write ether[N], N counted from the frame's first byte)", w+"[]"))
			}
			p.next()
			return prim{kind: pLink, lo: linkTypes[w], off: t.off}.node(), qerr, nil
		default:
			p.next()
			return prim{kind: pAbbrev, pq: pq, off: t.off}.node(), qerr, nil
		}
	}
	if isHeadWord(w) {
		return p.head()
	}
	switch w {
	case "less", "greater":
		p.next()
		v, err := p.number(p.tok(), "expected a length")
		if err != nil {
			return nil, qerr, err
		}
		r := rLE
		if w == "greater" {
			r = rGE
		}
		return prim{kind: pLen, rel: r, lo: v, off: t.off}.node(), qerr, nil
	case "vlan":
		p.next()
		pr := prim{kind: pVLAN, depth: uint8(min(p.vlans, 255)), off: t.off}
		p.vlans++
		if nx := p.tok(); nx.kind == tWord && !isKeyword(nx.text) && p.peek(1).kind != tRel {
			v, err := p.number(nx, "expected a VLAN ID")
			if err != nil {
				return nil, qerr, err
			}
			if v > 4095 {
				return nil, qerr, p.errAt(nx, fmt.Sprintf("VLAN ID %d greater than maximum 4095", v))
			}
			if pr.depth >= 2 {
				return nil, qerr, p.errAt(t, "VLAN ID test beyond the second tag is not supported")
			}
			pr.hasID, pr.lo = true, v
		}
		return pr.node(), qerr, nil
	case "dscp":
		p.next()
		nx := p.tok()
		v, err := p.number(nx, "expected a DSCP value")
		if err != nil {
			return nil, qerr, err
		}
		if v > 63 {
			return nil, qerr, p.errAt(nx, fmt.Sprintf("DSCP %d greater than maximum 63", v))
		}
		return prim{kind: pDSCP, lo: v, off: t.off}.node(), qerr, nil
	}
	for i, f := range flagNames {
		if w == f {
			p.next()
			return prim{kind: pFlag, lo: uint32(i), off: t.off}.node(), qerr, nil
		}
	}
	if w == "mask" {
		return nil, qerr, p.errAt(t, "'mask' without a network")
	}
	return nil, qerr, p.errAt(t, fmt.Sprintf("missing qualifier (host, net, port, ...) before %q", w))
}

func (pr prim) node() *node { return &node{kind: nPrim, p: pr} }

// isHeadWord reports whether w starts or continues a qualifier head
// (direction, address type or `proto`).
func isHeadWord(w string) bool {
	switch w {
	case "src", "dst", "host", "net", "port", "portrange", "proto":
		return true
	}
	return false
}

// head parses `[pqual] [dqual] [aqual|proto]` then the value(s).
func (p *parser) head() (*node, qual, error) {
	var q qual
	start := p.tok()
	if pq, ok := pqualWords[p.tok().text]; ok {
		q.pq = pq
		p.next()
	}
	switch p.tok().text {
	case "src", "dst":
		first := p.next().text
		q.dq = dSrc
		if first == "dst" {
			q.dq = dDst
		}
		// `src or dst`, `dst and src`: only when the other direction follows.
		if c := p.tok(); (c.kind == tOr || c.kind == tAnd) && p.peek(1).kind == tWord &&
			(p.peek(1).text == "src" || p.peek(1).text == "dst") && p.peek(1).text != first {
			q.dq = dOr
			if c.kind == tAnd {
				q.dq = dAnd
			}
			p.next()
			p.next()
		}
	}
	at := p.tok()
	if aq := aqualWords[at.text]; aq != aDefault {
		if aq == aProto && q.dq != dDefault {
			return nil, qerr, p.errAt(at, "'proto' takes no direction qualifier")
		}
		q.aq = aq
		p.next()
	}
	if q.pq == qDefault && q.dq == dDefault && q.aq == aDefault {
		return nil, qerr, p.errAt(start, "expected a qualifier")
	}
	return p.id(q)
}

// id parses a value, `not id` or `( id {and|or id} )` under the inherited
// qualifiers q (libpcap's id, nid and pid rules).
func (p *parser) id(q qual) (*node, qual, error) {
	t := p.tok()
	if err := p.enter(t); err != nil {
		return nil, q, err
	}
	defer p.leave()
	switch t.kind {
	case tNot:
		p.next()
		return negated(p.id(q))
	case tLParen:
		p.next()
		n, _, err := p.id(q)
		if err != nil {
			return nil, q, err
		}
		for {
			c := p.tok()
			if c.kind == tRParen {
				p.next()
				return n, q, nil
			}
			kind, ok := junction(c.kind)
			if !ok {
				return nil, q, p.unclosed(c)
			}
			p.next()
			r, _, err := p.id(q)
			if err != nil {
				return nil, q, err
			}
			n = &node{kind: kind, l: n, r: r}
		}
	case tWord:
		if q.err {
			return nil, q, p.errAt(t, fmt.Sprintf("missing qualifier (host, net, port, ...) before %q", t.text))
		}
		if isKeyword(t.text) && !(q.aq == aProto && pqualWords[t.text] != 0) {
			return nil, q, p.errAt(t, p.expected(q)+fmt.Sprintf(", found keyword %q", t.text))
		}
		pr, err := p.value(q)
		if err != nil {
			return nil, q, err
		}
		return pr.node(), q, nil
	}
	return nil, q, p.errAt(t, p.expected(q))
}

// negated is `not` applied to what a rule parsed.
func negated(n *node, q qual, err error) (*node, qual, error) {
	if err != nil {
		return nil, q, err
	}
	return &node{kind: nNot, l: n}, q, nil
}

// unclosed is the error at c, where a parenthesised expression should
// have ended with ')'.
func (p *parser) unclosed(c token) error {
	if c.kind == tEOF {
		return p.errAt(c, "missing ')'")
	}
	return p.errAt(c, fmt.Sprintf("expected ')' or 'and'/'or' before %q", c.text))
}

// expected names what a value under q must be.
func (p *parser) expected(q qual) string {
	switch q.aq {
	case aNet:
		return "expected network address"
	case aPort:
		return "expected port number"
	case aPortRange:
		return "expected port range"
	case aProto:
		return "expected protocol number or name"
	}
	return "expected host address"
}

// protoNumbers are the protocol names `proto` accepts (IANA numbers); libpcap
// asks getprotobyname(3), we use a fixed table.
var protoNumbers = map[string]uint32{
	"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6": 41, "gre": 47, "esp": 50, "ah": 51,
	"icmp6": 58, "ipv6-icmp": 58, "ospf": 89, "pim": 103, "vrrp": 112, "sctp": 132,
}

// value parses one value token (and its /len or mask) under q.
func (p *parser) value(q qual) (prim, error) {
	t := p.next()
	pr := prim{pq: q.pq, dq: q.dq, off: t.off}
	w := t.text
	switch q.aq {
	case aPort, aPortRange:
		what := "port"
		if q.aq == aPortRange {
			what = "portrange"
		}
		switch q.pq {
		case qDefault, qTCP, qUDP, qSCTP:
		default:
			return pr, p.errAt(t, fmt.Sprintf("illegal qualifier of '%s'", what))
		}
		lo, hi := w, w
		if i := strings.IndexByte(w, '-'); i > 0 && q.aq == aPortRange {
			lo, hi = w[:i], w[i+1:]
		}
		a, err := p.port(t, lo, q.aq)
		if err != nil {
			return pr, err
		}
		b, err := p.port(t, hi, q.aq)
		if err != nil {
			return pr, err
		}
		if a > b {
			a, b = b, a // libpcap swaps a reversed range
		}
		pr.kind, pr.lo, pr.hi = pPort, a, b
		if q.aq == aPortRange {
			pr.kind = pPortRange
		}
		return pr, nil
	case aProto:
		switch q.pq {
		case qDefault, qIP, qIP6:
		default:
			return pr, p.errAt(t, fmt.Sprintf("illegal qualifier of 'proto': %q", pqualNames[q.pq]))
		}
		name := strings.TrimPrefix(w, "\\")
		if v, ok := protoNumbers[name]; ok {
			pr.kind, pr.lo = pProto, v
			return pr, nil
		}
		v, err := parseNum(name)
		if err != nil {
			return pr, p.errAt(t, fmt.Sprintf("unknown protocol %q", name))
		}
		if v > 255 {
			return pr, p.errAt(t, fmt.Sprintf("protocol number %d greater than maximum 255", v))
		}
		pr.kind, pr.lo = pProto, v
		return pr, nil
	}
	// host or net.
	if strings.HasPrefix(w, "\\") {
		return pr, p.errAt(t, p.expected(q))
	}
	if strings.IndexByte(w, ':') >= 0 {
		return p.v6(q, t, pr)
	}
	return p.v4(q, t, pr)
}

// port parses one port number.
func (p *parser) port(t token, s string, aq aqual) (uint32, error) {
	v, err := parseNum(s)
	if err != nil {
		msg := "expected port number"
		if aq == aPortRange {
			msg = "expected port range"
		}
		if aq == aPort && s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
			// libpcap reads service names from the host's /etc/services
			// (which differs between hosts, and may map a name to TCP only)
			msg = fmt.Sprintf("service name %q: give the port number (names are not read from /etc/services)", s)
			if n, ok := wellKnownPorts[strings.ToLower(s)]; ok {
				msg = fmt.Sprintf("service name %q: give the port number (%s is %d)", s, strings.ToLower(s), n)
			}
		}
		return 0, p.errAt(t, msg)
	}
	if v > 65535 {
		return 0, p.errAt(t, fmt.Sprintf("illegal port number %d > 65535", v))
	}
	return v, nil
}

// wellKnownPorts suggest the number for a service name (IANA service name
// and port number registry).
var wellKnownPorts = map[string]int{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53, "bootps": 67, "bootpc": 68,
	"tftp": 69, "http": 80, "www": 80, "kerberos": 88, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161,
	"snmp-trap": 162, "bgp": 179, "ldap": 389, "https": 443, "syslog": 514, "ldaps": 636, "sip": 5060,
}

// hostQual checks the protocol qualifier of an address (libpcap messages).
func (p *parser) hostQual(q qual, t token, v6 bool) error {
	switch q.pq {
	case qDefault:
		return nil
	case qIP:
		if v6 {
			return p.errAt(t, "'ip' modifier applied to ip6 host")
		}
		return nil
	case qIP6:
		if !v6 {
			return p.errAt(t, "'ip6' modifier applied to ip host")
		}
		return nil
	case qARP, qRARP:
		if v6 {
			return p.errAt(t, fmt.Sprintf("'%s' modifier applied to ip6 host", pqualNames[q.pq]))
		}
		return nil
	}
	return p.errAt(t, fmt.Sprintf("'%s' modifier applied to host", pqualNames[q.pq]))
}

// v4 parses an IPv4 host or network.
func (p *parser) v4(q qual, t token, pr prim) (prim, error) {
	w := t.text
	var addr uint32
	parts := 0
	isNum := strings.IndexByte(w, '.') < 0
	if isNum {
		v, err := parseNum(w)
		if err != nil {
			if q.aq == aNet {
				return pr, p.errAt(t, "expected network address")
			}
			return pr, p.errAt(t, "expected host address (names are not resolved)")
		}
		addr, parts = v, 0
	} else {
		for _, s := range strings.Split(w, ".") {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil || v > 255 || parts == 4 {
				if q.aq == aNet {
					return pr, p.errAt(t, "expected network address")
				}
				return pr, p.errAt(t, "expected host address (names are not resolved)")
			}
			addr = addr<<8 | uint32(v)
			parts++
		}
	}
	if err := p.hostQual(q, t, false); err != nil {
		return pr, err
	}
	// Trailing /len or mask M.
	var masklen int = -1
	switch nx := p.tok(); {
	case nx.kind == tSlash:
		p.next()
		n, err := p.prefixLen(32)
		if err != nil {
			return pr, err
		}
		masklen = n
	case nx.kind == tWord && nx.text == "mask":
		p.next()
		mt := p.next()
		m, ok := parseDotted4(mt.text)
		if !ok {
			return pr, p.errAt(mt, "expected dotted netmask")
		}
		n := bits.LeadingZeros32(^m)
		if m<<n != 0 {
			return pr, p.errAt(mt, fmt.Sprintf("non-contiguous netmask %q", mt.text))
		}
		masklen = n
	}
	if masklen >= 0 && q.aq != aNet {
		return pr, p.errAt(t, "mask syntax for networks only")
	}
	if q.aq != aNet {
		if parts != 4 {
			return pr, p.errAt(t, "expected host address (a.b.c.d)")
		}
		pr.kind = pHost
		pr.pfx = netip.PrefixFrom(addrFrom4(addr), 32)
		return pr, nil
	}
	// Network: libpcap promotes short forms (`net 10` = 10.0.0.0/8,
	// `net 10.1` = 10.1.0.0/16).
	if masklen >= 0 && parts == 4 {
		// explicit
	} else if masklen >= 0 || parts > 0 {
		if parts == 0 {
			return pr, p.errAt(t, "expected network address (a.b.c.d/len)")
		}
		if masklen < 0 {
			masklen = 8 * parts
		}
		addr <<= 32 - 8*uint(parts)
	} else {
		// bare number: "promote short net number"
		masklen = 32
		for addr != 0 && addr&0xff000000 == 0 {
			addr <<= 8
			masklen -= 8
		}
	}
	if masklen < 32 && addr&^(^uint32(0)<<(32-uint(masklen))) != 0 || masklen == 0 && addr != 0 {
		return pr, p.errAt(t, fmt.Sprintf("non-network bits set in %q", p.src[t.off:p.prevEnd()]))
	}
	pr.kind = pNet
	pr.pfx = netip.PrefixFrom(addrFrom4(addr), masklen)
	return pr, nil
}

// prevEnd is the end offset of the last consumed token.
func (p *parser) prevEnd() int {
	t := p.toks[p.pos-1]
	return t.off + len(t.text)
}

// v6 parses an IPv6 host or network.
func (p *parser) v6(q qual, t token, pr prim) (prim, error) {
	a, err := netip.ParseAddr(t.text)
	if err != nil || a.Zone() != "" || !a.Is6() {
		return pr, p.errAt(t, "invalid IPv6 address")
	}
	if err := p.hostQual(q, t, true); err != nil {
		return pr, err
	}
	masklen := 128
	switch nx := p.tok(); {
	case nx.kind == tSlash:
		p.next()
		n, err := p.prefixLen(128)
		if err != nil {
			return pr, err
		}
		masklen = n
		if q.aq != aNet {
			return pr, p.errAt(t, "mask syntax for networks only")
		}
	case nx.kind == tWord && nx.text == "mask":
		return pr, p.errAt(nx, "mask syntax for networks only supported for IPv4")
	}
	pfx := netip.PrefixFrom(a, masklen)
	if pfx.Masked().Addr() != a {
		return pr, p.errAt(t, fmt.Sprintf("non-network bits set in %q", p.src[t.off:p.prevEnd()]))
	}
	pr.pfx = pfx
	pr.kind = pHost
	if q.aq == aNet {
		pr.kind = pNet
	}
	return pr, nil
}

// prefixLen parses the length after the '/' of a network, at most limit.
func (p *parser) prefixLen(limit uint32) (int, error) {
	lt := p.tok()
	v, err := p.number(lt, "expected prefix length")
	if err != nil {
		return 0, err
	}
	if v > limit {
		return 0, p.errAt(lt, fmt.Sprintf("mask length must be <= %d, not %d", limit, v))
	}
	return int(v), nil
}

// number parses t as a number (decimal, 0x hex or 0 octal, as libpcap).
func (p *parser) number(t token, msg string) (uint32, error) {
	if t.kind != tWord {
		return 0, p.errAt(t, msg)
	}
	v, err := parseNum(t.text)
	if err != nil {
		return 0, p.errAt(t, msg)
	}
	p.next()
	return v, nil
}

// parseNum parses a 32-bit unsigned number as libpcap's stoulen: 0x prefix
// for hex, a leading 0 for octal, decimal otherwise.
func parseNum(s string) (uint32, error) {
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || base == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
			return 0, strconv.ErrSyntax
		}
	}
	v, err := strconv.ParseUint(s, base, 32)
	return uint32(v), err
}

// parseDotted4 parses a full dotted-quad IPv4 address into a uint32.
func parseDotted4(s string) (uint32, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

func addrFrom4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

package filter

import (
	"fmt"
	"net/netip"
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

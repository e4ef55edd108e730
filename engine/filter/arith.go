package filter

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// This file holds pcap-filter(7)'s relations on packet bytes:
// `expr relop expr`, where expr is built from numbers, `len`, byte loads
// `proto[expr]` / `proto[expr:size]` and the operators + - * / % & | ^ << >>
// (unsigned 32-bit, as classic BPF), e.g. `tcp[13] & 2 != 0`,
// `ip[6:2] & 0x3fff != 0`, `icmp[icmptype] == icmp-echo`.

// aop is the kind of an arithmetic node.
type aop uint8

const (
	aNum  aop = iota // v
	aLen             // the wire length (`len`)
	aLoad            // proto[l : size]
	aNeg             // -l
	aAdd             // l + r, and the binary operators below
	aSub
	aMul
	aDiv
	aMod
	aAnd
	aOr
	aXor
	aShl
	aShr
)

var aopNames = [...]string{aAdd: "+", aSub: "-", aMul: "*", aDiv: "/", aMod: "%", aAnd: "&", aOr: "|", aXor: "^", aShl: "<<", aShr: ">>"}

// aopPrec is libpcap's grammar precedence of the binary operators (higher
// binds tighter; left associative): | < & < << >> < + - < * /. libpcap's
// grammar.y declares none for % and ^, so yacc shifts: they take the
// operand on their left and the whole rest of the expression on their
// right (`a % 3 + 1` is a % 4, `a + b % c + d` is a + (b % (c + d));
// checked with `tcpdump -d`, libpcap 1.10.3). Precedence 0 marks them.
var aopPrec = map[string]struct {
	op   aop
	prec int
}{
	"|": {aOr, 1}, "^": {aXor, 0}, "&": {aAnd, 3}, "<<": {aShl, 4}, ">>": {aShr, 4},
	"+": {aAdd, 5}, "-": {aSub, 5}, "*": {aMul, 6}, "/": {aDiv, 6}, "%": {aMod, 0},
}

// lproto is the protocol a byte load counts its offset from.
type lproto uint8

const (
	lEther lproto = iota // the link-layer header (libpcap's `ether`, `link`)
	lIP                  // the IPv4 header
	lIP6                 // the IPv6 fixed header
	lTCP                 // the transport header of an IPv4 packet, past the options
	lUDP
	lICMP
	lIGMP
	lSCTP
	lICMP6 // the ICMPv6 header right after the IPv6 fixed header
)

var lprotoNames = [...]string{"ether", "ip", "ip6", "tcp", "udp", "icmp", "igmp", "sctp", "icmp6"}

var lprotoWords = map[string]lproto{
	"ether": lEther, "link": lEther, "ip": lIP, "ip6": lIP6, "tcp": lTCP, "udp": lUDP,
	"icmp": lICMP, "igmp": lIGMP, "sctp": lSCTP, "icmp6": lICMP6,
}

// lprotoNum is the IPv4 protocol number of the transport loads.
var lprotoNum = [...]uint8{lTCP: 6, lUDP: 17, lICMP: 1, lIGMP: 2, lSCTP: 132, lICMP6: 58}

// arithConsts are the names libpcap's scanner turns into numbers
// (pcap-filter(7): "tcpflags", "tcp-syn", "icmptype", "icmp-echo", ...).
var arithConsts = map[string]uint32{
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"icmp6type": 0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3,
	"icmp6-parameterproblem": 4, "icmp6-echo": 128, "icmp6-echoreply": 129,
	"icmp6-multicastlistenerquery": 130, "icmp6-multicastlistenerreportv1": 131,
	"icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133, "icmp6-routeradvert": 134,
	"icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139,
	"icmp6-nodeinformationresponse": 140, "icmp6-ineighbordiscoverysolicit": 141,
	"icmp6-ineighbordiscoveryadvert": 142, "icmp6-multicastlistenerreportv2": 143,
	"icmp6-homeagentdiscoveryrequest": 144, "icmp6-homeagentdiscoveryreply": 145,
	"icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149,
	"icmp6-multicastrouteradvert": 151, "icmp6-multicastroutersolicit": 152,
	"icmp6-multicastrouterterm": 153,
}

// arith is one node of an arithmetic expression.
type arith struct {
	op    aop
	v     uint32 // aNum
	proto lproto // aLoad
	size  uint8  // aLoad: 1, 2 or 4 bytes, big-endian
	l, r  *arith // aLoad: l is the offset; aNeg: l; binary: both
}

func (a *arith) write(b *strings.Builder) {
	switch a.op {
	case aNum:
		b.WriteString(strconv.FormatUint(uint64(a.v), 10))
	case aLen:
		b.WriteString("len")
	case aLoad:
		b.WriteString(lprotoNames[a.proto])
		b.WriteByte('[')
		a.l.write(b)
		b.WriteByte(':')
		b.WriteByte('0' + a.size)
		b.WriteByte(']')
	case aNeg:
		b.WriteByte('-')
		a.l.write(b)
	default:
		b.WriteByte('(')
		a.l.write(b)
		b.WriteByte(' ')
		b.WriteString(aopNames[a.op])
		b.WriteByte(' ')
		a.r.write(b)
		b.WriteByte(')')
	}
}

// loads calls fn for every byte load of a, inner loads first.
func (a *arith) loads(fn func(*arith)) {
	if a == nil {
		return
	}
	a.l.loads(fn)
	a.r.loads(fn)
	if a.op == aLoad {
		fn(a)
	}
}

// loadBase returns where the offsets of proto's loads start in d.Data, and
// whether libpcap's condition on the packet holds (gencode.c gen_load, 1.10):
// ip[] IPv4, ip6[] IPv6, icmp6[] IPv6 with next header 58 in the fixed
// header; tcp[], udp[], icmp[], igmp[], sctp[] IPv4 packets of that
// protocol at fragment offset 0, the offset counted past the IPv4 options.
func loadBase(pr lproto, d *dissect.Dissection) (uint32, bool) {
	switch pr {
	case lEther:
		return 0, true
	case lIP:
		return d.NetOff, d.IPVersion == 4
	case lIP6:
		return d.NetOff, d.IPVersion == 6
	case lICMP6:
		base := d.NetOff + 40
		if d.Flags&dissect.HasL4 != 0 {
			// the same byte, except in the probe's upper_layer view
			// (IPHdrLen set to 40 over extension headers): the ICMPv6 header
			base = d.L4Off
		}
		return base, d.IPVersion == 6 && d.IPHdrLen == 40 && d.Protocol == dissect.ProtoICMPv6
	}
	return d.NetOff + d.IPHdrLen, d.IPVersion == 4 && d.Protocol == lprotoNum[pr] && d.FragOff == 0
}

// guard reports whether the conditions of every load of a hold on d.
func (a *arith) guard(d *dissect.Dissection) bool {
	ok := true
	a.loads(func(l *arith) {
		if _, g := loadBase(l.proto, d); !g {
			ok = false
		}
	})
	return ok
}

// value computes a on d; ok is false when a load reaches past the captured
// bytes (an offset wrapping below 0 included) or a division by zero happens (classic BPF then stops and rejects
// the packet).
func (a *arith) value(d *dissect.Dissection) (uint32, bool) {
	switch a.op {
	case aNum:
		return a.v, true
	case aLen:
		return d.Meta.WireLen, true
	case aLoad:
		off, ok := a.l.value(d)
		if !ok {
			return 0, false
		}
		base, _ := loadBase(a.proto, d)
		// base+off wraps at 32 bits, as classic BPF's X+k does: a
		// negative offset reads before the layer (tcp[-1], the IPv4
		// header's last byte, as tcpdump's [x + 13])
		at := uint64(base + off)
		if at+uint64(a.size) > uint64(len(d.Data)) {
			return 0, false
		}
		switch a.size {
		case 1:
			return uint32(d.Data[at]), true
		case 2:
			return uint32(binary.BigEndian.Uint16(d.Data[at:])), true
		}
		return binary.BigEndian.Uint32(d.Data[at:]), true
	case aNeg:
		v, ok := a.l.value(d)
		return -v, ok
	}
	x, ok := a.l.value(d)
	if !ok {
		return 0, false
	}
	y, ok := a.r.value(d)
	if !ok {
		return 0, false
	}
	return binop(a.op, x, y)
}

// binop applies a binary operator as classic BPF does (shifts of 32 bits
// or more give 0, as in the x/net/bpf VM); ok is false on a division by 0.
func binop(op aop, x, y uint32) (uint32, bool) {
	switch op {
	case aAdd:
		return x + y, true
	case aSub:
		return x - y, true
	case aMul:
		return x * y, true
	case aDiv, aMod:
		if y == 0 {
			return 0, false
		}
		if op == aDiv {
			return x / y, true
		}
		return x % y, true
	case aAnd:
		return x & y, true
	case aOr:
		return x | y, true
	case aXor:
		return x ^ y, true
	case aShl:
		return x << y, true
	}
	return x >> y, true
}

// compare applies a relational operator (unsigned, as classic BPF).
func compare(rel relop, x, y uint32) bool {
	switch rel {
	case rLT:
		return x < y
	case rLE:
		return x <= y
	case rGT:
		return x > y
	case rGE:
		return x >= y
	case rEQ:
		return x == y
	}
	return x != y
}

// relEval is the truth of a pRel primitive p, or of `not p` when neg, on d.
// As libpcap, the relation holds only when the conditions of its loads
// (loadBase) hold: `not p` is true when they do not. A relation whose
// loads reach past the captured bytes (or that divides by zero) is false
// under either polarity: tcpdump's program rejects the packet there.
func (p *prim) relEval(d *dissect.Dissection, neg bool) bool {
	if !p.a.guard(d) || !p.b.guard(d) {
		return neg
	}
	x, ok := p.a.value(d)
	if !ok {
		return false
	}
	y, ok := p.b.value(d)
	if !ok {
		return false
	}
	return compare(p.rel, x, y) != neg
}

// ---- parsing ----

// isNumWord reports whether w is a number or a named constant.
func isNumWord(w string) bool {
	if _, ok := arithConsts[w]; ok {
		return true
	}
	_, err := parseNum(w)
	return err == nil
}

// arithAhead reports whether the term starting at the current token is a
// relation on packet bytes or the length: `proto[`, `len`, a number or
// named constant followed by an operator, a unary minus, or a parenthesis
// whose group is followed by an operator.
func (p *parser) arithAhead() bool {
	t, nx := p.tok(), p.peek(1)
	opNext := func(k tokKind) bool { return k == tRel || k == tArith || k == tSlash }
	switch t.kind {
	case tArith:
		return t.text == "-"
	case tLParen:
		depth := 0
		for k := 0; ; k++ {
			switch p.peek(k).kind {
			case tLParen:
				depth++
			case tRParen:
				depth--
				if depth == 0 {
					return opNext(p.peek(k + 1).kind)
				}
			case tEOF:
				return false
			}
		}
	case tWord:
		if _, ok := lprotoWords[t.text]; ok && nx.kind == tLBrack {
			return true
		}
		if i := strings.IndexByte(t.text, '-'); i > 0 && !isNumWord(t.text) {
			// `len-14 > 100`: the lexer kept '-' inside the word.
			return t.text[:i] == "len" || isNumWord(t.text[:i])
		}
		return t.text == "len" || isNumWord(t.text) && opNext(nx.kind)
	}
	return false
}

// relExpr parses `arith relop arith`. `len relop N` and `N relop len`
// become the pLen primitive (a sieve field).
func (p *parser) relExpr() (*node, qual, error) {
	start := p.tok()
	a, err := p.arith(0)
	if err != nil {
		return nil, qerr, err
	}
	op := p.tok()
	if op.kind != tRel {
		if a.op == aLen {
			return nil, qerr, p.errAt(op, "expected comparison operator after 'len'")
		}
		return nil, qerr, p.errAt(op, "expected comparison operator")
	}
	p.next()
	b, err := p.arith(0)
	if err != nil {
		return nil, qerr, err
	}
	r := map[string]relop{"<": rLT, "<=": rLE, ">": rGT, ">=": rGE, "=": rEQ, "==": rEQ, "!=": rNE}[op.text]
	switch {
	case a.op == aLen && b.op == aNum:
		return prim{kind: pLen, rel: r, lo: b.v, off: start.off}.node(), qerr, nil
	case a.op == aNum && b.op == aLen:
		// N OP len  ==  len OP' N
		return prim{kind: pLen, rel: [...]relop{rGT, rGE, rLT, rLE, rEQ, rNE}[r], lo: a.v, off: start.off}.node(), qerr, nil
	}
	return prim{kind: pRel, rel: r, a: a, b: b, off: start.off}.node(), qerr, nil
}

// arith parses an expression of binary operators binding tighter than
// minPrec (precedence climbing over aopPrec; % and ^ always bind, their
// right operand parsed from minimum precedence 0).
func (p *parser) arith(minPrec int) (*arith, error) {
	if err := p.enter(p.tok()); err != nil {
		return nil, err
	}
	defer p.leave()
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	for {
		t := p.tok()
		if t.kind != tArith && t.kind != tSlash {
			return l, nil
		}
		o := aopPrec[t.text]
		if o.prec != 0 && o.prec <= minPrec {
			return l, nil
		}
		p.next()
		r, err := p.arith(o.prec)
		if err != nil {
			return nil, err
		}
		if r.op == aNum {
			switch {
			case r.v == 0 && o.op == aDiv:
				return nil, p.errAt(t, "division by zero")
			case r.v == 0 && o.op == aMod:
				return nil, p.errAt(t, "modulus by zero")
			case r.v > 31 && (o.op == aShl || o.op == aShr):
				return nil, p.errAt(t, "shift by more than 31 bits")
			}
		}
		l = &arith{op: o.op, l: l, r: r}
	}
}

// operand parses a number, a named constant, `len`, a load, a
// parenthesised expression or a negation.
func (p *parser) operand() (*arith, error) {
	t := p.tok()
	switch t.kind {
	case tArith:
		if t.text == "-" {
			p.next()
			if err := p.enter(t); err != nil {
				return nil, err
			}
			defer p.leave()
			x, err := p.operand()
			if err != nil {
				return nil, err
			}
			return &arith{op: aNeg, l: x}, nil
		}
	case tLParen:
		p.next()
		x, err := p.arith(0)
		if err != nil {
			return nil, err
		}
		if c := p.tok(); c.kind != tRParen {
			return nil, p.errAt(c, "expected ')' in arithmetic expression")
		}
		p.next()
		return x, nil
	case tWord:
		w := t.text
		if v, ok := arithConsts[w]; ok {
			p.next()
			return &arith{op: aNum, v: v}, nil
		}
		if w == "len" {
			p.next()
			return &arith{op: aLen}, nil
		}
		if pr, ok := lprotoWords[w]; ok && p.peek(1).kind == tLBrack {
			return p.load(pr)
		}
		if v, err := parseNum(w); err == nil {
			p.next()
			return &arith{op: aNum, v: v}, nil
		}
		if i := strings.IndexByte(w, '-'); i > 0 {
			// `len-14`, `2-1`: the lexer kept '-' inside a word.
			p.split(i)
			return p.operand()
		}
		if _, ok := lprotoWords[w]; ok || unsupported[w] {
			return nil, p.errAt(t, fmt.Sprintf("expected a number, len or %s[offset]", w))
		}
	}
	if pv := p.toks[max(p.pos-1, 0)]; p.pos > 0 && (pv.kind == tRel || pv.kind == tArith || pv.kind == tSlash) {
		return nil, p.errAt(t, "expected a number after "+strconv.Quote(pv.text))
	}
	return nil, p.errAt(t, "expected a number or an arithmetic expression")
}

// split cuts the current word at byte i, a '-', into word, operator, word.
func (p *parser) split(i int) {
	t := p.toks[p.pos]
	parts := []token{{tWord, t.text[:i], t.off}, {tArith, "-", t.off + i}}
	if rest := t.text[i+1:]; rest != "" {
		parts = append(parts, token{tWord, rest, t.off + i + 1})
	}
	p.toks = append(p.toks[:p.pos], append(parts, p.toks[p.pos+1:]...)...)
}

// load parses `proto [ arith ]` or `proto [ arith : size ]`.
func (p *parser) load(pr lproto) (*arith, error) {
	p.next() // proto
	p.next() // [
	off, err := p.arith(0)
	if err != nil {
		return nil, err
	}
	size := uint32(1)
	if c := p.tok(); c.kind == tColon {
		p.next()
		st := p.tok()
		v, err := p.number(st, "expected a data size")
		if err != nil {
			return nil, err
		}
		if v != 1 && v != 2 && v != 4 {
			return nil, p.errAt(st, "data size must be 1, 2, or 4")
		}
		size = v
	}
	if c := p.tok(); c.kind != tRBrack {
		return nil, p.errAt(c, "expected ']'")
	}
	p.next()
	return &arith{op: aLoad, proto: pr, size: uint8(size), l: off}, nil
}

package queries

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrNotPcapFilter: the text given to PcapSQL is not a pcap-filter
// expression this translator knows.
var ErrNotPcapFilter = errors.New("queries: not a pcap-filter expression")

// Endpoints names the columns of a table that a pcap-filter expression is
// evaluated over. Proto is an SQL expression giving the IP protocol number
// (a column, or a constant such as "6" for a table of TCP connections);
// empty fields mean the table has no such column.
type Endpoints struct {
	SrcAddr, DstAddr, SrcPort, DstPort, Proto string
	// IPVersion is an expression giving 4 or 6; empty: told by the
	// source address (an IPv6 address holds a colon).
	IPVersion string
}

// PcapSQL translates a pcap-filter expression (pcap-filter(7)) into an SQL
// predicate over a table's endpoint columns, for screens that filter rows
// the way tcpdump filters packets: `tcp port 21 and host 10.0.0.5`.
//
// Primitives: [src|dst|src or dst|src and dst] host ADDR | net CIDR (IPv4)
// | net ADDR mask MASK | port N | portrange N-M; a bare address or number
// after and/or repeats the previous qualifier (`host a or b`); ip, ip6,
// tcp, udp, icmp, icmp6, sctp, `proto N`, `ip proto N`; tcp/udp before a
// port primitive (`tcp port 21`). Operators and/&&, or/||, not/!,
// parentheses; and and or bind equally, left to right, as in libpcap.
// Addresses compare as text in their canonical form (netip); IPv4
// networks compare numerically.
//
// The error wraps ErrNotPcapFilter (the caller may then treat the text as
// a plain search), or says which column the table lacks.
func PcapSQL(expr string, ep Endpoints) (string, error) {
	toks := tokenize(expr)
	if len(toks) == 0 {
		return "", fmt.Errorf("%w: empty", ErrNotPcapFilter)
	}
	p := &pcapParser{toks: toks, ep: ep}
	sql, err := p.expr()
	if err != nil {
		return "", err
	}
	if p.pos < len(p.toks) {
		return "", fmt.Errorf("%w: unexpected %q", ErrNotPcapFilter, p.toks[p.pos])
	}
	return sql, nil
}

func tokenize(s string) []string {
	var toks []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '!' && !strings.HasPrefix(s[i:], "!="):
			toks = append(toks, "not")
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, "and")
			i += 2
		case strings.HasPrefix(s[i:], "||"):
			toks = append(toks, "or")
			i += 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()!&|", rune(s[j])) {
				j++
			}
			if j == i { // a lone & or |
				j++
			}
			toks = append(toks, strings.ToLower(s[i:j]))
			i = j
		}
	}
	return toks
}

type qualifier struct {
	dir   string // "", "src", "dst", "src or dst", "src and dst"
	kind  string // host, net, port, portrange
	proto string // "" or a protocol number restricting a port primitive
}

type pcapParser struct {
	toks []string
	pos  int
	ep   Endpoints
	last *qualifier // qualifier a bare id after and/or repeats
}

func (p *pcapParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *pcapParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

// expr: unary { (and|or) unary }, left to right.
func (p *pcapParser) expr() (string, error) {
	left, err := p.unary()
	if err != nil {
		return "", err
	}
	for {
		op := p.peek()
		if op != "and" && op != "or" {
			return left, nil
		}
		p.pos++
		right, err := p.unary()
		if err != nil {
			return "", err
		}
		left = "(" + left + " " + strings.ToUpper(op) + " " + right + ")"
	}
}

func (p *pcapParser) unary() (string, error) {
	switch p.peek() {
	case "not":
		p.pos++
		s, err := p.unary()
		if err != nil {
			return "", err
		}
		return "(NOT coalesce(" + s + ", false))", nil
	case "(":
		p.pos++
		s, err := p.expr()
		if err != nil {
			return "", err
		}
		if p.next() != ")" {
			return "", fmt.Errorf("%w: missing )", ErrNotPcapFilter)
		}
		return s, nil
	case "":
		return "", fmt.Errorf("%w: expression ends early", ErrNotPcapFilter)
	}
	return p.primitive()
}

var protoNumbers = map[string]string{"tcp": "6", "udp": "17", "icmp": "1", "icmp6": "58", "sctp": "132"}

func (p *pcapParser) primitive() (string, error) {
	t := p.peek()
	// A bare id after and/or repeats the previous qualifier.
	if p.last != nil && isID(t) {
		p.pos++
		return p.qualified(*p.last, t)
	}
	var q qualifier
	switch t {
	case "ip", "ip6":
		p.pos++
		if p.peek() == "proto" {
			p.pos++
			return p.protoNum(p.next())
		}
		p.last = nil
		v := "4"
		if t == "ip6" {
			v = "6"
		}
		switch {
		case p.ep.IPVersion != "":
			return "(" + p.ep.IPVersion + " = " + v + ")", nil
		case p.ep.SrcAddr != "":
			return "(CASE WHEN contains(" + p.ep.SrcAddr + ", ':') THEN 6 ELSE 4 END = " + v + ")", nil
		}
		return "", errors.New("queries: this table has no address columns")
	case "proto":
		p.pos++
		return p.protoNum(p.next())
	case "tcp", "udp", "icmp", "icmp6", "sctp":
		p.pos++
		n := protoNumbers[t]
		switch p.peek() {
		case "port", "portrange", "src", "dst":
			q.proto = n
		default:
			return p.protoNum(n)
		}
	}
	switch p.peek() {
	case "src", "dst":
		q.dir = p.next()
		if o := p.peek(); (o == "or" || o == "and") && p.pos+1 < len(p.toks) && (p.toks[p.pos+1] == "src" || p.toks[p.pos+1] == "dst") {
			q.dir = "src " + o + " dst"
			p.pos += 2
		}
	}
	switch p.peek() {
	case "host", "net", "port", "portrange":
		q.kind = p.next()
	}
	id := p.next()
	if !isID(id) {
		return "", fmt.Errorf("%w: unexpected %q", ErrNotPcapFilter, id)
	}
	if q.kind == "" {
		if _, err := strconv.Atoi(id); err == nil && (q.proto != "" || q.dir != "") {
			q.kind = "port"
		} else if _, err := netip.ParseAddr(id); err == nil {
			q.kind = "host"
		} else {
			return "", fmt.Errorf("%w: %q is not an address", ErrNotPcapFilter, id)
		}
	}
	if q.kind == "net" && p.peek() == "mask" {
		p.pos++
		m, err := netip.ParseAddr(p.next())
		if err != nil || !m.Is4() {
			return "", fmt.Errorf("%w: bad mask", ErrNotPcapFilter)
		}
		b := m.As4()
		ones := 0
		for _, x := range b {
			for i := 7; i >= 0; i-- {
				if x>>i&1 == 1 {
					ones++
				}
			}
		}
		id = id + "/" + strconv.Itoa(ones)
	}
	last := q
	p.last = &last
	return p.qualified(q, id)
}

func isID(t string) bool {
	switch t {
	case "", "(", ")", "and", "or", "not", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "sctp",
		"proto", "src", "dst", "host", "net", "port", "portrange", "mask":
		return false
	}
	return true
}

func (p *pcapParser) protoNum(n string) (string, error) {
	if v, ok := protoNumbers[n]; ok {
		n = v
	}
	if _, err := strconv.ParseUint(n, 10, 8); err != nil {
		return "", fmt.Errorf("%w: bad protocol %q", ErrNotPcapFilter, n)
	}
	if p.ep.Proto == "" {
		return "", errors.New("queries: this table has no protocol column")
	}
	p.last = nil
	return "(" + p.ep.Proto + " = " + n + ")", nil
}

// qualified builds the predicate of one qualified id.
func (p *pcapParser) qualified(q qualifier, id string) (string, error) {
	var src, dst string
	var one func(col string) (string, error)
	switch q.kind {
	case "host":
		a, err := netip.ParseAddr(id)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not an address", ErrNotPcapFilter, id)
		}
		src, dst = p.ep.SrcAddr, p.ep.DstAddr
		one = func(col string) (string, error) { return col + " = " + quoteString(a.Unmap().String()), nil }
	case "net":
		pfx, err := netip.ParsePrefix(id)
		if err != nil {
			a, err2 := netip.ParseAddr(id)
			if err2 != nil {
				return "", fmt.Errorf("%w: %q is not a network", ErrNotPcapFilter, id)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		pfx = pfx.Masked()
		src, dst = p.ep.SrcAddr, p.ep.DstAddr
		one = func(col string) (string, error) { return netSQL(col, pfx) }
	case "port", "portrange":
		lo, hi, err := portRange(q.kind, id)
		if err != nil {
			return "", err
		}
		src, dst = p.ep.SrcPort, p.ep.DstPort
		one = func(col string) (string, error) {
			if lo == hi {
				return fmt.Sprintf("%s = %d", col, lo), nil
			}
			return fmt.Sprintf("%s BETWEEN %d AND %d", col, lo, hi), nil
		}
	}
	if src == "" || dst == "" {
		return "", fmt.Errorf("queries: this table has no %s columns", q.kind)
	}
	var parts []string
	add := func(col string) error {
		s, err := one(col)
		parts = append(parts, s)
		return err
	}
	switch q.dir {
	case "src":
		if err := add(src); err != nil {
			return "", err
		}
	case "dst":
		if err := add(dst); err != nil {
			return "", err
		}
	default:
		if err := add(src); err != nil {
			return "", err
		}
		if err := add(dst); err != nil {
			return "", err
		}
	}
	join := " OR "
	if q.dir == "src and dst" {
		join = " AND "
	}
	s := "(" + strings.Join(parts, join) + ")"
	if q.proto != "" {
		if p.ep.Proto == "" {
			return "", errors.New("queries: this table has no protocol column")
		}
		s = "(" + p.ep.Proto + " = " + q.proto + " AND " + s + ")"
	}
	return s, nil
}

func portRange(kind, id string) (lo, hi int, err error) {
	a, b := id, id
	if kind == "portrange" {
		var ok bool
		a, b, ok = strings.Cut(id, "-")
		if !ok {
			return 0, 0, fmt.Errorf("%w: portrange wants N-M, not %q", ErrNotPcapFilter, id)
		}
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || lo < 0 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("%w: bad port %q", ErrNotPcapFilter, id)
	}
	return lo, hi, nil
}

// netSQL matches an address column against a network: IPv4 numerically,
// a whole-address IPv6 prefix as equality.
func netSQL(col string, pfx netip.Prefix) (string, error) {
	a := pfx.Addr()
	if a.Is6() {
		if pfx.Bits() == 128 {
			return col + " = " + quoteString(a.String()), nil
		}
		return "", errors.New("queries: IPv6 networks other than /128 are not supported in filters; use host")
	}
	b := a.As4()
	lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	hi := lo | (1<<(32-pfx.Bits()) - 1)
	num := fmt.Sprintf("(CASE WHEN regexp_full_match(%[1]s, '\\d+\\.\\d+\\.\\d+\\.\\d+') THEN "+
		"split_part(%[1]s, '.', 1)::UBIGINT * 16777216 + split_part(%[1]s, '.', 2)::UBIGINT * 65536 + "+
		"split_part(%[1]s, '.', 3)::UBIGINT * 256 + split_part(%[1]s, '.', 4)::UBIGINT END)", col)
	return fmt.Sprintf("%s BETWEEN %d AND %d", num, lo, hi), nil
}

// TextSQL is the predicate of a plain-text search: the text appears, case
// folded, in any of cols (cast to text).
func TextSQL(text string, cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "coalesce(CAST(" + quoteIdent(c) + " AS VARCHAR), '')"
	}
	return "contains(lower(concat_ws(' ', " + strings.Join(parts, ", ") + ")), " + quoteString(strings.ToLower(text)) + ")"
}

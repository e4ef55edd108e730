package queries

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tmonbench/tmonbench/engine/filter"
)

// ErrNotApplicable: the pcap-filter expression given to PcapSQL parses
// but tests something a table's rows do not have (packet lengths, bytes,
// flags, VLAN tags; endpoint columns the table lacks).
var ErrNotApplicable = errors.New("queries: not applicable to the rows")

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
// The text is parsed by engine/filter, the parser of the command line's
// --filter and of the flow classes: the same texts parse, with the same
// errors (a *filter.SyntaxError). Its primitives map to columns: host,
// net (IPv4 and IPv6 networks), port and portrange (of TCP and UDP, as
// engine/filter's), their src/dst qualifiers and tcp/udp/ip/ip6
// qualifiers; ip, ip6 and the protocol tests (tcp, icmp, `proto 47`,
// `ip6 proto 17`). Addresses compare as text in their canonical form
// (netip); IPv4 networks compare numerically, IPv6 networks as ranges of
// the addresses' 32 hex digits (ip6_hex). Primitives on packets
// (len, less, greater, vlan, dscp, tcp-syn ..., relations on packet
// bytes, arp, rarp, arp host ...), and primitives on columns the table lacks, give an error
// wrapping ErrNotApplicable.
func PcapSQL(expr string, ep Endpoints) (string, error) {
	e, err := filter.Parse(expr)
	if err != nil {
		return "", err
	}
	if e.MatchesAll() {
		return "true", nil
	}
	return filter.Fold(e, ep.primSQL,
		func(l, r string) string { return "(" + l + " AND " + r + ")" },
		func(l, r string) string { return "(" + l + " OR " + r + ")" },
		func(x string) string { return "(NOT coalesce(" + x + ", false))" })
}

// packetOnly names what the primitives a table row cannot answer test.
var packetOnly = map[string]string{"len": "packet lengths", "vlan": "VLAN tags", "tcp-flag": "the TCP flags of packets",
	"dscp": "the DSCP of packets", "relation": "packet bytes", "ethertype": "the EtherType of frames (arp, rarp)"}

// primSQL is the predicate of one primitive.
func (ep Endpoints) primSQL(p filter.Primitive) (string, error) {
	if what, ok := packetOnly[p.Kind]; ok {
		return "", fmt.Errorf("%w: %q tests %s, which the rows do not have", ErrNotApplicable, p.Text, what)
	}
	if p.Qual == "arp" || p.Qual == "rarp" { // the addresses of ARP frames; rows hold IP endpoints
		return "", fmt.Errorf("%w: %q tests the addresses of %s frames, which the rows do not have", ErrNotApplicable, p.Text, strings.ToUpper(p.Qual))
	}
	switch p.Kind {
	case "ip", "ip6":
		return ep.version(p.Kind)
	case "proto":
		s, err := ep.proto(fmt.Sprint(p.Lo))
		if err != nil || p.V4 == p.V6 {
			return s, err
		}
		v := "ip"
		if p.V6 {
			v = "ip6"
		}
		if ver, err := ep.version(v); err == nil {
			s = "(" + s + " AND " + ver + ")"
		}
		return s, nil
	}
	var src, dst string
	var one func(col string) (string, error)
	switch p.Kind {
	case "host":
		src, dst = ep.SrcAddr, ep.DstAddr
		a := quoteString(p.Prefix.Addr().Unmap().String())
		one = func(col string) (string, error) { return col + " = " + a, nil }
	case "net":
		src, dst = ep.SrcAddr, ep.DstAddr
		one = func(col string) (string, error) { return netSQL(col, p.Prefix) }
	case "port", "portrange":
		src, dst = ep.SrcPort, ep.DstPort
		one = func(col string) (string, error) {
			if p.Lo == p.Hi {
				return fmt.Sprintf("%s = %d", col, p.Lo), nil
			}
			return fmt.Sprintf("%s BETWEEN %d AND %d", col, p.Lo, p.Hi), nil
		}
	default:
		return "", fmt.Errorf("%w: %q", ErrNotApplicable, p.Text)
	}
	if src == "" || dst == "" {
		return "", fmt.Errorf("%w: %q: this table has no %s columns", ErrNotApplicable, p.Text, p.Kind)
	}
	parts := []string{src, dst}
	switch p.Dir {
	case "src":
		parts = []string{src}
	case "dst":
		parts = []string{dst}
	}
	for i, c := range parts {
		s, err := one(c)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	join := " OR "
	if p.Dir == "src and dst" {
		join = " AND "
	}
	s := "(" + strings.Join(parts, join) + ")"
	var qual string
	var err error
	switch {
	case p.QualProto != 0:
		qual, err = ep.proto(fmt.Sprint(p.QualProto))
	case p.Qual == "ip" || p.Qual == "ip6":
		qual, err = ep.version(p.Qual)
	case p.Kind == "port" || p.Kind == "portrange":
		// engine/filter: the ports of TCP and UDP
		if ep.Proto != "" {
			qual = ep.Proto + " IN (6, 17)"
		}
	}
	if err != nil {
		return "", err
	}
	if qual != "" {
		s = "(" + qual + " AND " + s + ")"
	}
	return s, nil
}

// proto is the predicate "the IP protocol is n".
func (ep Endpoints) proto(n string) (string, error) {
	if ep.Proto == "" {
		return "", fmt.Errorf("%w: this table has no protocol column", ErrNotApplicable)
	}
	return "(" + ep.Proto + " = " + n + ")", nil
}

// version is the predicate of ip ("ip") or ip6 ("ip6").
func (ep Endpoints) version(v string) (string, error) {
	n := "4"
	if v == "ip6" {
		n = "6"
	}
	switch {
	case ep.IPVersion != "":
		return "(" + ep.IPVersion + " = " + n + ")", nil
	case ep.SrcAddr != "":
		return "(CASE WHEN contains(" + ep.SrcAddr + ", ':') THEN 6 ELSE 4 END = " + n + ")", nil
	}
	return "", fmt.Errorf("%w: this table has no address columns", ErrNotApplicable)
}

// netSQL matches an address column against a network: IPv4 numerically,
// IPv6 as a range of the addresses' hex digits (the ip6_hex macro of
// Open), a whole-address prefix as equality.
func netSQL(col string, pfx netip.Prefix) (string, error) {
	a := pfx.Addr()
	if a.Is6() {
		if pfx.Bits() == 128 {
			return col + " = " + quoteString(a.String()), nil
		}
		// the network's addresses are a range of 32-digit hex strings
		lo, hi := a.As16(), a.As16()
		for i := pfx.Bits(); i < 128; i++ {
			lo[i/8] &^= 0x80 >> (i % 8)
			hi[i/8] |= 0x80 >> (i % 8)
		}
		return fmt.Sprintf("ip6_hex(%s) BETWEEN '%x' AND '%x'", col, lo[:], hi[:]), nil
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

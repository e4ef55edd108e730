package filter

// The values of the primitives the expression grammar (parse.go) reads:
// protocol names and numbers, ports and port ranges, IPv4 and IPv6 hosts
// and networks with their /len or mask, and the numbers they are made of.

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

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

// Package filter parses flow-class filters written in the pcap-filter(7)
// (tcpdump) syntax and compiles the filters of all classes into one
// single-pass sieve (design 3.4).
//
// Inputs: one filter string per flow class (from engine/config) and, per
// packet, the dissect.Dissection filled by engine/dissect. Output: the set
// of classes the packet belongs to (a packet may belong to several).
// It sits above engine/dissect and engine/pkt and below engine/probe.
//
//	exprs   -> Parse -> Expr (Expr.Match: reference evaluator)
//	filters -> Compile -> *Sieve
//	Dissection -> (*Sieve).Match -> Set of classes (0 allocations)
//
// # Grammar
//
// As pcap-filter(7) for the primitives below (keywords are lower case):
//
//	expr      = term { ("and" | "&&" | "or" | "||") (term | value) }
//	term      = ("not" | "!") term | "(" expr ")" | [proto] [dir] [type] value | primitive
//	proto     = ip | ip6 | tcp | udp | icmp | icmp6 | igmp | sctp
//	dir       = src | dst | src or dst | dst or src | src and dst | dst and src
//	type      = host | net | port | portrange | proto
//	primitive = ip | ip6 | tcp | udp | icmp | icmp6 | igmp | sctp
//	          | len (< | <= | > | >= | = | == | !=) N | N relop len | less N | greater N
//	          | vlan [ID] | dscp N
//	          | tcp-fin | tcp-syn | tcp-rst | tcp-push | tcp-ack | tcp-urg | tcp-ece | tcp-cwr
//	value     = address | net | port | range | protocol | "not" value | "(" value {and|or value} ")"
//
// As in libpcap, "and" and "or" have the same precedence and associate to
// the left (`a or b and c` is `(a or b) and c`), "not" binds tightest. A
// bare value after and/or repeats the qualifiers of the primitive before it
// (`host a or b`, `tcp dst port 80 or 443`, `host a and not b`; after a
// parenthesised expression, the qualifiers from before the parenthesis).
// Addresses are literals (no name resolution): IPv4 a.b.c.d, IPv6 in RFC
// 4291 text. Networks: a.b.c.d/len, a.b.c.d mask m.m.m.m, short forms
// `net 10` (10.0.0.0/8), `net 172.16` (/16), `net 192.168.1` (/24), and
// IPv6 prefixes; bits outside the mask are an error. Numbers are decimal,
// 0x hexadecimal or 0-prefixed octal. `portrange a-b` (reversed bounds are
// swapped), `proto N` (N <= 255) or a protocol name (`proto \tcp`; the
// backslash is optional here). The empty string matches every packet.
//
// Errors are *SyntaxError values with the byte offset of the offending
// token: "filter: expected port number at offset 9"; Caret() draws it.
//
// # Semantics (libpcap 1.10's, on the dissected fields)
//
//   - ip / ip6: IPv4 / IPv6 packets. tcp, udp, sctp: protocol 6, 17, 132
//     over IPv4 or IPv6; icmp and igmp over IPv4; icmp6 over IPv6. These
//     protocol tests match every fragment.
//   - proto N: IPv4 protocol or IPv6 next header N. For IPv6, as libpcap,
//     the next header of the fixed header, or of a fragment header placed
//     right after it; other extension headers hide the protocol (`icmp6`
//     does not match an MLD report behind a hop-by-hop header).
//   - host / net: the outer source and/or destination address of IPv4 or
//     IPv6 (never the packet quoted by an ICMP error).
//   - port / portrange: TCP or UDP ports, of IPv4 packets at fragment
//     offset 0 (first fragments included) and of IPv6 packets whose fixed
//     header's next header is TCP or UDP (libpcap does not skip extension
//     headers, fragment header included, for ports).
//   - len: the wire length (pkt.Meta.WireLen), link header included.
//   - vlan [ID]: the k-th vlan primitive, in the order written, tests the
//     k-th tag (libpcap moves its offsets at each vlan keyword: `vlan 100
//     and vlan 200` is 200 inside 100). Only two tag IDs are dissected, so
//     a third `vlan ID` is rejected; a bare third `vlan` tests the count.
//   - Extensions: tcp-syn etc. test a TCP flag on packets whose ports are
//     visible (tcpdump: `tcp[tcpflags] & tcp-syn != 0`, which is IPv4 only;
//     ours covers IPv6 too). dscp N tests TOS>>2 of IPv4 and the traffic
//     class>>2 of IPv6 (tcpdump: `ip[1] & 0xfc == N<<2`).
//
// Differences from tcpdump on the same capture, all deliberate:
//
//   - The sieve always sees the network layer through VLAN tags (design 3.2:
//     "indifferent to the presence or not of VLAN tag") and MPLS labels (the
//     dissector skips them). tcpdump on a savefile sees the IP layer only
//     after as many `vlan` (or `mpls`) keywords as there are tags, and a
//     `vlan` keyword shifts its offsets even under not/or (`not vlan and
//     tcp` never matches in tcpdump). Here `vlan` primitives only add tests
//     on the tags.
//   - Only IP packets are sieved (design 3.2): tcpdump's host and net also
//     test ARP and RARP addresses; ours never match ARP.
//   - port and portrange do not cover SCTP (libpcap includes it); `sctp port`
//     is rejected. Ports and flags come from transport headers the
//     dissector accepted; libpcap reads whatever bytes were captured.
//     Packets the dissector rejects as malformed never reach the sieve.
//   - `ip6 proto N` for an extension-header number N (0, 43, 44, 60, ...) never
//     matches: the dissection keeps the upper-layer protocol only.
//   - Rejected where libpcap accepts: host and service names, partial host
//     addresses (`host 10.1`, a network in libpcap), `proto N` above 255,
//     `vlan ID` beyond the second tag. Link-layer and other primitives
//     (ether, arp, gateway, broadcast, mpls, byte offsets like tcp[13],
//     arithmetic) are rejected with an "unsupported" error.
//
// # Sieve (design 3.4)
//
// Compile normalises each class's filter to the design's three levels,
// [NOT] (S1 AND S2 ...) with Si = (t1 OR t2 ...) and tj = (p1 AND p2 ...),
// whichever of the filter and its negation gives the smaller form, with
// negations pushed down to the predicates p. Every predicate tests one
// field (source and destination of addresses or ports form one field pair,
// so `host a` is one predicate). The terms tj of all classes are the bits
// of one bitset. For each field, the compiler cuts the value range at the
// bounds of every predicate on it and precomputes, per segment, the mask of
// the terms some predicate kills there. Match visits the fields in a fixed
// order (protocol, TCP flags, DSCP, VLAN tags, ports, IPv4 addresses, IPv6
// addresses, length), each field once: a table index or a trie walk
// (binary search for IPv6) gives the segment, one AND-NOT drops the dead
// terms. Fields no live term tests are skipped; the walk ends as soon as no
// term is alive. A class matches when each of its Si keeps a live term (for
// a class compiled as NOT (...), when one does not). The cost per packet
// depends on the number of fields the classes test, hardly on the number of
// classes (BenchmarkSieve). Filters whose normal form would be too large,
// and classes past a total size budget, are evaluated by walking their
// formula with each predicate evaluated at most once per packet.
package filter

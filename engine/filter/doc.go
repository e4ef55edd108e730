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
//	proto     = ip | ip6 | tcp | udp | icmp | icmp6 | igmp | sctp | arp | rarp
//	dir       = src | dst | src or dst | dst or src | src and dst | dst and src
//	type      = host | net | port | portrange | proto
//	primitive = ip | ip6 | tcp | udp | icmp | icmp6 | igmp | sctp | arp | rarp
//	          | ether proto (\arp | \rarp | \ip | \ip6 | N)
//	          | len (< | <= | > | >= | = | == | !=) N | N relop len | less N | greater N
//	          | vlan [ID] | dscp N
//	          | tcp-fin | tcp-syn | tcp-rst | tcp-push | tcp-ack | tcp-urg | tcp-ece | tcp-cwr
//	          | arith relop arith
//	value     = address | net | port | range | protocol | "not" value | "(" value {and|or value} ")"
//	relop     = < | <= | > | >= | = | == | !=
//	arith     = N | name | len | load | "(" arith ")" | "-" arith | arith binop arith
//	load      = lproto "[" arith [":" 1|2|4] "]"
//	lproto    = ether | link | ip | ip6 | tcp | udp | icmp | icmp6 | igmp | sctp
//	binop     = + | - | * | / | % | & | | | ^ | << | >>
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
// Relations on packet bytes are pcap-filter(7)'s: `tcp[13] & 2 != 0`,
// `tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn`, `ip[6:2] & 0x3fff != 0`,
// `icmp[icmptype] == icmp-echo`, `udp[8:2] == 0x1234`. Arithmetic is
// unsigned 32-bit as in classic BPF; loads read 1 (default), 2 or 4 bytes
// big-endian. Names are libpcap's constants (tcpflags = 13, tcp-fin ...
// tcp-cwr, icmptype, icmpcode, icmp-echoreply ... icmp-maskreply,
// icmp6type, icmp6code, icmp6-echo ...); `tcp-syn` alone is still the flag
// primitive below. Precedence as libpcap's grammar: | < & < << >> < + - <
// * / < unary minus; % and ^ have none there (yacc shifts), so they take
// the rest of the expression as right operand (`a % 3 + 1` is a % 4).
// Constant division or modulus by zero and shifts above 31 are errors, as
// in libpcap.
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
//     IPv6 (never the packet quoted by an ICMP error) and, without a
//     protocol qualifier, as libpcap (`host A` is `ip host A or arp host
//     A or rarp host A`), the protocol addresses of ARP and RARP frames.
//   - arp, rarp (`ether proto \arp`, `ether proto 0x0806`, `\rarp`,
//     0x8035): frames of that EtherType, on the link types that carry
//     one (Ethernet, Linux cooked SLL and SLL2); never true on raw IP and
//     loopback (NULL, LOOP), where libpcap's `arp` is false too, nor on
//     PPP (libpcap compares the PPP protocol with 0x0806, a value RFC
//     1661 §2 rules out: a protocol's low byte is odd).
//     `ether proto` takes \ip and \ip6 as `ip` and `ip6`, and no other
//     EtherType (the dissector reads no other network layer).
//   - arp host A, arp src A, arp dst net N (rarp alike): the sender
//     (src) and target (dst) protocol addresses of ARP frames, the 4
//     bytes at offsets 14 and 24 of the ARP header whatever its length
//     fields say (libpcap gen_hostop); IPv4 only. An ARP frame cut before
//     its target address matches no address (tcpdump's program, loading
//     past the packet, rejects it whatever the rest of the filter says).
//     arp[N] is rejected.
//   - port / portrange: TCP, UDP or SCTP ports (tcp, udp, sctp port: that
//     protocol's), of IPv4 packets at fragment offset 0 (first fragments
//     included) and of IPv6 packets whose fixed header's next header is
//     TCP, UDP or SCTP (libpcap does not skip extension headers, fragment
//     header included, for ports).
//   - len: the wire length (pkt.Meta.WireLen), link header included.
//   - proto[off:size] (libpcap 1.10 gen_load): ether[] and link[] count
//     from the first byte of the frame; ip[] and ip6[] from the network
//     header of IPv4 / IPv6 packets; tcp[], udp[], icmp[], igmp[], sctp[]
//     from the transport header of IPv4 packets of that protocol at
//     fragment offset 0, past the IPv4 options (IPv4 only, as libpcap:
//     for IPv6 write ip6[40+off] behind a fixed header, or icmp6[]);
//     icmp6[] from the byte after an IPv6 fixed header whose next header
//     is 58. A relation holds only where its loads' protocol conditions
//     do (`not tcp[13] & 2 != 0` matches UDP). An offset adds to the
//     header's start in 32 bits, as libpcap's: a negative one reads before
//     it (`tcp[-1]` the last byte of the IPv4 header, `ip[-2:2]` the link
//     layer's protocol field). A load past the captured
//     bytes, or a division by zero, makes the relation false under either
//     polarity (tcpdump's program rejects the packet there; the verdicts
//     differ only when another branch of an `or` would match). Shifts by
//     32 or more give 0. Filters holding relations are evaluated by
//     formula walk, not by the sieve's tables (see Sieve).
//   - vlan [ID]: the k-th vlan primitive, in the order written, tests the
//     k-th tag (libpcap moves its offsets at each vlan keyword: `vlan 100
//     and vlan 200` is 200 inside 100). Only two tag IDs are dissected, so
//     a third `vlan ID` is rejected; a bare third `vlan` tests the count.
//   - Extensions: tcp-syn etc. test a TCP flag on packets whose ports are
//     visible and whose flags were captured (tcpdump: `tcp[tcpflags] &
//     tcp-syn != 0`, which is IPv4 only; ours covers IPv6 too). dscp N
//     tests TOS>>2 of IPv4 and the traffic class>>2 of IPv6 (tcpdump:
//     `ip[1] & 0xfc == N<<2`).
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
//   - Likewise through PPPoE session headers (EtherType 0x8864 and the PPP
//     protocol, RFC 2516; also behind VLAN tags and in Linux cooked
//     captures): tcpdump sees the IP layer of PPPoE frames only after
//     `pppoes` (`pppoes and tcp port 80`; `vlan and pppoes and ...` when
//     tagged), the sieve always (`tcp port 80`). There is no `pppoes`
//     keyword here (rejected as unsupported); discovery frames and PPP
//     control protocols (LCP, ...) are not IP.
//   - A TCP header cut before its flags (a first fragment carrying 8 bytes
//     of it, RFC 1858 §3.1, or the snap length) has its ports visible, as
//     in tcpdump, and no flags: tcp-syn etc. are false there, also under
//     `not`, where tcpdump's `tcp[tcpflags]`, loading past the packet,
//     rejects the packet whatever the rest of the filter says.
//   - Only IP packets reach the flow classes' sieve (design 3.2: the probe
//     counts other frames as not IP and drops them before it), so there
//     `arp`, `rarp` and `arp host A` are false and `not arp` true for
//     every packet it sees, and host and net test IP addresses only.
//     Expr.Match (--filter: replay, and live capture in user space) and
//     the BPF programs see every frame: ARP and RARP match there as in
//     tcpdump (TestTcpdumpEquivalence, TestTcpdumpARPLinkTypes).
//   - As for IP, the EtherType of arp and rarp is read through VLAN tags
//     (tcpdump: `vlan and arp`), in Linux cooked captures too.
//   - Linux cooked captures (SLL, SLL2) of tagged frames, as libpcap writes
//     them when it puts back the tag the kernel took out (the TPID 0x8100,
//     0x88a8 or 0x9100 in the protocol field, each tag's TCI and next
//     protocol after the cooked header): the tags are walked as on
//     Ethernet, by the sieve, Expr.Match and the BPF programs alike;
//     `vlan [ID]` tests them and ip, ip6, arp, hosts and ports see through
//     them. tcpdump (libpcap 1.10) refuses `vlan` there ("no VLAN support
//     for Linux cooked v1") and its ip, arp, ... read the protocol field
//     only, so they match untagged frames only; our `vlan 100 and tcp`
//     is its `link[14:2] = 0x8100 and link[16:2] & 0xfff = 100 and
//     link[18:2] = 0x0800 and link[29] = 6` on SLL (one 802.1Q tag, a 20-byte
//     IPv4 header; SLL2: the protocol at link[0:2], the tag at link[20:2]).
//     TestSLLVLAN checks each against tcpdump on testdata/edge/22-sll-vlan.
//   - Ports and flags come from transport headers the dissector accepted
//     (a UDP header or an SCTP common header announced whole by the IP
//     length, its ports from 4 captured bytes; a TCP header whatever its
//     data offset says, a bogus one included, as libpcap: dissect's
//     TCPBadOffset, TestTcpdumpBadOffset; a TCP or UDP header the IP
//     length cuts, its ports and TCP flags read from the frame's bytes past
//     the IP datagram's end, as libpcap reads them, outside a first
//     fragment: TestTcpdumpBadOffset's transport-beyond-ip-length.pcap);
//     libpcap reads whatever bytes were captured, also the ports of a
//     first fragment's UDP header the IP length cuts to 4 bytes
//     (TestUDPHeaderCutPorts).
//     Packets the dissector rejects as malformed never reach the sieve.
//   - `ip multicast` and `ip6 multicast` test the destination address, as
//     libpcap's (224.0.0.0/4, ff00::/8); bare `multicast` and `broadcast`
//     (link-layer) and `ip broadcast` (needs the netmask) are rejected.
//   - Rejected where libpcap accepts: host and service names (a service
//     name's error gives the number of the common ones: libpcap reads the
//     host's /etc/services, which differs between hosts), partial host
//     addresses (`host 10.1`, a network in libpcap), `proto N` above 255,
//     `vlan ID` beyond the second tag, `ether proto` of other EtherTypes.
//     Link-layer and other primitives
//     (ether host/src/dst, gateway, broadcast, mpls, loads of other
//     protocols like arp[0]) are rejected with an "unsupported" error:
//     the dissector hands the sieve the network layer, the link header
//     (VLAN tags, MPLS, PPPoE, Linux cooked) taken off, so MAC addresses
//     are none of its fields; the error of `ether` gives the ether[]
//     spelling that tests a MAC address on untagged Ethernet.
//   - Byte offsets see the network layer through VLAN tags and MPLS labels
//     like the rest (tcpdump needs `vlan` first); ether[] reads the frame
//     as captured.
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
// classes (BenchmarkSieve). Sieves of at most 64 terms keep the alive set
// in one word and their kill masks inside the field plans; when they test
// ports only (`tcp port 21`, `udp port 53 or tcp port 53`: the default
// config's classes), Match looks the port pair up without the field walk
// (TestPortsPathTcpdump, TestPortsPathEdges). Filters whose normal form would be too large,
// classes past a total size budget and filters with relations on packet
// bytes are evaluated by walking their formula with each predicate
// evaluated at most once per packet.
//
// # Classic BPF (kernel prefilter)
//
// Expr.BPF and UnionBPF translate the same parse tree to classic BPF
// (golang.org/x/net/bpf instructions) for a link type, to attach to a
// capture socket so that packets nobody wants stay in the kernel (design
// 1.14.2, 3.1). The program decodes the link layer (Ethernet with VLAN
// tags, MPLS labels and PPPoE session headers, Linux cooked v1/v2 (their
// protocol field, then the same), raw IP, BSD loopback, PPP)
// and the IP header into scratch memory the way engine/dissect does (for
// ARP and RARP frames, their EtherType in place of the IP version), then
// tests the primitives with the semantics above. With BPFTarget.KernelVLAN
// it reads the outermost tag the Linux kernel moved into the socket
// buffer's metadata (ancillary loads), since a socket filter sees the
// frame without it. It is exact on every frame the dissector decodes
// (TestBPFAgainstSieve runs every filter of the tcpdump tables over every
// sample frame, and TestTcpdumpEquivalence checks the programs against
// tcpdump); frames it cannot judge as the dissector would (malformed
// headers, zero IPv4 length, more than four tags or labels) are accepted,
// and primitives without a translation give ErrBPFUnsupported: user space
// filters again, so a program never drops a packet the sieve would keep.
// Relations on packet bytes are translated (bpfrel.go) with a bounds check
// before each load, so a load past the packet gives the sieve's verdict
// rather than aborting the program. Without translation, hence filtered in
// user space: ether[] beyond the MAC addresses with BPFTarget.KernelVLAN
// (the kernel took the tag out of the frame), and arithmetic needing more
// than three scratch words.
package filter

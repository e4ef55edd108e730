// Package dissect decodes the link, network and transport headers of one
// captured packet into a flat Dissection: every header field the filter,
// the flow table and the analysers read, without allocating.
//
// Where it sits: above the leaf package engine/pkt, the only one it
// imports; engine/probe gives each worker its own Dissector (not safe for
// concurrent use) and feeds every packet of a source through
// Dissector.Dissect.
//
// Layers decoded:
//
//   - link: Ethernet with any number of 802.1Q/802.1ad VLAN tags (the two
//     outermost IDs kept), MPLS label stacks and PPPoE session headers
//     (RFC 2516 §4: IPv4 and IPv6 behind the session header and the PPP
//     protocol, HasPPPoE and the session kept; discovery frames and PPP
//     control protocols such as LCP are not IP), Linux SLL and SLL2 (also
//     with the VLAN tag, MPLS stack or PPPoE header libpcap leaves behind
//     them), raw IP, BSD null/loopback and PPP (pkt.LinkType); other
//     frames are not IP.
//   - network: IPv4 (the options kept, the Timestamp option located) and
//     IPv6 with its extension header chain (hop-by-hop, routing,
//     destination options, mobility, HIP, shim6, AH, fragment); fragments
//     are flagged (IsFrag) and only first fragments get a transport layer.
//     An IPv6 atomic fragment (offset 0, M=0) is a whole datagram, not
//     IsFrag (RFC 6946 §4), only HasV6FragHdr.
//   - transport: TCP with the MSS, window scale, SACK-permitted, SACK and
//     timestamps options interpreted; UDP; ICMPv4 and ICMPv6, with the echo
//     identifier and sequence number, and for ICMP errors the flow of the
//     quoted packet (Inner* fields, design 3.3).
//   - not entered: tunnels (IP in IP, IPv6 in IPv4, GRE: flows of the
//     outer header, protocol 4, 41 or 47, as libpcap's `ip proto` sees
//     them; tshark also counts the inner conversation), AH in IPv4
//     (protocol 51, no ports; in IPv6 it is walked), ESP (its upper layer
//     is encrypted), IP in LLC/SNAP 802.3 frames (not IP; libpcap's `ip`
//     does not match them either).
//
// Addresses are netip.Addr values; Payload, IPOptions and Data borrow the
// packet's bytes. Shard and ShardOfAddrs map a packet to its worker by its
// unordered address pair.
//
// Zero allocation per packet: Dissect fills the caller's Dissection in
// place (TestDissectAllocatesNothing runs it over captures with VLAN and
// Q-in-Q tags, MPLS, SLL2, PPPoE, IPv4 and IPv6 fragments, a tiny first
// fragment, TCP options and ICMP errors).
//
// Malformed input is data, not a panic: a truncated or inconsistent link
// or IP header makes Dissect return ErrMalformed, a frame without IP
// ErrNotIP, and both are counted in Dissector.Stats (per Kind for the
// malformed ones). Problems past the IP header (a bad IPv6 extension chain,
// TCP option, UDP length, a truncated transport header) lose at most the
// transport layer: the packet still counts at IP level and the Kind is
// counted (Kind.Kept); a TCP header whose data offset is bogus (below 5
// words or beyond the segment) keeps its fixed 20 bytes' fields, its ports
// among them (TCPBadOffset: no options nor payload, no segment the TCP
// analyses take; tcpdump and tshark read the ports too); so does a TCP
// header the IP length cuts short of its 20 bytes, and a UDP header the IP
// length cuts short of its 8 keeps its ports, both from the frame's bytes
// past the IP datagram's end (Ethernet padding; libpcap's `tcp port` and
// `udp port` read them there; KindTCPBeyondIPLength and
// KindUDPBeyondIPLength, decoded out of line); a TCP header the
// snap length cut, or one a first fragment carries only the start of
// (RFC 1858 §3.1's tiny fragment), is decoded as far as it goes: its
// ports from 4 bytes, the
// flags from 14 (TCPFlagsCut before: no segment the TCP analyses take), the
// window from 16 (TCPWindowCut before); a UDP header the snap length cut
// keeps its ports from 4 bytes (KindUDPTruncated). A header or extension
// header chain the snap length cut (KindIPv6ExtHdrTruncated, the
// *Truncated transport kinds) is told from one the IP length leaves out
// (KindIPv6BadExtHdr, the *BeyondIPLength kinds), as Wireshark tells
// "Packet size limited during capture" from "Malformed Packet"
// (Kind.Severe). An IP length beyond the frame on the wire (a capture
// tool that lost the frame's length, or a lying header) is trusted as a
// snap length's cut
// is: the flow counts the announced bytes, the Dissection is marked
// Truncated and the packet counted as KindIPLongerThanFrame (Wireshark
// decodes only what is there: a 74-byte frame announcing 140 IPv4 bytes
// gives it tcp.len 20, here a payload of 100).
// A length field of 0 takes the frame's length: an IPv4 total length
// (TSO), an IPv6 Payload Length before TCP or UDP (TSO, GSO, BIG TCP);
// an IPv6 jumbogram's length is its Jumbo Payload option's (RFC 2675),
// and a UDP length of 0 in a datagram beyond 65535 bytes the IP
// payload's. FuzzDissect, with its corpus
// under testdata/fuzz, feeds arbitrary bytes under every link type.
//
// The decoder is our own rather than gopacket's DecodingLayerParser, which
// takes 2.9 times as long on the same frames although it does less: its
// layers stop at raw fields (net.IP slices; TCP options as a list of kinds
// and raw data, MSS, window scale and timestamps left to read again), it
// hands the body of an ICMPv4 error to Payload rather than following the
// quoted header, and it returns one error per packet instead of counting
// what it rejected. On the 136 frames of testdata/pcap/mixed/zeek_wikipedia.pcap
// held in memory, with the parser given Ethernet, Dot1Q, IPv4, IPv6, TCP,
// UDP, ICMPv4, ICMPv6 and Payload layers and IgnoreUnsupported, both
// allocate nothing:
//
//	go test -run '^$' -bench DissectVsDecodingLayerParser -benchmem -count 5 ./engine/dissect
//
//	dissect   30.2 ns/pkt (33.1 M pkts/s)   0 B/op   0 allocs/op
//	gopacket  86.2 ns/pkt (11.6 M pkts/s)   0 B/op   0 allocs/op
//
// (medians of 5 runs, 29.5-31.3 and 85.6-86.9 ns/pkt, go1.26.8 on a shared
// 2-CPU virtual machine, "Oxide Virtual Turin-like Processor"; a run while
// the machine was busier measured 47-61 against 114-216 ns/pkt).
package dissect

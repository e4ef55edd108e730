package dissect

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Layer flags: which headers a Dissection holds.
const (
	HasIP        uint16 = 1 << iota // an IPv4 or IPv6 header was decoded
	HasL4                           // the transport header (TCP, UDP, SCTP, ICMP) was decoded
	HasTCP                          // L4 is TCP
	HasUDP                          // L4 is UDP
	HasICMP                         // L4 is ICMPv4 or ICMPv6
	HasInner                        // an ICMP error's quoted IP header was decoded (Inner*)
	HasTCPTS                        // the TCP timestamps option (RFC 7323) is present
	IsFrag                          // the IP datagram is a fragment (MF set or offset > 0)
	HasIPTS                         // the IPv4 Timestamp option (RFC 791 §3.1) is present
	HasV6FragHdr                    // an IPv6 Fragment header is present (also in an atomic fragment, which is not IsFrag)
	TCPWindowCut                    // the TCP header was cut before its window field (snap length, tiny first fragment): Window (0) is unknown
	HasPPPoE                        // the IP packet came in a PPPoE session frame (RFC 2516 §5; PPPoESession)
	// TCPFlagsCut: the TCP header was cut before its flags (fewer than 14
	// bytes: the snap length, or a first fragment carrying only the start
	// of the header, RFC 1858 §3.1): only the ports (and Seq, from 8
	// bytes) are known; TCPFlags, Ack, Window, the options and the data
	// offset are unknown (0), and the packet is no segment the TCP
	// analyses can take. TCPWindowCut is set with it.
	TCPFlagsCut
	// HasSCTP: L4 is SCTP, its common header's ports decoded (RFC 9260
	// §3.1; from 4 bytes when the snap length cut the header, as tcpdump's
	// `sctp port` reads them). SCTP is not analysed further: the ports
	// split flows and match port filters as TCP's and UDP's do, and
	// PayloadLen (the bytes after the common header: its chunks) counts
	// in l4_payload_bytes.
	HasSCTP
	// TCPBadOffset: the TCP header's data offset is below 5 words or
	// beyond the segment (RFC 9293 §3.1; KindTCPBadOffset; tshark's
	// "Bogus TCP header length", tcpdump's "[bad hdr length]"), or the IP
	// length cuts the header short of its 20 bytes, outside a first
	// fragment (KindTCPBeyondIPLength: its data offset is beyond the
	// segment too; the fields then read from the frame's bytes past the
	// IP datagram's end, as libpcap reads them, TCPFlagsCut and
	// TCPWindowCut set when it holds too few). The fixed
	// header's fields were decoded as captured (the ports, which key the
	// flow and match port filters as in tcpdump, Seq, Ack, TCPFlags,
	// Window), but not the options, and Payload and PayloadLen are empty:
	// where the header ends is unknown. The packet is no segment the TCP
	// analyses take (tcpconn, rtt, ftp), nor are its flags counted in the
	// flow's TCP counters.
	TCPBadOffset
)

// TCPNoSegment holds the flags that make a decoded TCP header no segment
// the TCP analyses (tcpconn, rtt, ftp) take, nor one whose flags the
// flow's TCP counters count: TCPFlagsCut (its flags unknown) and
// TCPBadOffset (where its header ends unknown). Test it as
// d.Flags&TCPNoSegment != 0.
const TCPNoSegment = TCPFlagsCut | TCPBadOffset

// TCP flag bits as in the TCP header's 9-bit flags field (RFC 793, RFC 3168).
const (
	TCPFin uint16 = 1 << iota
	TCPSyn
	TCPRst
	TCPPsh
	TCPAck
	TCPUrg
	TCPEce
	TCPCwr
	TCPNs
)

// IP protocol numbers (IANA).
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoSCTP   uint8 = 132
	ProtoICMPv6 uint8 = 58
)

// IPv6 Next Header values that end or interrupt the extension-header walk
// (IANA): the Fragment header (RFC 8200 §4.5) and No Next Header (§4.7).
const (
	ProtoIPv6Frag   uint8 = 44
	ProtoIPv6NoNext uint8 = 59
)

// IPv6ExtLen returns the length in bytes of an IPv6 extension header of
// type nh whose Hdr Ext Len octet (its second byte) is hel, and whether
// nh is an extension header the walk goes through. It is the one rule of
// the dissector's header walk, its ICMPv6 quoted-packet walk and the
// reassembler's (engine/reasm): hop-by-hop options 0, routing 43,
// destination options 60, mobility 135, HIP 139 and shim6 140 count hel+1
// units of 8 octets (RFC 8200 §4.3-4.6, RFC 6275 §6.1, RFC 7401 §5,
// RFC 5533 §5); AH 51 counts hel+2 units of 4 (RFC 4302 §2.2); the
// Fragment header 44 is 8 octets (RFC 8200 §4.5). ESP 50 (encrypted),
// No Next Header 59 and the experimental 253 and 254 end the walk, as
// in tcpdump and Wireshark's defaults.
func IPv6ExtLen(nh, hel uint8) (int, bool) {
	switch nh {
	case 0, 43, 60, 135, 139, 140:
		return (int(hel) + 1) * 8, true
	case 51:
		return (int(hel) + 2) * 4, true
	case ProtoIPv6Frag:
		return 8, true
	}
	return 0, false
}

// Dissection is the result of dissecting one packet: every header field the
// sieve, the flow table and the analysers need, filled without allocating.
// Slices (Payload, IPOptions) borrow the packet data and are valid only
// until the next Dissect call.
type Dissection struct {
	Meta  pkt.Meta
	Flags uint16 // Has* and IsFrag bits

	// Data is the captured packet (borrowed, m.CapLen bytes, link header
	// first), for the byte-offset comparisons of filters (`tcp[13] & 2 != 0`).
	// Dissections built by hand (quoted packets of ICMP errors) have none.
	Data []byte

	// Link layer.
	VLANs     [2]uint16 // VLAN IDs, outermost first (802.1ad S-tag, then 802.1Q C-tag)
	NVLAN     uint8     // number of VLAN tags seen (may exceed 2; only 2 IDs kept)
	EtherType uint16    // EtherType of the network layer (0x0800, 0x86DD, ...), also behind a PPPoE session header
	// PPPoESession is the SESSION_ID of the PPPoE session header
	// (RFC 2516 §4) when HasPPPoE.
	PPPoESession uint16

	// IP layer (design 3.3; RFC 791, RFC 8200).
	IPVersion uint8      // 4 or 6; 0 when the packet is not IP
	NetOff    uint32     // offset of the IP header in the packet data
	IPHdrLen  uint32     // IPv4 header length incl. options; IPv6 40 + extension headers
	SrcAddr   netip.Addr // source address
	DstAddr   netip.Addr // destination address
	IPLen     uint32     // IP total length in bytes (IPv6: 40 + payload length)
	TOS       uint8      // IPv4 TOS / IPv6 traffic class; DSCP is TOS>>2
	TTL       uint8      // IPv4 TTL / IPv6 hop limit
	Protocol  uint8      // upper-layer protocol (after IPv6 extension headers)
	IPID      uint32     // IPv4 identification / IPv6 fragment header identification
	FragOff   uint32     // fragment offset in bytes
	MoreFrags bool       // MF flag / IPv6 M flag
	FragNext  uint8      // IPv6 Fragment header's Next Header: the same in every fragment of a datagram, unlike Protocol past extension headers in the first
	DontFrag  bool       // IPv4 DF flag
	IPOptions []byte     // IPv4 options bytes (borrowed), nil if none
	IPTSOff   uint32     // offset in data of the IPv4 Timestamp option, when HasIPTS

	// Transport layer (present when HasL4; for non-first fragments never).
	L4Off   uint32 // offset of the transport header in the packet data
	SrcPort uint16 // TCP/UDP source port
	DstPort uint16 // TCP/UDP destination port

	// TCP (RFC 793, RFC 7323, RFC 2018).
	TCPFlags   uint16 // TCPFin|TCPSyn|... bits
	Seq        uint32
	Ack        uint32
	Window     uint16 // raw window field, unscaled
	MSS        uint16 // MSS option value; 0 if absent
	WScale     int16  // window scale shift as sent; -1 if absent (RFC 7323 §2.3: receivers use 14 for larger values)
	SACKPerm   bool   // SACK-permitted option present
	SACKBlocks uint8  // number of SACK blocks in a SACK option
	TSVal      uint32 // timestamps option TSval (when HasTCPTS)
	TSEcr      uint32 // timestamps option TSecr (when HasTCPTS)

	// ICMPv4 / ICMPv6.
	ICMPType uint8
	ICMPCode uint8
	ICMPID   uint16 // echo identifier (echo request/reply only)
	ICMPSeq  uint16 // echo sequence number (echo request/reply only)

	// Quoted packet of an ICMP error (HasInner): the flow the error belongs
	// to (design 3.3), in the direction of the original packet.
	InnerSrcAddr  netip.Addr
	InnerDstAddr  netip.Addr
	InnerProtocol uint8
	InnerTOS      uint8 // quoted IPv4 TOS / IPv6 traffic class (DSCP is InnerTOS>>2)
	InnerSrcPort  uint16
	InnerDstPort  uint16

	// Payload after the transport header (borrowed, may be cut by the
	// snap length); PayloadLen is the length the headers announce, which
	// may exceed len(Payload) when the capture was truncated.
	Payload    []byte
	PayloadLen uint32
	Truncated  bool // the capture holds less than the headers announce
}

// Has reports whether all bits of f are set in d.Flags.
func (d *Dissection) Has(f uint16) bool { return d.Flags&f == f }

// DSCP returns the Differentiated Services code point (RFC 2474): TOS>>2.
func (d *Dissection) DSCP() uint8 { return d.TOS >> 2 }

// Fragment reports whether the datagram is an IP fragment.
func (d *Dissection) Fragment() bool { return d.Flags&IsFrag != 0 }

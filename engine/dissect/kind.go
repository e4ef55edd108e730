package dissect

// Kind names one class of malformed or truncated header, as counted in
// Stats and reported in events (e.g. "ipv4_bad_ihl").
type Kind uint8

// Kinds of malformed or truncated headers. Link and IP kinds make the whole
// packet unusable (Dissect returns ErrMalformed); the IPv6 extension header
// and transport kinds only lose the transport layer (the packet still
// counts at IP level).
const (
	KindLinkTruncated Kind = iota // link header shorter than its fixed size
	KindUnsupportedLink
	KindIPv4Truncated // fewer than 20 bytes, or fewer than IHL*4, captured
	KindIPv4BadIHL    // IHL < 5
	KindIPv4BadLength // total length < header length
	KindIPv6Truncated // fewer than 40 bytes captured
	KindIPBadVersion  // version nibble disagrees with the EtherType
	KindIPv6BadExtHdr // extension header chain longer than the IP payload length, or more than 17 headers
	// KindIPLongerThanFrame: the IP length exceeds the frame on the wire
	// (kept, the IP length trusted, marked Truncated: a capture tool that
	// lost the frame's length, or a lying header).
	KindIPLongerThanFrame
	// KindIPv4ZeroLength: total length 0, as TSO captures write (kept; the
	// frame's length is used, as Wireshark does).
	KindIPv4ZeroLength
	// KindIPv6ZeroLength: payload length 0 before a TCP or UDP header, as
	// Linux writes it in the BIG TCP and GSO packets it hands the capture
	// (kept; the frame's length is used, as tcpdump since
	// the-tcpdump-group/tcpdump#1329 and Wireshark with ipv6.tso_support
	// do).
	KindIPv6ZeroLength
	KindTCPTruncated  // TCP header (20 bytes or its data offset) not captured, the IP length holding it (from 4 bytes on decoded as far as it goes: TCPFlagsCut, TCPWindowCut)
	KindTCPBadOffset  // data offset < 5 or beyond the segment (the fixed header kept, no options nor payload: TCPBadOffset)
	KindUDPTruncated  // UDP header not captured, the IP length holding it (from 4 bytes on the ports decoded)
	KindUDPBadLength  // UDP length < 8 or larger than the IP payload
	KindICMPTruncated // ICMP header not captured, the IP length holding it
	KindTCPBadOption  // option length runs past the header (kept, options ignored)
	// KindIPv6ExtHdrTruncated: the extension header chain cut by the snap
	// length (the header fits in the IP payload length, the captured bytes
	// end first), counted as KindIPv6BadExtHdr before. Appended last:
	// kinds are reported by name, and Kept holds from KindIPv6BadExtHdr on.
	KindIPv6ExtHdrTruncated
	// KindTCPBeyondIPLength, KindUDPBeyondIPLength, KindICMPBeyondIPLength:
	// a transport header (TCP 20 bytes, UDP 8, ICMP 4) longer than the IP
	// length leaves it (Wireshark: "Malformed Packet", an Error), counted
	// as the *_truncated kinds before, which now count headers the snap
	// length cut (nothing but "Packet size limited during capture") and
	// a first fragment's too short to tell. Since 2026-12 a TCP or UDP
	// header so cut keeps the ports (TCP: the fixed header's fields,
	// TCPBadOffset) the frame captured past the IP datagram's end, as
	// libpcap reads them; it was dropped whole before.
	KindTCPBeyondIPLength
	KindUDPBeyondIPLength
	KindICMPBeyondIPLength
	// KindSCTPTruncated: SCTP's 12-byte common header not captured, the
	// IP length holding it (from 4 bytes on the ports decoded);
	// KindSCTPBeyondIPLength: the IP length leaves part of it out
	// (Wireshark: "Malformed Packet", an Error). Both went uncounted
	// before (the packet counted at IP level, its ports unknown).
	KindSCTPTruncated
	KindSCTPBeyondIPLength
	numKinds
)

var kindNames = [numKinds]string{
	KindLinkTruncated:     "link_truncated",
	KindUnsupportedLink:   "unsupported_link",
	KindIPv4Truncated:     "ipv4_truncated",
	KindIPv4BadIHL:        "ipv4_bad_ihl",
	KindIPv4BadLength:     "ipv4_bad_length",
	KindIPv6Truncated:     "ipv6_truncated",
	KindIPLongerThanFrame: "ip_longer_than_frame",
	KindIPv4ZeroLength:    "ipv4_zero_length",
	KindIPv6ZeroLength:    "ipv6_zero_length",
	KindIPBadVersion:      "ip_bad_version",
	KindIPv6BadExtHdr:     "ipv6_bad_ext_header",
	KindTCPTruncated:      "tcp_truncated",
	KindTCPBadOffset:      "tcp_bad_offset",
	KindUDPTruncated:      "udp_truncated",
	KindUDPBadLength:      "udp_bad_length",
	KindICMPTruncated:     "icmp_truncated",
	KindTCPBadOption:      "tcp_bad_option",

	KindIPv6ExtHdrTruncated: "ipv6_ext_header_truncated",
	KindTCPBeyondIPLength:   "tcp_beyond_ip_length",
	KindUDPBeyondIPLength:   "udp_beyond_ip_length",
	KindICMPBeyondIPLength:  "icmp_beyond_ip_length",
	KindSCTPTruncated:       "sctp_truncated",
	KindSCTPBeyondIPLength:  "sctp_beyond_ip_length",
}

// Kept reports whether packets of this kind still count at IP level (the
// transport layer or a length is doubtful) rather than being rejected
// with ErrMalformed.
func (k Kind) Kept() bool { return k >= KindIPv6BadExtHdr }

// String returns the stable snake_case name of the kind.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

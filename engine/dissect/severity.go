package dissect

// Severe reports whether Wireshark's expert info rates a packet of this
// kept kind an error (severity Error, tshark 4.0.17 on one crafted packet
// each: -T fields -e _ws.expert.severity): ip_longer_than_frame ("IPv4
// total length exceeds packet length"), ipv6_bad_ext_header,
// udp_bad_length and the *_beyond_ip_length kinds ("Malformed Packet",
// "Bad length value"), tcp_bad_offset ("Bogus TCP header length"). Not
// severe: the zero lengths of TSO and GSO captures (IPv4: nothing; IPv6:
// Chat), tcp_bad_option (Note: "option goes past end of options"), and
// the headers the snap length cut, ipv6_ext_header_truncated and the
// *_truncated kinds (nothing but "Packet size limited during capture").
func (k Kind) Severe() bool {
	switch k {
	case KindIPLongerThanFrame, KindIPv6BadExtHdr, KindUDPBadLength, KindTCPBadOffset,
		KindTCPBeyondIPLength, KindUDPBeyondIPLength, KindICMPBeyondIPLength, KindSCTPBeyondIPLength:
		return true
	}
	return false
}

// Anomalies counts the packets kept at IP level with a doubtful length or
// header (Kind.Kept), once per kind (a packet may count under two): the
// packet_anomalies events' counts summed.
func (s *Stats) Anomalies() uint64 {
	var n uint64
	for k := KindIPv6BadExtHdr; k < numKinds; k++ {
		if k.Kept() {
			n += s.Kinds[k]
		}
	}
	return n
}

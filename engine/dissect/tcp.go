package dissect

import "encoding/binary"

// tcp decodes the TCP header at the start of avail (RFC 9293 §3.1), the
// transport bytes captured; announced is the number of transport bytes
// the IP header announces.
//
// A header that is not all there is decoded as far as it goes when it was
// cut by the snap length (the IP length announces it whole: IPv6 under
// tcpdump's old 68-byte snap length leaves 14 bytes) or when it goes on in
// the datagram's later fragments (a first fragment carrying less of it
// than its data offset says: RFC 1858 §3.1's tiny fragment, whose 8 bytes
// hold the ports and the sequence number only). The ports need 4 bytes
// (tcpdump's `tcp port` reads them), the sequence number 8, the data
// offset 13, the flags 14 (TCPFlagsCut before), the window 16
// (TCPWindowCut before). Other TCP headers shorter than 20 bytes are
// dropped whole: KindTCPTruncated for fewer than 4 bytes captured. A
// header the IP length leaves part of the 20 bytes out of (outside a first
// fragment) is KindTCPBeyondIPLength, decoded out of line by
// tcpBeyondIPLength from the frame's captured bytes, as libpcap reads
// them. Cut headers count as KindTCPTruncated too,
// except in a first fragment, where the rest of the header is not missing
// but later.
//
// A data offset below 5 words or beyond the segment (outside a first
// fragment) is KindTCPBadOffset: the fixed header's fields are decoded as
// captured (ports, sequence and acknowledgment numbers, flags, window:
// tcpdump prints the ports and "[bad hdr length]", tshark the ports and
// "Bogus TCP header length"; libpcap's `tcp port` and `tcp[13]` read
// them), the header marked TCPBadOffset, with neither options nor
// payload: where the header ends is unknown. Until 2026-12 such a header
// was dropped whole, its packet counted in a port-0 flow.
func (d *Dissector) tcp(avail []byte, announced int, out *Dissection) {
	n := len(avail)
	first := out.Flags&IsFrag != 0 // a first fragment: the header may go on in the next one
	if n < 20 && (n < 4 || announced < 20 && !first) {
		if announced < 20 && !first {
			d.tcpBeyondIPLength(out)
			return
		}
		d.Stats.Kinds[KindTCPTruncated]++
		return
	}
	doff := 0 // unknown
	if n >= 13 {
		doff = int(avail[12]>>4) * 4
		if doff < 20 || doff > announced && !first {
			d.tcpBadOffset(avail, out)
			return
		}
	}
	if n < 20 && announced >= 20 {
		d.Stats.Kinds[KindTCPTruncated]++ // cut by the snap length
	}
	out.Flags |= HasL4 | HasTCP
	out.SrcPort = binary.BigEndian.Uint16(avail[0:])
	out.DstPort = binary.BigEndian.Uint16(avail[2:])
	if doff > 0 && doff <= announced {
		out.PayloadLen = uint32(announced - doff)
	}
	if !tcpFixed(avail, out) {
		return
	}
	cut := doff > n // by the snap length, or in the next fragment
	if cut && !first {
		out.Truncated = true
	}
	if optEnd := min(doff, n); optEnd == 32 && binary.BigEndian.Uint32(avail[20:]) == tsOptions {
		// NOP, NOP, Timestamps (RFC 7323 Appendix A's layout, nearly
		// every segment of a connection that agreed on timestamps):
		// what tcpOptions makes of these 12 bytes, without its loop
		// (issue 14: ~45 instructions a packet).
		out.Flags |= HasTCPTS
		out.TSVal = binary.BigEndian.Uint32(avail[24:])
		out.TSEcr = binary.BigEndian.Uint32(avail[28:])
	} else if optEnd > 20 {
		d.tcpOptions(avail[20:optEnd], out, cut)
	}
	if !cut {
		out.Payload = avail[doff:]
	}
}

// tcpBadOffset decodes a TCP header of at least 13 bytes whose data
// offset is below 5 words or beyond the segment (tcp): its fixed header's
// fields as captured, marked TCPBadOffset, with neither options nor
// payload. Out of line, so that sound headers run the code they ran
// before such headers were decoded (issue 14: cachegrind counted 10
// instructions more a TCP packet with the test inline).
//
//go:noinline
func (d *Dissector) tcpBadOffset(avail []byte, out *Dissection) {
	d.Stats.Kinds[KindTCPBadOffset]++
	out.Flags |= HasL4 | HasTCP | TCPBadOffset
	out.SrcPort = binary.BigEndian.Uint16(avail[0:])
	out.DstPort = binary.BigEndian.Uint16(avail[2:])
	tcpFixed(avail, out)
}

// tcpFixed decodes the fixed header's fields after the ports (RFC 9293
// §3.1) as far as captured: sequence number (8 bytes captured), then
// acknowledgment number and flags (14), window (16; TCPWindowCut
// before). It returns false when the flags are cut (TCPFlagsCut).
func tcpFixed(avail []byte, out *Dissection) bool {
	n := len(avail)
	if n < 14 {
		out.Flags |= TCPFlagsCut | TCPWindowCut
		if n >= 8 {
			out.Seq = binary.BigEndian.Uint32(avail[4:])
		}
		return false
	}
	out.Seq = binary.BigEndian.Uint32(avail[4:])
	out.Ack = binary.BigEndian.Uint32(avail[8:])
	out.TCPFlags = uint16(avail[13]) | uint16(avail[12]&1)<<8
	if n >= 16 {
		out.Window = binary.BigEndian.Uint16(avail[14:])
	} else {
		out.Flags |= TCPWindowCut
	}
	return true
}

// tcpBeyondIPLength decodes a TCP header of which the IP length announces
// fewer than its 20 bytes, outside a first fragment (KindTCPBeyondIPLength:
// Wireshark's "Malformed Packet"; its data offset, 5 words or more, is
// beyond the segment): the fixed header's fields the frame captured past
// the transport header's start, the IP length notwithstanding (Ethernet
// padding after a short IP total length, say), as libpcap's `tcp port`
// and `tcp[13]` read them and tcpdump prints the ports; the ports from 4
// bytes, Seq from 8, Ack and TCPFlags from 14 (TCPFlagsCut before),
// Window from 16 (TCPWindowCut before). The header is marked TCPBadOffset
// (no segment the TCP analyses take, its flags counted in no flow
// counter: dissect.TCPNoSegment), with neither options nor payload.
// Until 2026-12 such a header was dropped whole, its packet counted in a
// port-0 flow. Out of line, so that sound headers run the code they ran
// before (issue 14).
//
//go:noinline
func (d *Dissector) tcpBeyondIPLength(out *Dissection) {
	d.Stats.Kinds[KindTCPBeyondIPLength]++
	h := out.Data[min(int(out.L4Off), len(out.Data)):]
	if len(h) < 4 {
		return
	}
	out.Flags |= HasL4 | HasTCP | TCPBadOffset
	out.SrcPort = binary.BigEndian.Uint16(h[0:])
	out.DstPort = binary.BigEndian.Uint16(h[2:])
	tcpFixed(h, out)
}

// tsOptions is the first word of the 12 option bytes NOP, NOP, kind 8
// (Timestamps), length 10.
const tsOptions = 0x0101080a

// tcpOptions reads MSS, window scale, SACK-permitted, SACK and timestamps
// (RFC 793 §3.1, RFC 7323 §2.2, §3.2, RFC 2018). cut says the options go
// on past o (the snap length or the fragment's end cut them): an option
// running past o is then not malformed.
func (d *Dissector) tcpOptions(o []byte, out *Dissection, cut bool) {
	for i := 0; i < len(o); {
		kind := o[i]
		if kind == 0 {
			return
		}
		if kind == 1 {
			i++
			continue
		}
		if i+1 >= len(o) {
			return // cut by the snap length
		}
		l := int(o[i+1])
		if l < 2 {
			d.Stats.Kinds[KindTCPBadOption]++
			return
		}
		if i+l > len(o) {
			if !cut {
				d.Stats.Kinds[KindTCPBadOption]++
			}
			return
		}
		v := o[i+2 : i+l]
		switch kind {
		case 2:
			if l == 4 {
				out.MSS = binary.BigEndian.Uint16(v)
			}
		case 3:
			if l == 3 {
				out.WScale = int16(v[0])
			}
		case 4:
			out.SACKPerm = true
		case 5:
			out.SACKBlocks = uint8((l - 2) / 8)
		case 8:
			if l == 10 {
				out.Flags |= HasTCPTS
				out.TSVal = binary.BigEndian.Uint32(v)
				out.TSEcr = binary.BigEndian.Uint32(v[4:])
			}
		}
		i += l
	}
}

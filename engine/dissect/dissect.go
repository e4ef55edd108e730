package dissect

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Errors returned by Dissect. Both mean "no IP-level observation": the
// packet is counted in Stats and skipped.
var (
	// ErrNotIP means the frame carries no IPv4/IPv6 datagram (ARP, STP, ...).
	ErrNotIP = errors.New("dissect: not an IP packet")
	// ErrMalformed means a link or IP header is truncated or inconsistent;
	// Stats says which kind.
	ErrMalformed = errors.New("dissect: malformed packet")
)

// Stats counts what Dissect saw. Counters only grow; the probe reports
// them as events and in the end-of-run summary.
type Stats struct {
	Packets   uint64           // calls to Dissect
	IP        uint64           // packets with a usable IP header
	NotIP     uint64           // frames without IP (ARP, STP, LLC, ...)
	Malformed uint64           // packets rejected with ErrMalformed
	Kinds     [numKinds]uint64 // per Kind (index with a Kind)
}

// EachKind calls fn for every kind with a non-zero count, in Kind order.
func (s *Stats) EachKind(fn func(k Kind, n uint64)) {
	for k := Kind(0); k < numKinds; k++ {
		if s.Kinds[k] > 0 {
			fn(k, s.Kinds[k])
		}
	}
}

// Dissector decodes link, IP and transport headers without allocating.
// It is not safe for concurrent use; give each worker its own.
type Dissector struct {
	Stats Stats
}

// New returns a Dissector.
func New() *Dissector { return &Dissector{} }

// EtherTypes.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86DD
	etherVLAN  = 0x8100
	etherQinQ  = 0x88A8
	etherQinQ2 = 0x9100
	etherMPLS  = 0x8847
	etherMPLSm = 0x8848
	// etherPPPoES is a PPPoE session stage frame (RFC 2516 §5); the
	// discovery stage (0x8863) carries no IP.
	etherPPPoES = 0x8864
)

// Dissect fills out from one captured packet. data is the captured bytes
// (m.CapLen of them), m its metadata. out borrows data and is valid until
// data changes. It returns nil when an IP header was decoded (the transport
// layer may still be missing: see out.Flags), ErrNotIP for non-IP frames
// and ErrMalformed for broken link/IP headers; both are counted in d.Stats.
func (d *Dissector) Dissect(data []byte, m pkt.Meta, out *Dissection) error {
	// Cleared in place, then set: a composite literal is built on the
	// stack and copied over (two passes over ~330 bytes, the copy's wide
	// loads stalled on the literal's narrower stores: ~14 ns a packet,
	// issue 14).
	*out = Dissection{}
	out.Meta, out.WScale, out.Data = m, -1, data
	d.Stats.Packets++
	var off int
	var etype uint16
	ok := true
	if e := etherIPType(data, m.LinkType); e != 0 {
		off, etype = 14, e // what link returns for it, without its switch and tagged's loop
	} else {
		off, etype, ok = d.link(data, m.LinkType, out)
	}
	if !ok {
		d.Stats.Malformed++
		return ErrMalformed
	}
	if etype == 0 {
		d.Stats.NotIP++
		return ErrNotIP
	}
	out.EtherType = etype
	var k Kind
	switch etype {
	case etherIPv4:
		k = d.ipv4(data, off, out)
	case etherIPv6:
		k = d.ipv6(data, off, out)
	default:
		d.Stats.NotIP++
		return ErrNotIP
	}
	if k != kindOK {
		d.Stats.Kinds[k]++
		d.Stats.Malformed++
		return ErrMalformed
	}
	d.Stats.IP++
	return nil
}

// etherIPType returns the EtherType of an untagged Ethernet frame carrying
// IPv4 or IPv6 (its network header at 14), else 0: the common frame, taken
// apart without link's switch and tagged's loop (issue 14: ~70
// instructions a packet).
func etherIPType(b []byte, lt pkt.LinkType) uint16 {
	if lt != pkt.LinkEthernet || len(b) < 14 {
		return 0
	}
	return ipEther(binary.BigEndian.Uint16(b[12:]))
}

// kindOK is the "no problem" result of the header decoders.
const kindOK = numKinds

// tagged follows the EtherType etype of a link header whose next bytes
// start at next: 802.1Q/802.1ad tags (each a TCI and the next EtherType;
// the two outermost IDs kept), an MPLS label stack or a PPPoE session
// header. It returns the offset of the network header and its EtherType
// (0 when not IP). Ethernet and Linux cooked captures (SLL, SLL2) share
// it: a cooked capture of a tagged frame says 0x8100 and the tag follows,
// as Wireshark reads it; one of a PPPoE frame says 0x8864.
func (d *Dissector) tagged(b []byte, etype uint16, next int, out *Dissection) (int, uint16, bool) {
	for etype == etherVLAN || etype == etherQinQ || etype == etherQinQ2 {
		if len(b) < next+4 {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		if out.NVLAN < 2 {
			out.VLANs[out.NVLAN] = binary.BigEndian.Uint16(b[next:]) & 0x0fff
		}
		if out.NVLAN < 255 {
			out.NVLAN++
		}
		etype = binary.BigEndian.Uint16(b[next+2:])
		next += 4
	}
	if etype <= 1500 { // 802.3 length field (cooked: a Linux protocol number): not IP for us
		return next, 0, true
	}
	switch etype {
	case etherMPLS, etherMPLSm:
		return d.mpls(b, next)
	case etherPPPoES:
		return d.pppoe(b, next, out)
	}
	return next, ipEther(etype), true
}

// pppoe reads the PPPoE session header at off (RFC 2516 §4: version and
// type, code, SESSION_ID, length; 6 bytes) and the PPP protocol after it,
// two bytes (RFC 1661 §6.5: one only where Protocol-Field-Compression was
// negotiated; libpcap's `pppoes` and Wireshark read two): 0x0021 IPv4,
// 0x0057 IPv6; other protocols (LCP, IPCP, CHAP, ...) are not IP. Like
// libpcap, neither the version nor the code is checked.
func (d *Dissector) pppoe(b []byte, off int, out *Dissection) (int, uint16, bool) {
	if len(b) < off+8 {
		d.Stats.Kinds[KindLinkTruncated]++
		return 0, 0, false
	}
	out.Flags |= HasPPPoE
	out.PPPoESession = binary.BigEndian.Uint16(b[off+2:])
	switch binary.BigEndian.Uint16(b[off+6:]) {
	case 0x0021:
		return off + 8, etherIPv4, true
	case 0x0057:
		return off + 8, etherIPv6, true
	}
	return off + 8, 0, true
}

// etherHeader returns the length of the link header of lt, one that
// carries an EtherType, and the offset of its EtherType (Ethernet: the
// type after the addresses; Linux cooked SLL: its protocol field; SLL2:
// its first field).
func etherHeader(lt pkt.LinkType) (hdr, proto int) {
	switch lt {
	case pkt.LinkLinuxSLL:
		return 16, 14
	case pkt.LinkLinuxSLL2:
		return 20, 0
	}
	return 14, 12
}

// link finds the network header. It returns the offset of the network
// header and its EtherType (0 for non-IP frames).
func (d *Dissector) link(b []byte, lt pkt.LinkType, out *Dissection) (int, uint16, bool) {
	switch lt {
	case pkt.LinkEthernet, pkt.LinkLinuxSLL, pkt.LinkLinuxSLL2:
		// an EtherType at proto, then VLAN tags and MPLS labels from hdr
		// on (libpcap puts the VLAN tag the kernel took out of a cooked
		// capture back there: protocol 0x8100, the TCI, the real protocol)
		hdr, proto := etherHeader(lt)
		if len(b) < hdr {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		return d.tagged(b, binary.BigEndian.Uint16(b[proto:]), hdr, out)
	case pkt.LinkRaw:
		if len(b) < 1 {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		switch b[0] >> 4 {
		case 4:
			return 0, etherIPv4, true
		case 6:
			return 0, etherIPv6, true
		}
		return 0, 0, true
	case pkt.LinkIPv4:
		return 0, etherIPv4, true
	case pkt.LinkIPv6:
		return 0, etherIPv6, true
	case pkt.LinkNull, pkt.LinkLoop:
		if len(b) < 4 {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		fam := binary.LittleEndian.Uint32(b)
		if lt == pkt.LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(b)
		}
		switch fam {
		case 2:
			return 4, etherIPv4, true
		case 10, 24, 28, 30: // AF_INET6 on Linux, BSDs, FreeBSD, Darwin
			return 4, etherIPv6, true
		}
		return 4, 0, true
	case pkt.LinkPPP:
		off := 0
		if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
			off = 2
		}
		if len(b) < off+1 {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		proto := uint16(b[off])
		if proto&1 == 0 { // two-byte protocol field (RFC 1661 §2)
			if len(b) < off+2 {
				d.Stats.Kinds[KindLinkTruncated]++
				return 0, 0, false
			}
			proto = binary.BigEndian.Uint16(b[off:])
			off += 2
		} else {
			off++
		}
		switch proto {
		case 0x0021:
			return off, etherIPv4, true
		case 0x0057:
			return off, etherIPv6, true
		case 0x0281, 0x0283:
			return d.mpls(b, off)
		}
		return off, 0, true
	}
	d.Stats.Kinds[KindUnsupportedLink]++
	return 0, 0, false
}

// mpls skips an MPLS label stack (RFC 3032 §2.1) up to the entry with the
// bottom-of-stack bit and guesses IPv4 or IPv6 from the next nibble, as
// tcpdump and Wireshark do. A stack cut before its bottom entry, or with
// nothing after it, is a truncated link header (tcpdump: "[|mpls]"), as
// a cut VLAN tag is.
func (d *Dissector) mpls(b []byte, off int) (int, uint16, bool) {
	for {
		if len(b) < off+4 {
			d.Stats.Kinds[KindLinkTruncated]++
			return 0, 0, false
		}
		bos := b[off+2]&1 != 0
		off += 4
		if bos {
			break
		}
	}
	if len(b) <= off {
		d.Stats.Kinds[KindLinkTruncated]++
		return 0, 0, false
	}
	switch b[off] >> 4 {
	case 4:
		return off, etherIPv4, true
	case 6:
		return off, etherIPv6, true
	}
	return off, 0, true
}

func ipEther(e uint16) uint16 {
	if e == etherIPv4 || e == etherIPv6 {
		return e
	}
	return 0
}

// ipHeader returns the IP header at off when b holds its fixed size
// (fixed bytes, else short) and it says the version expected (else
// KindIPBadVersion).
func ipHeader(b []byte, off, fixed int, version byte, short Kind) ([]byte, Kind) {
	if len(b) < off+fixed {
		return nil, short
	}
	h := b[off:]
	if h[0]>>4 != version {
		return nil, KindIPBadVersion
	}
	return h, kindOK
}

// ipv4 decodes an IPv4 header at off (RFC 791 §3.1).
func (d *Dissector) ipv4(b []byte, off int, out *Dissection) Kind {
	h, k := ipHeader(b, off, 20, 4, KindIPv4Truncated)
	if k != kindOK {
		return k
	}
	ihl := int(h[0]&0x0f) * 4
	if ihl < 20 {
		return KindIPv4BadIHL
	}
	if len(h) < ihl {
		return KindIPv4Truncated
	}
	total := int(binary.BigEndian.Uint16(h[2:]))
	wire := int(out.Meta.WireLen) - off
	if wire < len(h) {
		wire = len(h)
	}
	if total == 0 { // TSO: the NIC fills the length in (Wireshark does the same)
		d.Stats.Kinds[KindIPv4ZeroLength]++
		total = wire
	}
	if total < ihl {
		return KindIPv4BadLength
	}
	if total > wire {
		d.Stats.Kinds[KindIPLongerThanFrame]++
		out.Truncated = true
	}
	out.Flags |= HasIP
	out.IPVersion = 4
	out.NetOff = uint32(off)
	out.IPHdrLen = uint32(ihl)
	out.IPLen = uint32(total)
	out.TOS = h[1]
	out.IPID = uint32(binary.BigEndian.Uint16(h[4:]))
	ff := binary.BigEndian.Uint16(h[6:])
	out.DontFrag = ff&0x4000 != 0
	out.MoreFrags = ff&0x2000 != 0
	out.FragOff = uint32(ff&0x1fff) * 8
	if out.MoreFrags || out.FragOff > 0 {
		out.Flags |= IsFrag
	}
	out.TTL = h[8]
	out.Protocol = h[9]
	out.SrcAddr = netip.AddrFrom4([4]byte(h[12:16]))
	out.DstAddr = netip.AddrFrom4([4]byte(h[16:20]))
	if ihl > 20 {
		out.IPOptions = h[20:ihl]
		ipv4Options(out, off)
	}
	end := off + total
	if end > len(b) {
		end = len(b)
		out.Truncated = true
	}
	if out.FragOff > 0 {
		out.Payload = b[off+ihl : end]
		out.PayloadLen = uint32(total - ihl)
		return kindOK
	}
	if out.Protocol == ProtoTCP {
		// transport's TCP case, without the call (issue 14: most
		// packets)
		out.L4Off = uint32(off + ihl)
		d.tcp(b[off+ihl:end], total-ihl, out)
		return kindOK
	}
	d.transport(b, off+ihl, end, off+total, out)
	return kindOK
}

// ipv4Options looks for the Timestamp option (RFC 791 §3.1, type 68).
func ipv4Options(out *Dissection, netOff int) {
	o := out.IPOptions
	for i := 0; i < len(o); {
		switch o[i] {
		case 0: // end of option list
			return
		case 1: // no operation
			i++
			continue
		}
		if i+1 >= len(o) || o[i+1] < 2 || i+int(o[i+1]) > len(o) {
			return
		}
		if o[i] == 68 {
			out.Flags |= HasIPTS
			out.IPTSOff = uint32(netOff + 20 + i)
		}
		i += int(o[i+1])
	}
}

// ipv6 decodes an IPv6 header and its extension headers (RFC 8200 §3, §4).
func (d *Dissector) ipv6(b []byte, off int, out *Dissection) Kind {
	h, k := ipHeader(b, off, 40, 6, KindIPv6Truncated)
	if k != kindOK {
		return k
	}
	plen := int(binary.BigEndian.Uint16(h[4:]))
	wire := int(out.Meta.WireLen) - off
	if plen == 0 {
		plen = d.ipv6ZeroLength(h, wire)
	}
	if 40+plen > wire && 40+plen > len(h) {
		d.Stats.Kinds[KindIPLongerThanFrame]++
		out.Truncated = true
	}
	out.Flags |= HasIP
	out.IPVersion = 6
	out.NetOff = uint32(off)
	out.IPLen = uint32(40 + plen)
	out.TOS = uint8(binary.BigEndian.Uint16(h[0:]) >> 4)
	out.TTL = h[7]
	out.SrcAddr = netip.AddrFrom16([16]byte(h[8:24]))
	out.DstAddr = netip.AddrFrom16([16]byte(h[24:40]))
	end := off + 40 + plen
	// reported: where the datagram ends in the frame on the wire (its
	// length, or the frame's when shorter: ip_longer_than_frame), as
	// Wireshark's reported length; end: where its captured bytes do
	reported := min(end, max(off+wire, len(b)))
	if end > len(b) {
		end = len(b)
		out.Truncated = true
	}
	next := h[6]
	p := off + 40
walk:
	for hops := 0; ; hops++ {
		if _, ext := IPv6ExtLen(next, 0); ext && next != ProtoIPv6Frag {
			if p+8 > end || hops > 16 {
				out.Protocol = next
				out.IPHdrLen = uint32(p - off)
				d.Stats.Kinds[extCut(p+8, reported, hops)]++
				return kindOK
			}
			n, _ := IPv6ExtLen(next, b[p+1])
			next, p = b[p], p+n
			continue
		}
		switch next {
		case ProtoIPv6Frag: // fragment header (RFC 8200 §4.5)
			if p+8 > end {
				out.Protocol = next
				out.IPHdrLen = uint32(p - off)
				d.Stats.Kinds[extCut(p+8, reported, 0)]++
				return kindOK
			}
			fo := binary.BigEndian.Uint16(b[p+2:])
			out.FragOff = uint32(fo &^ 7)
			out.MoreFrags = fo&1 != 0
			out.IPID = binary.BigEndian.Uint32(b[p+4:])
			out.FragNext = b[p]
			out.Flags |= HasV6FragHdr
			if out.MoreFrags || out.FragOff > 0 {
				// An atomic fragment (offset 0, M=0) is a whole datagram,
				// processed in isolation from the fragments of the same
				// identification (RFC 6946 §4), as IPv4 with MF=0 and
				// offset 0 is.
				out.Flags |= IsFrag
			}
			next, p = b[p], p+8
			if out.FragOff > 0 {
				// the rest is the datagram's data from that offset, not
				// headers: Protocol is the Fragment header's next header
				// (RFC 8200 §4.5)
				break walk
			}
			continue
		}
		break
	}
	if p > end {
		out.Protocol = next
		out.IPHdrLen = uint32(end - off)
		d.Stats.Kinds[extCut(p, reported, 0)]++
		return kindOK
	}
	out.Protocol = next
	out.IPHdrLen = uint32(p - off)
	if out.Flags&IsFrag != 0 && out.FragOff > 0 {
		out.Payload = b[p:end]
		out.PayloadLen = uint32(off + 40 + plen - p)
		return kindOK
	}
	d.transport(b, p, end, off+40+plen, out)
	return kindOK
}

// extCut is the kind of an IPv6 extension header chain that needs the
// bytes up to need (an offset in the frame) but ends before them, hops
// headers in: KindIPv6ExtHdrTruncated when the datagram on the wire holds
// them (up to reported) and only the snap length cut them (Wireshark:
// "Packet size limited during capture", no expert info), else
// KindIPv6BadExtHdr (a chain longer than the payload length, or than 17
// headers: Wireshark's "Malformed Packet", an Error).
func extCut(need, reported, hops int) Kind {
	if need <= reported && hops <= 16 {
		return KindIPv6ExtHdrTruncated
	}
	return KindIPv6BadExtHdr
}

// ipv6ZeroLength returns the payload length of an IPv6 header h whose
// Payload Length field is 0, wire bytes long on the wire from h on: the
// Jumbo Payload option's length in a hop-by-hop header right after the
// fixed header (RFC 2675 §2, a jumbogram, as Linux's BIG TCP for IPv6
// writes its packets beyond 65535 bytes); or, before a TCP or UDP header,
// the frame's (TSO and GSO packets, and BIG TCP in kernels that drop the
// hop-by-hop header: tcpdump presumes the same since
// the-tcpdump-group/tcpdump#1329 and #1404, Wireshark with its
// ipv6.tso_support preference; counted as KindIPv6ZeroLength); else 0
// (No Next Header, RFC 8200 §4.7, or nothing to go by).
func (d *Dissector) ipv6ZeroLength(h []byte, wire int) int {
	switch h[6] {
	case ProtoTCP, ProtoUDP:
		d.Stats.Kinds[KindIPv6ZeroLength]++
		return max(wire, len(h)) - 40
	case 0:
		if len(h) < 48 {
			return 0
		}
		o := h[42:min(len(h), 48+int(h[41])*8)]
		for i := 0; i+1 < len(o); {
			if o[i] == 0 { // Pad1
				i++
				continue
			}
			if o[i] == 0xc2 && o[i+1] == 4 && i+6 <= len(o) {
				// RFC 2675 §3: a Jumbo Payload Length of 65535 or less is
				// an error; 1<<30 keeps offsets within an int32
				if j := binary.BigEndian.Uint32(o[i+2:]); j > 65535 && j < 1<<30 {
					return int(j)
				}
				return 0
			}
			i += 2 + int(o[i+1])
		}
	}
	return 0
}

// transport decodes the TCP, UDP or ICMP header at p. end is the end of the
// captured IP datagram, ipEnd the end announced by the IP header.
func (d *Dissector) transport(b []byte, p, end, ipEnd int, out *Dissection) {
	out.L4Off = uint32(p)
	avail := b[p:end]
	announced := ipEnd - p // transport bytes this IP packet announces
	switch out.Protocol {
	case ProtoTCP:
		d.tcp(avail, announced, out)
	case ProtoUDP:
		if len(avail) < 8 {
			if announced < 8 && out.Flags&IsFrag == 0 {
				d.udpBeyondIPLength(out)
				return
			}
			d.Stats.Kinds[KindUDPTruncated]++
			if len(avail) >= 4 && announced >= 8 {
				// cut by the snap length: the ports from 4 bytes, as for
				// TCP (tcpdump's `udp port` reads them), the length from IP
				out.Flags |= HasL4 | HasUDP
				out.SrcPort = binary.BigEndian.Uint16(avail[0:])
				out.DstPort = binary.BigEndian.Uint16(avail[2:])
				out.PayloadLen = uint32(announced - 8)
				out.Truncated = true
			}
			return
		}
		out.Flags |= HasL4 | HasUDP
		out.SrcPort = binary.BigEndian.Uint16(avail[0:])
		out.DstPort = binary.BigEndian.Uint16(avail[2:])
		ulen := int(binary.BigEndian.Uint16(avail[4:]))
		plen := announced - 8
		switch {
		case out.Flags&IsFrag != 0 && ulen >= 8:
			plen = ulen - 8 // first fragment: the whole datagram's payload
		case ulen == 0 && announced > 65535:
			// a datagram too long for the field (RFC 2675 §4: jumbograms;
			// GSO): its length is the IP payload's
		case ulen < 8 || ulen > announced:
			d.Stats.Kinds[KindUDPBadLength]++
		default:
			plen = ulen - 8
		}
		out.Payload = avail[8:]
		if len(out.Payload) > plen && plen >= 0 {
			out.Payload = out.Payload[:plen]
		}
		if plen < 0 {
			plen = 0
		}
		out.PayloadLen = uint32(plen)
	case ProtoSCTP:
		d.sctp(avail, announced, out)
	case ProtoICMP, ProtoICMPv6:
		if len(avail) < 4 {
			d.Stats.Kinds[shortKind(announced, 4, out, KindICMPTruncated, KindICMPBeyondIPLength)]++
			return
		}
		out.Flags |= HasL4 | HasICMP
		out.ICMPType, out.ICMPCode = avail[0], avail[1]
		if len(avail) >= 8 {
			out.Payload = avail[8:]
			out.PayloadLen = uint32(announced - 8)
			if out.isEcho() {
				out.ICMPID = binary.BigEndian.Uint16(avail[4:])
				out.ICMPSeq = binary.BigEndian.Uint16(avail[6:])
			} else if out.IsICMPError() {
				quoted(avail[8:], out)
			}
		} else {
			out.Truncated = true
		}
	default:
		out.Payload = avail
		out.PayloadLen = uint32(announced)
	}
}

// udpBeyondIPLength decodes a UDP header of which the IP length announces
// fewer than its 8 bytes, outside a first fragment
// (KindUDPBeyondIPLength: Wireshark's "Malformed Packet"): its ports from
// the frame's captured bytes past the header's start, the IP length
// notwithstanding (Ethernet padding after a short IP total length, say),
// as libpcap's `udp port` reads them and tcpdump prints them; no payload
// (PayloadLen 0). Until 2026-12 such a header was dropped whole, its
// packet counted in a port-0 flow. Out of line, as tcpBeyondIPLength.
//
//go:noinline
func (d *Dissector) udpBeyondIPLength(out *Dissection) {
	d.Stats.Kinds[KindUDPBeyondIPLength]++
	h := out.Data[min(int(out.L4Off), len(out.Data)):]
	if len(h) < 4 {
		return
	}
	out.Flags |= HasL4 | HasUDP
	out.SrcPort = binary.BigEndian.Uint16(h[0:])
	out.DstPort = binary.BigEndian.Uint16(h[2:])
}

// shortKind is the kind of a transport header of size bytes not all
// captured, announced bytes of it in the IP packet: beyond when the IP
// length leaves part of it out (Wireshark: "Malformed Packet", an Error),
// else cut, the snap length having cut it (or the datagram's next
// fragment holding the rest: a first fragment's).
func shortKind(announced, size int, out *Dissection, cut, beyond Kind) Kind {
	if announced < size && out.Flags&IsFrag == 0 {
		return beyond
	}
	return cut
}

func (out *Dissection) isEcho() bool {
	if out.Protocol == ProtoICMP {
		return out.ICMPType == 0 || out.ICMPType == 8
	}
	return out.ICMPType == 128 || out.ICMPType == 129
}

// IsICMPError reports whether the packet is an ICMP or ICMPv6 error message,
// which quotes the packet that caused it (RFC 792, RFC 4443 §2.1):
// ICMPv4 types 3, 4, 5, 11, 12 and ICMPv6 types 1 to 4.
func (out *Dissection) IsICMPError() bool {
	if out.Flags&HasICMP == 0 {
		return false
	}
	if out.Protocol == ProtoICMP {
		switch out.ICMPType {
		case 3, 4, 5, 11, 12:
			return true
		}
		return false
	}
	return out.ICMPType >= 1 && out.ICMPType <= 4
}

// IsEcho reports whether the packet is an ICMP/ICMPv6 echo request or reply.
func (out *Dissection) IsEcho() bool { return out.Flags&HasICMP != 0 && out.isEcho() }

// quoted dissects the IP header (and the first 8 bytes of transport header)
// quoted by an ICMP error (RFC 792: IP header + 64 bits of data).
func quoted(q []byte, out *Dissection) {
	if len(q) < 1 {
		return
	}
	var p int
	switch q[0] >> 4 {
	case 4:
		if len(q) < 20 {
			return
		}
		ihl := int(q[0]&0x0f) * 4
		if ihl < 20 || len(q) < ihl {
			return
		}
		out.InnerSrcAddr = netip.AddrFrom4([4]byte(q[12:16]))
		out.InnerDstAddr = netip.AddrFrom4([4]byte(q[16:20]))
		out.InnerProtocol = q[9]
		out.InnerTOS = q[1]
		if binary.BigEndian.Uint16(q[6:])&0x1fff != 0 {
			out.Flags |= HasInner
			return // a non-first fragment quotes no transport header
		}
		p = ihl
	case 6:
		if len(q) < 40 {
			return
		}
		out.InnerSrcAddr = netip.AddrFrom16([16]byte(q[8:24]))
		out.InnerDstAddr = netip.AddrFrom16([16]byte(q[24:40]))
		out.InnerTOS = q[0]<<4 | q[1]>>4
		next := q[6]
		p = 40
	walk: // the extension headers ipv6 walks (RFC 8200 §4)
		for hops := 0; hops < 8 && p+8 <= len(q); hops++ {
			n, ext := IPv6ExtLen(next, q[p+1])
			if !ext {
				break walk
			}
			if next == ProtoIPv6Frag && binary.BigEndian.Uint16(q[p+2:])&^7 != 0 {
				out.InnerProtocol = q[p]
				out.Flags |= HasInner
				return
			}
			next, p = q[p], p+n
		}
		out.InnerProtocol = next
	default:
		return
	}
	out.Flags |= HasInner
	switch out.InnerProtocol {
	case ProtoTCP, ProtoUDP, ProtoSCTP: // ports at the same place
		if p+4 <= len(q) {
			out.InnerSrcPort = binary.BigEndian.Uint16(q[p:])
			out.InnerDstPort = binary.BigEndian.Uint16(q[p+2:])
		}
	}
}

// sctpHeaderLen is the length of SCTP's common header: ports, the
// verification tag, the checksum (RFC 9260 §3.1).
const sctpHeaderLen = 12

// sctp decodes the ports of the SCTP common header in avail, announced
// being the transport bytes the IP header announces. A header not all
// captured is counted as UDP's and TCP's are: KindSCTPBeyondIPLength when
// the IP length leaves part of it out (no ports), else KindSCTPTruncated
// (the snap length cut it, or a first fragment holds less than it), its
// ports kept from 4 bytes on (as UDP's: tcpdump's `sctp port` reads
// them). The chunks are not decoded: the payload is what follows the
// common header.
func (d *Dissector) sctp(avail []byte, announced int, out *Dissection) {
	if len(avail) < sctpHeaderLen || announced < sctpHeaderLen {
		d.Stats.Kinds[shortKind(announced, sctpHeaderLen, out, KindSCTPTruncated, KindSCTPBeyondIPLength)]++
	}
	if announced < sctpHeaderLen || len(avail) < 4 {
		out.Payload, out.PayloadLen = avail, uint32(max(announced, 0))
		return
	}
	out.Flags |= HasL4 | HasSCTP
	out.SrcPort = binary.BigEndian.Uint16(avail[0:])
	out.DstPort = binary.BigEndian.Uint16(avail[2:])
	out.PayloadLen = uint32(announced - sctpHeaderLen)
	if len(avail) < sctpHeaderLen {
		out.Truncated = true
		return
	}
	out.Payload = avail[sctpHeaderLen:]
}

package reasm

import (
	"encoding/binary"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// Header types and lengths; the IPv6 extension headers before the
// Fragment header are walked by dissect.IPv6ExtLen, the dissector's rule.
const (
	nhFragment  = dissect.ProtoIPv6Frag
	nhNoNext    = dissect.ProtoIPv6NoNext // the chain ends (RFC 8200 §4.7)
	ipv6HdrLen  = 40
	ipv4MinHdr  = 20
	fragHdrLen  = 8
	ipv4MFBit   = 0x2000
	ipv4OffMask = 0x1fff
)

// parse4 reads an IPv4 fragment (RFC 791 §3.1): p starts at the IP header.
func (r *Reassembler) parse4(p []byte, f *frag) error {
	if len(p) < ipv4MinHdr {
		return ErrMalformed
	}
	ihl := int(p[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(p[2:]))
	if ihl < ipv4MinHdr || len(p) < ihl || total < ihl {
		return ErrMalformed
	}
	fl := binary.BigEndian.Uint16(p[6:])
	mf := fl&ipv4MFBit != 0
	off := int(fl&ipv4OffMask) * 8
	if !mf && off == 0 {
		return ErrNotFragment
	}
	plen := total - ihl
	avail := min(len(p), total) - ihl
	f.trunc = avail < plen
	if mf && plen&7 != 0 {
		// RFC 791 requires non-last fragments to carry a multiple of 8
		// bytes; Linux (ip_frag_queue) trims the excess, and so do we.
		plen &^= 7
		r.stats.Unaligned++
	}
	if plen == 0 {
		return ErrMalformed
	}
	f.key = key{
		src:     netip.AddrFrom4([4]byte(p[12:16])),
		dst:     netip.AddrFrom4([4]byte(p[16:20])),
		id:      uint32(binary.BigEndian.Uint16(p[4:])),
		version: 4,
		proto:   p[9],
	}
	f.proto = p[9]
	f.limit = min(r.cfg.MaxDatagramBytes, MaxIPv4Bytes)
	if off+plen+ihl > f.limit {
		return ErrTooLong // f.key is set: Add abandons the datagram
	}
	f.off = uint32(off)
	f.end = uint32(off + plen)
	f.last = !mf
	f.payload = p[ihl : ihl+min(avail, plen)]
	f.hdr = p[:ihl]
	return nil
}

// parse6 reads an IPv6 fragment (RFC 8200 §4.5): p starts at the fixed
// header; the extension headers are walked up to the Fragment header.
func (r *Reassembler) parse6(p []byte, f *frag) error {
	if len(p) < ipv6HdrLen {
		return ErrMalformed
	}
	plenField := int(binary.BigEndian.Uint16(p[4:]))
	if plenField == 0 {
		// Jumbo payload (RFC 2675) or a bogus header: a jumbogram has no
		// Fragment header.
		return ErrNotFragment
	}
	total := ipv6HdrLen + plenField
	lim := min(len(p), total) // bytes present and announced
	nh := p[6]
	nhOff := 6
	pos := ipv6HdrLen
	for nh != nhFragment {
		if _, ext := dissect.IPv6ExtLen(nh, 0); !ext {
			return ErrNotFragment
		}
		if pos+2 > lim {
			return ErrMalformed
		}
		hl, _ := dissect.IPv6ExtLen(nh, p[pos+1])
		nhOff = pos
		nh = p[pos]
		pos += hl
	}
	if pos+fragHdrLen > lim {
		return ErrMalformed
	}
	fh := p[pos : pos+fragHdrLen]
	offM := binary.BigEndian.Uint16(fh[2:])
	off := int(offM &^ 7)
	more := offM&1 != 0
	body := pos + fragHdrLen
	plen := total - body
	if plen < 0 {
		return ErrMalformed
	}
	if more && plen&7 != 0 {
		return ErrMalformed // RFC 8200 §4.5: discard, Parameter Problem
	}
	if plen == 0 && (more || off != 0) {
		return ErrMalformed // only an atomic fragment may be empty
	}
	f.key = key{
		src:     netip.AddrFrom16([16]byte(p[8:24])),
		dst:     netip.AddrFrom16([16]byte(p[24:40])),
		id:      binary.BigEndian.Uint32(fh[4:]),
		version: 6,
	}
	f.proto = fh[0]
	f.limit = r.cfg.MaxDatagramBytes
	// RFC 8200 §4.5: discard a fragment making the payload length exceed
	// 65535; pos-40 is this fragment's unfragmentable extension headers.
	if pos-ipv6HdrLen+off+plen > MaxIPv6Bytes-ipv6HdrLen || pos+off+plen > f.limit {
		return ErrTooLong // f.key is set: Add abandons the datagram
	}
	avail := lim - body
	f.trunc = avail < plen
	f.off = uint32(off)
	f.end = uint32(off + plen)
	f.last = !more
	f.payload = p[body : body+min(avail, plen)]
	f.hdr = p[:pos]
	f.nhOff = nhOff
	f.shortChain = off == 0 && chainShort(p, body, total, lim, fh[0])
	return nil
}

// chainShort reports whether a first fragment (offset 0) lacks part of
// the IPv6 header chain: the extension headers of its fragmentable part,
// from p[pos:] with next header nh, and the upper-layer header must end
// within the fragment, at total (RFC 7112 §5, RFC 8200 §4.5: "If the
// first fragment does not include all headers through an Upper-Layer
// header, then that fragment should be discarded"). The upper-layer
// header's length is taken as Linux does (ipv6_frag_thdr_truncated,
// net/ipv6/reassembly.c): 20 bytes for TCP, 8 for UDP and ICMPv6, 1
// otherwise; No Next Header ends the chain. A chain running past the
// captured bytes (lim) but not past total cannot be judged: not short
// (the fragment is truncated, f.trunc).
func chainShort(p []byte, pos, total, lim int, nh uint8) bool {
	for nh != nhNoNext {
		if _, ext := dissect.IPv6ExtLen(nh, 0); !ext {
			need := 1
			switch nh {
			case dissect.ProtoTCP:
				need = 20
			case dissect.ProtoUDP, dissect.ProtoICMPv6:
				need = 8
			}
			return pos+need > total
		}
		if pos+2 > total {
			return true
		}
		if pos+2 > lim {
			return false
		}
		hl, _ := dissect.IPv6ExtLen(nh, p[pos+1])
		nh = p[pos]
		pos += hl
	}
	return false
}

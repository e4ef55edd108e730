package oneway

import (
	"fmt"

	"github.com/zeebo/xxh3"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// SignerStats counts what a Signer saw; every counter only grows.
type SignerStats struct {
	Signed    uint64 // signatures computed
	NotIP     uint64 // dissections without an IP header: not signed
	Truncated uint64 // datagrams captured shorter than their IP length: signed over the captured bytes only
	Fragments uint64 // IP fragments signed as they are (not reassembled)
}

// Signer computes packet signatures (design 1.2, 3.7): XXH3-64 of the IP
// datagram, from the first byte of the IP header to the IP total length
// (link padding excluded), with the masked fields set to zero, keeping
// the low signature_bits bits. Masked: TTL/hop limit and the IPv4 header
// checksum always; on request (Mask) TOS/traffic class, IPv4
// identification, IPv4 options bytes, IPv6 flow label, source and
// destination addresses, TCP/UDP ports and the ICMP/ICMPv6 echo
// identifier (as ports: Linux NAT rewrites it like one), and the TCP, UDP
// and ICMP checksums. A reassembled datagram (engine/reasm Result.Datagram
// dissected with pkt.LinkRaw) has MF and the offset cleared and its total
// length set, so it signs alike whether it was fragmented before, between
// or after the hops. A Signer is not safe for concurrent use; Sign does
// not allocate.
type Signer struct {
	mask  Mask
	keep  uint64 // low-bits mask of the signature width
	h     *xxh3.Hasher
	hdr   [40]byte // fixed IP header with masked fields zeroed
	l4    [20]byte // fixed transport header with masked fields zeroed
	Stats SignerStats
}

// NewSigner returns a Signer of bits-wide signatures (16..64) leaving out
// the fields of mask (MaskTTL and MaskIPChecksum are always added). It
// returns an error wrapping ErrConfig for another width.
func NewSigner(bits int, mask Mask) (*Signer, error) {
	if bits < 16 || bits > 64 {
		return nil, fmt.Errorf("%w: signature_bits must be between 16 and 64, got %d", ErrConfig, bits)
	}
	keep := ^uint64(0)
	if bits < 64 {
		keep = 1<<bits - 1
	}
	return &Signer{mask: mask | MaskTTL | MaskIPChecksum, keep: keep, h: xxh3.New()}, nil
}

// Mask returns the fields the Signer leaves out.
func (s *Signer) Mask() Mask { return s.mask }

// Sign returns the signature of the IP datagram that d dissected from data
// (the bytes given to dissect.Dissector.Dissect: the datagram starts at
// d.NetOff). ok is false when d holds no IP header. A datagram captured
// short of its IP length (snap length) is signed over the captured bytes
// and counted in Stats.Truncated: every hop of a path must then capture
// the same prefix. A fragment is signed as it is (its offset and MF are
// part of it) and counted in Stats.Fragments: reassemble first so that
// hops with different fragment geometries agree.
func (s *Signer) Sign(d *dissect.Dissection, data []byte) (sig uint64, ok bool) {
	if d.Flags&dissect.HasIP == 0 || int(d.NetOff) > len(data) {
		s.Stats.NotIP++
		return 0, false
	}
	b := data[d.NetOff:]
	if uint64(len(b)) > uint64(d.IPLen) {
		b = b[:d.IPLen] // link-layer padding is not part of the datagram
	} else if uint64(len(b)) < uint64(d.IPLen) {
		s.Stats.Truncated++
	}
	if d.Flags&dissect.IsFrag != 0 {
		s.Stats.Fragments++
	}
	s.h.Reset()
	m := s.mask
	var rest int // bytes of b already hashed
	switch {
	case d.IPVersion == 4 && len(b) >= 20:
		h := s.hdr[:20]
		copy(h, b)
		h[8] = 0 // TTL
		h[10], h[11] = 0, 0
		if m&MaskTOS != 0 {
			h[1] = 0
		}
		if m&MaskIPID != 0 {
			h[4], h[5] = 0, 0
		}
		m.clearAddrs(h, 12, 4)
		s.h.Write(h)
		rest = 20
		if ihl := int(b[0]&0x0f) * 4; ihl > 20 && m&MaskIPOptions != 0 {
			if ihl > len(b) {
				ihl = len(b)
			}
			s.h.Write(zeros[:ihl-20]) // options bytes as zeros: their length stays signed
			rest = ihl
		}
	case d.IPVersion == 6 && len(b) >= 40:
		h := s.hdr[:40]
		copy(h, b)
		h[7] = 0 // hop limit
		if m&MaskTOS != 0 {
			h[0] &= 0xf0
			h[1] &= 0x0f
		}
		if m&MaskFlowLabel != 0 {
			h[1] &= 0xf0
			h[2], h[3] = 0, 0
		}
		m.clearAddrs(h, 8, 16)
		s.h.Write(h)
		rest = 40
	}
	if l4 := int(d.L4Off) - int(d.NetOff); d.Flags&dissect.HasL4 != 0 && l4 >= rest && l4 < len(b) {
		s.h.Write(b[rest:l4])
		n := s.maskL4(d, b[l4:])
		s.h.Write(s.l4[:n])
		rest = l4 + n
	}
	s.h.Write(b[rest:])
	s.Stats.Signed++
	return s.h.Sum64() & s.keep, true
}

var zeros [40]byte // IPv4 options are at most 40 bytes

// maskL4 copies the fixed transport header at the start of t into s.l4
// with the masked fields zeroed and returns its length (clipped to t).
func (s *Signer) maskL4(d *dissect.Dissection, t []byte) int {
	m := s.mask
	var n int
	switch {
	case d.Flags&dissect.HasTCP != 0:
		n = 18 // through the checksum
	case d.Flags&dissect.HasUDP != 0, d.Flags&dissect.HasICMP != 0:
		n = 8
	}
	if n > len(t) {
		n = len(t)
	}
	l := s.l4[:n]
	copy(l, t)
	zero := func(off int) {
		if off+2 <= n {
			l[off], l[off+1] = 0, 0
		}
	}
	switch {
	case d.Flags&dissect.HasTCP != 0, d.Flags&dissect.HasUDP != 0:
		if m&MaskSrcPort != 0 {
			zero(0)
		}
		if m&MaskDstPort != 0 {
			zero(2)
		}
		if m&MaskL4Checksum != 0 {
			if d.Flags&dissect.HasTCP != 0 {
				zero(16)
			} else {
				zero(6)
			}
		}
	case d.Flags&dissect.HasICMP != 0:
		if m&MaskL4Checksum != 0 {
			zero(2)
		}
		if m&(MaskSrcPort|MaskDstPort) != 0 && isEcho(d) {
			zero(4) // echo identifier (RFC 792; RFC 4443 §4.1)
		}
	}
	return n
}

// isEcho reports an ICMP echo request/reply or ICMPv6 echo request/reply.
func isEcho(d *dissect.Dissection) bool {
	if d.Protocol == dissect.ProtoICMP {
		return d.ICMPType == 8 || d.ICMPType == 0
	}
	return d.Protocol == dissect.ProtoICMPv6 && (d.ICMPType == 128 || d.ICMPType == 129)
}

// clearAddrs zeroes the addresses m masks in IP header h: the source at
// h[at:at+n], the destination right after it.
func (m Mask) clearAddrs(h []byte, at, n int) {
	if m&MaskSrcAddr != 0 {
		clear(h[at : at+n])
	}
	if m&MaskDstAddr != 0 {
		clear(h[at+n : at+2*n])
	}
}

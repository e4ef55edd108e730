package filter

import (
	"encoding/binary"

	"github.com/tmonbench/tmonbench/engine/dissect"
)

// This file holds the header fields the sieve tests and libpcap's view of
// them: which packets have a visible protocol number, ports or TCP flags.
// Both the reference evaluator (Expr.Match) and the sieve use these rules.

// v6ProtoKey returns the fProto key of IPv6 packet d as libpcap's
// `ip6 proto N` sees it: N is the fixed header's next header, or, when
// that is a fragment header (44), either 44 or the fragment header's next
// header; libpcap walks no other extension header (gencode.c gen_proto,
// Q_IPV6). The key is protoV6|next header, or protoV6Frag|the fragment
// header's next header.
func v6ProtoKey(d *dissect.Dissection) uint64 {
	switch {
	case d.IPHdrLen == 40:
		return protoV6 | uint64(d.Protocol)
	case d.Flags&dissect.HasV6FragHdr != 0 && d.IPHdrLen == 48:
		return protoV6Frag | uint64(d.Protocol)
	}
	at := int(d.NetOff) + 6 // an extension header chain: the bytes say
	if at >= len(d.Data) {
		return protoV6 | 59 // cannot be: the dissector took 40 bytes
	}
	if nh := d.Data[at]; nh != 44 || at+35 > len(d.Data) {
		return protoV6 | uint64(nh)
	}
	return protoV6Frag | uint64(d.Data[at+34])
}

// v6Proto reports whether libpcap's `ip6 proto proto` matches key k (a
// v6ProtoKey).
func v6Proto(k uint64, proto uint8) bool {
	return k == protoV6|uint64(proto) || k == protoV6Frag|uint64(proto) || proto == 44 && k >= protoV6Frag
}

// Transport kinds with visible ports.
const (
	l4None = iota
	l4TCP
	l4UDP
	l4SCTP
)

// portsVisible returns which transport header libpcap would read ports (and
// TCP flags) from: IPv4 with fragment offset 0, IPv6 whose fixed header's
// next header is TCP or UDP (libpcap gen_port/gen_port6 do not skip
// extension headers), and only when the dissector decoded that header.
func portsVisible(d *dissect.Dissection) int {
	switch d.IPVersion {
	case 4:
		if d.FragOff != 0 {
			return l4None
		}
	case 6:
		if d.IPHdrLen != 40 {
			return l4None
		}
	default:
		return l4None
	}
	switch {
	case d.Protocol == dissect.ProtoTCP && d.Flags&dissect.HasTCP != 0:
		return l4TCP
	case d.Protocol == dissect.ProtoUDP && d.Flags&dissect.HasUDP != 0:
		return l4UDP
	case d.Protocol == dissect.ProtoSCTP && d.Flags&dissect.HasSCTP != 0:
		return l4SCTP
	}
	return l4None
}

// field is one header field the sieve tests. Pair fields (ports,
// addresses) have a source and a destination value looked up in the same
// table, so that `host a` or `port 80` is one predicate, not two. Fields
// are listed in the order the sieve visits them: cheap, table-driven
// fields first, then ports and addresses (binary search), length last.
type field uint8

const (
	fProto field = iota // 0x400|proto for IPv4; IPv6: 0x600|next header, 0x800|next header after a fragment header (v6ProtoKey)
	fFlags              // TCP flags (9 bits), when the TCP header is visible
	fDSCP               // TOS>>2 (IPv4 TOS, IPv6 traffic class), IP only
	fVLAN0              // outermost VLAN ID, when tagged
	fVLAN1              // second VLAN ID, when tagged twice
	fNVLAN              // number of VLAN tags
	fPort               // pair: v6<<18 | (udp 1, sctp 2)<<16 | port, when ports are visible
	fAddr4              // pair: IPv4 addresses
	fAddr6              // pair: IPv6 addresses (128-bit keys)
	fLen                // wire length (pkt.Meta.WireLen)
	numFields
)

// u128 is a 128-bit key (IPv6 addresses); other fields use lo only.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) lessEq(b u128) bool { return !b.less(a) }

// compare is -1, 0 or +1 as a is less than, equal to or greater than b
// (for slices.SortFunc and slices.BinarySearchFunc).
func (a u128) compare(b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func (a u128) inc() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

// fieldInfo describes a field's key domain [0, max]; table fields (small
// domains) are looked up by direct indexing, the others by binary search.
var fieldInfo = [numFields]struct {
	name  string
	max   u128
	table bool
	pair  bool
}{
	fProto: {"proto", u128{0, protoV6Frag | 0xff}, true, false},
	fFlags: {"tcpflags", u128{0, 0x1ff}, true, false},
	fDSCP:  {"dscp", u128{0, 63}, true, false},
	fVLAN0: {"vlan0", u128{0, 4095}, true, false},
	fVLAN1: {"vlan1", u128{0, 4095}, true, false},
	fNVLAN: {"nvlan", u128{0, 255}, true, false},
	fPort:  {"port", u128{0, 1<<19 - 1}, false, true},
	fAddr4: {"addr4", u128{0, 1<<32 - 1}, false, true},
	fAddr6: {"addr6", u128{^uint64(0), ^uint64(0)}, false, true},
	fLen:   {"len", u128{0, 1<<32 - 1}, false, false},
}

// Key bases of fProto.
const (
	protoV4     = 0x400
	protoV6     = 0x600 // | the fixed header's next header
	protoV6Frag = 0x800 // | the next header of a fragment header right after the fixed header
)

// Key bits of fPort above the 16-bit port.
const (
	portUDP  = 1 << 16
	portSCTP = 2 << 16
	portV6   = 1 << 18
)

// key returns the value of single field f in d, and false when d has no
// such field (not IP, no visible TCP header, untagged, ...).
func key(f field, d *dissect.Dissection) (uint64, bool) {
	switch f {
	case fProto:
		switch d.IPVersion {
		case 4:
			return protoV4 | uint64(d.Protocol), true
		case 6:
			return v6ProtoKey(d), true
		}
	case fFlags:
		if portsVisible(d) == l4TCP && d.Flags&dissect.TCPFlagsCut == 0 {
			return uint64(d.TCPFlags & 0x1ff), true
		}
	case fDSCP:
		if d.IPVersion == 4 || d.IPVersion == 6 {
			return uint64(d.TOS >> 2), true
		}
	case fVLAN0:
		if d.NVLAN > 0 {
			return uint64(d.VLANs[0] & 0xfff), true
		}
	case fVLAN1:
		if d.NVLAN > 1 {
			return uint64(d.VLANs[1] & 0xfff), true
		}
	case fNVLAN:
		return uint64(d.NVLAN), true
	case fLen:
		return uint64(d.Meta.WireLen), true
	}
	return 0, false
}

// portKeys returns the keys of the port pair field (fPort) in d, and
// false when d shows no ports (the keys are then meaningless). It is
// portsVisible folded into the key's making, small enough to be inlined
// (issue 14): the transport protocols with ports are a table lookup, not
// a switch (a third case, SCTP, put the switch over the budget).
func portKeys(d *dissect.Dissection) (src, dst uint64, ok bool) {
	pp := &portProtos[d.Protocol]
	base := uint64(pp.base)
	switch d.IPVersion {
	case 4:
		ok = d.FragOff == 0
	case 6:
		ok, base = d.IPHdrLen == 40, base|portV6
	}
	ok = ok && d.Flags&pp.flag != 0
	return base | uint64(d.SrcPort), base | uint64(d.DstPort), ok
}

// portProtos holds, by IP protocol, the dissection flag that says its
// ports were decoded and its fPort key bits (0: no ports).
var portProtos = [256]struct {
	flag uint16
	base uint32
}{dissect.ProtoTCP: {dissect.HasTCP, 0}, dissect.ProtoUDP: {dissect.HasUDP, portUDP}, dissect.ProtoSCTP: {dissect.HasSCTP, portSCTP}}

// pairKeys returns the source and destination values of pair field f in
// d (64-bit fields use lo only), and false when d has no such field.
func pairKeys(f field, d *dissect.Dissection) (src, dst u128, ok bool) {
	switch f {
	case fPort:
		s, t, ok := portKeys(d)
		return u128{0, s}, u128{0, t}, ok
	case fAddr4:
		if d.IPVersion != 4 || !d.SrcAddr.Is4() || !d.DstAddr.Is4() {
			return
		}
		s, t := d.SrcAddr.As4(), d.DstAddr.As4()
		return u128{0, uint64(binary.BigEndian.Uint32(s[:]))}, u128{0, uint64(binary.BigEndian.Uint32(t[:]))}, true
	case fAddr6:
		if d.IPVersion != 6 || !d.SrcAddr.Is6() || !d.DstAddr.Is6() {
			return
		}
		s, t := d.SrcAddr.As16(), d.DstAddr.As16()
		return u128{binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])},
			u128{binary.BigEndian.Uint64(t[:8]), binary.BigEndian.Uint64(t[8:])}, true
	}
	return
}

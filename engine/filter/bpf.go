package filter

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// ErrBPFUnsupported is wrapped by BPF and UnionBPF errors when a filter
// (or the link type) has no classic BPF translation here: the caller keeps
// filtering in user space (the sieve) and attaches no program, or a wider
// one. A program is never approximated in a way that drops packets the
// filter accepts.
var ErrBPFUnsupported = errors.New("filter: no classic BPF translation")

// BPFTarget says where a compiled program runs.
type BPFTarget struct {
	// LinkType is the link type of the frames the program sees.
	LinkType pkt.LinkType
	// KernelVLAN says the outermost VLAN tag may have been moved out of
	// the frame into the socket buffer's metadata, as Linux does for
	// AF_PACKET sockets (received frames always; sent frames when the
	// device offloads tagging). The program then reads it with the
	// ancillary loads SKF_AD_VLAN_TAG_PRESENT and SKF_AD_VLAN_TAG, counts
	// it as the first tag and adds its 4 bytes to the wire length, so it
	// sees what the sieve sees after live/ puts the tag back. Ethernet only.
	KernelVLAN bool
	// SnapLen is what the program returns for an accepted packet (the
	// kernel keeps at most that many bytes); 0 means 262144.
	SnapLen uint32
}

// Keep lists packets a union program (UnionBPF) passes whatever the class
// filters say, because the probe needs them even when no class does.
type Keep struct {
	// Fragments: every IPv4 and IPv6 fragment (reassembly needs the
	// fragments that carry no ports).
	Fragments bool
	// ICMP: every ICMP and ICMPv6 packet (errors belong to the flow of the
	// packet they quote).
	ICMP bool
	// TCP: every TCP segment (FTP data connections use ports that no
	// filter names).
	TCP bool
}

// BPF compiles e to a classic BPF program (golang.org/x/net/bpf
// instructions) for target t: the program accepts (returns t.SnapLen) a
// well-formed packet exactly when e.Match accepts its dissection, with the
// semantics of the package documentation (VLAN tags and MPLS labels seen
// through, ports of first fragments, IPv6 upper-layer protocol as libpcap
// sees it). Packets the program cannot judge the way the dissector would —
// a malformed IP header, a zero IPv4 length (TSO), more than 4 VLAN tags or
// MPLS labels in the frame, an IPv6 extension header chain cut short —
// are accepted, so user space, which filters again with the sieve, keeps
// the last word: the program is a prefilter that never rejects a packet the
// sieve would keep. The empty expression gives a program that accepts
// every packet. Errors wrap ErrBPFUnsupported (a primitive or link type
// without translation) or report a program beyond classic BPF's limits.
func (e Expr) BPF(t BPFTarget) ([]bpf.Instruction, error) {
	return compileBPF([]*node{e.root}, Keep{}, t)
}

// UnionBPF compiles the union of the class filters es, plus the packets
// keep names, to one classic BPF program (see Expr.BPF): attached to a
// socket, packets no class wants never reach user space. A class that
// matches every packet makes a program that accepts every packet.
func UnionBPF(es []Expr, keep Keep, t BPFTarget) ([]bpf.Instruction, error) {
	roots := make([]*node, 0, len(es))
	for _, e := range es {
		roots = append(roots, e.root)
	}
	return compileBPF(roots, keep, t)
}

// Scratch memory slots of the programs. Every slot is written before the
// first read on every path (the kernel's classic BPF checker insists).
const (
	mIPVer = iota // 0 (not IP), 4 or 6; etherARP or etherRARP for those frames (Ethernet, Linux cooked)
	mNet          // offset of the IP header
	mProto        // fProto key (field.go: 0x400|proto, 0x600|next header, 0x800|next header after a fragment header); 0 when not IP
	mPorts        // l4None, l4TCP, l4UDP or l4SCTP: whose ports (and TCP flags) are visible
	mL4           // offset of the transport header when mPorts != 0
	mNVLAN        // number of VLAN tags
	mVLAN0        // outermost VLAN ID
	mVLAN1        // second VLAN ID
	mWire         // wire length, link header and every VLAN tag included
	mFrag         // 1 for an IP fragment
	mEnd          // end of the captured IP datagram (min of the IP length and the frame)
	mHdr          // IP header length (IPv4 IHL*4; IPv6 40)
	mTmp          // scratch
	numSlots
)

// Maximum VLAN tags and MPLS labels walked in the frame; more make the
// program accept the packet (user space decides).
const (
	maxTags   = 4
	maxLabels = 4
)

// bpfc is one compilation.
type bpfc struct {
	asm
	t              BPFTarget
	accept, reject label
	unsupported    error
	neg            bool // gen is under an odd number of `not`
}

func compileBPF(roots []*node, keep Keep, t BPFTarget) ([]bpf.Instruction, error) {
	if t.SnapLen == 0 {
		t.SnapLen = 262144
	}
	for _, r := range roots {
		if r == nil {
			// A class (or the global filter) that matches every packet.
			return []bpf.Instruction{bpf.RetConstant{Val: t.SnapLen}}, nil
		}
	}
	if len(roots) == 0 {
		return []bpf.Instruction{bpf.RetConstant{Val: 0}}, nil
	}
	if t.KernelVLAN && t.LinkType != pkt.LinkEthernet {
		return nil, fmt.Errorf("%w: kernel VLAN metadata on link type %s", ErrBPFUnsupported, t.LinkType)
	}
	c := &bpfc{t: t}
	c.accept, c.reject = c.newLabel(), c.newLabel()
	body := c.newLabel()
	if err := c.prologue(body); err != nil {
		return nil, err
	}
	c.place(body)
	if keep.Fragments {
		next := c.newLabel()
		c.emit(ldM(mFrag))
		c.jif(bpf.JumpEqual, 0, next, c.accept)
		c.place(next)
	}
	var keepKeys []uint32
	if keep.ICMP {
		keepKeys = append(keepKeys, protoV4|uint32(1), protoV6|58, protoV6Frag|58)
	}
	if keep.TCP {
		keepKeys = append(keepKeys, protoV4|6, protoV6|6, protoV6Frag|6)
	}
	if len(keepKeys) > 0 {
		c.emit(ldM(mProto))
		for _, k := range keepKeys {
			next := c.newLabel()
			c.jif(bpf.JumpEqual, k, c.accept, next)
			c.place(next)
		}
	}
	for i, r := range roots {
		next := c.reject
		if i < len(roots)-1 {
			next = c.newLabel()
		}
		c.gen(r, c.accept, next)
		if c.unsupported != nil {
			return nil, c.unsupported
		}
		if i < len(roots)-1 {
			c.place(next)
		}
	}
	c.place(c.accept)
	c.emit(bpf.RetConstant{Val: t.SnapLen})
	c.place(c.reject)
	c.emit(bpf.RetConstant{Val: 0})
	return c.resolve()
}

// needLen goes on when the frame holds at least n bytes, else to short.
func (c *bpfc) needLen(n uint32, short label) {
	ok := c.newLabel()
	c.emit(bpf.LoadExtension{Num: bpf.ExtLen})
	c.jif(bpf.JumpGreaterOrEqual, n, ok, short)
	c.place(ok)
}

// needEnd goes on when M[base]+n <= M[limit] (no overflow: offsets are
// below 2^17), else to short. It clobbers A and X.
func (c *bpfc) needEnd(base int, n uint32, limit int, short label) {
	ok := c.newLabel()
	c.emit(ldM(base), aluK(bpf.ALUOpAdd, n), bpf.TAX{}, ldM(limit))
	c.jifX(bpf.JumpGreaterOrEqual, ok, short)
	c.place(ok)
}

// prologue decodes the link layer and the IP header into scratch memory
// and goes to body; packets it cannot judge go to accept.
func (c *bpfc) prologue(body label) error {
	c.emit(ldK(0))
	for m := 0; m < numSlots; m++ {
		c.emit(stM(m))
	}
	c.emit(bpf.LoadExtension{Num: bpf.ExtLen})
	if c.t.KernelVLAN {
		c.emit(stM(mWire), bpf.LoadExtension{Num: bpf.ExtVLANTagPresent})
		none, tag := c.newLabel(), c.newLabel()
		c.jif(bpf.JumpEqual, 0, none, tag)
		c.place(tag)
		c.emit(bpf.LoadExtension{Num: bpf.ExtVLANTag}, aluK(bpf.ALUOpAnd, 0xfff), stM(mVLAN0),
			ldK(1), stM(mNVLAN), ldM(mWire), aluK(bpf.ALUOpAdd, 4), stM(mWire))
		c.place(none)
	} else {
		c.emit(stM(mWire))
	}
	v4, v6, notIP, arp := c.newLabel(), c.newLabel(), c.newLabel(), c.newLabel()
	switch c.t.LinkType {
	case pkt.LinkEthernet:
		c.etherLink(12, 14, v4, v6, notIP, arp)
	case pkt.LinkLinuxSLL: // the protocol field, then the tags libpcap put back (dissect's link)
		c.etherLink(14, 16, v4, v6, notIP, arp)
	case pkt.LinkLinuxSLL2:
		c.etherLink(0, 20, v4, v6, notIP, arp)
	case pkt.LinkRaw:
		c.needLen(1, c.accept)
		c.emit(bpf.LoadAbsolute{Off: 0, Size: 1}, aluK(bpf.ALUOpShiftRight, 4))
		c.versionIP(v4, v6, notIP)
	case pkt.LinkIPv4:
		c.jump(v4)
	case pkt.LinkIPv6:
		c.jump(v6)
	case pkt.LinkNull, pkt.LinkLoop:
		c.loopback(v4, v6, notIP)
	case pkt.LinkPPP:
		c.ppp(v4, v6, notIP)
	default:
		return fmt.Errorf("%w: link type %s", ErrBPFUnsupported, c.t.LinkType)
	}
	c.place(notIP)
	c.jump(body)
	if c.t.LinkType == pkt.LinkEthernet || c.t.LinkType == pkt.LinkLinuxSLL || c.t.LinkType == pkt.LinkLinuxSLL2 {
		// A: the EtherType of an ARP or RARP frame, M[mNet]: its offset
		c.place(arp)
		c.emit(stM(mIPVer))
		c.jump(body)
	}
	c.place(v4)
	c.ipv4(body)
	c.place(v6)
	c.ipv6(body)
	return nil
}

// etherIP dispatches on the EtherType in A: IPv4, IPv6, and ARP and
// RARP (A kept for arp).
func (c *bpfc) etherIP(v4, v6, notIP, arp label) {
	c.cases(notIP, arm{0x0800, v4}, arm{0x86dd, v6}, arm{etherARP, arp}, arm{etherRARP, arp})
}

// versionIP dispatches on the IP version nibble in A.
func (c *bpfc) versionIP(v4, v6, notIP label) {
	c.cases(notIP, arm{4, v4}, arm{6, v6})
}

// arm is one value of a cases dispatch and where it jumps.
type arm struct {
	k  uint32
	to label
}

// cases jumps to the first arm whose value equals A, else to otherwise
// (A unchanged): one JumpEqual per arm, in order.
func (c *bpfc) cases(otherwise label, arms ...arm) {
	for i, a := range arms {
		if i == len(arms)-1 {
			c.jif(bpf.JumpEqual, a.k, a.to, otherwise)
			return
		}
		next := c.newLabel()
		c.jif(bpf.JumpEqual, a.k, a.to, next)
		c.place(next)
	}
}

// etherLink reads the EtherType at et of a link header of hdr bytes
// (Ethernet: 12 and 14; Linux cooked SLL: its protocol field, 14 and 16;
// SLL2: 0 and 20), then walks the VLAN tags from hdr on (at fixed
// offsets: one copy of the walk per number of tags the kernel took out)
// and MPLS labels, as the dissector (dissect's link and tagged).
func (c *bpfc) etherLink(et, hdr uint32, v4, v6, notIP, arp label) {
	c.needLen(hdr, c.accept)
	etype := c.newLabel() // A: EtherType, M[mNet]: offset after it
	walk := func(base int) {
		for i := 0; ; i++ {
			next := hdr + 4*uint32(i) // after the i-th EtherType: a tag's TCI, or the network header
			at := next - 2            // the i-th EtherType: the link header's, then each tag's
			if i == 0 {
				at = et
			}
			c.emit(ldK(uint32(base+i)), stM(mNVLAN), ldK(next), stM(mNet))
			if i == maxTags {
				c.emit(bpf.LoadAbsolute{Off: at, Size: 2})
				c.tagTest(c.accept, etype)
				return
			}
			c.emit(bpf.LoadAbsolute{Off: at, Size: 2})
			tag := c.newLabel()
			c.tagTest(tag, etype)
			c.place(tag)
			c.needLen(next+4, c.accept)
			if base+i < 2 {
				c.emit(bpf.LoadAbsolute{Off: next, Size: 2}, aluK(bpf.ALUOpAnd, 0xfff), stM(mVLAN0+base+i))
			}
		}
	}
	if c.t.KernelVLAN {
		one, zero := c.newLabel(), c.newLabel()
		c.emit(ldM(mNVLAN))
		c.jif(bpf.JumpEqual, 0, zero, one)
		c.place(one)
		walk(1)
		c.place(zero)
	}
	walk(0)
	c.place(etype)
	ip, mpls, pppoe := c.newLabel(), c.newLabel(), c.newLabel()
	n := c.newLabel()
	c.jif(bpf.JumpGreaterThan, 1500, n, notIP) // 802.3 length: LLC (cooked: a Linux protocol number), not IP
	c.place(n)
	c.cases(ip, arm{0x8847, mpls}, arm{0x8848, mpls}, arm{0x8864, pppoe})
	c.place(ip)
	c.etherIP(v4, v6, notIP, arp)
	c.place(mpls)
	c.mpls(v4, v6, notIP)
	c.place(pppoe)
	c.pppoe(v4, v6, notIP)
}

// pppoe reads the PPPoE session header at M[mNet] and the PPP protocol
// after it (dissect's pppoe, RFC 2516 §4): 0x0021 IPv4 and 0x0057 IPv6 at
// M[mNet]+8, other protocols (LCP, ...) not IP. A frame too short for
// the 8 bytes is accepted: the dissector counts it malformed.
func (c *bpfc) pppoe(v4, v6, notIP label) {
	ok := c.newLabel()
	c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, 8), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, ok, c.accept)
	c.place(ok)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 2}, stM(mTmp),
		bpf.TXA{}, aluK(bpf.ALUOpAdd, 8), stM(mNet), ldM(mTmp))
	c.cases(notIP, arm{0x21, v4}, arm{0x57, v6})
}

// tagTest jumps to tag when the EtherType in A is a VLAN TPID, else to
// other (with A unchanged).
func (c *bpfc) tagTest(tag, other label) {
	c.cases(other, arm{0x8100, tag}, arm{0x88a8, tag}, arm{0x9100, tag})
}

// mpls skips an MPLS label stack at M[mNet] up to the bottom-of-stack
// entry and guesses the IP version from the next nibble (dissect.mpls).
func (c *bpfc) mpls(v4, v6, notIP label) {
	for i := 0; i < maxLabels; i++ {
		ok, ok2, bos, more := c.newLabel(), c.newLabel(), c.newLabel(), c.newLabel()
		c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, 4), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
		c.jifX(bpf.JumpGreaterOrEqual, ok, notIP)
		c.place(ok)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 2, Size: 1}, aluK(bpf.ALUOpAnd, 1), stM(mTmp),
			ldM(mNet), aluK(bpf.ALUOpAdd, 4), stM(mNet), ldM(mTmp))
		c.jif(bpf.JumpEqual, 0, more, bos)
		c.place(bos)
		c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, 1), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
		c.jifX(bpf.JumpGreaterOrEqual, ok2, notIP)
		c.place(ok2)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 0, Size: 1}, aluK(bpf.ALUOpShiftRight, 4))
		c.versionIP(v4, v6, notIP)
		c.place(more)
	}
	c.jump(c.accept)
}

// ppp reads the PPP protocol field (RFC 1661 §2; dissect's link), after an
// optional ff 03 HDLC address and control.
func (c *bpfc) ppp(v4, v6, notIP label) {
	mpls := c.newLabel()
	hdlc, plain := c.newLabel(), c.newLabel()
	check := c.newLabel()
	c.emit(bpf.LoadExtension{Num: bpf.ExtLen})
	c.jif(bpf.JumpGreaterOrEqual, 2, check, plain)
	c.place(check)
	c.emit(bpf.LoadAbsolute{Off: 0, Size: 2})
	c.jif(bpf.JumpEqual, 0xff03, hdlc, plain)
	for _, off := range []uint32{0, 2} {
		if off == 0 {
			c.place(plain)
		} else {
			c.place(hdlc)
		}
		c.needLen(off+1, c.accept)
		one, two := c.newLabel(), c.newLabel()
		c.emit(bpf.LoadAbsolute{Off: off, Size: 1})
		c.jif(bpf.JumpBitsSet, 1, one, two)
		c.place(two)
		c.needLen(off+2, c.accept)
		c.emit(ldK(off+2), stM(mNet), bpf.LoadAbsolute{Off: off, Size: 2})
		dispatch := c.newLabel()
		c.jump(dispatch)
		c.place(one)
		c.emit(ldK(off+1), stM(mNet), bpf.LoadAbsolute{Off: off, Size: 1})
		c.place(dispatch)
		c.cases(notIP, arm{0x21, v4}, arm{0x57, v6}, arm{0x281, mpls}, arm{0x283, mpls})
	}
	c.place(mpls)
	c.mpls(v4, v6, notIP)
}

// loopback reads the 4-byte address family of BSD loopback headers.
func (c *bpfc) loopback(v4, v6, notIP label) {
	c.needLen(4, c.accept)
	c.emit(ldK(4), stM(mNet))
	fam := c.newLabel() // A: the family
	if c.t.LinkType == pkt.LinkNull {
		be, le := c.newLabel(), c.newLabel()
		// Host order: little-endian unless the value would exceed 0xffff.
		c.emit(bpf.LoadAbsolute{Off: 2, Size: 2})
		c.jif(bpf.JumpEqual, 0, le, be)
		c.place(le)
		c.emit(bpf.LoadAbsolute{Off: 0, Size: 1}, stM(mTmp), bpf.LoadAbsolute{Off: 1, Size: 1},
			aluK(bpf.ALUOpShiftLeft, 8), bpf.TAX{}, ldM(mTmp), bpf.ALUOpX{Op: bpf.ALUOpOr})
		c.jump(fam)
		c.place(be)
	}
	c.emit(bpf.LoadAbsolute{Off: 0, Size: 4})
	c.place(fam)
	c.cases(notIP, arm{2, v4}, arm{10, v6}, arm{24, v6}, arm{28, v6}, arm{30, v6})
}

// ipv4 decodes an IPv4 header at M[mNet] (dissect.ipv4, RFC 791 §3.1).
func (c *bpfc) ipv4(body label) {
	// 20 bytes, version 4, IHL >= 5, the whole header captured.
	ok := c.newLabel()
	c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, 20), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, ok, c.accept)
	c.place(ok)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 0, Size: 1}, aluK(bpf.ALUOpShiftRight, 4))
	ver := c.newLabel()
	c.jif(bpf.JumpEqual, 4, ver, c.accept)
	c.place(ver)
	c.emit(bpf.LoadIndirect{Off: 0, Size: 1}, aluK(bpf.ALUOpAnd, 0xf))
	ihl := c.newLabel()
	c.jif(bpf.JumpGreaterOrEqual, 5, ihl, c.accept)
	c.place(ihl)
	c.emit(aluK(bpf.ALUOpShiftLeft, 2), stM(mHdr), bpf.ALUOpX{Op: bpf.ALUOpAdd}, stM(mL4), bpf.TAX{},
		bpf.LoadExtension{Num: bpf.ExtLen})
	hdr := c.newLabel()
	c.jifX(bpf.JumpGreaterOrEqual, hdr, c.accept)
	c.place(hdr)
	// Total length: 0 (TSO) is for user space; below the header, malformed.
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 2, Size: 2}, stM(mTmp), ldxM(mHdr))
	tot, tot2 := c.newLabel(), c.newLabel()
	c.jif(bpf.JumpEqual, 0, c.accept, tot)
	c.place(tot)
	c.jifX(bpf.JumpGreaterOrEqual, tot2, c.accept)
	c.place(tot2)
	// mEnd = min(net+total, frame length).
	c.end(mTmp)
	c.emit(ldK(4), stM(mIPVer), ldxM(mNet), bpf.LoadIndirect{Off: 9, Size: 1}, aluK(bpf.ALUOpOr, protoV4), stM(mProto))
	c.emit(bpf.LoadIndirect{Off: 6, Size: 2}, aluK(bpf.ALUOpAnd, 0x3fff))
	frag, first, notFrag := c.newLabel(), c.newLabel(), c.newLabel()
	c.jif(bpf.JumpEqual, 0, notFrag, frag)
	c.place(frag)
	c.emit(ldK(1), stM(mFrag), bpf.LoadIndirect{Off: 6, Size: 2}, aluK(bpf.ALUOpAnd, 0x1fff))
	c.jif(bpf.JumpEqual, 0, first, body) // later fragments: no ports
	c.place(first)
	c.place(notFrag)
	// Announced transport bytes: total - IHL*4, in mTmp.
	c.emit(ldxM(mHdr), ldM(mTmp), bpf.ALUOpX{Op: bpf.ALUOpSub}, stM(mTmp))
	c.transport(protoV4, body)
}

// end sets mEnd to min(M[mNet]+M[lenSlot], frame length).
func (c *bpfc) end(lenSlot int) {
	short, done := c.newLabel(), c.newLabel()
	c.emit(ldM(mNet), ldxM(lenSlot), bpf.ALUOpX{Op: bpf.ALUOpAdd}, stM(mEnd), bpf.TAX{},
		bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, done, short)
	c.place(short)
	c.emit(stM(mEnd))
	c.place(done)
}

// transport decides whether the TCP or UDP header at M[mL4] is one whose
// ports the dissector decodes (dissect's tcp: 20 bytes, or from 4 a header
// cut short in a first fragment (mFrag), by the end of the frame or by the
// IP length (from the frame's bytes past it then: pastIP), whatever its
// data offset says (a bogus one, dissect.TCPBadOffset, keeps the ports,
// as libpcap reads them); for UDP 8 bytes, or from 4 a header cut short
// of the 8 or more bytes announced in mTmp or by the IP length (pastIP);
// for SCTP 4 bytes of
// a common header of 12 announced, dissect's sctp) and sets mPorts.
func (c *bpfc) transport(base uint32, body label) {
	tcp, udp, sctp, sctpAnn := c.newLabel(), c.newLabel(), c.newLabel(), c.newLabel()
	c.emit(ldM(mProto))
	c.cases(body, arm{base | 6, tcp}, arm{base | 17, udp}, arm{base | 132, sctp})
	c.place(sctp)
	c.needEnd(mL4, 4, mEnd, body)
	c.emit(ldM(mTmp))
	c.jif(bpf.JumpGreaterOrEqual, 12, sctpAnn, body)
	c.portsAt(sctpAnn, l4SCTP, body)
	c.place(tcp)
	ports, tcpPast := c.newLabel(), c.newLabel()
	// fewer than 20 bytes: ports from 4 (cut by the frame's end, in a
	// first fragment, or by the IP length: dissect.TCPBadOffset); fewer
	// than 4: from the frame past the IP length, if that cut the header
	c.header(20, ports, ports, ports, tcpPast)
	c.place(tcpPast)
	c.pastIP(20, ports, body)
	c.portsAt(ports, l4TCP, body)
	c.place(udp)
	udpPorts, udpPast := c.newLabel(), c.newLabel()
	// a UDP header cut short of 8 announced bytes: ports from 4; one the
	// IP length cuts: from the frame past the IP length
	c.header(8, udpPorts, udpPorts, udpPast, udpPast)
	c.place(udpPast)
	c.pastIP(8, udpPorts, body)
	c.portsAt(udpPorts, l4UDP, body)
}

// portsAt places at, where a transport header's ports are visible: it
// notes whose (kind: l4TCP, l4UDP or l4SCTP) in M[mPorts] and goes on to
// body.
func (c *bpfc) portsAt(at label, kind uint32, body label) {
	c.place(at)
	c.emit(ldK(kind), stM(mPorts))
	c.jump(body)
}

// pastIP goes to ports when the transport header at M[mL4] is one the IP
// length (transport bytes in mTmp) cuts short of its n bytes, outside a
// fragment (mFrag), and the frame holds its 4 bytes of ports past the IP
// datagram's end (dissect's tcpBeyondIPLength and udpBeyondIPLength, as
// libpcap reads them), else to none.
func (c *bpfc) pastIP(n uint32, ports, none label) {
	short := c.newLabel()
	c.emit(ldM(mTmp))
	c.jif(bpf.JumpGreaterOrEqual, n, none, short)
	c.place(short)
	c.framePast(4, ports, none)
}

// framePast goes to in when the transport header at M[mL4] is in no
// fragment (mFrag) and the frame holds its first k bytes, whatever the IP
// length says (libpcap reads past it: dissect's tcpBeyondIPLength and
// udpBeyondIPLength), else to out.
func (c *bpfc) framePast(k uint32, in, out label) {
	whole := c.newLabel()
	c.emit(ldM(mFrag))
	c.jif(bpf.JumpEqual, 0, whole, out)
	c.place(whole)
	c.emit(ldM(mL4), aluK(bpf.ALUOpAdd, k), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, in, out)
}

// header goes to whole when all n bytes of the transport header at
// M[mL4] are in the frame; when fewer are but its 4 bytes of ports, the
// header cut short by the frame's end, to announced if the IP length
// (transport bytes in mTmp) announces n or more, else to short; without
// its ports, to none (dissect's tcp and transport).
func (c *bpfc) header(n uint32, whole, announced, short, none label) {
	cut := c.newLabel()
	c.needEnd(mL4, n, mEnd, cut)
	c.jump(whole)
	c.place(cut)
	c.needEnd(mL4, 4, mEnd, none)
	c.emit(ldM(mTmp))
	c.jif(bpf.JumpGreaterOrEqual, n, announced, short)
}

// ipv6 decodes an IPv6 header at M[mNet] and as much of its extension
// header chain as libpcap's view of the protocol needs (dissect.ipv6,
// filter.v6ProtoVisible, RFC 8200 §4).
func (c *bpfc) ipv6(body label) {
	ok, ver := c.newLabel(), c.newLabel()
	c.emit(ldM(mNet), aluK(bpf.ALUOpAdd, 40), bpf.TAX{}, bpf.LoadExtension{Num: bpf.ExtLen})
	c.jifX(bpf.JumpGreaterOrEqual, ok, c.accept)
	c.place(ok)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 0, Size: 1}, aluK(bpf.ALUOpShiftRight, 4))
	c.jif(bpf.JumpEqual, 6, ver, c.accept)
	c.place(ver)
	c.emit(ldK(6), stM(mIPVer), ldK(40), stM(mHdr), ldM(mNet), aluK(bpf.ALUOpAdd, 40), stM(mL4))
	// Payload Length (A), or 0 before TCP or UDP: the frame's length past
	// the header, as dissect.ipv6ZeroLength takes it (TSO/GSO sends).
	c.emit(bpf.LoadIndirect{Off: 4, Size: 2})
	zero, plen := c.newLabel(), c.newLabel()
	c.jif(bpf.JumpEqual, 0, zero, plen)
	c.place(zero)
	c.emit(bpf.LoadIndirect{Off: 6, Size: 1})
	frame, empty := c.newLabel(), c.newLabel()
	c.cases(empty, arm{6, frame}, arm{17, frame})
	c.place(frame)
	c.emit(bpf.LoadExtension{Num: bpf.ExtLen}, bpf.ALUOpX{Op: bpf.ALUOpSub}, aluK(bpf.ALUOpSub, 40))
	c.jump(plen)
	c.place(empty)
	c.emit(ldK(0))
	c.place(plen)
	c.emit(stM(mTmp), aluK(bpf.ALUOpAdd, 40), stM(mEnd))
	c.end(mEnd) // mEnd = min(net+40+plen, frame)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 1})
	frag, ext, upper := c.newLabel(), c.newLabel(), c.newLabel()
	c.extTest(ext, upper, frag)
	c.place(ext) // an extension header other than a fragment header first
	c.needEnd(mNet, 48, mEnd, c.accept)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 1}, aluK(bpf.ALUOpOr, protoV6), stM(mProto))
	c.jump(body)
	c.place(frag)
	c.needEnd(mNet, 48, mEnd, c.accept)
	c.emit(ldK(1), stM(mFrag), ldxM(mNet), bpf.LoadIndirect{Off: 40, Size: 1})
	ext2, upper2, frag2 := c.newLabel(), c.newLabel(), c.newLabel()
	c.extTest(ext2, upper2, frag2)
	c.place(ext2)
	c.place(frag2)
	c.needEnd(mNet, 56, mEnd, c.accept)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 40, Size: 1}, aluK(bpf.ALUOpOr, protoV6Frag), stM(mProto))
	c.jump(body)
	c.place(upper2) // fragment header then the upper layer: no ports
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 40, Size: 1}, aluK(bpf.ALUOpOr, protoV6Frag), stM(mProto))
	c.jump(body)
	c.place(upper)
	c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 6, Size: 1}, aluK(bpf.ALUOpOr, protoV6), stM(mProto))
	c.transport(protoV6, body)
}

// extTest sorts the next-header value in A: an extension header the
// dissector walks (hop-by-hop, routing, destination options, mobility,
// HIP, shim6, AH) goes to ext, a fragment header to frag, else to upper.
func (c *bpfc) extTest(ext, upper, frag label) {
	c.cases(upper, arm{0, ext}, arm{43, ext}, arm{60, ext}, arm{135, ext}, arm{139, ext}, arm{140, ext}, arm{51, ext}, arm{44, frag})
}

// gen emits the test of n: to t when it holds, else to f.
func (c *bpfc) gen(n *node, t, f label) {
	switch n.kind {
	case nAnd:
		mid := c.newLabel()
		c.gen(n.l, mid, f)
		c.place(mid)
		c.gen(n.r, t, f)
	case nOr:
		mid := c.newLabel()
		c.gen(n.l, t, mid)
		c.place(mid)
		c.gen(n.r, t, f)
	case nNot:
		c.neg = !c.neg
		c.gen(n.l, f, t)
		c.neg = !c.neg
	default:
		c.prim(&n.p, t, f)
	}
}

// keys jumps to t when A is one of ks, else to f.
func (c *bpfc) keys(ks []uint32, t, f label) {
	for i, k := range ks {
		if i == len(ks)-1 {
			c.jif(bpf.JumpEqual, k, t, f)
			return
		}
		n := c.newLabel()
		c.jif(bpf.JumpEqual, k, t, n)
		c.place(n)
	}
}

// prim emits the test of one primitive (filter.prim.eval).
func (c *bpfc) prim(p *prim, t, f label) {
	switch p.kind {
	case pAbbrev, pProto:
		if p.kind == pAbbrev && (p.pq == qIP || p.pq == qIP6) {
			v := uint32(4)
			if p.pq == qIP6 {
				v = 6
			}
			c.emit(ldM(mIPVer))
			c.jif(bpf.JumpEqual, v, t, f)
			return
		}
		proto, v4, v6 := p.ipProtocol()
		var ks []uint32
		if v4 {
			ks = append(ks, protoV4|proto)
		}
		c.emit(ldM(mProto))
		if v6 { // v6Proto
			ks = append(ks, protoV6|proto, protoV6Frag|proto)
			if proto == 44 {
				n := c.newLabel()
				c.jif(bpf.JumpGreaterOrEqual, protoV6Frag, t, n)
				c.place(n)
			}
		}
		c.keys(ks, t, f)
	case pHost, pNet:
		c.addr(p, t, f)
	case pPort, pPortRange:
		c.port(p, t, f)
	case pLen:
		c.emit(ldM(mWire))
		c.jif(relTests[p.rel], p.lo, t, f)
	case pVLAN:
		if p.hasID && p.depth >= 2 {
			c.jump(f)
			return
		}
		c.emit(ldM(mNVLAN))
		if !p.hasID {
			c.jif(bpf.JumpGreaterThan, uint32(p.depth), t, f)
			return
		}
		n := c.newLabel()
		c.jif(bpf.JumpGreaterThan, uint32(p.depth), n, f)
		c.place(n)
		c.emit(ldM(mVLAN0 + int(p.depth)))
		c.jif(bpf.JumpEqual, p.lo, t, f)
	case pFlag:
		n := c.newLabel()
		c.emit(ldM(mPorts))
		c.jif(bpf.JumpEqual, l4TCP, n, f)
		c.place(n)
		past, load := c.newLabel(), c.newLabel()
		c.needEnd(mL4, 14, mEnd, past) // the flags byte (dissect.TCPFlagsCut before)
		c.jump(load)
		c.place(past) // past the IP length, outside a fragment: in the frame (dissect's tcpBeyondIPLength)
		c.framePast(14, load, f)
		c.place(load)
		c.emit(ldxM(mL4), bpf.LoadIndirect{Off: 13, Size: 1})
		c.jif(bpf.JumpBitsSet, 1<<p.lo, t, f)
	case pRel:
		c.rel(p, t, f)
	case pLink:
		c.emit(ldM(mIPVer))
		c.jif(bpf.JumpEqual, p.lo, t, f)
	case pDSCP:
		v4, v6 := c.newLabel(), c.newLabel()
		c.emit(ldM(mIPVer))
		c.cases(f, arm{4, v4}, arm{6, v6})
		c.place(v4)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 1, Size: 1}, aluK(bpf.ALUOpShiftRight, 2))
		c.jif(bpf.JumpEqual, p.lo, t, f)
		c.place(v6)
		c.emit(ldxM(mNet), bpf.LoadIndirect{Off: 0, Size: 2}, aluK(bpf.ALUOpShiftRight, 6), aluK(bpf.ALUOpAnd, 0x3f))
		c.jif(bpf.JumpEqual, p.lo, t, f)
	default:
		if c.unsupported == nil {
			var b strings.Builder
			p.write(&b)
			c.unsupported = fmt.Errorf("%w: %q", ErrBPFUnsupported, b.String())
		}
		c.jump(t)
	}
}

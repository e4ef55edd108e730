package flow

import (
	"encoding/binary"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// Mask says which fields of a packet a class splits its flows by, as
// masks of the compact key's words: the key of a packet's flow in the
// class is the packet's words masked (LookupPacket), without a Key filled
// field by field and packed again (issue 14: keyTo and ckey.set took 145
// instructions a packet of the 5M corpus, LookupPacket's key ~40). NewMask
// makes it.
type Mask struct {
	src, dst    uint64 // all ones when the class splits by the address, else 0
	ports, rest uint64 // ckey.ports and ckey.rest bits kept
	class       uint64 // the class index (ckey.ports' low 16 bits)
	fold        uint16 // ports above it read 0 and set Key.Folded (0: no folding)
}

// NewMask returns the mask of class index class whose granularity fields
// are fields (pdu.Field* bits, pdu.FlowDef.Fields) and whose ports above
// fold (config fold_ports_above; 0: none) are folded.
func NewMask(class uint16, fields uint8, fold uint16) Mask {
	m := Mask{class: uint64(class), fold: fold, ports: 0xffff << 16} // the interface always
	if fields&pdu.FieldSrcAddr != 0 {
		m.src, m.rest = ^uint64(0), m.rest|5<<48 // AddrPair.fam's source bits
	}
	if fields&pdu.FieldDstAddr != 0 {
		m.dst, m.rest = ^uint64(0), m.rest|10<<48
	}
	if fields&pdu.FieldSrcPort != 0 {
		m.ports |= 0xffff << 32
	}
	if fields&pdu.FieldDstPort != 0 {
		m.ports |= 0xffff << 48
	}
	if fields&pdu.FieldVLAN != 0 {
		m.rest |= 0xffff
	}
	if fields&pdu.FieldIPVersion != 0 {
		m.rest |= 0xff << 16
	}
	if fields&pdu.FieldProtocol != 0 {
		m.rest |= 0xff << 24
	}
	if fields&pdu.FieldDSCP != 0 {
		m.rest |= 0xff << 32
	}
	return m
}

// LookupPacket is LookupRef for the flow of packet d in the class of m
// (NewMask). The key is made from d's fields at once, in place: the Key
// with Class, Iface and the fields m splits by (ports of TCP and UDP
// only, the outer VLAN ID when tagged, ports above m.fold folded to 0
// with their Folded bit), every other field zero, as ckey.set packs it.
func (t *Table) LookupPacket(d *dissect.Dissection, m *Mask, nowNs int64, evict func(*Flow)) (f *Flow, created bool) {
	var c ckey
	var fam uint8
	if d.SrcAddr.Is4() && d.DstAddr.Is4() {
		// IPv4-mapped 16-byte forms: 0xffff then the 4 bytes (As16 and
		// the family tests of both took ~30 instructions more a packet)
		s, a := d.SrcAddr.As4(), d.DstAddr.As4()
		c.src1 = (0xffff0000 | uint64(binary.LittleEndian.Uint32(s[:]))<<32) & m.src
		c.dst1 = (0xffff0000 | uint64(binary.LittleEndian.Uint32(a[:]))<<32) & m.dst
		fam = 5 | 5<<1
	} else {
		s, a := d.SrcAddr.As16(), d.DstAddr.As16()
		c.src0, c.src1 = binary.LittleEndian.Uint64(s[:8])&m.src, binary.LittleEndian.Uint64(s[8:])&m.src
		c.dst0, c.dst1 = binary.LittleEndian.Uint64(a[:8])&m.dst, binary.LittleEndian.Uint64(a[8:])&m.dst
		fam = famBits(d.SrcAddr) | famBits(d.DstAddr)<<1
	}
	ports := uint64(d.Meta.Iface) << 16
	if d.Flags&(dissect.HasTCP|dissect.HasUDP|dissect.HasSCTP) != 0 {
		ports |= uint64(d.SrcPort)<<32 | uint64(d.DstPort)<<48
	}
	ports &= m.ports
	var vlan uint64
	if d.NVLAN > 0 {
		vlan = uint64(d.VLANs[0])
	}
	rest := (vlan | uint64(d.IPVersion)<<16 | uint64(d.Protocol)<<24 | uint64(d.DSCP())<<32 | uint64(fam)<<48) & m.rest
	if m.fold > 0 {
		if uint16(ports>>32) > m.fold {
			ports &^= 0xffff << 32
			rest |= 1 << 40
		}
		if uint16(ports>>48) > m.fold {
			ports &^= 0xffff << 48
			rest |= 2 << 40
		}
	}
	c.ports, c.rest = ports|m.class, rest
	return t.lookup(&c, nowNs, evict)
}

package reasm

import (
	"encoding/binary"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// fragSpec describes one synthetic fragment of a datagram whose whole
// payload (fragmentable part) is body.
type fragSpec struct {
	off, n int  // payload bytes [off, off+n)
	mf     bool // more fragments
	timeNs int64
	iface  uint16
}

// build4 returns a raw IPv4 fragment (no link header) carrying
// body[off:off+n], with opts (a multiple of 4 bytes) as IP options.
func build4(id uint16, proto uint8, opts []byte, body []byte, s fragSpec) []byte {
	hl := 20 + len(opts)
	b := make([]byte, hl+s.n)
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+s.n))
	binary.BigEndian.PutUint16(b[4:], id)
	fl := uint16(s.off/8) & 0x1fff
	if s.mf {
		fl |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], fl)
	b[8] = 64
	b[9] = proto
	copy(b[12:], []byte{192, 0, 2, 1})
	copy(b[16:], []byte{198, 51, 100, 7})
	copy(b[20:], opts)
	binary.BigEndian.PutUint16(b[10:], checksum(b[:hl]))
	copy(b[hl:], body[s.off:s.off+s.n])
	return b
}

// build6 returns a raw IPv6 fragment: fixed header, the unfragmentable
// extension headers ext (each already encoded, chained by nhs: nhs[i] is
// the type of ext[i]), a Fragment header with next header nh, then
// body[off:off+n].
func build6(id uint32, nh uint8, nhs []uint8, ext [][]byte, body []byte, s fragSpec) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	b[7] = 64
	copy(b[8:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1})
	copy(b[24:], []byte{0x20, 0x01, 0x0d, 0xb8, 15: 2})
	prev := 6
	for i, e := range ext {
		b[prev] = nhs[i]
		prev = len(b)
		b = append(b, e...)
	}
	b[prev] = nhFragment
	fh := make([]byte, 8)
	fh[0] = nh
	om := uint16(s.off) &^ 7
	if s.mf {
		om |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], om)
	binary.BigEndian.PutUint32(fh[4:], id)
	b = append(b, fh...)
	b = append(b, body[s.off:s.off+s.n]...)
	binary.BigEndian.PutUint16(b[4:], uint16(len(b)-40))
	return b
}

// extHdr returns an extension header of the generic format (next header
// byte filled by build6) totalling n bytes (a multiple of 8), padded with
// PadN.
func extHdr(n int) []byte {
	e := make([]byte, n)
	e[1] = byte(n/8 - 1)
	if n > 2 {
		e[2] = 1 // PadN
		e[3] = byte(n - 4)
	}
	return e
}

// rawDissection returns the Dissection reasm reads for a raw IP packet.
func rawDissection(data []byte, s fragSpec) dissect.Dissection {
	return dissect.Dissection{
		Meta: pkt.Meta{
			TimeNs:   s.timeNs,
			CapLen:   uint32(len(data)),
			WireLen:  uint32(len(data)),
			LinkType: pkt.LinkRaw,
			Iface:    s.iface,
		},
		IPVersion: data[0] >> 4,
		Flags:     dissect.HasIP | dissect.IsFrag,
	}
}

// seqBody returns n bytes whose value depends on the position, so a byte
// landing at the wrong offset is detected.
func seqBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

package replay

import (
	"bytes"
	"encoding/binary"
)

// Builders of small synthetic captures for the tests, written from the
// pcap and pcapng drafts (field order and padding).

// order is a byte order that can also append.
type order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

var (
	le order = binary.LittleEndian
	be order = binary.BigEndian
)

func pcapHeader(bo order, nano bool, major, minor uint16, snaplen, link uint32) []byte {
	b := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	bo.PutUint32(b[0:], magic)
	bo.PutUint16(b[4:], major)
	bo.PutUint16(b[6:], minor)
	bo.PutUint32(b[16:], snaplen)
	bo.PutUint32(b[20:], link)
	return b
}

func pcapRecord(bo order, sec, frac, wirelen uint32, data []byte) []byte {
	b := make([]byte, 16, 16+len(data))
	bo.PutUint32(b[0:], sec)
	bo.PutUint32(b[4:], frac)
	bo.PutUint32(b[8:], uint32(len(data)))
	bo.PutUint32(b[12:], wirelen)
	return append(b, data...)
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func ngBlock(bo order, typ uint32, body []byte) []byte {
	body = pad4(body)
	n := uint32(12 + len(body))
	b := bo.AppendUint32(nil, typ)
	b = bo.AppendUint32(b, n)
	b = append(b, body...)
	return bo.AppendUint32(b, n)
}

func ngSHB(bo order) []byte {
	body := bo.AppendUint32(nil, 0x1a2b3c4d)
	body = bo.AppendUint16(body, 1)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint64(body, ^uint64(0))
	return ngBlock(bo, blockSHB, body)
}

func ngOpt(bo order, code uint16, val []byte) []byte {
	b := bo.AppendUint16(nil, code)
	b = bo.AppendUint16(b, uint16(len(val)))
	return pad4(append(b, val...))
}

func ngIDB(bo order, link uint16, snap uint32, opts ...[]byte) []byte {
	body := bo.AppendUint16(nil, link)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint32(body, snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	return ngBlock(bo, blockIDB, body)
}

func ngEPB(bo order, id uint32, ts uint64, wire uint32, data []byte) []byte {
	body := bo.AppendUint32(nil, id)
	body = bo.AppendUint32(body, uint32(ts>>32))
	body = bo.AppendUint32(body, uint32(ts))
	body = bo.AppendUint32(body, uint32(len(data)))
	body = bo.AppendUint32(body, wire)
	body = pad4(append(body, data...))
	// an epb_flags option and a comment, which must be skipped
	body = append(body, ngOpt(bo, 2, bo.AppendUint32(nil, 1))...)
	body = append(body, ngOpt(bo, 1, []byte("hi"))...)
	body = append(body, 0, 0, 0, 0)
	return ngBlock(bo, blockEPB, body)
}

func ngOPB(bo order, id uint16, ts uint64, wire uint32, data []byte) []byte {
	body := bo.AppendUint16(nil, id)
	body = bo.AppendUint16(body, 0)
	body = bo.AppendUint32(body, uint32(ts>>32))
	body = bo.AppendUint32(body, uint32(ts))
	body = bo.AppendUint32(body, uint32(len(data)))
	body = bo.AppendUint32(body, wire)
	return ngBlock(bo, blockOPB, append(body, data...))
}

func ngSPB(bo order, wire uint32, data []byte) []byte {
	return ngBlock(bo, blockSPB, append(bo.AppendUint32(nil, wire), data...))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// frame returns n bytes whose first byte is tag, to recognise packets.
func frame(tag byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = tag + byte(i)
	}
	return b
}

package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each
// "type, total length, body, total length", grouped in sections that each
// start with a Section Header Block (which also sets the byte order) and
// number their interfaces from 0.
//
// pcapgo.NgReader (gopacket v1.7.7) is not used here: it gets edge 17
// wrong twice, scaling binary resolutions with an integer 1e9/2^20 (packet
// 3 at 1700000001.499646464 instead of .500000000) and numbering interfaces
// per section with no way to tell sections apart in a packet; it does not
// check block lengths against their trailers, gives Simple Packet Blocks a
// zero time.Time, and reports errors without byte offsets. Blocks are
// length-prefixed, so a whole block is read at once and parsed with bounds
// checks.

// Block types used (pcapng draft §4 and §10.1).
const (
	blockSHB = 0x0a0d0d0a // Section Header Block (a palindrome)
	blockIDB = 1          // Interface Description Block
	blockOPB = 2          // Packet Block (obsolete)
	blockSPB = 3          // Simple Packet Block
	blockEPB = 6          // Enhanced Packet Block
)

// IDB option codes (pcapng draft §4.2).
const (
	optEnd      = 0
	optIfName   = 2
	optTsResol  = 9
	optTsOffset = 14
)

const (
	// maxBlockLen bounds a block: the largest packet plus room for the
	// headers and options of its block.
	maxBlockLen = maxCapLen + 64<<10
	// nsPerS is the number of nanoseconds in a second.
	nsPerS int64 = 1e9
	// maxInterfaces is the number of interfaces Meta.Iface (uint16) can
	// tell apart.
	maxInterfaces = pkt.MaxIfaces
)

// block is one pcapng block read whole. body is borrowed until the next
// read; for a Section Header Block it starts at the byte-order magic.
type block struct {
	typ  uint32
	body []byte // between the header length field and the trailer
	off  int64  // offset of the block in the uncompressed stream
}

// blockName names a block type in error messages.
func blockName(typ uint32) string {
	switch typ {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockOPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockEPB:
		return "enhanced packet block"
	}
	return fmt.Sprintf("block type 0x%x", typ)
}

func isPacket(typ uint32) bool {
	return typ == blockEPB || typ == blockSPB || typ == blockOPB
}

// tsConv converts one interface's timestamps to Unix ns.
type tsConv struct {
	tps     uint64 // ticks per second
	mul     uint64 // ns per tick when tps divides 1e9, else 0
	offS    int64  // if_tsoffset, seconds
	invalid bool   // resolution or offset makes every timestamp unusable
	// fastLim bounds the captured lengths File.epb reads in place: the
	// snaplen + 1 (no limit: the largest uint64) for a supported
	// interface whose timestamps convert by mul alone, 0 (none) otherwise.
	fastLim uint64
}

func newConv(tps uint64, offS int64) tsConv {
	c := tsConv{tps: tps, offS: offS}
	if tps <= 1e9 && 1e9%tps == 0 {
		c.mul = 1e9 / tps
	}
	if offS > math.MaxInt64/nsPerS || offS < math.MinInt64/nsPerS {
		c.invalid = true
	}
	return c
}

// ns returns ts ticks as Unix ns, and false when they are out of the
// int64 ns range (beyond 2262-04-11T23:47:16.854775807Z, or before
// 1677-09-21 with a negative if_tsoffset): the time saturates to that
// range's end (math.MaxInt64, math.MinInt64), the house rule for time
// arithmetic (pkt.AddNs), and the probe engine then takes it for an
// impossible time (pkt.ValidTime: capture_time_invalid).
func (c *tsConv) ns(ts uint64) (int64, bool) {
	if c.invalid {
		if c.offS < 0 {
			return math.MinInt64, false
		}
		return math.MaxInt64, false
	}
	var v int64
	if c.mul != 0 {
		hi, lo := bits.Mul64(ts, c.mul)
		if hi != 0 || lo > math.MaxInt64 {
			return math.MaxInt64, false
		}
		v = int64(lo)
	} else {
		sec := ts / c.tps
		if sec > math.MaxInt64/uint64(nsPerS) {
			return math.MaxInt64, false
		}
		hi, lo := bits.Mul64(ts%c.tps, 1e9)
		q, _ := bits.Div64(hi, lo, c.tps) // ts%tps < tps, so hi < tps
		s := int64(sec) * nsPerS
		if s > math.MaxInt64-int64(q) {
			return math.MaxInt64, false
		}
		v = s + int64(q)
	}
	if c.offS != 0 {
		o := c.offS * nsPerS
		if o > 0 && v > math.MaxInt64-o {
			return math.MaxInt64, false
		}
		if o < 0 && v < math.MinInt64-o {
			return math.MinInt64, false
		}
		v += o
	}
	return v, true
}

// ticks decodes if_tsresol: a negative power of 10, or of 2 when the top
// bit is set. Resolutions whose tick count does not fit in 64 bits are
// rejected.
func ticks(resol byte) (uint64, bool) {
	e := resol & 0x7f
	if resol&0x80 != 0 {
		if e > 63 {
			return 0, false
		}
		return 1 << e, true
	}
	if e > 19 {
		return 0, false
	}
	t := uint64(1)
	for range e {
		t *= 10
	}
	return t, true
}

func (f *File) openNG() error {
	b, err := f.readBlock()
	if err == nil {
		err = f.section(b)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Frame = 0 // about the file header, not a packet
		}
		return err
	}
	// Read up to the first packet, so that the interfaces it may use are
	// known; the packet block stays pending for the first Next.
	for {
		b, err := f.readBlock()
		if err != nil {
			f.pendErr = err
			break
		}
		if isPacket(b.typ) {
			f.pend, f.havePend = b, true
			break
		}
		if err := f.meta(b); err != nil {
			f.pendErr = err
			break
		}
	}
	f.publish()
	if len(f.ifaces) == 0 {
		return nil
	}
	var names []string
	for _, it := range f.ifaces {
		if it.Supported {
			return nil
		}
		names = append(names, fmt.Sprintf("%s (%d)", it.LinkType, uint16(it.LinkType)))
	}
	return &Error{Path: f.name, Offset: -1,
		Detail: "no interface with a supported link type: " + strings.Join(names, ", "),
		Err:    ErrUnsupportedLinkType}
}

// nextNG reads blocks up to the next packet, into m.
func (f *File) nextNG(m *pkt.Meta) ([]byte, error) {
	for {
		var b block
		switch {
		case f.havePend:
			b, f.havePend = f.pend, false
		case f.pendErr != nil:
			err := f.pendErr
			f.pendErr = nil
			return nil, err
		default:
			var err error
			if b, err = f.readBlock(); err != nil {
				return nil, err
			}
		}
		if !isPacket(b.typ) {
			if err := f.meta(b); err != nil {
				return nil, err
			}
			continue
		}
		data, ok, err := f.packet(b, m)
		if err != nil {
			return nil, err
		}
		if ok {
			return data, nil
		}
	}
}

// epb reads into m, in place, the next block when it is an Enhanced
// Packet Block held whole in the read block, of a supported interface of
// the current (little-endian) section, within its snaplen, whose
// timestamp converts by a multiplication alone (if_tsresol a power of ten
// down to ns, no if_tsoffset) without overflow: what readBlock, packet and
// nextInto do for it, without the block passed between them, the byte
// order tested per field or the index's call (issue 14: pcapng read at
// about 500 instructions per packet). ok is false, with nothing read,
// for any other block: nextInto reads it.
func (f *File) epb(m *pkt.Meta) (data []byte, ok bool) {
	br := f.br
	h := br.buf[br.r:br.w]
	if len(h) < 32 || binary.LittleEndian.Uint32(h) != blockEPB {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(h[4:])
	if n < 32 || n%4 != 0 || uint64(n) > uint64(len(h)) || binary.LittleEndian.Uint32(h[n-4:]) != n {
		return nil, false
	}
	body := h[8 : n-4]
	id := binary.LittleEndian.Uint32(body)
	ts := uint64(binary.LittleEndian.Uint32(body[4:]))<<32 | uint64(binary.LittleEndian.Uint32(body[8:]))
	caplen, wire := binary.LittleEndian.Uint32(body[12:]), binary.LittleEndian.Uint32(body[16:])
	if uint64(caplen) > uint64(len(body)-20) || uint64(id) >= uint64(len(f.ifaces)-f.secFirst) {
		return nil, false
	}
	g := f.secFirst + int(id)
	it, c := &f.ifaces[g], &f.conv[g]
	if uint64(caplen) >= c.fastLim { // also: unsupported, over the snaplen, not mul alone
		return nil, false
	}
	if opts := body[20+(caplen+3)&^3:]; len(opts) > 0 && f.optionsBad(opts) {
		f.stats.BadOptions++
	}
	hi, ns := bits.Mul64(ts, c.mul)
	if hi != 0 || ns > math.MaxInt64 {
		return nil, false
	}
	br.r += int(n)
	f.inBuf = false
	off := f.off
	f.off = off + int64(n)
	f.frame++
	f.stats.Records++
	f.stats.Packets++
	f.stats.Bytes += uint64(caplen)
	it.Packets++
	t := int64(ns)
	f.lastNs = t
	m.TimeNs, m.CapLen, m.WireLen = t, caplen, wire
	m.LinkType, m.Iface, m.TimeBorrowed = it.LinkType, uint16(g), false
	m.Frame, m.ClockNs = f.frame, 0
	if x := f.ix; x != nil {
		x.sinceLast++ // File.NextInto's window test
		if x.sinceLast >= x.everyPackets || t < x.maxT || t >= x.hi {
			x.note(off, len(f.ifaces), t, f.frame)
		} else {
			x.maxT = t
		}
	}
	return body[20 : 20+caplen], true
}

// optionsBad reports whether opts, the options of a packet block (after
// its packet data and that data's padding to 32 bits), do not parse: each
// option a 16-bit code and length and its value padded to 32 bits, all
// inside the block, opt_endofopt (code 0) ending them (pcapng,
// draft-ietf-opsawg-pcapng section 3.5). Packet data not padded shifts
// them, as tshark finds ("Not enough data to handle option of length").
func (f *File) optionsBad(opts []byte) bool {
	for len(opts) > 0 {
		if len(opts) < 4 {
			return true
		}
		code, n := f.u16(opts), int(f.u16(opts[2:]))
		if code == 0 {
			return false
		}
		adv := 4 + (n+3)&^3
		if adv > len(opts) {
			return true
		}
		opts = opts[adv:]
	}
	return false
}

// readBlock reads the next whole block; io.EOF at a clean end of input.
func (f *File) readBlock() (block, error) {
	off := f.off
	if f.br.Buffered() < 12 {
		f.publish() // the block is refilled: once per block
	}
	h := f.br.buf[f.br.r:f.br.w] // Peek's fast path, in place
	var err error
	if len(h) < 12 {
		h, err = f.br.Peek(12)
	}
	if len(h) < 12 {
		if len(h) == 0 && (err == nil || err == io.EOF) {
			return block{}, io.EOF
		}
		return block{}, f.damage(err, off, "block header", len(h), 12)
	}
	typ := f.u32(h)
	if typ == blockSHB {
		switch binary.LittleEndian.Uint32(h[8:]) {
		case 0x1a2b3c4d:
			f.big = false
		case 0x4d3c2b1a:
			f.big = true
		default:
			return block{}, f.malformed(off, "section header block: byte-order magic 0x%08x", binary.BigEndian.Uint32(h[8:]))
		}
	}
	n := f.u32(h[4:])
	switch {
	case n < 12 || n%4 != 0 || n > maxBlockLen:
		return block{}, f.malformed(off, "%s: total length %d", blockName(typ), n)
	case typ == blockSHB && n < 28:
		return block{}, f.malformed(off, "section header block: total length %d < 28", n)
	}
	var p []byte
	if br := f.br; uint64(n) <= uint64(br.w-br.r) { // buffered: read's Peek and Discard in place
		p = br.buf[br.r : br.r+int(n)]
		br.r += int(n)
		f.inBuf = false
	} else if p, err = f.read(int(n)); len(p) < int(n) {
		return block{}, f.damage(err, off, blockName(typ), avail(p, err), int(n))
	}
	if t := f.u32(p[n-4:]); t != n {
		return block{}, f.malformed(off, "%s: trailer length %d != header length %d", blockName(typ), t, n)
	}
	f.advance(int(n))
	return block{typ: typ, body: p[8 : n-4], off: off}, nil
}

// meta handles a block that is not a packet.
func (f *File) meta(b block) error {
	switch b.typ {
	case blockSHB:
		return f.section(b)
	case blockIDB:
		return f.iface(b)
	}
	f.stats.SkippedBlocks++
	return nil
}

// section starts a new section: interface ids restart at 0.
func (f *File) section(b block) error {
	major, minor := f.u16(b.body[4:]), f.u16(b.body[6:])
	if major != 1 {
		return &Error{Path: f.name, Frame: f.frame + 1, Offset: b.off,
			Detail: fmt.Sprintf("pcapng section version %d.%d", major, minor), Err: ErrUnsupportedVersion}
	}
	f.secFirst = len(f.ifaces)
	f.stats.Sections++
	return nil
}

// iface adds the interface an Interface Description Block describes.
func (f *File) iface(b block) error {
	body := b.body
	if len(body) < 8 {
		return f.malformed(b.off, "interface description block: %d bytes", len(body))
	}
	if f.stats.Sections == 0 {
		return f.malformed(b.off, "interface description block outside a section")
	}
	if len(f.ifaces) >= maxInterfaces {
		return f.malformed(b.off, "more than %d interfaces", maxInterfaces)
	}
	lt := pkt.FileLinkType(uint32(f.u16(body)))
	it := Interface{
		Section:   f.stats.Sections - 1,
		ID:        len(f.ifaces) - f.secFirst,
		LinkType:  lt,
		SnapLen:   f.u32(body[4:]),
		Supported: lt.Supported(),
	}
	resol := byte(6)
	opts := body[8:]
	for len(opts) >= 4 {
		code, l := f.u16(opts), int(f.u16(opts[2:]))
		opts = opts[4:]
		if code == optEnd {
			break
		}
		if l > len(opts) {
			return f.malformed(b.off, "interface description block: option %d of %d bytes runs past the block", code, l)
		}
		v := opts[:l]
		opts = opts[min((l+3)&^3, len(opts)):]
		switch code {
		case optIfName:
			it.Name = string(v)
		case optTsResol:
			if l >= 1 {
				resol = v[0]
			}
		case optTsOffset:
			if l >= 8 {
				it.TimeOffsetS = int64(f.u64(v))
			}
		}
	}
	tps, ok := ticks(resol)
	if !ok {
		return f.malformed(b.off, "interface description block: if_tsresol 0x%02x", resol)
	}
	it.TicksPerSecond = tps
	f.ifaces = append(f.ifaces, it)
	c := newConv(tps, it.TimeOffsetS)
	if it.Supported && c.mul != 0 && c.offS == 0 && !c.invalid {
		c.fastLim = math.MaxUint64
		if it.SnapLen != 0 {
			c.fastLim = uint64(it.SnapLen) + 1
		}
	}
	f.conv = append(f.conv, c)
	return nil
}

// packet decodes an EPB, OPB or SPB into m. ok is false for a packet of
// an unsupported interface, which is counted and skipped (m untouched).
func (f *File) packet(b block, m *pkt.Meta) (data []byte, ok bool, err error) {
	body := b.body
	var (
		id            uint32
		ts            uint64
		caplen, wire  uint32
		hasTime, over bool
	)
	switch b.typ {
	case blockEPB, blockOPB:
		if len(body) < 20 {
			return nil, false, f.malformed(b.off, "%s: %d bytes", blockName(b.typ), len(body))
		}
		if b.typ == blockEPB {
			id = f.u32(body)
		} else {
			id = uint32(f.u16(body))
		}
		ts = uint64(f.u32(body[4:]))<<32 | uint64(f.u32(body[8:]))
		caplen, wire = f.u32(body[12:]), f.u32(body[16:])
		if uint64(caplen) > uint64(len(body)-20) {
			return nil, false, f.malformed(b.off, "%s: captured length %d runs past the block (%d bytes)", blockName(b.typ), caplen, len(body)-20)
		}
		data = body[20 : 20+caplen]
		hasTime = true
		if opts := body[20+(caplen+3)&^3:]; len(opts) > 0 && f.optionsBad(opts) { // the body is whole words: the padding is there
			f.stats.BadOptions++
		}
	case blockSPB:
		if len(body) < 4 {
			return nil, false, f.malformed(b.off, "simple packet block: %d bytes", len(body))
		}
		wire = f.u32(body)
		caplen = uint32(min(uint64(wire), uint64(len(body)-4)))
	}
	if n := len(f.ifaces) - f.secFirst; uint64(id) >= uint64(n) {
		return nil, false, f.malformed(b.off, "%s: interface id %d not described in its section (%d interfaces)", blockName(b.typ), id, n)
	}
	g := f.secFirst + int(id)
	it := &f.ifaces[g]
	if b.typ == blockSPB {
		if it.SnapLen != 0 && caplen > it.SnapLen {
			caplen = it.SnapLen // the SPB rule: min(original length, snaplen)
		}
		data = body[4 : 4+caplen]
	} else {
		over = it.SnapLen != 0 && caplen > it.SnapLen
	}
	f.frame++
	f.stats.Records++
	it.Packets++
	ns, borrowed := f.lastNs, true
	if !hasTime {
		f.stats.NoTimestamp++
	} else {
		v, good := f.conv[g].ns(ts)
		ns, borrowed = v, false // saturated when out of range
		if !good {
			f.stats.TimeOverflow++
		}
	}
	f.lastNs = ns
	if !it.Supported {
		f.stats.SkippedUnsupported++
		return nil, false, nil
	}
	if over {
		f.stats.OverSnaplen++
	}
	*m = pkt.Meta{
		TimeNs:   ns,
		CapLen:   caplen,
		WireLen:  wire,
		LinkType: it.LinkType,
		Iface:    uint16(g),
		Frame:    f.frame,
		// The previous packet's time (pkt.Meta.TimeBorrowed).
		TimeBorrowed: borrowed,
	}
	return data, true, nil
}

package pdu

import (
	"encoding/binary"
	"math"
	"math/bits"
	"net/netip"
)

// Enc appends record fields to a byte slice. The zero value is ready.
type Enc struct {
	B []byte
	// Marks, when Mark is set, collects where ID wrote each id in B: a
	// probe's workers number flows, connections and sessions sparsely and
	// their merge renumbers them in the records (probe.Workers).
	Marks []IDMark
	Mark  bool
}

// IDKind says what an id numbers: a flow (flow_id), a TCP connection
// (conn_id) or an FTP session (session_id).
type IDKind uint8

// Kinds of ids (IDMark.Kind).
const (
	IDFlow IDKind = iota
	IDConn
	IDSession
)

// IDMark is where an id starts in a record (Enc.Marks): Off bytes into
// Enc.B, an unsigned varint of kind Kind.
type IDMark struct {
	Off  int32
	Kind IDKind
}

// ID appends an id of kind k as an unsigned varint (Uvarint's bytes),
// noting its place in Marks when Mark is set.
func (e *Enc) ID(k IDKind, v uint64) {
	if e.Mark {
		e.Marks = append(e.Marks, IDMark{Off: int32(len(e.B)), Kind: k})
	}
	e.B = binary.AppendUvarint(e.B, v)
}

// Uvarint appends an unsigned varint.
func (e *Enc) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }

// appendUvarintWide appends v >= 2^49 as binary.AppendUvarint does, byte
// for byte (TestAppendUvarintSameBytes): its first eight 7-bit groups
// spread into one word at once (scatter7), where binary.AppendUvarint's
// loop took about 8 instructions a byte.
func appendUvarintWide(b []byte, v uint64) []byte {
	if v < 1<<56 { // 8 bytes: the last without its continuation bit
		return binary.LittleEndian.AppendUint64(b, scatter7(v)|0x0080808080808080)
	}
	b = binary.LittleEndian.AppendUint64(b, scatter7(v)|0x8080808080808080)
	if v >>= 56; v < 0x80 {
		return append(b, byte(v))
	}
	return append(b, byte(v)|0x80, byte(v>>7))
}

// scatter7 spreads the low 56 bits of v into the low 7 bits of each byte
// of a word (little endian), gather7's inverse.
func scatter7(v uint64) uint64 {
	x := v & (1<<56 - 1)
	x = x&0x000000000fffffff | (x&0x00fffffff0000000)<<4
	x = x&0x00003fff00003fff | (x&0x0fffc0000fffc000)<<2
	return x&0x007f007f007f007f | (x&0x3f803f803f803f80)<<1
}

// Uvarints appends each of vs as an unsigned varint, in order.
func (e *Enc) Uvarints(vs ...uint64) {
	for _, v := range vs {
		e.Uvarint(v)
	}
}

// Varint appends a zig-zag signed varint.
func (e *Enc) Varint(v int64) {
	u := uint64(v) << 1 // zig-zag, as binary.AppendVarint
	if v < 0 {
		u = ^u
	}
	if u >= 1<<49 {
		// Capture times in ns (9 bytes), the varints of most records
		// (issue 14: a flow's report carries three).
		e.B = appendUvarintWide(e.B, u)
		return
	}
	e.B = binary.AppendUvarint(e.B, u)
}

// Byte appends one byte.
func (e *Enc) Byte(v byte) { e.B = append(e.B, v) }

// String appends a length-prefixed string.
func (e *Enc) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.B = append(e.B, s...)
}

// Float appends a float64 as 8 bytes, big endian.
func (e *Enc) Float(f float64) { e.B = binary.BigEndian.AppendUint64(e.B, math.Float64bits(f)) }

// Addr appends an address as a version byte (0, 4 or 6) and its bytes.
func (e *Enc) Addr(a netip.Addr) {
	switch {
	case a.Is4():
		b := a.As4()
		e.B = append(e.B, 4)
		e.B = append(e.B, b[:]...)
	case a.Is6():
		b := a.As16()
		e.B = append(e.B, 6)
		e.B = append(e.B, b[:]...)
	default:
		e.B = append(e.B, 0)
	}
}

// addrTagString marks an address column written as a string by
// AddrString (Addr uses 0, 4 and 6).
const addrTagString = 1

// AddrString appends an address column given as text (the rows' src_addr,
// client_addr...): "" as Addr's 0, a canonical IP address literal (what
// netip.Addr.String gives) as Addr, anything else as a tag byte and the
// string, so every string reads back unchanged. It does not allocate.
func (e *Enc) AddrString(s string) {
	if s == "" {
		e.Addr(netip.Addr{})
		return
	}
	if b, ok := canonicalIPv4(s); ok {
		e.B = append(e.B, 4, b[0], b[1], b[2], b[3]) // as Addr writes netip.AddrFrom4(b)
		return
	}
	e.addrStringParsed(s)
}

// addrStringParsed is AddrString without its IPv4 fast path: s parsed as
// an address and kept as one when it prints back the same, else a string.
func (e *Enc) addrStringParsed(s string) {
	var buf [64]byte
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" && string(a.AppendTo(buf[:0])) == s {
		e.Addr(a)
		return
	}
	e.B = append(e.B, addrTagString)
	e.String(s)
}

// canonicalIPv4 parses s when it is an IPv4 address in the dotted
// decimal form netip.Addr.String gives (four decimal octets of 0 to 255,
// no leading zero, nothing else): the rows' addresses are nearly all so,
// and this spares them ParseAddr and the AppendTo that checks its result
// (issue 14: two per rtt sample). Anything else is left to AddrString's
// general path, which then decides as before.
func canonicalIPv4(s string) (b [4]byte, ok bool) {
	if len(s) < len("0.0.0.0") || len(s) > len("255.255.255.255") {
		return b, false
	}
	i := 0
	for k := range b {
		if k > 0 {
			if i >= len(s) || s[i] != '.' {
				return b, false
			}
			i++
		}
		start, v := i, 0
		for i < len(s) && i-start < 3 && '0' <= s[i] && s[i] <= '9' {
			v = v*10 + int(s[i]-'0')
			i++
		}
		if n := i - start; n == 0 || v > 255 || (n > 1 && s[start] == '0') {
			return b, false
		}
		b[k] = byte(v)
	}
	return b, i == len(s)
}

// AddrPort appends an endpoint of a row: its address column (AddrString)
// and its port.
func (e *Enc) AddrPort(addr string, port uint16) {
	e.AddrString(addr)
	e.Uvarint(uint64(port))
}

// Times appends a row's start time (zig-zag ns) and its end time as a
// delta from it.
func (e *Enc) Times(start, end int64) {
	e.Varint(start)
	e.Varint(end - start)
}

// Dec reads record fields from a payload. Errors are sticky: after the
// first failure every read returns zero and Err reports ErrShort or
// ErrCorrupt. It never panics.
type Dec struct {
	B []byte
	// A, when set, keeps the strings and nullable values the decoded
	// rows hold (String, AddrString and the record decoders' pointers):
	// decoding then allocates nothing once warmed up.
	A *Arena
	// Version is the wire version of the frame B comes from when older
	// than this package's (Header.Version), 0 for Version: the record
	// decoders read what that version wrote (rtt.DecodeSample).
	Version uint8
	err     error
}

// Err returns the first decoding error.
func (d *Dec) Err() error { return d.err }

// Done reports whether all bytes were read (or an error occurred).
func (d *Dec) Done() bool { return d.err != nil || len(d.B) == 0 }

func (d *Dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.B = nil
}

// Uvarint reads an unsigned varint.
func (d *Dec) Uvarint() uint64 {
	b := d.B
	if len(b) > 0 && b[0] < 0x80 {
		d.B = b[1:]
		return uint64(b[0])
	}
	if len(b) > 1 && b[1] < 0x80 {
		d.B = b[2:]
		return uint64(b[0]&0x7f) | uint64(b[1])<<7
	}
	v, n := uvarintLong(b, 0)
	if n <= 0 {
		d.fail(ErrShort)
		if n < 0 {
			d.err = ErrCorrupt
		}
		return 0
	}
	d.B = b[n:]
	return v
}

// uvarintLong reads the unsigned varint at b[i:] (0 <= i <= len(b)) as
// binary.Uvarint does and returns it with the index past it; the index is
// 0 when b is too short, negative on an overflow (more than 64 bits). The
// records' hot decoders read a one-byte varint (ids, lengths, small
// counts) inline and call it for the others. With 8 bytes left it reads
// them at once and gathers their 7-bit groups with shifts and masks:
// binary.Uvarint's loop took about 90 instructions for the 9-byte
// timestamps, and the collector decoded 12.7 M varints for the 5M
// corpus, a quarter of its instructions (issue 14).
func uvarintLong(b []byte, i int) (uint64, int) {
	if len(b)-i >= 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if stops := ^x & 0x8080808080808080; stops != 0 {
			n := bits.TrailingZeros64(stops)/8 + 1 // 1 to 8 bytes
			return gather7(x & (^uint64(0) >> (64 - 8*n))), i + n
		}
		if len(b)-i >= 10 {
			v := gather7(x)
			if c := b[i+8]; c < 0x80 {
				return v | uint64(c)<<56, i + 9
			} else if d := b[i+9]; d <= 1 {
				return v | uint64(c&0x7f)<<56 | uint64(d)<<63, i + 10
			}
		}
	}
	v, n := binary.Uvarint(b[i:])
	if n <= 0 {
		return 0, n
	}
	return v, i + n
}

// uvarintsAt reads len(vs) unsigned varints at b[i:] into vs, as
// uvarintLong does each, and returns the index past them; 0 when one is
// cut short or overflows.
func uvarintsAt(b []byte, i int, vs []uint64) int {
	for k := range vs {
		if i < len(b) && b[i] < 0x80 {
			vs[k] = uint64(b[i])
			i++
			continue
		}
		if i+1 < len(b) && b[i+1] < 0x80 { // two bytes (sizes, flow ids)
			vs[k] = uint64(b[i]&0x7f) | uint64(b[i+1])<<7
			i += 2
			continue
		}
		var n int
		if vs[k], n = uvarintLong(b, i); n <= 0 {
			return 0
		}
		i = n
	}
	return i
}

// gather7 packs the low 7 bits of each byte of x (little endian) into 56
// bits.
func gather7(x uint64) uint64 {
	x &= 0x7f7f7f7f7f7f7f7f
	x = x&0x007f007f007f007f | (x&0x7f007f007f007f00)>>1
	x = x&0x00003fff00003fff | (x&0x3fff00003fff0000)>>2
	return x&0x000000000fffffff | (x&0x0fffffff00000000)>>4
}

// Uvarints reads one unsigned varint into each of ps, in order.
func (d *Dec) Uvarints(ps ...*uint64) {
	for _, p := range ps {
		*p = d.Uvarint()
	}
}

// Uint16 reads an unsigned varint holding a 16-bit field (an interface
// index, a port, a VLAN id): a value above 65,535 is ErrCorrupt and reads
// as 0, never wrapped onto another interface or port.
func (d *Dec) Uint16() uint16 {
	v := d.Uvarint()
	if v > math.MaxUint16 {
		d.fail(ErrCorrupt)
		return 0
	}
	return uint16(v)
}

// Varint reads a zig-zag signed varint (encoding/binary's Varint).
func (d *Dec) Varint() int64 { return unzigzag(d.Uvarint()) }

// unzigzag is the signed value of zig-zag u.
func unzigzag(u uint64) int64 {
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// Byte reads one byte.
func (d *Dec) Byte() byte {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

// take reads the next n bytes (borrowed from the payload), nil when fewer
// are left (ErrShort).
func (d *Dec) take(n uint64) []byte {
	if n > uint64(len(d.B)) {
		d.fail(ErrShort)
		return nil
	}
	v := d.B[:n]
	d.B = d.B[n:]
	return v
}

// Bytes reads a length-prefixed byte string (borrowed from the payload).
func (d *Dec) Bytes() []byte {
	n := d.Uvarint()
	if d.err != nil {
		return nil
	}
	return d.take(n)
}

// String reads a length-prefixed string (allocates, unless d.A interns
// it).
func (d *Dec) String() string { return d.A.String(d.Bytes()) }

// Float reads a float64.
func (d *Dec) Float() float64 {
	if b := d.take(8); b != nil {
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
	return 0
}

// Addr reads an address written by Enc.Addr.
func (d *Dec) Addr() netip.Addr {
	if b := d.B; len(b) >= 5 && b[0] == 4 { // IPv4, the rows' usual: d.B moved once (issue 14)
		d.B = b[5:]
		return netip.AddrFrom4([4]byte(b[1:5]))
	}
	switch d.Byte() {
	case 0:
		return netip.Addr{}
	case 4:
		if b := d.take(4); b != nil {
			return netip.AddrFrom4([4]byte(b))
		}
		return netip.Addr{}
	case 6:
		if b := d.take(16); b != nil {
			return netip.AddrFrom16([16]byte(b))
		}
		return netip.Addr{}
	}
	d.fail(ErrCorrupt)
	return netip.Addr{}
}

// AddrString reads an address column written by Enc.AddrString.
func (d *Dec) AddrString() string {
	if d.err == nil && len(d.B) > 0 && d.B[0] == addrTagString {
		d.B = d.B[1:]
		return d.String()
	}
	return d.A.Addr(d.Addr())
}

// AddrPort reads an endpoint written by Enc.AddrPort.
func (d *Dec) AddrPort() (addr string, port uint16) {
	addr = d.AddrString()
	return addr, d.Uint16()
}

// Times reads a start and end time written by Enc.Times.
func (d *Dec) Times() (start, end int64) {
	start = d.Varint()
	return start, start + d.Varint()
}

// Fail records a record-level decoding error (for instance an enum value
// out of range) found by a record decoder: reads stop and Err returns err.
func (d *Dec) Fail(err error) { d.fail(err) }

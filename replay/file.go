package replay

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

const (
	// maxCapLen is the largest captured length (and pcapng block length)
	// accepted; a larger record header is malformed. libpcap's own limit
	// is 262144 bytes; 256 MiB leaves room for odd writers.
	maxCapLen = 256 << 20
	// bufSize is the read buffer of a File (a block of blockReader):
	// records up to this size are returned straight from it without a
	// copy, and can be lent (File.Lent).
	bufSize = 512 << 10
	// largeChunk is the growth step when a record larger than bufSize is
	// read from a stream of unknown length, so that a lying header in a
	// tiny input cannot make the reader allocate 256 MiB up front.
	largeChunk = 1 << 20
)

// Format is the container format of a capture file.
type Format uint8

// Container formats.
const (
	FormatPcap   Format = iota + 1 // classic libpcap, µs or ns timestamps
	FormatPcapNG                   // pcapng (draft-ietf-opsawg-pcapng)
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Stats counts what a File has read. Every field is a running total since
// Open.
type Stats struct {
	// Records is the number of packet records read (classic pcap records,
	// pcapng EPB/SPB/OPB), including skipped ones.
	Records uint64
	// Packets is the number of packets Next returned.
	Packets uint64
	// Bytes is the sum of the captured lengths of the returned packets.
	Bytes uint64
	// SkippedUnsupported counts pcapng packets of interfaces whose link
	// type pkt.LinkType.Supported rejects; they are not returned.
	SkippedUnsupported uint64
	// InvalidTimestamps counts classic pcap records whose sub-second
	// field is 1 s or more, clamped to the last instant of their second
	// (e.g. µs 1,000,000 -> 999,999).
	InvalidTimestamps uint64
	// TimeOverflow counts pcapng timestamps beyond the int64 ns range
	// (after 2262-04-11T23:47:16.854775807Z, e.g. if_tsresol 1 s and 2^62
	// s; or before 1677 with a negative if_tsoffset): saturated to the
	// range's end, which the probe engine takes for an impossible time
	// (capture_time_invalid). A pcapng has no sub-second field to clamp.
	TimeOverflow uint64
	// NoTimestamp counts pcapng Simple Packet Blocks, which carry no time:
	// they get the previous packet's time (0 if none), and
	// pkt.Meta.TimeBorrowed says so.
	NoTimestamp uint64
	// OverSnaplen counts records whose captured length exceeds the
	// declared snaplen (pcap header, pcapng interface); they are kept whole,
	// as libpcap and Wireshark do.
	OverSnaplen uint64
	// BadOptions counts pcapng Enhanced (and obsolete) Packet Blocks
	// whose options, read from the 32-bit boundary after the packet data
	// (pcapng: the data is padded to 32 bits), do not parse: packet data
	// not padded, or options broken. The packet is kept (its captured
	// length is whole inside the block); tshark calls such a file corrupt.
	BadOptions uint64
	// SkippedBlocks counts pcapng blocks read and ignored (name
	// resolution, interface statistics, decryption secrets, custom and
	// unknown blocks).
	SkippedBlocks uint64
	// Sections is the number of pcapng sections seen (1 for classic pcap).
	Sections int
	// TrailingBytes counts the bytes after a gzip file's last member that
	// do not start another one (RFC 1952 §2.2: a file is a series of
	// members), ignored as gzip -d does ("trailing garbage ignored"):
	// every packet of the compressed stream was read, the capture is not
	// cut short. 0 for an uncompressed file.
	TrailingBytes uint64
}

// Interface describes one capture interface of a file: the single implicit
// interface of a classic pcap, or one pcapng Interface Description Block.
// pcapng interfaces are numbered file-wide in order of appearance: the
// second section's interface 0 follows the first section's last one.
type Interface struct {
	// Section is the 0-based pcapng section holding the interface.
	Section int
	// ID is the interface id within its section (0 for classic pcap).
	ID int
	// Name is the pcapng if_name option ("" if absent or classic pcap).
	Name string
	// LinkType is the link-layer header type of the interface's packets.
	LinkType pkt.LinkType
	// SnapLen is the declared snapshot length in bytes; 0 means not
	// declared (no limit).
	SnapLen uint32
	// TicksPerSecond is the timestamp resolution: 1e6 for µs pcap and the
	// pcapng default, 1e9 for ns, 2^20 for if_tsresol 0x94, ...
	TicksPerSecond uint64
	// TimeOffsetS is the pcapng if_tsoffset in seconds, added to every
	// timestamp of the interface.
	TimeOffsetS int64
	// Packets is the number of packet records read so far on the
	// interface, including skipped ones.
	Packets uint64
	// Supported reports LinkType.Supported(): packets of an unsupported
	// interface are skipped and counted in Stats.SkippedUnsupported.
	Supported bool
}

// File reads packets from a classic pcap or pcapng file, possibly
// gzip-compressed. It implements pkt.Source. A File is not safe for
// concurrent use, except Progress, which any goroutine may call while
// another reads.
//
// Next returns data borrowed from the File's buffer, valid until the next
// call to Next; it allocates nothing per packet. The buffer is a
// pkt.Block (pkt.Lender): a caller that holds it (Lent, Retain) keeps the
// packet's bytes past the next call without copying them.
type File struct {
	name   string
	closer io.Closer
	br     *blockReader    // the uncompressed capture stream
	cr     *countingReader // the raw (possibly compressed) stream
	size   int64           // raw size in bytes, ≤ 0 unknown
	gz     bool
	format Format
	big    bool // current byte order is big-endian

	// classic pcap
	nano     bool
	swapLens bool // pcap 2.0-2.2: caplen and len may be swapped
	recExtra int  // bytes after the 16-byte record header: 8 in Kuznetzov's modified pcap
	snaplen  uint32
	// fast: NextInto reads a record held whole in the block in place
	// (little-endian pcap 2.3-2.4, no error yet); records it cannot take
	// (cut by the block's end, captured length beyond capMax, fraction
	// not below fracMax) go to nextPcap.
	fast     bool
	fastNG   bool   // pcapng: NextInto tries epb first (little-endian section, nothing pending)
	capMax   uint32 // the snaplen (maxCapLen if none), at most maxCapLen
	fracMax  uint32 // 1e6 (µs) or 1e9 (ns)
	fracMul  int64  // ns per fraction unit: 1000 (µs) or 1 (ns)
	link     pkt.LinkType
	seekSkip uint64 // pcap records OpenAt moved past without reading them

	// pcapng
	conv     []tsConv // parallel to ifaces
	secFirst int      // index in ifaces of the current section's interface 0
	pend     block    // block read by Open's pre-scan, not yet handled
	havePend bool
	pendErr  error
	lastNs   int64

	ix       *Indexer // the packet index noting this file's packets, or nil
	ifaces   []Interface
	off      int64  // offset of the next record in the uncompressed stream
	frame    uint64 // number of packet records read
	stats    Stats
	err      error // terminal error, returned once, then io.EOF
	buf      []byte
	inBuf    bool         // the last read's bytes are in buf, not in br's block
	progress atomic.Int64 // off, published (publish): the bytes of the uncompressed stream processed
	zc       *gzCounter   // a gzip file's compressed offsets (nil: not gzip)
	// aheadOK: the input can be read ahead (ReadAhead): a regular file
	// or bytes in memory, whose reads end; not a pipe, which a stop would
	// wait on
	aheadOK bool
}

// Open opens a capture file for reading: classic pcap (µs magic 0xa1b2c3d4
// or ns magic 0xa1b23c4d, Kuznetzov's modified pcap 0xa1b2cd34, either
// byte order) or pcapng, each optionally
// gzip-compressed (detected by content, not by name). It reads the file
// header (pcapng: up to the first packet) and fails with an *Error naming
// path whose Err is an OS error, ErrNotCapture, ErrUnsupportedVersion,
// ErrUnsupportedLinkType, pkt.ErrTruncated or pkt.ErrMalformed.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, osError(path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, osError(path, err)
	}
	if st.IsDir() {
		fh.Close()
		return nil, &Error{Path: path, Offset: -1, Detail: "is a directory", Err: ErrNotCapture}
	}
	f, err := NewReader(fh, path, st.Size())
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	f.aheadOK = st.Mode().IsRegular()
	return f, nil
}

func osError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Path: path, Offset: -1, Err: err}
}

// NewReader reads a capture from r, as Open does for a file. name is used in
// errors only; size is the length of r in bytes (≤ 0 if unknown), used by
// Progress and to reject records longer than what is left. Close does not
// close r.
func NewReader(r io.Reader, name string, size int64) (*File, error) {
	f := &File{name: name, size: size, cr: &countingReader{r: r}}
	_, f.aheadOK = r.(*bytes.Reader)
	rawSize := bufSize
	if size > 0 && size < bufSize {
		rawSize = max(int(size), 4096) // a small file needs no big buffer
	}
	raw := newBlockReader(f.cr, rawSize)
	magic, err := raw.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		// gzip reads a *bufio.Reader fastest (flate's bufio fast path)
		bz := bufio.NewReaderSize(raw, rawSize)
		zr, err := gzip.NewReader(bz)
		if err != nil {
			d, c := cause(err)
			return nil, &Error{Path: name, Offset: 0, Detail: join("gzip header", d), Err: c}
		}
		zr.Multistream(false) // gzCounter reads the members, and what follows them
		f.gz = true
		f.zc = &gzCounter{zr: zr, cr: f.cr, raw: raw, bz: bz}
		f.br = newBlockReader(f.zc, bufSize)
		magic, err = f.br.Peek(4)
		if len(magic) < 4 {
			return nil, f.headerErr(err, len(magic))
		}
	} else {
		f.br = raw
		if len(magic) < 4 {
			return nil, f.headerErr(err, len(magic))
		}
	}
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		f.format = FormatPcap
		err = f.openPcap()
	case blockSHB:
		f.format = FormatPcapNG
		err = f.openNG()
	default:
		return nil, &Error{Path: name, Offset: -1,
			Detail: fmt.Sprintf("magic 0x%08x", binary.BigEndian.Uint32(magic)), Err: ErrNotCapture}
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// headerErr reports an input too short to hold a capture magic.
func (f *File) headerErr(err error, n int) error {
	if n == 0 && (err == nil || err == io.EOF) {
		return &Error{Path: f.name, Offset: -1, Detail: "empty input", Err: ErrNotCapture}
	}
	d, c := cause(err)
	if f.gz && errors.Is(err, io.ErrUnexpectedEOF) {
		// the gzip stream, not the capture in it, ends early: a .pcap.gz
		// cut short (still being written), not "0 bytes: not a pcap"
		return &Error{Path: f.name, Offset: -1,
			Detail: fmt.Sprintf("gzip stream cut short (%d bytes decompressed)", n), Err: pkt.ErrTruncated}
	}
	if c == pkt.ErrTruncated {
		return &Error{Path: f.name, Offset: -1, Detail: fmt.Sprintf("%d bytes", n), Err: ErrNotCapture}
	}
	return &Error{Path: f.name, Offset: 0, Detail: d, Err: c}
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

// Next returns the next packet: its bytes (borrowed until the next call),
// and its metadata (Meta.TimeNs in Unix ns, Meta.Frame 1-based over the
// file's packet records, Meta.Iface the file-wide interface index, 0 for
// classic pcap). At the end of the capture it returns io.EOF. A damaged
// capture yields every good packet, then one *Error wrapping
// pkt.ErrTruncated (cut inside a record) or pkt.ErrMalformed (inconsistent
// header) carrying the frame number and byte offset, then io.EOF.
func (f *File) Next() (data []byte, m pkt.Meta, err error) {
	data, err = f.NextInto(&m)
	return data, m, err
}

// NextInto is Next filling *m in place (pkt.MetaSource).
//
// A classic pcap record held whole in the read block is read here, in
// place, with nothing but its own fields checked (issue 14: the read was
// 270 instructions per packet through nextPcap, the indexer and their
// counters, more than the decode-only floor's whole reader): the
// per-file conditions (byte order, version, no error yet) are decided
// once in fast, the counters that equal the frame number are derived
// from it (Stats, Interfaces), the progress is published once per block
// (publish), and the packet index's check is one window test
// (Indexer.note).
func (f *File) NextInto(m *pkt.Meta) ([]byte, error) {
	if f.fast {
		br := f.br
		h := br.buf[br.r:br.w]
		if len(h) >= pcapRecordLen {
			sec := binary.LittleEndian.Uint32(h[0:])
			frac := binary.LittleEndian.Uint32(h[4:])
			caplen := binary.LittleEndian.Uint32(h[8:])
			wirelen := binary.LittleEndian.Uint32(h[12:])
			// int(caplen): a check the compiler knows, so that slicing
			// data below has none (caplen <= capMax <= maxCapLen)
			if caplen <= f.capMax && frac < f.fracMax && int(caplen) <= len(h)-pcapRecordLen {
				n := pcapRecordLen + int(caplen)
				data := h[pcapRecordLen:n]
				br.r += n
				f.inBuf = false
				off := f.off
				f.off = off + int64(n)
				f.frame++
				f.stats.Bytes += uint64(caplen)
				ns := int64(sec)*1e9 + int64(frac)*f.fracMul
				// field by field: a composite literal is built on the stack
				// and copied (twice the stores)
				m.TimeNs, m.CapLen, m.WireLen = ns, caplen, wirelen
				m.LinkType, m.Iface, m.TimeBorrowed = f.link, 0, false
				m.Frame, m.ClockNs = f.frame, 0
				if x := f.ix; x != nil {
					// not due, and no earlier than the entry's packets so far
					// (maxT >= lo): its MaxTime moves, its MinTime does not
					x.sinceLast++
					if x.sinceLast >= x.everyPackets || ns < x.maxT || ns >= x.hi {
						return x.noted(data, off, ns, f.frame)
					}
					x.maxT = ns
				}
				return data, nil
			}
		}
	} else if f.fastNG {
		if data, ok := f.epb(m); ok {
			return data, nil
		}
	}
	return f.nextInto(m)
}

// nextInto is NextInto for every record its fast path does not take.
func (f *File) nextInto(m *pkt.Meta) (data []byte, err error) {
	if f.err != nil {
		f.err = io.EOF
		*m = pkt.Meta{}
		return nil, io.EOF
	}
	defer func() {
		// epb reads the next blocks, unless a section of the other byte
		// order, Open's pending block or the end came
		f.fastNG = f.format == FormatPcapNG && !f.big && !f.havePend && f.pendErr == nil && f.err == nil
	}()
	off, ifaces := f.off, len(f.ifaces)
	// The readers fill m in place: a Meta (40 bytes) returned by value is
	// copied twice on the stack per call level, which cost more than the
	// record's parsing (issue 14).
	if f.format == FormatPcap {
		data, err = f.nextPcap(m)
	} else {
		data, err = f.nextNG(m)
	}
	if err != nil {
		f.err = err
		f.fast = false // fastNG: the deferred update
		f.publish()
		*m = pkt.Meta{}
		return nil, err
	}
	if f.format != FormatPcap {
		f.stats.Packets++ // pcap: the records read (Stats)
	}
	f.stats.Bytes += uint64(len(data))
	if x := f.ix; x != nil {
		// NextInto's window test (see there)
		x.sinceLast++
		if t := m.TimeNs; x.sinceLast >= x.everyPackets || t < x.maxT || t >= x.hi {
			x.note(off, ifaces, t, m.Frame)
		} else {
			x.maxT = t
		}
	}
	return data, nil
}

// Lent returns the block holding the bytes of the packet Next returned
// last (pkt.Lender), or nil: after an error or the end, or for a record
// larger than the read buffer (bufSize), read into a buffer of its own.
func (f *File) Lent() *pkt.Block {
	if f.err != nil || f.inBuf {
		return nil
	}
	return f.br.Block()
}

// ReadAhead reads the capture ahead of Next in a goroutine of its own
// (pkt.ReadAheader, issue 14: the reader stage): the read system calls,
// and a gzip file's decompression, leave the caller's goroutine, which
// still parses the records, in place in the chunks read ahead
// (prefetch.go). The packets, their metadata, the errors and their
// positions, Lent, Stats and Progress are the same. stop ends the
// goroutine and waits for it; Close does too. It returns nil, reading
// nothing ahead, unless the input is a regular file (Open) or a
// *bytes.Reader (NewReader) of at least a read buffer (bufSize): a pipe's
// read would hold up a stop, and a small file is read whole at once.
func (f *File) ReadAhead() (stop func()) {
	if !f.aheadOK || f.err != nil || !canPrefetch(f.br.size) {
		return nil
	}
	f.br.startPrefetch()
	return f.br.stopPrefetch
}

// Close releases the file opened by Open (NewReader's reader is left
// open). Next returns io.EOF afterwards.
func (f *File) Close() error {
	f.br.stopPrefetch()
	f.err = io.EOF
	f.fast, f.fastNG = false, false
	if f.closer != nil {
		c := f.closer
		f.closer = nil
		return c.Close()
	}
	return nil
}

// Name returns the path given to Open or the name given to NewReader.
func (f *File) Name() string { return f.name }

// Format returns the container format.
func (f *File) Format() Format { return f.format }

// Compressed reports whether the file is gzip-compressed.
func (f *File) Compressed() bool { return f.gz }

// Snaplen returns the classic pcap header's snapshot length in bytes, 0
// meaning "not declared" (no limit); for pcapng it returns 0 (see
// Interfaces for per-interface values).
func (f *File) Snaplen() uint32 { return f.snaplen }

// Stats returns the counters so far.
func (f *File) Stats() Stats {
	s := f.stats
	if f.format == FormatPcap {
		// every record read is returned: Records and Packets are the
		// records read (NextInto counts only the frame number)
		s.Records = f.pcapRecords()
		s.Packets = s.Records
	}
	if f.gz {
		s.TrailingBytes = uint64(f.zc.trailing.Load())
	}
	return s
}

// pcapRecords is the number of classic pcap records read.
func (f *File) pcapRecords() uint64 { return f.frame - f.seekSkip }

// Interfaces returns the capture interfaces described so far (all of them
// once Next has returned io.EOF), in file-wide order; Meta.Iface indexes
// this slice. The slice is a copy.
func (f *File) Interfaces() []Interface {
	out := make([]Interface, len(f.ifaces))
	copy(out, f.ifaces)
	if f.format == FormatPcap && len(out) == 1 {
		out[0].Packets = f.pcapRecords()
	}
	return out
}

// Progress returns how far reading has got, for a progress bar: bytes of
// the file processed (the records Next returned, published once per
// block and at each packet index entry) and the file's total size in bytes (≤ 0 if unknown). For a gzip
// file both count compressed bytes: those that gave the uncompressed bytes
// processed (gzCounter), not those the decompressor read ahead (up to
// 1.5 MiB of uncompressed records ahead with ReadAhead). Safe to call
// from any goroutine while another calls Next.
func (f *File) Progress() (readBytes, totalBytes int64) {
	if f.gz {
		return f.zc.compressed(f.progress.Load()), f.size
	}
	return f.progress.Load(), f.size
}

// advance moves past n bytes of the uncompressed stream.
func (f *File) advance(n int) { f.off += int64(n) }

// publish makes the offset reached visible to Progress: after the file
// header, whenever the read block is refilled (once per block, not per
// packet: an atomic store per packet was a locked instruction per packet),
// at each packet index entry (Indexer.note: every 1000 packets or second
// of capture time, when indexed), and at the end or an error.
func (f *File) publish() { f.progress.Store(f.off) }

// read returns the next n bytes of the stream and consumes them. The bytes
// are borrowed until the next read. If fewer are left, it returns what
// there is and the error (io.EOF at the end of input).
func (f *File) read(n int) ([]byte, error) {
	if n > f.br.Buffered() {
		f.publish() // the block is refilled: once per block
	}
	if n <= f.br.Size() {
		f.inBuf = false
		p, err := f.br.Peek(n)
		if len(p) < n {
			if err == nil {
				err = io.EOF
			}
			return p, err
		}
		f.br.Discard(n)
		return p, nil
	}
	f.inBuf = true
	if !f.gz && f.size > 0 && f.off+int64(n) > f.size {
		// Cannot be there: say how much is, without reading it.
		have := max(f.size-f.off, 0)
		return nil, &shortError{have: int(have)}
	}
	if cap(f.buf) >= n {
		k, err := io.ReadFull(f.br, f.buf[:n])
		if err != nil {
			return f.buf[:k], err
		}
		return f.buf[:n], nil
	}
	// Grow with the bytes that actually arrive.
	buf := f.buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), max(len(buf), largeChunk))
		if cap(buf)-len(buf) < step {
			nb := make([]byte, len(buf), len(buf)+step)
			copy(nb, buf)
			buf = nb
		}
		k, err := io.ReadFull(f.br, buf[len(buf):len(buf)+step])
		buf = buf[:len(buf)+k]
		if err != nil {
			f.buf = buf
			return buf, err
		}
	}
	f.buf = buf
	return buf, nil
}

// shortError reports a record that cannot fit in what is left of a file of
// known size.
type shortError struct{ have int }

func (e *shortError) Error() string { return "unexpected EOF" }
func (e *shortError) Unwrap() error { return io.ErrUnexpectedEOF }

// avail returns how many bytes of a short read were there.
func avail(p []byte, err error) int {
	var se *shortError
	if errors.As(err, &se) {
		return se.have
	}
	return len(p)
}

// damage builds the error for a record or block that could not be read.
// what names the part ("record data"), have/want count bytes.
func (f *File) damage(err error, off int64, what string, have, want int) error {
	d, c := cause(err)
	detail := fmt.Sprintf("%s cut short (%d of %d bytes)", what, have, want)
	if c != pkt.ErrTruncated {
		detail = join(what, d)
	}
	return &Error{Path: f.name, Frame: f.frame + 1, Offset: off, Detail: detail, Err: c}
}

// malformed builds the error for an inconsistent record or block header.
func (f *File) malformed(off int64, format string, args ...any) error {
	return &Error{Path: f.name, Frame: f.frame + 1, Offset: off, Detail: fmt.Sprintf(format, args...), Err: pkt.ErrMalformed}
}

func (f *File) u16(b []byte) uint16 {
	if f.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (f *File) u32(b []byte) uint32 {
	if f.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (f *File) u64(b []byte) uint64 {
	if f.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// gzCounter is a gzip file's decompressor as the File reads it: it notes,
// after each read (in the goroutine that reads: the caller's, or
// ReadAhead's), the uncompressed bytes given so far and the compressed
// bytes that gave them (those read from the file less those still
// buffered before the decompressor), so that Progress can say how many
// compressed bytes the records processed came from.
type gzCounter struct {
	zr  *gzip.Reader // one member at a time (Multistream(false))
	cr  *countingReader
	raw *blockReader  // buffers compressed bytes read: not given yet
	bz  *bufio.Reader // likewise
	u   int64         // uncompressed bytes given (the reading goroutine's)
	mu  sync.Mutex
	at  [2]int64 // uncompressed bytes given, compressed bytes they came from
	// shown is the largest value compressed returned
	shown int64
	// ended is set (by the reading goroutine) when the stream has ended:
	// no member follows the last one
	ended bool
	// trailing is the number of bytes after the last member that do not
	// start a member (Stats.TrailingBytes)
	trailing atomic.Int64
}

func (g *gzCounter) Read(p []byte) (int, error) {
	if g.ended {
		return 0, io.EOF
	}
	n, err := g.zr.Read(p)
	for err == io.EOF && !g.ended {
		if err = g.next(); err == nil && n == 0 {
			n, err = g.zr.Read(p)
		}
	}
	g.u += int64(n)
	c := g.cr.n.Load()
	if err == nil {
		c -= int64(g.raw.Buffered() + g.bz.Buffered())
	}
	g.mu.Lock()
	g.at = [2]int64{g.u, c}
	g.mu.Unlock()
	return n, err
}

// next is called at the end of a gzip member: it starts the next member
// (a file of several, as `cat a.gz b.gz` makes, is one stream, as gzip -d
// reads it), or ends the stream (io.EOF) at the end of the input, or
// when what follows is not a member: those bytes are read, counted
// (trailing) and ignored, as gzip -d does ("trailing garbage ignored"),
// not taken for a capture cut short. Other errors (the input's) are
// returned.
func (g *gzCounter) next() error {
	end := g.cr.n.Load() - int64(g.raw.Buffered()+g.bz.Buffered())
	err := g.zr.Reset(g.bz)
	if err == nil {
		g.zr.Multistream(false)
		return nil
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, gzip.ErrHeader) && !errors.Is(err, gzip.ErrChecksum) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err // the input's error, not data
	}
	if err != io.EOF {
		if _, err := io.Copy(io.Discard, g.bz); err != nil {
			return err
		}
		g.trailing.Store(g.cr.n.Load() - end)
	}
	g.ended = true
	return io.EOF
}

// compressed returns how many compressed bytes gave the first u
// uncompressed ones: those of the last read when u reached it, else in
// proportion (the compression ratio so far: the decompressor's position
// is known once per read, not per record), never less than it returned
// before (a ratio that changes could move the estimate back).
func (g *gzCounter) compressed(u int64) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.at[1]
	if u < g.at[0] {
		c = int64(float64(c) * float64(u) / float64(g.at[0]))
	}
	g.shown = max(g.shown, c)
	return g.shown
}

// countingReader counts the bytes read from the raw input, for Progress.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

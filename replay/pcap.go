package replay

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Classic pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html):
// a 24-byte file header, then records of a 16-byte header (seconds,
// fraction, captured length, original length) and the captured bytes.
//
// pcapgo.Reader (gopacket v1.7.7) is not used here, although it now reads
// edges 18 and 19: it multiplies the µs field in 32 bits, so the invalid
// fractions of malformed/tcpdump_timestamp_invalid_micro.pcap come out as
// +1 s and as a silent wrap, neither detectable nor countable; it refuses
// minor versions other than 2.4 and records above max(snaplen, 262144)
// bytes; its errors carry no frame number or byte offset; and it buffers
// the input itself, hiding the position Progress needs. The format is small
// enough to read here; TestAgainstPcapgo checks every sample against
// pcapgo.

const (
	pcapHeaderLen = 24
	pcapRecordLen = 16
	// linkTypeMask keeps LINKTYPE from the header's 32-bit field, whose top
	// bits may carry the FCS length (pcap draft, "LinkType and additional
	// information").
	linkTypeMask = 0x03ffffff
)

func (f *File) openPcap() error {
	h, err := f.read(pcapHeaderLen)
	if len(h) < pcapHeaderLen {
		d, c := cause(err)
		if c == pkt.ErrTruncated {
			return &Error{Path: f.name, Offset: 0, Detail: fmt.Sprintf("pcap file header cut short (%d of %d bytes)", len(h), pcapHeaderLen), Err: c}
		}
		return &Error{Path: f.name, Offset: 0, Detail: join("pcap file header", d), Err: c}
	}
	magic := binary.LittleEndian.Uint32(h)
	f.big = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1 || magic == 0x34cdb2a1
	f.nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1
	if magic == 0xa1b2cd34 || magic == 0x34cdb2a1 {
		// Kuznetzov's patched tcpdump (libpcap's KUZNETZOV_TCPDUMP_MAGIC,
		// struct pcap_sf_patched_pkthdr): each record header is followed by
		// the interface index (4 bytes), protocol (2), packet type (1) and a
		// pad byte, not part of the packet.
		f.recExtra = 8
	}
	major, minor := f.u16(h[4:]), f.u16(h[6:])
	if major != 2 || minor > 4 {
		return &Error{Path: f.name, Offset: 4, Detail: fmt.Sprintf("pcap version %d.%d", major, minor), Err: ErrUnsupportedVersion}
	}
	f.swapLens = minor < 3
	f.snaplen = f.u32(h[16:])
	raw := f.u32(h[20:]) & linkTypeMask
	if raw > 0xffff || !pkt.FileLinkType(raw).Supported() {
		return &Error{Path: f.name, Offset: 20, Detail: fmt.Sprintf("link type %s (%d)", pkt.LinkType(raw), raw), Err: ErrUnsupportedLinkType}
	}
	tps := uint64(1e6)
	if f.nano {
		tps = 1e9
	}
	f.ifaces = append(f.ifaces, Interface{LinkType: pkt.FileLinkType(raw), SnapLen: f.snaplen, TicksPerSecond: tps, Supported: true})
	f.stats.Sections = 1
	f.advance(pcapHeaderLen)
	f.publish()
	f.link = pkt.FileLinkType(raw)
	// a record longer than maxCapLen is malformed (nextPcap says so):
	// below it, int(caplen) is a length on any platform
	f.capMax = maxCapLen
	if f.snaplen != 0 {
		f.capMax = min(f.snaplen, maxCapLen)
	}
	f.fracMax, f.fracMul = 1e6, 1e3
	if f.nano {
		f.fracMax, f.fracMul = 1e9, 1
	}
	f.fast = !f.big && !f.swapLens && f.recExtra == 0
	return nil
}

// nextPcap reads the next record into m: every record of a file NextInto's
// fast path does not read (big-endian, pcap 2.0-2.2, Kuznetzov), and the
// others it leaves (cut by the end of the block, over the snaplen, an
// invalid fraction, the end or damage).
func (f *File) nextPcap(m *pkt.Meta) ([]byte, error) {
	f.publish() // once per block at least: the fast path leaves its last record here
	off := f.off
	br := f.br
	h := br.buf[br.r:br.w] // Peek's fast path, in place
	var err error
	if len(h) < pcapRecordLen {
		h, err = br.Peek(pcapRecordLen)
	}
	if len(h) < pcapRecordLen {
		if len(h) == 0 && (err == nil || err == io.EOF) {
			return nil, io.EOF
		}
		return nil, f.damage(err, off, "record header", len(h), pcapRecordLen)
	}
	sec, frac := f.u32(h[0:]), f.u32(h[4:])
	caplen, wirelen := f.u32(h[8:]), f.u32(h[12:])
	if f.swapLens && caplen > wirelen {
		caplen, wirelen = wirelen, caplen
	}
	if caplen > maxCapLen {
		return nil, f.malformed(off, "record header: captured length %d > %d", caplen, maxCapLen)
	}
	hl := pcapRecordLen + f.recExtra
	n := hl + int(caplen)
	var rec []byte
	if br.w-br.r >= n { // buffered: read's Peek and Discard in place
		rec = br.buf[br.r : br.r+n]
		br.r += n
		f.inBuf = false
	} else if rec, err = f.read(n); len(rec) < n {
		return nil, f.damage(err, off, "record data", max(avail(rec, err)-hl, 0), int(caplen))
	}
	data := rec[hl:]
	f.advance(n)
	f.frame++ // Records and the interface's Packets are derived from it (Stats)
	if f.snaplen != 0 && caplen > f.snaplen {
		f.stats.OverSnaplen++
	}
	ns := int64(sec) * 1e9
	if f.nano {
		if frac >= 1e9 {
			frac = 1e9 - 1
			f.stats.InvalidTimestamps++
		}
		ns += int64(frac)
	} else {
		if frac >= 1e6 {
			frac = 1e6 - 1
			f.stats.InvalidTimestamps++
		}
		ns += int64(frac) * 1e3
	}
	*m = pkt.Meta{
		TimeNs:   ns,
		CapLen:   caplen,
		WireLen:  wirelen,
		LinkType: f.link,
		Frame:    f.frame,
	}
	return data, nil
}

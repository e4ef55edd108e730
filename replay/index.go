package replay

import (
	"fmt"
	"io"
	"os"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// TablePacketIndex is the output table the packet index is written to
// (<out>/packet_index/*.parquet): a sparse map from capture time to a
// position in a capture file, so that the TUI reads a flow's packets back
// with one seek instead of a scan.
const TablePacketIndex = "packet_index"

// PacketIndexDoc says what a packet_index row is, for the reference
// (docs/tables.md, `tmonbench query --schema`).
const PacketIndexDoc = "a position in a capture file `tmonbench replay` read (every input but standard input), noted for its first packet, then every thousand packets or second of capture time, and where capture time steps back by more than a second (replay.StepBackNs): the TUI seeks there to read a flow's packets back (replay.IndexEntry)"

// IndexEntry is one row of packet_index: reading File from Offset (a
// position in the uncompressed capture stream where a record or block
// starts) yields packet Frame, captured at Time, and then the packets
// after it. Offset 0 means "from the start of the file".
type IndexEntry struct {
	Probe     string `parquet:"probe,dict"`                       // probe the capture file was replayed as
	Interface string `parquet:"interface,dict"`                   // the probe interface the file feeds
	Path      string `parquet:"path,dict"`                        // the capture file, absolute
	Time      int64  `parquet:"time,timestamp(nanosecond:local)"` // capture time of the packet at offset_bytes
	Offset    int64  `parquet:"offset_bytes"`                     // where a record or block starts in the uncompressed capture stream (0: from the start of the file)
	Frame     uint64 `parquet:"frame"`                            // 1-based record number of the packet at offset_bytes
	Ifaces    uint32 `parquet:"ifaces"`                           // pcapng interfaces known at offset_bytes (a later seek checks it)
	Gzip      bool   `parquet:"compressed"`                       // offset_bytes is in the decompressed stream: reading there decompresses from the start
}

// Offset returns the position in the uncompressed capture stream of the
// next byte Next will read (after the packet it returned last).
func (f *File) Offset() int64 { return f.off }

// Indexer is a pkt.Source that passes a File's packets through and notes
// an IndexEntry every EveryPackets packets or EveryNs of capture time,
// whichever comes first, for the first packet, and for each packet that
// starts a segment: one captured more than StepBackNs before the latest
// entry of its segment (the capture's clock stepped back, or captures of
// different times were concatenated). Spans reads the segments back.
type Indexer struct {
	f            *File
	base         IndexEntry
	everyPackets uint64
	everyNs      int64
	sinceLast    uint64
	lastNs       int64 // time of the last entry
	segMaxNs     int64 // latest entry time of the current segment
	entries      []IndexEntry
}

// NewIndexer indexes f, read as interface iface of probe, at most every
// everyPackets packets and every everyNs nanoseconds of capture time.
// Spans relies on an entry at least every StepBackNs of capture time:
// everyNs 0 or above it leaves a file's segments without an upper time
// bound Spans can trust.
func NewIndexer(f *File, probe, iface, absPath string, everyPackets uint64, everyNs int64) *Indexer {
	return &Indexer{f: f, base: IndexEntry{Probe: probe, Interface: iface, Path: absPath, Gzip: f.gz},
		everyPackets: max(everyPackets, 1), everyNs: everyNs}
}

var _ interface {
	pkt.MetaSource
	pkt.Lender
} = (*Indexer)(nil)

// Next returns f's next packet, noting an entry when one is due. The entry
// is the offset before the read, which for pcapng may precede metadata
// blocks: reading from it handles them as the first read did.
func (x *Indexer) Next() ([]byte, pkt.Meta, error) {
	var m pkt.Meta
	data, err := x.NextInto(&m)
	return data, m, err
}

// NextInto is Next filling *m in place (pkt.MetaSource): the pipeline
// reads a File so, and an Indexer in front of it took that away (the read
// stage of bench on the 5 M corpus, 125 -> 229 ns/packet).
func (x *Indexer) NextInto(m *pkt.Meta) ([]byte, error) {
	off := x.f.off
	ifaces := len(x.f.ifaces)
	data, err := x.f.NextInto(m)
	if err != nil {
		return data, err
	}
	x.sinceLast++
	segment := len(x.entries) == 0 || m.TimeNs < x.segMaxNs-StepBackNs
	if segment || x.sinceLast >= x.everyPackets || (x.everyNs > 0 && m.TimeNs-x.lastNs >= x.everyNs) {
		e := x.base
		e.Time, e.Offset, e.Frame, e.Ifaces = m.TimeNs, off, m.Frame, uint32(ifaces)
		if m.Frame == 1 {
			e.Offset = 0
		}
		x.entries = append(x.entries, e)
		x.sinceLast, x.lastNs = 0, m.TimeNs
		if segment {
			x.segMaxNs = m.TimeNs
		}
		x.segMaxNs = max(x.segMaxNs, m.TimeNs)
	}
	return data, nil
}

// Close closes the File.
func (x *Indexer) Close() error { return x.f.Close() }

// Lent returns the File's block of the packet Next returned last
// (pkt.Lender).
func (x *Indexer) Lent() *pkt.Block { return x.f.Lent() }

// File returns the indexed File.
func (x *Indexer) File() *File { return x.f }

// Entries returns the entries noted so far, in capture-file order.
func (x *Indexer) Entries() []IndexEntry { return x.entries }

// OpenAt opens a capture file and moves to an IndexEntry's position: the
// next Next returns packet e.Frame. A plain file seeks; a compressed one
// decompresses and discards up to the offset. When the file's interfaces
// at the offset are not those known after its header (a pcapng with
// interfaces declared later), it reads from the start and skips e.Frame-1
// packets instead.
func OpenAt(path string, offset int64, frame uint64, ifaces uint32) (*File, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	if offset <= 0 || frame <= 1 {
		return f, nil
	}
	if len(f.ifaces) != int(ifaces) {
		for f.frame+1 < frame {
			if _, _, err := f.Next(); err != nil {
				f.Close()
				return nil, fmt.Errorf("replay: skip to frame %d of %s: %w", frame, path, err)
			}
		}
		return f, nil
	}
	fh, seekable := f.closer.(*os.File)
	if seekable && !f.gz {
		if _, err := fh.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, &Error{Path: path, Offset: offset, Err: err}
		}
		f.br.Reset(f.cr)
	} else {
		skip := offset - f.off
		if f.havePend {
			f.Close()
			return OpenScan(path, frame)
		}
		if _, err := f.br.Discard(int(skip)); err != nil {
			f.Close()
			return nil, &Error{Path: path, Offset: offset, Detail: "offset beyond the end", Err: pkt.ErrTruncated}
		}
	}
	f.off = offset
	f.frame = frame - 1
	f.havePend, f.pendErr = false, nil
	return f, nil
}

// OpenScan opens a capture file and reads up to packet frame (1-based),
// without an index.
func OpenScan(path string, frame uint64) (*File, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	for f.frame+1 < frame {
		if _, _, err := f.Next(); err != nil {
			f.Close()
			return nil, fmt.Errorf("replay: skip to frame %d of %s: %w", frame, path, err)
		}
	}
	return f, nil
}

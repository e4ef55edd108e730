package replay

import (
	"fmt"
	"io"
	"math"
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
const PacketIndexDoc = "a position in a capture file `tmonbench replay` read (every input but standard input), noted for its first packet, then every thousand packets or second of capture time, and where capture time steps back by more than a second (replay.StepBackNs), with the earliest and latest capture times up to the file's next row: the TUI seeks there to read a flow's packets back (replay.Spans). At most 4,096 rows per file (replay.MaxIndexEntries): past that, neighbouring rows are merged two by two and rows noted half as often, so a long capture, or one whose clock keeps stepping back, has rows further apart; a file feeding several interfaces of its probe (a pcapng) has its rows once, with interface ''"

// IndexEntry is one row of packet_index: reading File from Offset (a
// position in the uncompressed capture stream where a record or block
// starts) yields packet Frame, captured at Time, and then the packets
// after it; those up to the next entry of the file were captured between
// MinTime and MaxTime. Offset 0 means "from the start of the file".
type IndexEntry struct {
	Probe     string `parquet:"probe,dict"`                           // probe the capture file was replayed as
	Interface string `parquet:"interface,dict"`                       // the probe interface the file feeds ('' when it feeds several: a pcapng of several interfaces)
	Path      string `parquet:"path,dict"`                            // the capture file, absolute
	Time      int64  `parquet:"time,timestamp(nanosecond:local)"`     // capture time of the packet at offset_bytes
	MinTime   int64  `parquet:"min_time,timestamp(nanosecond:local)"` // earliest capture time of the packets from offset_bytes up to the file's next row
	MaxTime   int64  `parquet:"max_time,timestamp(nanosecond:local)"` // latest capture time of the packets from offset_bytes up to the file's next row
	Offset    int64  `parquet:"offset_bytes"`                         // where a record or block starts in the uncompressed capture stream (0: from the start of the file)
	Frame     uint64 `parquet:"frame"`                                // 1-based record number of the packet at offset_bytes
	Ifaces    uint32 `parquet:"ifaces"`                               // pcapng interfaces known at offset_bytes (a later seek checks it)
	Gzip      bool   `parquet:"compressed"`                           // offset_bytes is in the decompressed stream: reading there decompresses from the start
}

// MaxIndexEntries bounds the entries an Indexer keeps for one capture
// file, whatever the file: when full, it merges each two neighbouring
// entries into one (the first's position, the union of their times) and
// notes entries half as often from then on, so a file of any length or
// clock gives at most this many packet_index rows (about 100 bytes each
// in memory) and a seek reads at most a 4,096th of the file past its
// start.
const MaxIndexEntries = 4096

// Offset returns the position in the uncompressed capture stream of the
// next byte Next will read (after the packet it returned last).
func (f *File) Offset() int64 { return f.off }

// Indexer is a pkt.Source that passes a File's packets through and notes
// an IndexEntry for the first packet, then every EveryPackets packets or
// EveryNs of capture time, whichever comes first, and where capture time
// steps back more than StepBackNs before the latest entry (the clock set
// back, captures of different times concatenated), keeping each entry's
// MinTime and MaxTime up to date. Past MaxIndexEntries it thins its
// entries (see there). Spans reads the entries back.
//
// The File itself notes the entries as it reads (NewIndexer attaches the
// Indexer to it): reading the File directly or through the Indexer gives
// the same entries, and a reader that takes the File saves a call per
// packet.
type Indexer struct {
	f            *File
	base         IndexEntry
	everyPackets uint64
	everyNs      int64
	minPackets   uint64 // packets between entries at least (doubled by each thinning)
	maxEntries   int
	sinceLast    uint64
	lastNs       int64 // time of the last entry
	entries      []IndexEntry
	// hi bounds the capture times that the time rules cannot make due:
	// a packet at t, maxT <= t < hi, with fewer than everyPackets since
	// the latest entry, is not due (window); File.NextInto tests that and
	// calls note otherwise. hi is MinInt64 (every packet to note) before
	// the first entry and where the bounds would overflow.
	hi int64
	// minT and maxT are the latest entry's MinTime and MaxTime, kept here
	// while reading and written into it by flush.
	minT, maxT int64
}

// NewIndexer indexes f, read as interface iface of probe (empty for a file
// feeding several interfaces), at most every everyPackets packets and
// every everyNs nanoseconds of capture time (0: no time rule). It attaches
// itself to f (replacing an Indexer attached before): f's packets from
// then on are noted, read through the Indexer or from f.
func NewIndexer(f *File, probe, iface, absPath string, everyPackets uint64, everyNs int64) *Indexer {
	x := &Indexer{f: f, base: IndexEntry{Probe: probe, Interface: iface, Path: absPath, Gzip: f.gz},
		everyPackets: max(everyPackets, 1), everyNs: everyNs, minPackets: 1, maxEntries: MaxIndexEntries,
		hi: math.MinInt64}
	f.ix = x
	return x
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
	data, err := x.f.NextInto(&m)
	return data, m, err
}

// NextInto is Next filling *m in place (pkt.MetaSource): the pipeline
// reads a File so, and an Indexer in front of it took that away (the read
// stage of bench on the 5 M corpus, 125 -> 229 ns/packet).
func (x *Indexer) NextInto(m *pkt.Meta) ([]byte, error) { return x.f.NextInto(m) }

// note is the index's check of a packet File.NextInto read (sinceLast
// already counts it) at capture time t, frame frame, from offset off of
// the stream where ifaces interfaces were known, when the window test
// could not tell it is not due.
func (x *Indexer) note(off int64, ifaces int, t int64, frame uint64) {
	due := len(x.entries) == 0 || x.sinceLast >= x.everyPackets ||
		x.sinceLast >= x.minPackets && x.everyNs > 0 && (t-x.lastNs >= x.everyNs || t < x.lastNs-StepBackNs)
	if !due {
		x.minT, x.maxT = min(x.minT, t), max(x.maxT, t)
		return
	}
	// the progress too: within a block (512 KiB, published when read
	// again) a bar said 0 % over the first 42 % of a 1.2 MB capture
	// (trial3 D3); an entry is due every 1000 packets or second of
	// capture time, off the per-packet path
	x.f.publish()
	x.flush()
	if len(x.entries) >= x.maxEntries {
		x.thin()
	}
	e := x.base
	e.Time, e.MinTime, e.MaxTime, e.Offset, e.Frame, e.Ifaces = t, t, t, off, frame, uint32(ifaces)
	if frame == 1 {
		e.Offset = 0
	}
	x.entries = append(x.entries, e)
	x.sinceLast, x.lastNs = 0, t
	x.minT, x.maxT = t, t
	x.window()
}

// noted is note for a classic pcap packet File.NextInto read in place,
// returning its data: not inlined, so that nothing of the caller is live
// across the call (inlined, it had the packet spilled on every packet's
// path).
//
//go:noinline
func (x *Indexer) noted(data []byte, off int64, t int64, frame uint64) ([]byte, error) {
	x.note(off, 1, t, frame)
	return data, nil
}

// window sets hi from lastNs and everyNs. A time t with maxT <= t < hi
// is within [lastNs, lastNs+everyNs) (maxT >= lastNs, the latest entry's
// own time), computed without overflow: t-lastNs < everyNs and t is not
// before lastNs-StepBackNs, so no time rule makes it due.
func (x *Indexer) window() {
	switch {
	case x.everyNs <= 0:
		x.hi = math.MaxInt64 // no time rule
	case x.lastNs >= math.MinInt64+StepBackNs && x.lastNs <= math.MaxInt64-x.everyNs:
		// (note's lastNs-StepBackNs wraps below MinInt64+StepBackNs)
		x.hi = x.lastNs + x.everyNs
	default:
		x.hi = math.MinInt64 // empty: every packet to note
	}
}

// flush writes minT and maxT into the latest entry.
func (x *Indexer) flush() {
	if n := len(x.entries); n > 0 {
		x.entries[n-1].MinTime, x.entries[n-1].MaxTime = x.minT, x.maxT
	}
}

// thin merges entries 2i and 2i+1 into one and halves how often entries
// are noted: at most MaxIndexEntries entries whatever the input, each
// thinning costing one pass over them after at least MaxIndexEntries/2
// new entries.
func (x *Indexer) thin() {
	es := x.entries
	n := 0
	for i := 0; i < len(es); i += 2 {
		e := es[i]
		if i+1 < len(es) {
			e.MinTime, e.MaxTime = min(e.MinTime, es[i+1].MinTime), max(e.MaxTime, es[i+1].MaxTime)
		}
		es[n] = e
		n++
	}
	clear(es[n:])
	x.entries = es[:n]
	x.everyPackets *= 2
	x.minPackets *= 2
	x.everyNs *= 2
}

// Close closes the File.
func (x *Indexer) Close() error { return x.f.Close() }

// Lent returns the File's block of the packet Next returned last
// (pkt.Lender).
func (x *Indexer) Lent() *pkt.Block { return x.f.Lent() }

// File returns the indexed File.
func (x *Indexer) File() *File { return x.f }

// Entries returns the entries noted so far, in capture-file order. Not
// safe while another goroutine reads the File.
func (x *Indexer) Entries() []IndexEntry {
	x.flush()
	return x.entries
}

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
	f.seekSkip += frame - 1 - f.frame
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

// ReadAhead reads the File ahead (File.ReadAhead, pkt.ReadAheader); nil
// when it cannot.
func (x *Indexer) ReadAhead() (stop func()) { return x.f.ReadAhead() }

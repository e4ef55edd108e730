package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// spool is the disk FIFO of the permanent PDUs a Sender holds past
// MaxPermanentBytes (permanent.go): records of a PDU's type, record count,
// build time and payload, without PDU id, header or tag (the frame is
// sealed when the PDU is loaded back). It keeps O(1) state in memory: the
// open segment files, the read offset in the oldest, and counts.
//
// The records go to segment files of at most segMax bytes, each created in
// dir and unlinked at once: the kernel frees it when the spool closes it or
// the process ends, even killed, so no run leaves a spool behind and two
// processes never share one. A segment is closed (its disk space freed)
// once every record in it was read or dropped, so the disk used is at most
// the live bytes plus one segment.
type spool struct {
	dir    string
	segMax int64
	segs   []spoolSeg // oldest first
	head   int64      // read offset in segs[0]
	bytes  int64      // live bytes (record headers included)
	pdus   int
	// per type: PDUs and records spooled now
	perType [typeLimit][2]uint64
	buf     []byte
}

type spoolSeg struct {
	f    *os.File
	size int64
}

// spoolHdrLen is the bytes of a spooled record before its payload:
// payload length (4), type (1), records (8), build time (8).
const spoolHdrLen = 21

// spoolRec is the header of one spooled PDU.
type spoolRec struct {
	typ     Type
	records uint64
	buildNs int64
	n       int // payload bytes
}

func (r spoolRec) size() int64 { return spoolHdrLen + int64(r.n) }

// errSpoolCorrupt is a spooled record that does not read back.
var errSpoolCorrupt = errors.New("pdu spool: corrupt record")

// newSpool returns a spool writing segments of at most segMax bytes in
// dir, which must exist or be creatable; it creates no file yet.
func newSpool(dir string, segMax int64) (*spool, error) {
	if dir == "" {
		return nil, errors.New("pdu spool: no folder (a probe process's --state-dir is '')")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pdu spool: %w", err)
	}
	sp := &spool{dir: dir, segMax: max(segMax, 1<<16)}
	// try now that a file can be created, so a failure shows at once
	if err := sp.newSeg(); err != nil {
		return nil, err
	}
	return sp, nil
}

// newSeg opens a new, unlinked, segment file at the end.
func (sp *spool) newSeg() error {
	f, err := os.CreateTemp(sp.dir, ".tmonbench-spool-*")
	if err != nil {
		return fmt.Errorf("pdu spool: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return fmt.Errorf("pdu spool: %w", err)
	}
	sp.segs = append(sp.segs, spoolSeg{f: f})
	return nil
}

// push appends one PDU at the tail.
func (sp *spool) push(t Type, records uint64, buildNs int64, payload []byte) error {
	need := int64(spoolHdrLen + len(payload))
	if n := len(sp.segs); n == 0 || (sp.segs[n-1].size > 0 && sp.segs[n-1].size+need > sp.segMax) {
		if err := sp.newSeg(); err != nil {
			return err
		}
	}
	b := sp.buf[:0]
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, byte(t))
	b = binary.BigEndian.AppendUint64(b, records)
	b = binary.BigEndian.AppendUint64(b, uint64(buildNs))
	b = append(b, payload...)
	sp.buf = b
	last := &sp.segs[len(sp.segs)-1]
	if _, err := last.f.WriteAt(b, last.size); err != nil {
		return fmt.Errorf("pdu spool: %w", err)
	}
	last.size += need
	sp.bytes += need
	sp.pdus++
	sp.perType[t][0]++
	sp.perType[t][1] += records
	return nil
}

// peek reads the header of the oldest PDU.
func (sp *spool) peek() (spoolRec, error) {
	var r spoolRec
	if sp.pdus == 0 {
		return r, errors.New("pdu spool: empty")
	}
	for sp.head >= sp.segs[0].size && len(sp.segs) > 1 {
		sp.dropSeg()
	}
	var h [spoolHdrLen]byte
	if _, err := sp.segs[0].f.ReadAt(h[:], sp.head); err != nil {
		return r, fmt.Errorf("pdu spool: %w", err)
	}
	r.n = int(binary.BigEndian.Uint32(h[0:]))
	r.typ = Type(h[4])
	r.records = binary.BigEndian.Uint64(h[5:])
	r.buildNs = int64(binary.BigEndian.Uint64(h[13:]))
	if r.n > MaxPayload || r.typ == 0 || r.typ >= typeLimit || sp.head+r.size() > sp.segs[0].size {
		return r, errSpoolCorrupt
	}
	return r, nil
}

// pop removes the oldest PDU and returns its header and payload (in the
// spool's buffer, valid until the next call).
func (sp *spool) pop() (spoolRec, []byte, error) {
	r, err := sp.peek()
	if err != nil {
		return r, nil, err
	}
	b := sp.buf[:0]
	if cap(b) < r.n {
		b = make([]byte, r.n)
	}
	b = b[:r.n]
	sp.buf = b
	if _, err := sp.segs[0].f.ReadAt(b, sp.head+spoolHdrLen); err != nil {
		return r, nil, fmt.Errorf("pdu spool: %w", err)
	}
	sp.advance(r)
	return r, b, nil
}

// advance forgets the oldest PDU, r.
func (sp *spool) advance(r spoolRec) {
	sp.head += r.size()
	sp.bytes -= r.size()
	sp.pdus--
	sp.perType[r.typ][0]--
	sp.perType[r.typ][1] -= r.records
	if sp.pdus == 0 {
		sp.close() // every segment's space freed; the next push starts a new one
		return
	}
	if sp.head >= sp.segs[0].size && len(sp.segs) > 1 {
		sp.dropSeg()
	}
}

// dropSeg closes the oldest segment, read to its end.
func (sp *spool) dropSeg() {
	sp.segs[0].f.Close()
	sp.segs[0] = spoolSeg{}
	sp.segs = sp.segs[1:]
	sp.head = 0
}

// close frees every segment and forgets their PDUs.
func (sp *spool) close() {
	for _, s := range sp.segs {
		s.f.Close()
	}
	sp.segs, sp.head, sp.bytes, sp.pdus = nil, 0, 0, 0
	sp.perType = [typeLimit][2]uint64{}
}

// diskBytes returns the bytes the segments take on disk now.
func (sp *spool) diskBytes() int64 {
	var n int64
	for _, s := range sp.segs {
		n += s.size
	}
	return n
}

// Package journal is a write-ahead log: an append-only sequence of
// numbered records in a folder, made durable in groups (group commit: many
// records, one fsync), with checkpoints that let the records before them
// be deleted, so the folder stays bounded. The collector journals every
// call that changes its rows before it acknowledges the PDUs behind them
// (engine/collector, issue 13); the journal knows nothing of what the
// records mean.
//
// # Files
//
//	seg-<first seq, 16 hex digits>.log   records, in sequence order
//	ckpt-<seq, 16 hex digits>.bin        a checkpoint: the state after every record below seq
//
// A record is
//
//	u32 length n of kind+body (big endian) | u32 CRC-32C of kind+body | u8 kind | body (n-1 bytes)
//
// Record sequence numbers count from 0 across segments. A crash can leave
// a torn record at the end of the last segment (never synced, so never
// acknowledged): Open cuts it off. A bad record anywhere else is
// corruption: Open fails with ErrCorrupt rather than skip it.
//
// A checkpoint file is written atomically (temporary file, fsync, rename,
// fsync of the folder), then a new segment is started and every segment
// whose records all precede the checkpoint, and every older checkpoint, is
// removed. On disk there is at most one checkpoint (two for an instant)
// and the segments written since the previous checkpoint.
package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tmonbench/tmonbench/internal/fsync"
	"github.com/tmonbench/tmonbench/internal/syncio"
)

// Errors of Open, Replay and the writes.
var (
	// ErrCorrupt: a record or checkpoint inside the journal fails its
	// check (not a torn tail): the journal cannot be replayed safely.
	ErrCorrupt = errors.New("journal: corrupt record")
	// ErrFailed: an earlier write or fsync failed (full disk...): the
	// journal accepts nothing more (the first error is wrapped too).
	ErrFailed = errors.New("journal: an earlier write failed")
	// ErrRecord: a record larger than MaxRecord.
	ErrRecord = errors.New("journal: record too large")
)

// MaxRecord bounds a record's kind and body, in bytes.
const MaxRecord = 16 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// FS is what the journal needs of the filesystem; tests inject failures
// (a full disk) through it. OSFS is the real one.
type FS interface {
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Rename(from, to string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// File is an open segment or checkpoint file.
type File interface {
	io.ReadWriteCloser
	Sync() error
	Truncate(size int64) error
	Seek(offset int64, whence int) (int64, error)
}

// OSFS is the operating system's filesystem.
type OSFS struct{}

// OpenFile implements FS.
func (OSFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return os.OpenFile(name, flag, perm)
}

// Rename implements FS.
func (OSFS) Rename(from, to string) error { return os.Rename(from, to) }

// Remove implements FS.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// SyncDir implements FS: it fsyncs the folder (EINVAL, a filesystem that
// cannot, is tolerated: fsync.Dir).
func (OSFS) SyncDir(dir string) error { return fsync.Dir(dir) }

// Log is an open journal. Append and Sync may be called from different
// goroutines: Append only copies into memory; Sync writes and fsyncs what
// was appended, while further appends go on.
type Log struct {
	dir string
	fs  FS

	mu      sync.Mutex // guards buf, next, err
	buf     []byte
	next    uint64 // sequence number of the next record
	err     error
	written int64 // bytes appended since the last checkpoint

	syncMu   sync.Mutex // one writer of the files at a time; guards f, segs, durable
	f        File
	segs     []uint64 // first sequence number of each segment, ascending
	durable  uint64   // records below it are on disk
	spare    []byte
	ckpt     uint64 // sequence number of the latest checkpoint (0: none)
	haveCkpt bool
}

// Open opens (creating it if missing) the journal in dir with the real
// filesystem.
func Open(dir string) (*Log, error) { return OpenFS(dir, OSFS{}) }

// OpenFS opens the journal in dir through fs: it checks every segment,
// cuts a torn record off the end of the last one and positions the log
// after the last good record. Errors: ErrCorrupt, I/O errors.
func OpenFS(dir string, fs FS) (*Log, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Log{dir: dir, fs: fs}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp")); len(tmps) > 0 {
		for _, t := range tmps { // a checkpoint a crash interrupted
			fs.Remove(t)
		}
	}
	segs, ckpts, err := list(dir)
	if err != nil {
		return nil, err
	}
	l.segs = segs
	if n := len(ckpts); n > 0 {
		l.ckpt, l.haveCkpt = ckpts[n-1], true
	}
	l.next = 0
	if len(segs) > 0 {
		l.next = segs[0]
	}
	for i, first := range segs {
		if first != l.next {
			return nil, fmt.Errorf("%w: segment %s starts at %d, want %d", ErrCorrupt, segName(first), first, l.next)
		}
		last := i == len(segs)-1
		n, good, err := scan(filepath.Join(dir, segName(first)), first, nil)
		if err != nil && !(last && errors.Is(err, errTorn)) {
			return nil, err
		}
		l.next = first + n
		if last && errors.Is(err, errTorn) {
			f, err := fs.OpenFile(filepath.Join(dir, segName(first)), os.O_RDWR, 0)
			if err != nil {
				return nil, err
			}
			if err := f.Truncate(good); err != nil {
				f.Close()
				return nil, err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return nil, err
			}
			f.Close()
		}
	}
	if l.haveCkpt && l.ckpt > l.next {
		if len(segs) > 0 {
			return nil, fmt.Errorf("%w: checkpoint at %d beyond the last record %d", ErrCorrupt, l.ckpt, l.next)
		}
		l.next = l.ckpt // every segment was removed after it
	}
	l.durable = l.next
	if err := l.newSegment(l.next); err != nil {
		return nil, err
	}
	return l, nil
}

// errTorn marks a segment ending in an incomplete or damaged record.
var errTorn = errors.New("journal: torn record")

// scan reads the records of one segment, calling fn (if set) for each
// with its sequence number; it returns the number of good records and the
// offset after the last one. A short or failing record ends the scan with
// errTorn.
func scan(path string, first uint64, fn func(seq uint64, kind byte, body []byte) error) (n uint64, good int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [8]byte
	var rec []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return n, good, nil
			}
			return n, good, errTorn
		}
		size := binary.BigEndian.Uint32(hdr[:])
		if size == 0 || size > MaxRecord {
			return n, good, errTorn
		}
		rec = slices.Grow(rec[:0], int(size))[:size]
		if _, err := io.ReadFull(r, rec); err != nil {
			return n, good, errTorn
		}
		if crc32.Checksum(rec, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
			return n, good, errTorn
		}
		if fn != nil {
			if err := fn(first+n, rec[0], rec[1:]); err != nil {
				return n, good, err
			}
		}
		n++
		good += 8 + int64(size)
	}
}

func segName(first uint64) string { return fmt.Sprintf("seg-%016x.log", first) }
func ckptName(seq uint64) string  { return fmt.Sprintf("ckpt-%016x.bin", seq) }

// list returns the segments' and checkpoints' sequence numbers, ascending.
func list(dir string) (segs, ckpts []uint64, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		name := e.Name()
		for _, k := range []struct {
			prefix, suffix string
			into           *[]uint64
		}{{"seg-", ".log", &segs}, {"ckpt-", ".bin", &ckpts}} {
			if strings.HasPrefix(name, k.prefix) && strings.HasSuffix(name, k.suffix) {
				v, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, k.prefix), k.suffix), 16, 64)
				if err == nil {
					*k.into = append(*k.into, v)
				}
			}
		}
	}
	slices.Sort(segs)
	slices.Sort(ckpts)
	return segs, ckpts, nil
}

// newSegment starts the segment whose first record is first (called with
// syncMu held, or before the log is shared).
func (l *Log) newSegment(first uint64) error {
	if l.f != nil {
		if err := l.f.Close(); err != nil {
			return err
		}
		l.f = nil
	}
	path := filepath.Join(l.dir, segName(first))
	f, err := l.fs.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		return err
	}
	l.f = f
	if n := len(l.segs); n == 0 || l.segs[n-1] != first {
		l.segs = append(l.segs, first)
	}
	return nil
}

// Dir returns the journal's folder.
func (l *Log) Dir() string { return l.dir }

// Append adds one record (kind and the concatenation of body parts) in
// memory and returns its sequence number; Sync makes it durable. Errors:
// ErrFailed after a failed write, ErrRecord.
func (l *Log) Append(kind byte, body ...[]byte) (uint64, error) {
	size := 1
	for _, b := range body {
		size += len(b)
	}
	if size > MaxRecord {
		return 0, ErrRecord
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	start := len(l.buf)
	l.buf = binary.BigEndian.AppendUint32(l.buf, uint32(size))
	l.buf = append(l.buf, 0, 0, 0, 0, kind)
	for _, b := range body {
		l.buf = append(l.buf, b...)
	}
	binary.BigEndian.PutUint32(l.buf[start+4:], crc32.Checksum(l.buf[start+8:], castagnoli))
	l.written += int64(8 + size)
	seq := l.next
	l.next++
	return seq, nil
}

// Next returns the sequence number the next record will get.
func (l *Log) Next() uint64 {
	return syncio.Locked(&l.mu, func() uint64 { return l.next })
}

// Written returns the bytes appended since the last checkpoint (or Open):
// the caller checkpoints when it grows past its bound.
func (l *Log) Written() int64 {
	return syncio.Locked(&l.mu, func() int64 { return l.written })
}

// Durable returns the sequence number below which every record is on
// disk.
func (l *Log) Durable() uint64 {
	return syncio.Locked(&l.syncMu, func() uint64 { return l.durable })
}

// Err returns the first write error, or nil.
func (l *Log) Err() error {
	return syncio.Locked(&l.mu, func() error { return l.err })
}

// Sync writes every record appended so far and fsyncs the segment, then
// returns the new durable sequence number (records below it are on disk).
// One failure makes the journal refuse everything after (ErrFailed wraps
// it).
func (l *Log) Sync() (uint64, error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	return l.syncLocked()
}

func (l *Log) syncLocked() (uint64, error) {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return l.durable, l.err
	}
	buf, upto := l.buf, l.next
	l.buf = l.spare[:0]
	l.mu.Unlock()
	if len(buf) == 0 {
		l.spare = buf
		return l.durable, nil
	}
	_, err := l.f.Write(buf)
	if err == nil {
		err = l.f.Sync()
	}
	l.spare = buf[:0]
	if err != nil {
		return l.durable, l.fail(err)
	}
	l.durable = upto
	return upto, nil
}

// fail records the first error; the journal is dead from then on.
func (l *Log) fail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = fmt.Errorf("%w: %w", ErrFailed, err)
	}
	return l.err
}

// Checkpoint makes state durable as the checkpoint at sequence number at
// (the state after every record below at; at <= Next()), then starts a
// new segment and removes the segments and checkpoints it makes useless.
// Records appended meanwhile are kept.
func (l *Log) Checkpoint(at uint64, state []byte) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if _, err := l.syncLocked(); err != nil {
		return err
	}
	path := filepath.Join(l.dir, ckptName(at))
	tmp := filepath.Join(l.dir, "."+ckptName(at)+".tmp")
	if err := l.writeFile(tmp, state); err != nil {
		l.fs.Remove(tmp)
		return l.fail(err)
	}
	if err := l.fs.Rename(tmp, path); err != nil {
		l.fs.Remove(tmp)
		return l.fail(err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return l.fail(err)
	}
	prev, had := l.ckpt, l.haveCkpt
	l.ckpt, l.haveCkpt = at, true
	l.mu.Lock()
	first := l.next
	l.written = int64(len(l.buf))
	l.mu.Unlock()
	if err := l.newSegment(first); err != nil {
		return l.fail(err)
	}
	// A segment whose successor starts at or below at holds records below
	// at only: the checkpoint covers them.
	keep := l.segs[:0]
	for i, s := range l.segs {
		if i+1 < len(l.segs) && l.segs[i+1] <= at {
			if err := l.fs.Remove(filepath.Join(l.dir, segName(s))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return l.fail(err)
			}
			continue
		}
		keep = append(keep, s)
	}
	l.segs = keep
	if had && prev != at {
		if err := l.fs.Remove(filepath.Join(l.dir, ckptName(prev))); err != nil && !errors.Is(err, os.ErrNotExist) {
			return l.fail(err)
		}
	}
	return l.fs.SyncDir(l.dir)
}

// writeFile writes data into a new file at path and fsyncs it. The data
// is framed like a record (length, CRC) so a damaged checkpoint is told.
func (l *Log) writeFile(path string, data []byte) error {
	f, err := l.fs.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	var hdr [12]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(len(data)))
	binary.BigEndian.PutUint32(hdr[8:], crc32.Checksum(data, castagnoli))
	_, err = f.Write(hdr[:])
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Replay reads the journal back: restore gets the latest checkpoint's
// state and sequence number (it is not called when there is none), then fn
// every record from the checkpoint on, in order (body valid during the
// call). Call it after Open and before any Append. Errors: ErrCorrupt, I/O
// errors, restore's or fn's error.
func (l *Log) Replay(restore func(state []byte, at uint64) error, fn func(seq uint64, kind byte, body []byte) error) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	var at uint64
	if l.haveCkpt {
		b, err := os.ReadFile(filepath.Join(l.dir, ckptName(l.ckpt)))
		if err != nil {
			return err
		}
		if len(b) < 12 || uint64(len(b)-12) != binary.BigEndian.Uint64(b) || crc32.Checksum(b[12:], castagnoli) != binary.BigEndian.Uint32(b[8:]) {
			return fmt.Errorf("%w: checkpoint %s", ErrCorrupt, ckptName(l.ckpt))
		}
		at = l.ckpt
		if err := restore(b[12:], at); err != nil {
			return err
		}
	}
	for _, first := range l.segs {
		_, _, err := scan(filepath.Join(l.dir, segName(first)), first, func(seq uint64, kind byte, body []byte) error {
			if seq < at || seq >= l.durable {
				return nil
			}
			return fn(seq, kind, body)
		})
		if err != nil && !errors.Is(err, errTorn) {
			return err
		}
	}
	return nil
}

// Close syncs and closes the journal.
func (l *Log) Close() error {
	_, err := l.Sync()
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.f != nil {
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		l.f = nil
	}
	return err
}

package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/fsync"
)

// Errors returned by Write and Append (wrapped with the offending value).
var (
	// ErrTableName: a table name is empty, starts with a dot or holds a path
	// separator; it must be a plain folder name such as "flows".
	ErrTableName = errors.New("store: bad table name")
	// ErrPart: a part number is negative or above MaxPart.
	ErrPart = errors.New("store: bad part number")
	// ErrRowType: the row type is not a struct (or pointer to struct) with at
	// least one exported field, so it has no Parquet schema.
	ErrRowType = errors.New("store: row type has no Parquet schema")
)

// MaxPart is the largest part number Write accepts: file names keep a fixed
// width of five digits (part-00000 .. part-99999) so they sort as numbers.
const MaxPart = 99999

// Application is the created_by name written into every Parquet footer.
const Application = "tmonbench"

// PartName returns the file name of part number part: "part-%05d.parquet".
func PartName(part int) string { return partPath("", part) }

// partPath is filepath.Join(dir, PartName(part)), made in one
// allocation for a clean dir (fmt.Sprintf, then Join, took three a part:
// issue 14).
func partPath(dir string, part int) string {
	if part < 0 {
		return filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", part))
	}
	var b [len("part-00000.parquet") + 20]byte
	s := append(b[:0], "part-"...)
	for p := 10000; p > 1 && part < p; p /= 10 {
		s = append(s, '0')
	}
	s = strconv.AppendInt(s, int64(part), 10)
	s = append(s, ".parquet"...)
	switch {
	case dir == "":
		return string(s)
	case dir == "." || dir != filepath.Clean(dir) || os.IsPathSeparator(dir[len(dir)-1]):
		return filepath.Join(dir, string(s))
	}
	return dir + string(os.PathSeparator) + string(s)
}

// Write writes rows as one zstd-compressed Parquet file
// <dir>/<table>/part-<part, 5 digits>.parquet and returns its path. The
// schema comes from T's parquet struct tags (see engine/observe), so an empty
// rows slice still writes a valid file holding the schema and no rows: the
// DuckDB view over the table then exists and is empty.
//
// The file appears atomically: it is written as .<name>.tmp in the same
// folder, fsynced, renamed over <name> (replacing an existing part with that
// number), and the folder is fsynced. On any error the temporary file is
// removed and no part-*.parquet file appears or changes. The table folder is
// created if missing.
//
// Errors: ErrTableName, ErrPart, ErrRowType (wrapped), or the wrapped I/O or
// encoding error.
func Write[T any](dir, table string, part int, rows []T) (path string, err error) {
	path, _, err = write(dir, table, part, rows)
	return path, err
}

// write is Write, also returning the file's size in bytes.
func write[T any](dir, table string, part int, rows []T) (path string, size int64, err error) {
	if err := checkRowType[T](); err != nil {
		return "", 0, err
	}
	return writeFile(dir, table, part, func(w io.Writer) error {
		pw := parquet.NewGenericWriter[T](w, optionsFor(reflect.TypeFor[T](), false)...)
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("encode %s rows: %w", table, err)
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("close %s writer: %w", table, err)
		}
		return nil
	})
}

// pageBufferBytes is the uncompressed size at which a column's values are
// cut into a page. Every column of every open writer holds a buffer of
// this size, so parquet-go's default, 256 KiB, held 14 MB of column
// buffers at the peak of the 5M corpus (issue 14). At 64 KiB the largest
// live heap of that run is 170 -> 147 MB and its files 4.8 -> 5.0 MiB
// (page headers, smaller zstd frames); at 32 KiB 143 MB and 5.4 MiB. Small
// tables, whose columns hold less than a page, are unchanged byte for byte.
const pageBufferBytes = 64 << 10

// pageBuffers holds a row group's compressed pages until the row group is
// written, in chunks of pageChunkBytes: parquet-go's default chunks of 32
// KiB, one at least per column of every open writer, mostly held a few
// KiB of compressed page each. Its buffers and chunks are kept for the
// next row groups (pagePool), not left to sync.Pools a collection empties.
var pageBuffers = &pagePool{}

// pageChunkBytes is the chunk size of pageBuffers.
const pageChunkBytes = 8 << 10

// writerOptions are the Parquet settings of every part file (optionsFor
// adds each row type's column encodings). Pages carry
// no statistics in their headers (DataPageStatistics off): parquet-go
// computes a page's bounds once for them and again for the column index
// and the column chunk's statistics, which are still written (readers
// prune pages by the column index, row groups by the chunk statistics;
// DuckDB reads no page header statistics). The second pass over every
// dictionary page's values was 4 % of the collector's path to Parquet
// on the 5M corpus, the headers 2 % of its files (issue 14).
var writerOptions = []parquet.WriterOption{
	parquet.Compression(partCodec),
	parquet.DataPageStatistics(false),
	parquet.PageBufferSize(pageBufferBytes),
	parquet.ColumnPageBuffers(pageBuffers),
	parquet.CreatedBy(Application, "", ""),
	parquet.KeyValueMetadata(TimeZoneKey, TimeZoneValue),
}

// TimeZoneKey and TimeZoneValue are the key-value metadata every part
// file carries about its timestamps: they are instants in UTC. The
// columns are TIMESTAMP(NANOS) with isAdjustedToUTC false only so that
// readers keep the nanoseconds (DuckDB reads an adjusted nanosecond
// timestamp as a microsecond TIMESTAMPTZ).
const (
	TimeZoneKey   = "tmonbench.time_zone"
	TimeZoneValue = "UTC: every timestamp column holds nanoseconds since 1970-01-01T00:00:00Z (stored with isAdjustedToUTC=false to keep nanosecond precision in DuckDB)"
)

// WriteTable writes the rows of table t in b, one part file per Hive
// partition of the table (observe.Table.Split: date and probe, class or
// source): <dir>/<table>/<key=value>/.../part-N.parquet, N from next(the
// partition's relative folder). A table with no rows gets one schema-only
// part in the default partition. It returns the bytes written and the
// number of files.
func WriteTable(dir string, t *observe.Table, next func(sub string) int, b *observe.Batch) (size int64, files int, err error) {
	return writeTable(dir, t, next, b, nil)
}

// writeTable is WriteTable with the Parquet writers and file buffers
// taken from, and given back to, writers (nil: new ones).
func writeTable(dir string, t *observe.Table, next func(sub string) int, b *observe.Batch, writers *writerPool) (size int64, files int, err error) {
	return writeParts(dir, t, next, t.Split(b), writers)
}

// writeParts writes parts, t's rows split by partition (Table.Split), as
// writeTable does.
func writeParts(dir string, t *observe.Table, next func(sub string) int, parts []observe.Part, writers *writerPool) (size int64, files int, err error) {
	for _, p := range parts {
		fb := writers.buffer()
		_, n, err := writeFileIn(dir, t.Name, p.Dir, next(p.Dir), fb, func(w io.Writer) error {
			tw := writers.get(t, w)
			if _, err := tw.Write(p.Batch); err != nil {
				return fmt.Errorf("encode %s rows: %w", t.Name, err)
			}
			if err := tw.Close(); err != nil {
				return fmt.Errorf("close %s writer: %w", t.Name, err)
			}
			writers.put(t, tw)
			return nil
		})
		writers.putBuffer(fb)
		if err != nil {
			return size, files, err
		}
		size += n
		files++
	}
	return size, files, nil
}

// writerPool keeps the Parquet writers of the parts an Appender wrote, so
// that the next parts reuse them (observe.TableWriter.Reset) instead of
// making new ones: ~500 allocations for a tcp_connections writer, one per
// table and partition at every drain of a collector or live run (issue
// 14). It holds at most as many writers of a table as were in use at
// once, and so of the 256 KiB file buffers (each part's was made anew,
// the same issue). Safe for concurrent use; a nil pool makes a new
// writer and buffer each time.
type writerPool struct {
	mu   sync.Mutex
	idle map[*observe.Table][]observe.TableWriter
	bufs []*fileBuffer
}

// fileBuffer is the buffer of a part file being written, and the count
// of the bytes it wrote through.
type fileBuffer struct {
	bw *bufio.Writer
	cw countWriter
}

// fileBufferBytes is the size of a part file's write buffer.
const fileBufferBytes = 256 << 10

// buffer returns a file buffer from the pool, nil from a nil pool.
func (p *writerPool) buffer() *fileBuffer {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.bufs); n > 0 {
		fb := p.bufs[n-1]
		p.bufs[n-1] = nil
		p.bufs = p.bufs[:n-1]
		return fb
	}
	fb := &fileBuffer{}
	fb.bw = bufio.NewWriterSize(&fb.cw, fileBufferBytes)
	return fb
}

// putBuffer gives back fb (nil: nothing).
func (p *writerPool) putBuffer(fb *fileBuffer) {
	if p == nil || fb == nil {
		return
	}
	fb.cw = countWriter{}
	p.mu.Lock()
	p.bufs = append(p.bufs, fb)
	p.mu.Unlock()
}

// get returns a writer of t's rows on w, with the options of a part
// written whole (optionsFor).
func (p *writerPool) get(t *observe.Table, w io.Writer) observe.TableWriter {
	if p != nil {
		p.mu.Lock()
		free := p.idle[t]
		if n := len(free); n > 0 {
			tw := free[n-1]
			free[n-1] = nil
			p.idle[t] = free[:n-1]
			p.mu.Unlock()
			tw.Reset(w)
			return tw
		}
		p.mu.Unlock()
	}
	return t.NewWriter(w, optionsFor(t.Row, false)...)
}

// drop lets the idle writers and buffers go (their output is done).
func (p *writerPool) drop() {
	p.mu.Lock()
	p.idle, p.bufs = nil, nil
	p.mu.Unlock()
}

// put gives back tw, closed without error, for t's next part.
func (p *writerPool) put(t *observe.Table, tw observe.TableWriter) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.idle == nil {
		p.idle = map[*observe.Table][]observe.TableWriter{}
	}
	p.idle[t] = append(p.idle[t], tw)
	p.mu.Unlock()
}

// writeFile writes part number part of table under dir atomically with
// fill (see Write).
func writeFile(dir, table string, part int, fill func(io.Writer) error) (path string, size int64, err error) {
	return writeFileIn(dir, table, "", part, nil, fill)
}

// writeFileIn is writeFile into the sub-folder sub (a partition, "" for
// none) of the table's folder, through fb (nil: a new buffer).
func writeFileIn(dir, table, sub string, part int, fb *fileBuffer, fill func(io.Writer) error) (path string, size int64, err error) {
	if err := checkTable(table); err != nil {
		return "", 0, err
	}
	if part < 0 || part > MaxPart {
		return "", 0, fmt.Errorf("%w: %d (want 0..%d)", ErrPart, part, MaxPart)
	}
	tdir := filepath.Join(dir, table, filepath.FromSlash(sub))
	if err := mkdirDurable(dir, tdir); err != nil {
		return "", 0, fmt.Errorf("store: create table folder: %w", err)
	}
	path = partPath(tdir, part)
	size, err = writeAtomicBuf(path, fb, func(w io.Writer) (err error) {
		defer func() {
			// parquet-go panics on struct fields it cannot map (chan, func,
			// ...); report it as an error so the temporary file is removed.
			if p := recover(); p != nil {
				err = fmt.Errorf("%w: %v", ErrRowType, p)
			}
		}()
		return fill(w)
	})
	if err != nil {
		return "", 0, fmt.Errorf("store: write %s: %w", path, err)
	}
	return path, size, nil
}

// mkdirDurable makes folder dir, under root (which exists), with the
// folders between, as os.MkdirAll, and fsyncs the parent of each folder it
// made, so that a part written into dir (writeAtomic fsyncs dir only)
// survives a crash with the folders above it: a table folder removed under
// a running collector and made again, a new partition folder. A folder
// that exists costs one stat, as MkdirAll's.
func mkdirDurable(root, dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if parent := filepath.Dir(dir); parent != root && len(parent) > len(root) {
		if err := mkdirDurable(root, parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // made meanwhile (another writer of the table)
		}
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir fsyncs a folder (fsync.Dir) for mkdirDurable and the parts'
// atomic writes; tests record the folders it syncs.
var syncDir = fsync.Dir

// checkTable accepts plain folder names only.
func checkTable(table string) error {
	if table == "" || strings.HasPrefix(table, ".") || strings.ContainsAny(table, `/\`) || table != filepath.Base(table) {
		return fmt.Errorf("%w: %q", ErrTableName, table)
	}
	return nil
}

// checkRowType rejects row types parquet-go cannot derive a schema from,
// which would otherwise make it panic.
func checkRowType[T any]() error {
	t := reflect.TypeFor[T]()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("%w: %s is not a struct", ErrRowType, t)
	}
	if len(observe.ColumnFields(t)) > 0 {
		return nil
	}
	return fmt.Errorf("%w: %s has no exported field", ErrRowType, t)
}

// tmpName is the hidden name a file is written under before its rename:
// ".<name>.tmp", which matches neither *.parquet nor run.json.
func tmpName(path string) string {
	i := strings.LastIndexByte(path, os.PathSeparator)
	if i < 0 || path[i+1:] == "" || path != filepath.Clean(path) {
		return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	}
	return path[:i+1] + "." + path[i+1:] + ".tmp" // the same, in one allocation (issue 14)
}

// writeAtomic creates path with the bytes fill writes: into tmpName(path),
// then fsync, close, rename, fsync of the folder. If fill or any step fails
// the temporary file is removed and path is untouched. It returns the size
// written in bytes.
func writeAtomic(path string, fill func(io.Writer) error) (size int64, err error) {
	return writeAtomicBuf(path, nil, fill)
}

// writeAtomicBuf is writeAtomic through fb (nil: a new buffer), which
// must be empty.
func writeAtomicBuf(path string, fb *fileBuffer, fill func(io.Writer) error) (size int64, err error) {
	tmp := tmpName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close() // second Close after a successful one is harmless
			os.Remove(tmp)
		}
	}()
	if fb == nil {
		fb = &fileBuffer{}
		fb.bw = bufio.NewWriterSize(&fb.cw, fileBufferBytes)
	}
	fb.cw = countWriter{w: f}
	defer func() { fb.cw.w = nil }()
	cw, bw := &fb.cw, fb.bw
	if err := fill(bw); err != nil {
		bw.Reset(cw) // the pool's next file starts empty
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		bw.Reset(cw)
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return cw.n, fmt.Errorf("fsync folder: %w", err)
	}
	return cw.n, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

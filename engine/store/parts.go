package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// PartRows is the number of rows after which Run.Write closes a table's
// part file and starts the next: parts are sized by rows, not by how often
// the caller drains its rows.
const PartRows = 1 << 20

// partRows is PartRows; tests lower it.
var partRows = PartRows

// rowGroupRows bounds the rows an open part buffers before writing them as
// a row group, so the memory an open part holds stays small: a row
// group's compressed pages (1.8 MB for 2^18 flows rows, the widest, at the
// 5M corpus's 6.8 bytes a row; 0.2 MB of flow_counters) and its
// dictionaries. It was 2^16 until each row group's own allocations in
// parquet-go (~100-130: column indexes, statistics, the footer's copies)
// were ~1,300 of the ~4,900 in the steady window of the 5M corpus's bench
// (issue 14; TestStreamedRowGroups); at 2^18 the bench's peak RSS is the
// same (184-186 MiB against 185-187) and its files 1.5 % smaller.
const rowGroupRows = 1 << 18

// partKey is an open part's table and partition folder: a struct key,
// where the folder's path "table/dir" was a string made for the lookup of
// each table at every drain (issue 14).
type partKey struct {
	table *observe.Table
	dir   string
}

// openPart is a table's part file being written by Run.Write: a hidden
// temporary file, renamed to its part name when closed.
type openPart struct {
	table *observe.Table
	part  int
	path  string
	tmp   string // tmpName(path), the name it is written under
	f     *os.File
	bw    *bufio.Writer
	cw    *countWriter
	tw    observe.TableWriter
	rows  int
}

// openTablePart starts the next part of table t in its partition folder
// sub ("" for none) under the staging folder, with a closed part of t
// from r.idle if there is one (its writer and buffers reset for the new
// file). The folder is made, and its path joined, once a run (r.dirs):
// a part opened after each publish made them again (issue 14).
func (r *Run) openTablePart(t *observe.Table, sub string) (*openPart, error) {
	d := partDir{t.Name, sub}
	part := r.subParts[d]
	if part > MaxPart {
		return nil, fmt.Errorf("%w: %d (want 0..%d)", ErrPart, part, MaxPart)
	}
	r.subParts[d] = part + 1
	tdir, ok := r.dirs[d]
	if !ok {
		tdir = filepath.Join(r.staging, t.Name, filepath.FromSlash(sub))
		if err := os.MkdirAll(tdir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create table folder: %w", err)
		}
		r.dirs[d] = tdir
	}
	path := partPath(tdir, part)
	tmp := tmpName(path)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: write %s: %w", path, err)
	}
	if free := r.idle[t]; len(free) > 0 {
		op := free[len(free)-1]
		free[len(free)-1] = nil
		r.idle[t] = free[:len(free)-1]
		op.part, op.path, op.tmp, op.f, op.rows = part, path, tmp, f, 0
		*op.cw = countWriter{w: f}
		op.bw.Reset(op.cw)
		op.tw.Reset(op.bw)
		return op, nil
	}
	op := &openPart{table: t, part: part, path: path, tmp: tmp, f: f, cw: &countWriter{w: f}}
	op.bw = bufio.NewWriterSize(op.cw, 256<<10)
	op.tw = t.NewWriter(op.bw, optionsFor(t.Row, true)...)
	return op, nil
}

// release keeps op, closed without error, in idle for the table's next
// part: its Parquet writer (~500 allocations to make for a wide table)
// and its 256 KiB file buffer are reused, not made again at each
// publishing Commit (issue 14). idle holds at most as many parts of a
// table as were open at once (one per partition folder written since the
// last Commit), so at most the memory the open parts held.
func (op *openPart) release(idle map[*observe.Table][]*openPart) {
	op.f = nil
	op.cw.w = nil
	idle[op.table] = append(idle[op.table], op)
}

// write appends the table's rows of b.
func (op *openPart) write(b *observe.Batch) (err error) {
	defer func() {
		if p := recover(); p != nil { // parquet-go panics on rows it cannot map
			err = fmt.Errorf("%w: %v", ErrRowType, p)
		}
	}()
	n, err := op.tw.Write(b)
	op.rows += n
	if err != nil {
		return fmt.Errorf("store: encode %s rows: %w", op.table.Name, err)
	}
	return nil
}

// close writes the footer and renames the file to its part name. The file
// is not fsynced: Run.Finish syncs every part at once.
func (op *openPart) close() (size int64, err error) {
	err = errors.Join(op.tw.Close(), op.bw.Flush())
	if cerr := op.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(op.tmp, op.path)
	}
	if err != nil {
		os.Remove(op.tmp)
		return 0, fmt.Errorf("store: write %s: %w", op.path, err)
	}
	return op.cw.n, nil
}

// closeOpen closes every open part (their rows become visible).
func (r *Run) closeOpen() error {
	var errs []error
	for key, op := range r.open {
		delete(r.open, key)
		size, err := op.close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.countLocked(op.table.Name, op.rows, size)
		op.release(r.idle)
	}
	return errors.Join(errs...)
}

// closeParts closes every open part, and writes a schema-only part (in
// the default partition) for each table that has none, so every table's
// view exists.
func (r *Run) closeParts() error {
	errs := []error{r.closeOpen()}
	if !r.streamed {
		return errors.Join(errs...) // a run written with Append only keeps its tables
	}
	for _, t := range observe.Tables {
		errs = append(errs, r.schemaOnlyLocked(t))
	}
	return errors.Join(errs...)
}

// schemaOnlyLocked writes a schema-only part (in the default partition)
// for table t if it has no part yet.
func (r *Run) schemaOnlyLocked(t *observe.Table) error {
	if r.parts[t.Name] > 0 {
		return nil
	}
	r.parts[t.Name] = 1
	sub := t.Split(&observe.Batch{})[0].Dir
	op, err := r.openTablePart(t, sub)
	if err != nil {
		return err
	}
	size, err := op.close()
	if err != nil {
		return err
	}
	r.countLocked(t.Name, 0, size)
	op.release(r.idle)
	return nil
}

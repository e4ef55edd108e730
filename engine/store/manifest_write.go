package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tmonbench/tmonbench/internal/fsync"
)

// manifestFile writes one folder's run.json again and again (a run's
// publishing Commits, every PublishEvery of wall time) with the memory of
// the write before: its encoder and buffers, the file's paths and the
// sorted table names are kept, and the tables are encoded from the
// caller's map, not a copy (json.MarshalIndent of a copied map was 53
// allocations a publish, 27 of them the map's: issue 14). The bytes are
// json.MarshalIndent(m, "", "  ")'s and a newline (TestManifestFileBytes).
// Not safe for concurrent use (Run holds its mu).
type manifestFile struct {
	dir, path, tmp string
	buf            bytes.Buffer // m encoded without its tables
	enc            *json.Encoder
	out            []byte   // the file: buf with the tables in place
	names          []string // the tables' names, sorted
}

// tablesNull is the line MarshalIndent writes for a nil Tables, which
// write replaces with the tables it encodes: a JSON string holds no raw
// newline, so only a key of the top-level object starts a line with it.
const tablesNull = "\n  \"tables\": null"

// write writes dir/run.json atomically (a temporary file fsynced, renamed
// over it, the folder fsynced), as writeManifest does.
func (w *manifestFile) write(dir string, m Manifest) error {
	if w.enc == nil || w.dir != dir {
		w.dir, w.path = dir, filepath.Join(dir, ManifestName)
		w.tmp = tmpName(w.path)
		w.enc = json.NewEncoder(&w.buf)
		w.enc.SetIndent("", "  ")
	}
	tables := m.Tables
	m.Tables = nil
	w.buf.Reset()
	if err := w.enc.Encode(&m); err != nil {
		return fmt.Errorf("store: encode manifest: %w", err)
	}
	b := w.buf.Bytes()
	if tables != nil {
		at := bytes.Index(b, []byte(tablesNull))
		if at < 0 {
			return errors.New("store: encode manifest: no tables key")
		}
		w.out = append(w.out[:0], b[:at+len(tablesNull)-len("null")]...)
		w.out = w.appendTables(w.out, tables)
		b = append(w.out, b[at+len(tablesNull):]...)
		w.out = b
	}
	if err := w.writeFile(b); err != nil {
		return fmt.Errorf("store: write manifest: %w", err)
	}
	return nil
}

// appendTables appends tables as MarshalIndent writes them at the
// top level's key: names sorted, each TableStats indented.
func (w *manifestFile) appendTables(b []byte, tables map[string]TableStats) []byte {
	if len(tables) == 0 {
		return append(b, "{}"...)
	}
	w.names = w.names[:0]
	for n := range tables {
		w.names = append(w.names, n)
	}
	slices.Sort(w.names)
	b = append(b, '{')
	for i, n := range w.names {
		if i > 0 {
			b = append(b, ',')
		}
		t := tables[n]
		b = append(b, "\n    "...)
		b = appendJSONString(b, n)
		b = append(b, ": {\n      \"files\": "...)
		b = strconv.AppendInt(b, int64(t.Files), 10)
		b = append(b, ",\n      \"rows\": "...)
		b = strconv.AppendInt(b, t.Rows, 10)
		b = append(b, ",\n      \"bytes\": "...)
		b = strconv.AppendInt(b, t.Bytes, 10)
		b = append(b, "\n    }"...)
	}
	return append(b, "\n  }"...)
}

// appendJSONString appends s as encoding/json writes it: a table name
// of letters, digits, '_', '-' and '.' (every name tmonbench writes) as
// it is, anything else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// writeFile writes b as w.path atomically: a temporary file fsynced,
// renamed over it, the folder fsynced.
func (w *manifestFile) writeFile(b []byte) (err error) {
	f, err := os.OpenFile(w.tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close() // second Close after a successful one is harmless
			os.Remove(w.tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		return err
	}
	if err := fsync.Dir(w.dir); err != nil {
		return fmt.Errorf("fsync folder: %w", err)
	}
	return nil
}

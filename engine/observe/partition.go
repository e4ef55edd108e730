package observe

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// SchemaVersion is the version of the output layout and schemas: 2 is the
// Hive-partitioned layout <table>/date=YYYY-MM-DD/probe=NAME/part-N.parquet
// (1 was one flat folder of parts per table). Schema changes add columns.
const SchemaVersion = 2

// PartitionKey is one level of a table's Hive partitioning: the folder
// name key=value, value taken from a column of the row (Date: the UTC date
// of a timestamp column; Fallback: the column used when Column is NULL).
type PartitionKey struct {
	Name     string // key in the folder name: "date", "probe", "class", "source"
	Column   string // parquet column it comes from
	Fallback string // column used when Column is NULL (oneway_delays: recv_time)
	Date     bool   // the value is the UTC date (YYYY-MM-DD) of a timestamp
}

// DefaultPartition is the Hive name of a NULL or empty partition value (the
// value Spark, Hive and Trino read as NULL); tables without rows get a
// schema-only part there.
const DefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// partitionKeys are the partition levels of each table: the day of its
// main time column, then who produced the rows (probe; class for the
// one-way tables, which have no probe; source for events).
var partitionKeys = map[string][]PartitionKey{
	TableFlows:          {{Name: "date", Column: "first_seen", Date: true}, {Name: "probe", Column: "probe"}},
	TableFlowCounters:   {{Name: "date", Column: "interval_start", Date: true}, {Name: "probe", Column: "probe"}},
	TableEvents:         {{Name: "date", Column: "time", Date: true}, {Name: "source", Column: "source"}},
	TableSizeHistograms: {{Name: "date", Column: "interval_start", Date: true}, {Name: "probe", Column: "probe"}},
	TableTCPConnections: {{Name: "date", Column: "start_time", Date: true}, {Name: "probe", Column: "probe"}},
	TableRTTSamples:     {{Name: "date", Column: "request_time", Date: true}, {Name: "probe", Column: "probe"}},
	TableRTTHistograms:  {{Name: "date", Column: "interval_start", Date: true}, {Name: "probe", Column: "probe"}},
	TableFTPSessions:    {{Name: "date", Column: "start_time", Date: true}, {Name: "probe", Column: "probe"}},
	TableFTPTransfers:   {{Name: "date", Column: "start_time", Date: true}, {Name: "probe", Column: "probe"}},
	TableOnewayDelays:   {{Name: "date", Column: "send_time", Fallback: "recv_time", Date: true}, {Name: "class", Column: "class"}},
	TableOnewayLatency:  {{Name: "date", Column: "interval_start", Date: true}, {Name: "class", Column: "class"}},
	TableOnewayLoss:     {{Name: "date", Column: "interval_start", Date: true}, {Name: "class", Column: "class"}},
	TablePDUStats:       {{Name: "probe", Column: "probe"}},
}

// Partition returns the table's partition keys, outermost first.
func (t *Table) Partition() []PartitionKey { return partitionKeys[t.Name] }

// Part is the rows of one table that fall in one partition.
type Part struct {
	Dir   string // relative folder, e.g. "date=2026-11-29/probe=A"
	Batch *Batch // holds only this table's rows of the partition
}

// PartitionDir returns the folder of the given key values, each escaped as
// Hive does (every byte outside [A-Za-z0-9._-] as %XX; "" as
// DefaultPartition).
func PartitionDir(keys []PartitionKey, values []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Name + "=" + EscapePartition(values[i])
	}
	return strings.Join(parts, "/")
}

// EscapePartition escapes a partition value for a folder name.
func EscapePartition(v string) string {
	if v == "" {
		return DefaultPartition
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Split returns the table's rows of b grouped by partition, in order of
// first appearance. Rows of one partition keep their order; when every row
// falls in the same partition the slice is shared, not copied. A table
// with no rows gives one empty Part in the default partition (so a schema
// can be written there).
func (t *Table) Split(b *Batch) []Part {
	keys := t.Partition()
	if t.Len(b) == 0 {
		vals := make([]string, len(keys))
		return []Part{{Dir: PartitionDir(keys, vals), Batch: &Batch{}}}
	}
	return t.ops.split(b, keys, t.access)
}

// dirCache holds the folders of the raw keys seen lately (up to
// dirCacheMax, then it starts over), by table (its keys) and raw keys:
// formatting a folder was 10 allocations, for each table of each drain
// (issue 14).
type dirCache struct {
	mu sync.Mutex
	m  map[dirKey]string
}

type dirKey struct {
	keys *PartitionKey // the table's first key: one per table
	raw  [maxKeys]rawKey
}

const dirCacheMax = 1 << 12

var partDirs dirCache

// of returns the folder of raw keys r of a table with keys.
func (c *dirCache) of(keys []PartitionKey, r *[maxKeys]rawKey) string {
	k := dirKey{keys: &keys[0], raw: *r}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.m[k]; ok {
		return d
	}
	vals := make([]string, len(keys))
	for i, key := range keys {
		vals[i] = r[i].value(key)
	}
	d := PartitionDir(keys, vals)
	if c.m == nil {
		c.m = map[dirKey]string{}
	} else if len(c.m) >= dirCacheMax {
		clear(c.m)
	}
	c.m[k] = d
	return d
}

// splitRows is Split on a table's typed rows (at least one): the folder
// of each part and its rows. The keys' columns are read through their
// offsets in T (keyAccess), not reflect: a reflected row and field per
// row and key were 7 % of the collector's path to Parquet (issue 14). A
// folder is formatted only when a row's raw keys differ from the
// previous row's.
func splitRows[T any](rows []T, keys []PartitionKey, acc []keyAccess) (dirs []string, parts [][]T) {
	if d, ok := oneDir(rows, keys, acc); ok { // the common case: one folder, the slice shared
		return []string{d}, [][]T{rows}
	}
	dirs = groupRows(rows, keys, acc, map[string]int{}, nil, func(j int) *[]T {
		if j == len(parts) {
			parts = append(parts, make([]T, 0, 16))
		}
		return &parts[j]
	})
	return dirs, parts
}

// groupRows appends rows (of several partitions) to the rows of their
// partition, part(j) for the j-th folder in order of first appearance
// (made empty by the caller), with subs (empty) indexing the folders
// appended to dirs; it returns dirs.
func groupRows[T any](rows []T, keys []PartitionKey, acc []keyAccess, subs map[string]int, dirs []string, part func(j int) *[]T) []string {
	var raw, prev [maxKeys]rawKey
	var at *[]T
	for i := range rows {
		p := unsafe.Pointer(&rows[i])
		for k := range keys {
			raw[k] = acc[k].raw(p, keys[k].Date)
		}
		if at == nil || raw != prev {
			d := partDirs.of(keys, &raw)
			j, ok := subs[d]
			if !ok {
				j = len(dirs)
				subs[d] = j
				dirs = append(dirs, d)
			}
			prev, at = raw, part(j)
		}
		*at = append(*at, rows[i])
	}
	return dirs
}

// oneDir returns the folder of rows (at least one) when every row falls
// in the same partition, and false otherwise.
func oneDir[T any](rows []T, keys []PartitionKey, acc []keyAccess) (string, bool) {
	var first [maxKeys]rawKey
	p := unsafe.Pointer(&rows[0])
	for k := range keys {
		first[k] = acc[k].raw(p, keys[k].Date)
	}
	if sameRun(p, len(rows), unsafe.Sizeof(rows[0]), keys, acc, &first) != len(rows) {
		return "", false
	}
	return partDirs.of(keys, &first), true
}

// Splitter is Table.Split into memory it keeps from one call to the next,
// for a writer that splits every table of every drain (store.Run.Write,
// store.Appender.Write): Split's folder list, rows list, parts and part
// batch were 4 allocations for each table of each drain in the common
// case where every row of the table falls in one partition, and rows of
// several partitions (several probes, a day's end) took a map, a slice
// per partition and their growth (issue 14). The zero Splitter is ready;
// it is not safe for concurrent use.
//
// Rows of several partitions are copied into slices it keeps for the
// table, as large as the largest drain's rows of each partition until
// Clear lets go of their rows (not of the slices).
type Splitter struct {
	parts  []Part
	one    Batch                  // the one part's batch: only the split table's slot is set
	tables map[*Table]*tableSplit // each table's kept partitions
}

// tableSplit is the memory a Splitter keeps for one table's rows of
// several partitions: one batch per partition (only the table's slot
// set), the folders and their index.
type tableSplit struct {
	batches []*Batch
	n       int // batches holding rows of the last split
	dirs    []string
	subs    map[string]int
	empty   string // the folder of a table without rows (DefaultPartition)
}

// Split returns Table.Split(b) of t. The parts and their batches are
// valid until the next Split of t or Clear. It allocates nothing once it
// has split as many partitions of t with as many rows, and their folders
// were formatted before (a cache of the folders seen lately); when every
// row falls in one partition the part's rows are b's slice.
func (s *Splitter) Split(t *Table, b *Batch) []Part {
	keys := t.Partition()
	ts := s.tables[t]
	if ts == nil {
		if s.tables == nil {
			s.tables = map[*Table]*tableSplit{}
		}
		ts = &tableSplit{subs: map[string]int{}, empty: t.Split(&Batch{})[0].Dir}
		s.tables[t] = ts
	}
	s.one = Batch{}
	if t.Len(b) == 0 {
		s.parts = append(s.parts[:0], Part{Dir: ts.empty, Batch: &s.one})
		return s.parts
	}
	if d, ok := t.ops.oneDir(b, &s.one, keys, t.access); ok {
		s.parts = append(s.parts[:0], Part{Dir: d, Batch: &s.one})
		return s.parts
	}
	ts.reset(t)
	ts.dirs = t.ops.group(b, keys, t.access, ts)
	ts.n = len(ts.dirs)
	s.parts = s.parts[:0]
	for j, d := range ts.dirs {
		s.parts = append(s.parts, Part{Dir: d, Batch: ts.batches[j]})
	}
	return s.parts
}

// batch returns the j-th kept batch, made when j is one past the last.
func (ts *tableSplit) batch(j int) *Batch {
	if j == len(ts.batches) {
		ts.batches = append(ts.batches, &Batch{})
	}
	return ts.batches[j]
}

// reset empties t's slot of the batches the last split filled (their
// rows let go, their slices kept), the folders and their index.
func (ts *tableSplit) reset(t *Table) {
	for _, b := range ts.batches[:ts.n] {
		t.ops.reset(b)
	}
	ts.n = 0
	clear(ts.dirs)
	ts.dirs = ts.dirs[:0]
	clear(ts.subs)
}

// Clear lets go of the rows the last Splits' parts hold.
func (s *Splitter) Clear() {
	s.one = Batch{}
	clear(s.parts)
	s.parts = s.parts[:0]
	for t, ts := range s.tables {
		if ts.n > 0 {
			ts.reset(t)
		}
	}
}

// sameRun returns how many of the n rows at p (size bytes apart) have
// the raw keys first from the start: the scan of splitRows' common case,
// one folder for every row. The usual keys, a plain timestamp's day then
// a string, are compared in one loop, the day as a range of nanoseconds
// and the string by its length and data pointer first (the collector's
// rows of one probe share one string): about 20 instructions a row
// where computing each row's rawKeys and comparing them took 175
// (BenchmarkSplit, cachegrind).
func sameRun(p unsafe.Pointer, n int, size uintptr, keys []PartitionKey, acc []keyAccess, first *[maxKeys]rawKey) int {
	if d := first[0].day; len(keys) == 2 && keys[0].Date && !acc[0].ptr && !first[0].null && !keys[1].Date && d >= minDay && d <= maxDay {
		// ns is in the day from lo iff ns-lo is in [0, nsPerDay): the
		// day starts and ends within int64, so nothing wraps.
		lo := d * nsPerDay
		tOff, sOff, fs := acc[0].off, acc[1].off, first[1].s
		for i := 1; i < n; i++ {
			q := unsafe.Add(p, uintptr(i)*size)
			if uint64(*(*int64)(unsafe.Add(q, tOff))-lo) >= uint64(nsPerDay) {
				return i
			}
			if s := *(*string)(unsafe.Add(q, sOff)); len(s) != len(fs) || unsafe.StringData(s) != unsafe.StringData(fs) && s != fs {
				return i
			}
		}
		return n
	}
	for i := 1; i < n; i++ {
		var raw [maxKeys]rawKey
		q := unsafe.Add(p, uintptr(i)*size)
		for k := range keys {
			raw[k] = acc[k].raw(q, keys[k].Date)
		}
		if raw != *first {
			return i
		}
	}
	return n
}

// maxKeys is the most partition keys a table has.
const maxKeys = 2

// keyAccess reads one partition key's column of a row through its offset
// in the row type: a timestamp (int64, or *int64 with an optional
// fallback column) for a date key, a string otherwise.
type keyAccess struct {
	off, fbOff  uintptr
	ptr, fbPtr  bool // the column is *int64; the fallback's is
	hasFallback bool
}

// raw is the key's raw value in the row at p (keyRaw's, without reflect).
func (a *keyAccess) raw(p unsafe.Pointer, date bool) rawKey {
	if !date {
		return rawKey{s: *(*string)(unsafe.Add(p, a.off))}
	}
	var ns int64
	switch {
	case !a.ptr:
		ns = *(*int64)(unsafe.Add(p, a.off))
	default:
		q := *(**int64)(unsafe.Add(p, a.off))
		if q == nil && a.hasFallback {
			if !a.fbPtr {
				return dayKey(*(*int64)(unsafe.Add(p, a.fbOff)))
			}
			q = *(**int64)(unsafe.Add(p, a.fbOff))
		}
		if q == nil {
			return rawKey{null: true}
		}
		ns = *q
	}
	return dayKey(ns)
}

// dayKey is the raw key of the UTC day of ns (floor: days before 1970).
func dayKey(ns int64) rawKey {
	day := ns / nsPerDay
	if ns%nsPerDay < 0 {
		day--
	}
	return rawKey{day: day}
}

// keyAccesses finds each key's column offsets in the row type; a column
// of another type than keyAccess reads is a programmer error.
func (t *Table) keyAccesses(keys []PartitionKey) []keyAccess {
	int64T, ptrT, strT := reflect.TypeFor[int64](), reflect.TypeFor[*int64](), reflect.TypeFor[string]()
	out := make([]keyAccess, len(keys))
	cols := ColumnFields(t.Row)
	for i, f := range t.keyFields(cols, keys) {
		col := cols[f[0]]
		a := keyAccess{off: col.Offset, ptr: col.Type == ptrT}
		ok := col.Type == strT && !keys[i].Date || (col.Type == int64T || a.ptr) && keys[i].Date
		if f[1] >= 0 {
			fb := cols[f[1]]
			a.fbOff, a.fbPtr, a.hasFallback = fb.Offset, fb.Type == ptrT, a.ptr
			ok = ok && (fb.Type == int64T || a.fbPtr)
		}
		if !ok || len(keys) > maxKeys {
			panic(fmt.Sprintf("observe: table %s partition column %s: %s is not a partition key type", t.Name, keys[i].Column, col.Type)) // programmer error
		}
		out[i] = a
	}
	return out
}

// keyFields finds, for each key, the indexes in cols (the row's
// ColumnFields) of Column and Fallback by their parquet tag names.
func (t *Table) keyFields(cols []reflect.StructField, keys []PartitionKey) [][2]int {
	byTag := map[string]int{}
	for i, f := range cols {
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		byTag[name] = i
	}
	out := make([][2]int, len(keys))
	for i, k := range keys {
		c, ok := byTag[k.Column]
		if !ok {
			panic(fmt.Sprintf("observe: table %s partition column %s is not a column", t.Name, k.Column)) // programmer error
		}
		out[i] = [2]int{c, -1}
		if k.Fallback != "" {
			out[i][1] = byTag[k.Fallback]
		}
	}
	return out
}

// rawKey is one key's value for one row before formatting: rows with
// equal rawKeys fall in the same folder (a UTC date is a day number: every
// UTC day is 86 400 s long in Go's time).
type rawKey struct {
	null bool
	day  int64
	s    string
}

const nsPerDay = 86400 * int64(time.Second)

// minDay and maxDay are the first and last days (since 1970) that start
// and end within int64 nanoseconds: sameRun's range test is exact there
// (the first and last days of int64, 1677-09-21 and 2262-04-11, are
// compared as rawKeys).
const (
	minDay = math.MinInt64 / nsPerDay
	maxDay = math.MaxInt64/nsPerDay - 1
)

// value is the key's value as it appears in the folder name (before
// escaping).
func (r rawKey) value(k PartitionKey) string {
	switch {
	case r.null:
		return ""
	case k.Date:
		return time.Unix(r.day*86400, 0).UTC().Format("2006-01-02")
	}
	return r.s
}

// check that every table has partition keys naming real columns.
func init() {
	for _, t := range Tables {
		if len(t.Partition()) == 0 {
			panic(fmt.Sprintf("observe: table %s has no partition keys", t.Name))
		}
		t.access = t.keyAccesses(t.Partition())
	}
}

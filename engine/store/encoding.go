package store

import (
	"reflect"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// Column encodings. parquet-go writes an integer column PLAIN unless told
// otherwise (8 bytes a value for INT64), and a string column with a
// `dict` tag as RLE_DICTIONARY (engine/observe's tags). A timestamp or an
// id column (flow_id, conn_id, session_id) is written DELTA_BINARY_PACKED
// instead (Parquet format Encodings.md; DuckDB reads it): rows come in
// capture-time order and ids are handed out in order, so consecutive
// values differ by little and the deltas pack into a few bits each
// (flow_counters' flow_id: 7 rows a flow, deltas 0 and 1, 1 bit a value
// where PLAIN gave zstd 8 bytes to compress). Counters, ports and sizes
// stay PLAIN: their neighbours are unrelated, the deltas as wide as the
// values, and zstd compresses the PLAIN bytes better (src_port 6.1 kB
// PLAIN against 33.6 kB delta-packed on the 5M corpus's first million
// packets, flows' bytes 9.7 against 24.4 kB).
//
// Measured on the tables of a replay of the 5M corpus's first million
// packets (307,853 rows streamed through a Run, BenchmarkRunWrite under
// cachegrind): 838 -> 729 M instructions per run (2,723 -> 2,367 a row),
// zstd's share 295 -> 177 M, files 1.02 -> 0.69 MB (3.33 -> 2.24 bytes a
// row). Measured and left out: every INT32 and INT64 column delta-packed
// (720 M instructions but 2.53 bytes a row: ports and counters 2-5 times
// larger), BYTE_STREAM_SPLIT for the doubles (+34 M instructions on
// flow_counters: the transposition costs more than zstd saves), the
// dictionary strings PLAIN (-38 M on flow_counters for 16 % larger
// files), pages of 256 KiB (-25 M, twice the page buffers' memory) and
// row groups of 1 M rows (no change).

// optionsFor returns writerOptions with the column encodings of row (a
// struct type with parquet tags), and with the row group size of the
// parts Run.Write streams when streamed. Computed once per row type.
func optionsFor(row reflect.Type, streamed bool) []parquet.WriterOption {
	k := optionsKey{row, streamed}
	if o, ok := rowOptions.Load(k); ok {
		return o.([]parquet.WriterOption)
	}
	var opts []parquet.WriterOption
	if streamed {
		opts = append(opts, parquet.MaxRowsPerRowGroup(rowGroupRows))
	}
	opts = append(opts, writerOptions...)
	if tags := deltaColumns(row); len(tags) > 0 {
		opts = append(opts, schemaWith(row, tags))
	}
	o, _ := rowOptions.LoadOrStore(k, opts)
	return o.([]parquet.WriterOption)
}

type optionsKey struct {
	row      reflect.Type
	streamed bool
}

// rowOptions caches optionsFor: optionsKey -> []parquet.WriterOption.
var rowOptions sync.Map

// schemaWith returns the schema of row with the struct tags of tags, built
// once and handed to every writer of row (optionsFor) in place of the tags:
// given the tags, parquet-go builds the schema again for each writer (its
// cache holds only schemas without them), 40 % of the allocations of a new
// writer, a part opened at each publishing Commit for every table with
// rows (issue 14). The writer sees the same columns as the row type's
// (parquet.EqualNodes: types and repetition), so it keeps writing the
// rows' fields straight into the columns, with the tags' encodings.
func schemaWith(row reflect.Type, tags []parquet.SchemaOption) *parquet.Schema {
	for row.Kind() == reflect.Pointer {
		row = row.Elem()
	}
	return parquet.SchemaOf(reflect.New(row).Interface(), tags...)
}

// deltaColumns returns a parquet.StructTag option per timestamp or id
// column of row: its tag with ",delta" added (DELTA_BINARY_PACKED). The
// row types keep their tags: the encoding is the writer's choice, not
// part of the schema (a reader sees the same columns and types).
func deltaColumns(row reflect.Type) []parquet.SchemaOption {
	for row.Kind() == reflect.Pointer {
		row = row.Elem()
	}
	if row.Kind() != reflect.Struct {
		return nil
	}
	var opts []parquet.SchemaOption
	for _, f := range observe.ColumnFields(row) {
		tag, ok := f.Tag.Lookup("parquet")
		if !f.IsExported() || !ok || tag == "-" || !deltaColumn(f.Type, tag) {
			continue
		}
		opts = append(opts, parquet.StructTag(reflect.StructTag(`parquet:"`+tag+`,delta"`), f.Name))
	}
	return opts
}

// deltaColumn tells whether a field of type t with parquet tag tag is
// delta-packed: a 64-bit integer that is a timestamp or whose column name
// ends in _id. An optional column (a pointer field: oneway_delays'
// send_time and recv_time) stays PLAIN: parquet-go (v0.32) refuses the
// delta tag on a pointer.
func deltaColumn(t reflect.Type, tag string) bool {
	if k := t.Kind(); k != reflect.Int64 && k != reflect.Uint64 {
		return false
	}
	name, opts, _ := strings.Cut(tag, ",")
	return strings.HasSuffix(name, "_id") || strings.Contains(opts, "timestamp(")
}

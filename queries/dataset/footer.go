package dataset

import (
	"encoding/binary"
	"math"
	"os"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tmonbench/tmonbench/queries"
)

// footerParts reads the row count and the time range of timeCol (none when
// empty) of each of files from its Parquet footer alone: rows are the
// file's num_rows; the time range is the least min and the greatest max of
// the column chunk statistics over the row groups, a row group of nulls
// only (null_count = num_values, no min or max) left out as SQL's min and
// max ignore nulls. It reports false, and the caller scans the files with
// DuckDB (sqlParts), when a footer does not read, a file lacks timeCol as
// a top-level INT64 TIMESTAMP column or the statistics of a row group that
// has values, or the files' TIMESTAMP types differ (DuckDB's union_by_name
// would cast them to one): so the manifest is the same either way.
func footerParts(files []string, timeCol string) ([]File, bool) {
	parts := make([]File, len(files))
	var unit0 *format.TimestampType
	for i, p := range files {
		md, ok := readFooter(p)
		if !ok {
			return nil, false
		}
		parts[i].Rows = md.NumRows
		if timeCol == "" {
			continue
		}
		col, ts, ok := timestampColumn(md, timeCol)
		if !ok {
			return nil, false
		}
		if unit0 == nil {
			unit0 = ts
		} else if unit0.IsAdjustedToUTC != ts.IsAdjustedToUTC || unit0.Unit.Value.Duration() != ts.Unit.Value.Duration() {
			return nil, false
		}
		lo, hi, found, ok := timeRange(md, col, timeCol)
		if !ok {
			return nil, false
		}
		step := int64(ts.Unit.Value.Duration())
		if found && (lo < math.MinInt64/step || hi > math.MaxInt64/step) {
			return nil, false // beyond int64 nanoseconds
		}
		if found {
			parts[i].MinTime = time.Unix(0, lo*step).UTC().Format(queries.TimeLayout)
			parts[i].MaxTime = time.Unix(0, hi*step).UTC().Format(queries.TimeLayout)
		}
	}
	return parts, true
}

// readFooter reads the footer of the Parquet file p (no page index, no
// bloom filter).
func readFooter(p string) (*format.FileMetaData, bool) {
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, false
	}
	return pf.Metadata(), true
}

// timestampColumn finds the top-level leaf column name of md's schema and
// returns its index among the leaf columns and its TIMESTAMP logical type
// (unit MILLIS, MICROS or NANOS not adjusted to UTC, over INT64: the
// types whose values DuckDB reads unchanged).
func timestampColumn(md *format.FileMetaData, name string) (int, *format.TimestampType, bool) {
	// md.Schema is the schema tree in depth-first order; the root's
	// children are the top-level fields, each followed by its subtree.
	if len(md.Schema) == 0 {
		return 0, nil, false
	}
	leaf := 0
	for i, top := 1, int(md.Schema[0].NumChildren.V); top > 0 && i < len(md.Schema); top-- {
		e := &md.Schema[i]
		if !e.Type.Valid { // a group
			leaf += subtreeLeaves(md.Schema, &i)
			continue
		}
		i++
		if e.Name != name {
			leaf++
			continue
		}
		if e.Type.V != format.Int64 || e.RepetitionType.Valid && e.RepetitionType.V == format.Repeated {
			return 0, nil, false
		}
		ts, ok := e.LogicalType.Value.(*format.TimestampType)
		if !ok || ts.Unit.Value == nil {
			return 0, nil, false
		}
		switch ts.Unit.Value.(type) {
		case *format.MilliSeconds, *format.MicroSeconds:
			return leaf, ts, true
		case *format.NanoSeconds:
			// DuckDB reads NANOS adjusted to UTC as a TIMESTAMPTZ, of
			// microseconds: its min and max are not the statistics'.
			return leaf, ts, !ts.IsAdjustedToUTC
		}
		return 0, nil, false
	}
	return 0, nil, false
}

// subtreeLeaves counts the leaves of the group at schema[*i] and moves *i
// past its subtree.
func subtreeLeaves(schema []format.SchemaElement, i *int) int {
	e := &schema[*i]
	*i++
	if e.Type.Valid {
		return 1
	}
	n := 0
	for c := int(e.NumChildren.V); c > 0 && *i < len(schema); c-- {
		n += subtreeLeaves(schema, i)
	}
	return n
}

// timeRange returns the least min and greatest max (in the column's unit)
// of leaf column col (named name) over md's row groups from their
// statistics; found is
// false when no row group holds a non-null value. ok is false when a row
// group that has values lacks them.
func timeRange(md *format.FileMetaData, col int, name string) (lo, hi int64, found, ok bool) {
	for _, rg := range md.RowGroups {
		if rg.NumRows == 0 {
			continue
		}
		if col >= len(rg.Columns) {
			return 0, 0, false, false
		}
		cm := &rg.Columns[col].MetaData
		if len(cm.PathInSchema) != 1 || cm.PathInSchema[0] != name {
			return 0, 0, false, false
		}
		st := &cm.Statistics
		mn, mx := st.MinValue, st.MaxValue
		if mn == nil && mx == nil {
			// The deprecated fields hold signed-order extremes, the
			// order of INT64 TIMESTAMP values.
			mn, mx = st.Min, st.Max
		}
		if len(mn) != 8 || len(mx) != 8 {
			if mn == nil && mx == nil && cm.NumValues > 0 && st.NullCount == cm.NumValues {
				continue // nulls only
			}
			return 0, 0, false, false
		}
		a, b := int64(binary.LittleEndian.Uint64(mn)), int64(binary.LittleEndian.Uint64(mx))
		if !found || a < lo {
			lo = a
		}
		if !found || b > hi {
			hi = b
		}
		found = true
	}
	return lo, hi, found, true
}

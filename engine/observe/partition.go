package observe

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
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
	rows := reflect.ValueOf(t.Rows(b))
	if rows.Len() == 0 {
		vals := make([]string, len(keys))
		return []Part{{Dir: PartitionDir(keys, vals), Batch: &Batch{}}}
	}
	idx := t.keyFields(keys)
	dirs := make([]string, rows.Len())
	same := true
	vals := make([]string, len(keys))
	raw, prev := make([]rawKey, len(keys)), make([]rawKey, len(keys))
	for i := range dirs {
		row := rows.Index(i)
		for k, key := range keys {
			raw[k] = keyRaw(row, key, idx[k])
		}
		if i > 0 && slices.Equal(raw, prev) { // most rows: the previous row's folder, no string built
			dirs[i] = dirs[i-1]
			continue
		}
		for k, key := range keys {
			vals[k] = raw[k].value(key)
		}
		dirs[i] = PartitionDir(keys, vals)
		same = same && dirs[i] == dirs[0]
		raw, prev = prev, raw
	}
	if same {
		p := Part{Dir: dirs[0], Batch: &Batch{}}
		t.ops.setRows(p.Batch, rows.Interface())
		return []Part{p}
	}
	var parts []Part
	subs := map[string]int{}
	var slices []reflect.Value
	for i, d := range dirs {
		j, ok := subs[d]
		if !ok {
			j = len(parts)
			subs[d] = j
			parts = append(parts, Part{Dir: d, Batch: &Batch{}})
			slices = append(slices, reflect.MakeSlice(rows.Type(), 0, 16))
		}
		slices[j] = reflect.Append(slices[j], rows.Index(i))
	}
	for j := range parts {
		t.ops.setRows(parts[j].Batch, slices[j].Interface())
	}
	return parts
}

// keyFields finds, for each key, the struct field indexes of Column and
// Fallback by their parquet tag names.
func (t *Table) keyFields(keys []PartitionKey) [][2]int {
	byTag := map[string]int{}
	for i := 0; i < t.Row.NumField(); i++ {
		name, _, _ := strings.Cut(t.Row.Field(i).Tag.Get("parquet"), ",")
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

// keyRaw is one key's raw value for one row.
func keyRaw(row reflect.Value, k PartitionKey, f [2]int) rawKey {
	v := row.Field(f[0])
	if v.Kind() == reflect.Pointer && v.IsNil() && f[1] >= 0 {
		v = row.Field(f[1])
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return rawKey{null: true}
		}
		v = v.Elem()
	}
	if k.Date {
		ns := v.Int()
		day := ns / nsPerDay
		if ns%nsPerDay < 0 {
			day-- // floor: days before 1970
		}
		return rawKey{day: day}
	}
	return rawKey{s: v.String()}
}

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
		t.keyFields(t.Partition())
	}
}

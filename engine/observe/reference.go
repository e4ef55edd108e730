package observe

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Column describes one column of an output table, as the reference
// (docs/tables.md, `tmonbench query --schema`) prints it.
type Column struct {
	Name     string // parquet column, DuckDB column
	Type     string // DuckDB type of the column in the views
	Nullable bool   // NULL when not observed
	Unit     string // unit of the value ("" for names and identifiers)
	Doc      string // meaning, from the field's comment in observe.go
}

// DerivedTable is an output table written outside engine/observe: the
// rollups of queries/rollup (one entry per family: _1m, _1h, _1d),
// replay's packet_index and queries/enrich's addresses. engine/ imports
// none of them, so go run ./internal/refgen reads them there and writes
// them into reference.json (DerivedTables) for Reference.
type DerivedTable struct {
	Names     []string // table names: one, or the levels of a rollup
	Doc       string   // what a row is
	Partition []string // Hive partition keys, outermost first (none: flat)
	Columns   []Column // in Parquet order, partition keys left out
}

// EventKind is one kind of row in the events table, found in the code
// that emits it (reference.json, written by go run ./internal/refgen).
type EventKind struct {
	Kind     string // events.kind
	Severity string // info, warning or error ("" when it depends)
	Source   string // package that emits it
	Message  string // message template (%d, %s: values filled in)
}

// PDUType is one PDU type of the probe-to-collector protocol (pdu_stats
// pdu_type), from engine/pdu's constants (reference.json).
type PDUType struct {
	Value uint8
	Name  string
	Doc   string
}

// Columns returns the table's columns in Parquet order, with their DuckDB
// type, unit and meaning.
func (t *Table) Columns() []Column {
	var cols []Column
	for _, f := range ColumnFields(t.Row) {
		tag := f.Tag.Get("parquet")
		if tag == "" || tag == "-" {
			continue
		}
		opts := strings.Split(tag, ",")
		c := Column{Name: opts[0]}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			c.Nullable = true
			ft = ft.Elem()
		}
		c.Type = duckType(ft, opts[1:])
		c.Unit = UnitOf(c.Name, c.Type)
		c.Doc = columnDocs[t.Row.Name()+"."+c.Name]
		cols = append(cols, c)
	}
	return cols
}

// ViewColumns returns the columns of the table's DuckDB view in `tmonbench
// query`: Columns, then each partition key the rows do not hold as a
// column (the `date` of Hive's date=YYYY-MM-DD folders, a DATE: the UTC
// day of the key's timestamp column).
func (t *Table) ViewColumns() []Column {
	cols := t.Columns()
	for _, k := range t.Partition() {
		if !k.Date || slices.ContainsFunc(cols, func(c Column) bool { return c.Name == k.Name }) {
			continue
		}
		from := "`" + k.Column + "`"
		if k.Fallback != "" {
			from += " (`" + k.Fallback + "` when it is NULL)"
		}
		cols = append(cols, dateColumn(from))
	}
	return cols
}

// dateColumn is the date partition key's view column, the UTC day of the
// column named by from.
func dateColumn(from string) Column {
	return Column{Name: "date", Type: "DATE", Unit: "UTC day",
		Doc: "partition key, from the folder name date=YYYY-MM-DD: the UTC day of " + from}
}

// duckType is the DuckDB type a Go field with these parquet options reads as.
func duckType(t reflect.Type, opts []string) string {
	for _, o := range opts {
		if strings.HasPrefix(o, "timestamp(") {
			return "TIMESTAMP_NS"
		}
		if o == "date" {
			return "DATE"
		}
	}
	switch t.Kind() {
	case reflect.Slice:
		return duckType(t.Elem(), nil) + "[]"
	case reflect.String:
		return "VARCHAR"
	case reflect.Bool:
		return "BOOLEAN"
	case reflect.Float64:
		return "DOUBLE"
	case reflect.Float32:
		return "FLOAT"
	}
	return map[reflect.Kind]string{
		reflect.Int8: "TINYINT", reflect.Int16: "SMALLINT", reflect.Int32: "INTEGER", reflect.Int64: "BIGINT",
		reflect.Uint8: "UTINYINT", reflect.Uint16: "USMALLINT", reflect.Uint32: "UINTEGER", reflect.Uint64: "UBIGINT",
	}[t.Kind()]
}

// unitSuffixes map a column-name suffix to its unit (house style: every
// number with a unit carries it in its name).
var unitSuffixes = []struct{ suffix, unit string }{
	{"_us2", "µs²"}, {"_ms2", "ms²"}, {"_us", "µs"}, {"_ms", "ms"}, {"_s", "s"}, {"_ns", "ns"},
	{"_bytes", "bytes"}, {"_mbps", "Mbit/s"}, {"_pct", "%"}, {"_ratio", "ratio (0..1)"},
}

// UnitOf derives a column's unit from its name and DuckDB type: a suffix
// of unitSuffixes, a timestamp, or a count for the other integers ("" for
// names, identifiers and bare statistics).
func UnitOf(name, typ string) string {
	if typ == "TIMESTAMP_NS" {
		return "ns since 1970-01-01 UTC"
	}
	for _, u := range unitSuffixes {
		if strings.HasSuffix(name, u.suffix) {
			return u.unit
		}
	}
	switch name {
	case "bytes", "bytes_down", "bytes_up", "observed_bytes":
		return "bytes"
	}
	if strings.HasSuffix(name, "_mss") { // a TCP maximum segment size counts data octets (RFC 9293 §3.7.1)
		return "bytes"
	}
	if strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_port") || strings.HasSuffix(name, "_code") || strings.HasSuffix(name, "_index") ||
		strings.HasSuffix(name, "_wscale") || name == "signature" || name == "frame" || name == "ip_version" || name == "protocol" || name == "asn" {
		return ""
	}
	if strings.HasPrefix(typ, "U") || typ == "BIGINT" {
		return "count"
	}
	return ""
}

// MetricUnits gives the unit of each flow_counters metric; metrics made at
// run time (icmp_type_T_code_C, ...) count messages.
var MetricUnits = map[string]string{
	"packets": "packets", "ip_bytes": "bytes", "ttl": "hops", "dscp": "code point",
	"ip_fragments": "fragments", "tcp_syn": "segments", "tcp_fin": "segments", "tcp_rst": "segments",
	"tcp_zero_window": "segments", "l4_payload_bytes": "bytes", "ip_reassembly_failures": "datagrams",
	"ip_reassembled": "datagrams", "ip_reassembly_oversize": "datagrams",
	"ip_fragment_duplicates": "fragments", "ip_fragment_overlaps": "fragments",
}

// metricFlows says which flows have a fixed metric (docs/tables.md's
// flow_counters metrics); a metric missing here is counted in every flow.
var metricFlows = map[string]string{
	"packets": "every flow", "ip_bytes": "every flow (the IP total length of each packet)", "ttl": "every flow",
	"dscp": "every flow", "ip_fragments": "flows of fragmented datagrams",
	"tcp_syn": "TCP flows", "tcp_fin": "TCP flows", "tcp_rst": "TCP flows", "tcp_zero_window": "TCP flows",
	"l4_payload_bytes":       "TCP, UDP and SCTP flows only (the payload after their header; SCTP's after its 12-byte common header: its chunks, RFC 9260 §3.1); absent from ICMP, ICMPv6 and other protocols' flows, whose payload ip_bytes includes",
	"ip_reassembly_failures": "flows of fragmented datagrams", "ip_reassembled": "flows of fragmented datagrams",
	"ip_reassembly_oversize": "flows of fragmented datagrams", "ip_fragment_duplicates": "flows of fragmented datagrams",
	"ip_fragment_overlaps": "flows of fragmented datagrams",
}

// RunTimeMetric is a family of flow_counters metrics named at run time:
// Pattern with its variable parts in capitals or <angle brackets>.
type RunTimeMetric struct {
	Pattern, Unit, Flows string
}

// RunTimeMetrics lists the metric families a probe names as it meets them
// (engine/probe: ICMP messages by type and code, errors in the flow they
// quote, requests left unanswered per rtt kind); MetricUnit gives them
// "messages".
var RunTimeMetrics = []RunTimeMetric{
	{Pattern: "icmp_type_T_code_C", Unit: "messages", Flows: "ICMP flows: the messages of type T, code C"},
	{Pattern: "icmp6_type_T_code_C", Unit: "messages", Flows: "ICMPv6 flows: the messages of type T, code C"},
	{Pattern: "icmp_error_type_T_code_C", Unit: "messages", Flows: "the flow of the packet an ICMP error quotes (icmp6_error_... for ICMPv6)"},
	{Pattern: "rtt_unanswered_<kind>", Unit: "messages", Flows: "flows of a class with the rtt analysis: requests of that rtt kind (icmp_echo, dns, snmp, ntp, ...: the rtt_samples kinds) left without a response"},
}

// MetricUnit returns the unit of a flow_counters metric (flow_counters.unit).
func MetricUnit(metric string) string {
	if u, ok := MetricUnits[metric]; ok {
		return u
	}
	if strings.HasSuffix(metric, "_bytes") {
		return "bytes"
	}
	return "messages"
}

// Reference returns the reference of every table, column, event kind and
// PDU type, in Markdown: docs/tables.md and `tmonbench query --schema`
// print it, and a test keeps the file equal to it.
func Reference() string {
	var b strings.Builder
	b.WriteString(`# Output tables, columns, event kinds and PDU types

Generated from the code (engine/observe: the table registry, the row types and their field
comments; the rollup tables of queries/rollup, replay's packet_index and queries/enrich's
addresses, event kinds and PDU types found by ` + "`go run ./internal/refgen`" + `).
` + "`tmonbench query --schema`" + ` prints this reference; a test keeps docs/tables.md equal to it.

Every table is a folder of Parquet files under the output folder, Hive-partitioned
(` + "`<table>/date=YYYY-MM-DD/probe=NAME/part-N.parquet`" + `; the partition keys are columns too;
packet_index and addresses are flat),
and a DuckDB view of the same name in ` + "`tmonbench query`" + `. Times are instants in UTC:
TIMESTAMP_NS, nanoseconds since 1970-01-01T00:00:00Z (DuckDB runs with TimeZone=UTC). The unit
of every number is in its name (` + "`_s`, `_ms`, `_us`, `_bytes`, `_mbps`, `_pct`" + `) or
given below; "count" is a number of things (packets, segments, rows...).

`)
	for _, t := range Tables {
		fmt.Fprintf(&b, "## %s\n\n%s.", t.Name, capitalize(t.Doc))
		if keys := partitionKeys[t.Name]; len(keys) > 0 {
			var names []string
			for _, k := range keys {
				names = append(names, k.Name)
			}
			fmt.Fprintf(&b, " Partitioned by %s.", strings.Join(names, ", "))
		}
		writeColumns(&b, t.ViewColumns())
	}
	for _, t := range DerivedTables {
		fmt.Fprintf(&b, "## %s\n\n%s.", strings.Join(t.Names, ", "), capitalize(t.Doc))
		if len(t.Partition) > 0 {
			fmt.Fprintf(&b, " Partitioned by %s.", strings.Join(t.Partition, ", "))
		} else {
			fmt.Fprintf(&b, " Not partitioned (`%s/part-N.parquet`).", t.Names[0])
		}
		cols := t.Columns
		if slices.Contains(t.Partition, "date") && !slices.ContainsFunc(cols, func(c Column) bool { return c.Name == "date" }) {
			cols = append(slices.Clip(cols), dateColumn("`interval_start`"))
		}
		writeColumns(&b, cols)
	}
	b.WriteString("## flow_counters metrics\n\nThe `metric` column of flow_counters, with its `unit` and the flows that have it (a flow has a\nrow of a metric only for the intervals it counted in); the last rows are families named at run time.\n\n| metric | unit | flows |\n|---|---|---|\n")
	for _, m := range sortedKeys(MetricUnits) {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", m, MetricUnits[m], cell(metricFlows[m]))
	}
	for _, m := range RunTimeMetrics {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", m.Pattern, m.Unit, cell(m.Flows))
	}
	b.WriteString("\n## Event kinds\n\nThe `kind` column of events, as the code emits it (severity, emitting package, message).\n\n| kind | severity | from | message |\n|---|---|---|---|\n")
	for _, e := range EventKinds {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", e.Kind, e.Severity, e.Source, cell(e.Message))
	}
	b.WriteString("\n## PDU types\n\nThe `pdu_type` column of pdu_stats: the records a probe sends its collectors.\n\n| value | pdu_type | carries |\n|---|---|---|\n")
	for _, p := range PDUTypes {
		fmt.Fprintf(&b, "| %d | `%s` | %s |\n", p.Value, p.Name, cell(p.Doc))
	}
	return b.String()
}

// writeColumns writes the Markdown table of cols.
func writeColumns(b *strings.Builder, cols []Column) {
	b.WriteString("\n\n| column | type | unit | meaning |\n|---|---|---|---|\n")
	for _, c := range cols {
		typ := c.Type
		if c.Nullable {
			typ += " (NULL)"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", c.Name, typ, c.Unit, cell(c.Doc))
	}
	b.WriteString("\n")
}

// cell makes s fit one Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

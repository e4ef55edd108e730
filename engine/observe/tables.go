package observe

import (
	"fmt"
	"io"
	"reflect"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Table names: the folder under --out and the DuckDB view name.
const (
	TableFlows          = "flows"
	TableFlowCounters   = "flow_counters"
	TableEvents         = "events"
	TableSizeHistograms = "size_histograms"
	TableTCPConnections = "tcp_connections"
	TableRTTSamples     = "rtt_samples"
	TableRTTHistograms  = "rtt_histograms"
	TableFTPSessions    = "ftp_sessions"
	TableFTPTransfers   = "ftp_transfers"
	TableOnewayDelays   = "oneway_delays"
	TableOnewayLatency  = "oneway_latency"
	TableOnewayLoss     = "oneway_loss"
	TablePDUStats       = "pdu_stats"
)

// Tables is the one list of output tables, in the order they are written:
// replay and collector writing, the store, the generated column reference
// (docs/tables.md, `query --schema`) and the Batch methods all iterate it.
// Adding a table is one entry here (and its slice in Batch).
var Tables = []*Table{
	def(TableFlows, "one direction of one granular flow of one class at one probe interface, with its totals from its first packet to its end: idle past its class's idle_timeout_s (checked at each interval's end), evicted from a full table (max_flows) or the run's end; a later packet of the same key starts a new row with a new flow_id. A probe run that ended without its final report (the probe killed or crashed: a probe_run_incomplete event) never sent the final totals of its open flows: such a flow has the totals of the last interval report that arrived (lower bounds), and no row when none arrived (its flow_id may still be named by rtt_samples, tcp_connections, flow_counters or size_histograms rows of that run). Id ranges (flow_id, and conn_id and session_id alike): a probe numbers its ids from 1 in a run (from the previous run's last id on in live and probe runs across a configuration switch); a collector adds r × 2^48 to the ids of run r of a probe (pdu.RunShift; r counts the runs it heard from that probe, 0 for the first, kept across collector restarts), so the ids of a restarted probe's runs lie from 2^48 on (run 1: 281474976710657 on), and each run's own ids must stay below 2^48; r is taken modulo 65,536 (the top 16 bits), so a probe's 65,537th run under one collector numbers as its first did", func(b *Batch) *[]Flow { return &b.Flows }),
	def(TableFlowCounters, "one metric of one flow over one interval, as n/sum/sumsq/min/max", func(b *Batch) *[]FlowCounter { return &b.FlowCounters }),
	def(TableEvents, "a remarkable occurrence at a probe or the collector (truncated capture, eviction, transport state change)", func(b *Batch) *[]Event { return &b.Events }),
	def(TableSizeHistograms, "packets of one flow and interval in one IP size slice (analysis sizes)", func(b *Batch) *[]SizeHistogram { return &b.SizeHistograms }),
	def(TableTCPConnections, "one TCP connection followed by the probe, with Zeek's conn_state and history (analysis tcp)", func(b *Batch) *[]TCPConnection { return &b.TCPConnections }),
	def(TableRTTSamples, "one request matched with its response (analysis rtt)", func(b *Batch) *[]RTTSample { return &b.RTTSamples }),
	def(TableRTTHistograms, "round trips of one kind, flow and interval in one RTT slice (analysis rtt)", func(b *Batch) *[]RTTHistogram { return &b.RTTHistograms }),
	def(TableFTPSessions, "one FTP control connection (analysis ftp)", func(b *Batch) *[]FTPSession { return &b.FTPSessions }),
	def(TableFTPTransfers, "one FTP data transfer, passive or active (analysis ftp)", func(b *Batch) *[]FTPTransfer { return &b.FTPTransfers }),
	def(TableOnewayDelays, "one packet between two hops of a one-way class: delay or what happened to it (oneway.records)", func(b *Batch) *[]OnewayDelay { return &b.OnewayDelays }),
	def(TableOnewayLatency, "one-way delays of one flow, hop pair and interval: n/sum/sumsq/min/max, percentiles and slices", func(b *Batch) *[]OnewayLatency { return &b.OnewayLatency }),
	def(TableOnewayLoss, "what happened to the packets of one one-way flow, hop pair and interval (sent, delivered, lost, ...)", func(b *Batch) *[]OnewayLoss { return &b.OnewayLoss }),
	def(TablePDUStats, "what one probe's PDUs of one type cost on one collector channel, against the traffic observed", func(b *Batch) *[]PDUStat { return &b.PDUStats }),
}

// TableNamed returns the table called name, or nil.
func TableNamed(name string) *Table {
	for _, t := range Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// TableNames returns the tables' names in Tables order.
func TableNames() []string {
	names := make([]string, len(Tables))
	for i, t := range Tables {
		names[i] = t.Name
	}
	return names
}

// Table describes one output table: its name (folder under --out, DuckDB
// view), a one-line description, and its row type, whose parquet struct
// tags are the columns (ColumnFields(Row) enumerates them). Its methods reach
// the table's rows inside a Batch without naming the row type.
type Table struct {
	Name string
	Doc  string
	Row  reflect.Type
	ops  tableOps
	// access reads the partition keys' columns of a row (Split).
	access []keyAccess
}

// ColumnFields returns the fields of the row type t that parquet-go writes
// as columns, in column order: its exported fields, with the fields of an
// embedded struct (OnewayKey) in the embedded field's place, as parquet-go
// flattens them; a field tagged parquet:"-" is left out. Each field's Index
// is its path for reflect.Value.FieldByIndex, its Offset is from the start
// of t.
func ColumnFields(t reflect.Type) []reflect.StructField {
	return appendColumnFields(nil, t, nil, 0)
}

func appendColumnFields(out []reflect.StructField, t reflect.Type, index []int, offset uintptr) []reflect.StructField {
	for i := range t.NumField() {
		f := t.Field(i)
		f.Index, f.Offset = append(slices.Clip(index), i), f.Offset+offset
		switch {
		case f.Tag.Get("parquet") == "-":
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			out = appendColumnFields(out, f.Type, f.Index, f.Offset)
		case f.IsExported():
			out = append(out, f)
		}
	}
	return out
}

// tableOps is implemented by rowsOf[T] for each row type T.
type tableOps interface {
	len(b *Batch) int
	rows(b *Batch) any
	reset(b *Batch)
	appendTo(dst, src *Batch)
	setRows(b *Batch, rows any)
	keepTail(dst, src *Batch, from, n int)
	newWriter(w io.Writer, opts []parquet.WriterOption) TableWriter
	split(b *Batch, keys []PartitionKey, acc []keyAccess) []Part
	// oneDir sets one's slot of the table to b's rows and returns their
	// folder when every row (at least one) falls in one partition.
	oneDir(b, one *Batch, keys []PartitionKey, acc []keyAccess) (string, bool)
	// group copies b's rows (of several partitions) into ts's batches,
	// one per partition, and returns their folders.
	group(b *Batch, keys []PartitionKey, acc []keyAccess, ts *tableSplit) []string
}

// Len returns the number of the table's rows in b.
func (t *Table) Len(b *Batch) int { return t.ops.len(b) }

// Rows returns the table's rows in b as their typed slice ([]Flow, ...).
func (t *Table) Rows(b *Batch) any { return t.ops.rows(b) }

// TableWriter encodes one table's rows as one Parquet file.
type TableWriter interface {
	// Write appends the table's rows of b (b is not kept).
	Write(b *Batch) (int, error)
	// Close writes the footer; the writer is then done until Reset.
	Close() error
	// Reset starts a new file on w with the writer's schema and options,
	// keeping its column writers and buffers (parquet-go's
	// GenericWriter.Reset, fixed in v0.32.1 to write the column paths of
	// the files after the first): a new writer is ~500 allocations for a
	// table such as tcp_connections, and the store opens one per table at
	// every publishing commit (issue 14). Call it after Close; the file is
	// byte for byte the one a new writer writes.
	Reset(w io.Writer)
}

// NewWriter returns a Parquet writer of the table's rows on w, with the
// schema of Row (so a file with no rows still holds the schema). The
// options are parquet-go's (compression, created_by, ...).
func (t *Table) NewWriter(w io.Writer, opts ...parquet.WriterOption) TableWriter {
	return t.ops.newWriter(w, opts)
}

// rowsOf binds a table to its slice in Batch.
type rowsOf[T any] struct {
	slot func(*Batch) *[]T
}

func def[T any](name, doc string, slot func(*Batch) *[]T) *Table {
	return &Table{Name: name, Doc: doc, Row: reflect.TypeFor[T](), ops: rowsOf[T]{slot: slot}}
}

func (r rowsOf[T]) len(b *Batch) int  { return len(*r.slot(b)) }
func (r rowsOf[T]) rows(b *Batch) any { return *r.slot(b) }
func (r rowsOf[T]) reset(b *Batch) {
	s := r.slot(b)
	clear(*s) // drop the strings and pointers the rows hold
	*s = (*s)[:0]
}
func (r rowsOf[T]) setRows(b *Batch, rows any) { *r.slot(b) = rows.([]T) }
func (r rowsOf[T]) appendTo(dst, src *Batch) {
	d := r.slot(dst)
	*d = append(*d, *r.slot(src)...)
}

// keepTail appends src's rows from index from on to dst, keeping at most
// the last n of dst (amortised: dst holds up to 2n rows between trims,
// and a trim leaves exactly n).
func (r rowsOf[T]) keepTail(dst, src *Batch, from, n int) {
	d, s := r.slot(dst), *r.slot(src)
	if from >= len(s) || n <= 0 {
		return
	}
	s = s[max(from, len(s)-n):]
	if len(*d)+len(s) > 2*n {
		keep := max(n-len(s), 0)
		k := copy(*d, (*d)[len(*d)-keep:])
		clear((*d)[k:])
		*d = (*d)[:k]
	}
	*d = append(*d, s...)
}

func (r rowsOf[T]) split(b *Batch, keys []PartitionKey, acc []keyAccess) []Part {
	dirs, rows := splitRows(*r.slot(b), keys, acc)
	parts := make([]Part, len(dirs))
	for i := range parts {
		parts[i] = Part{Dir: dirs[i], Batch: &Batch{}}
		*r.slot(parts[i].Batch) = rows[i]
	}
	return parts
}

func (r rowsOf[T]) oneDir(b, one *Batch, keys []PartitionKey, acc []keyAccess) (string, bool) {
	rows := *r.slot(b)
	d, ok := oneDir(rows, keys, acc)
	if ok {
		*r.slot(one) = rows
	}
	return d, ok
}

func (r rowsOf[T]) group(b *Batch, keys []PartitionKey, acc []keyAccess, ts *tableSplit) []string {
	return groupRows(*r.slot(b), keys, acc, ts.subs, ts.dirs, func(j int) *[]T { return r.slot(ts.batch(j)) })
}

func (r rowsOf[T]) newWriter(w io.Writer, opts []parquet.WriterOption) TableWriter {
	return &typedWriter[T]{rowsOf: r, w: parquet.NewGenericWriter[T](w, opts...)}
}

type typedWriter[T any] struct {
	rowsOf[T]
	w *parquet.GenericWriter[T]
}

func (t *typedWriter[T]) Write(b *Batch) (int, error) { return t.w.Write(*t.slot(b)) }
func (t *typedWriter[T]) Close() error                { return t.w.Close() }
func (t *typedWriter[T]) Reset(w io.Writer)           { t.w.Reset(w) }

// Batch collects the rows the collector produces, one slice per table of
// Tables; the store writes them as Parquet parts.
type Batch struct {
	Flows          []Flow
	FlowCounters   []FlowCounter
	Events         []Event
	SizeHistograms []SizeHistogram
	TCPConnections []TCPConnection
	RTTSamples     []RTTSample
	RTTHistograms  []RTTHistogram
	FTPSessions    []FTPSession
	FTPTransfers   []FTPTransfer
	OnewayDelays   []OnewayDelay
	OnewayLatency  []OnewayLatency
	OnewayLoss     []OnewayLoss
	PDUStats       []PDUStat
}

// Len returns the number of rows per table name.
func (b *Batch) Len() map[string]int {
	m := make(map[string]int, len(Tables))
	for _, t := range Tables {
		m[t.Name] = t.Len(b)
	}
	return m
}

// Rows returns the number of rows over every table.
func (b *Batch) Rows() int {
	n := 0
	for _, t := range Tables {
		n += t.Len(b)
	}
	return n
}

// Reset empties every table of b, keeping the slices' capacity for reuse.
func (b *Batch) Reset() {
	for _, t := range Tables {
		t.ops.reset(b)
	}
}

// Append appends every row of o to b.
func (b *Batch) Append(o *Batch) {
	for _, t := range Tables {
		t.ops.appendTo(b, o)
	}
}

// Sink receives rows while a run goes on: a replay's output folder or a
// collector's (engine/store implements it). The collector hands its rows
// to Write every flush period and then calls Commit; a durable collector
// acknowledges PDUs only once the Commit that covers their rows returned.
type Sink interface {
	// Write writes every table's rows of b. b is borrowed: the caller
	// reuses its slices once Write returns.
	Write(b *Batch) error
	// Commit makes every row written so far durable and visible to
	// queries (a running run's tables are current up to the last Commit).
	Commit() error
}

// CaptureSink is a Sink whose Commit may be told the capture time of the
// rows written so far (Unix ns; the pipeline's drains give the
// collector's clock), so that it can make them visible by capture time
// rather than by wall time (store.Run.PublishByCapture: the same part
// files at any speed).
type CaptureSink interface {
	Sink
	// CommitAt is Commit at capture time captureNs.
	CommitAt(captureNs int64) error
}

// check that every table has a Batch slice and a distinct name (a
// programmer error otherwise).
func init() {
	seen := map[string]bool{}
	for _, t := range Tables {
		if seen[t.Name] {
			panic(fmt.Sprintf("observe: table %s listed twice", t.Name))
		}
		seen[t.Name] = true
	}
	if n := reflect.TypeFor[Batch]().NumField(); n != len(Tables) {
		panic(fmt.Sprintf("observe: Batch has %d slices for %d tables", n, len(Tables)))
	}
}

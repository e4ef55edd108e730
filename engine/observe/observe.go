// Package observe holds one Go struct per output table, the Batch the
// collector fills with them, and the table names. These are the rows that
// land in Parquet (engine/store) and are queried with DuckDB (queries/).
//
// Column conventions (house style): snake_case names; every number with a
// unit carries it in its name (interval_s, rtt_ms, delay_us); absolute times
// are TIMESTAMP columns stored as int64 Unix nanoseconds with the
// `timestamp(nanosecond:local)` tag so DuckDB reads TIMESTAMP_NS with the
// nanoseconds intact; addresses and enums are dictionary-encoded strings.
// Schema changes add columns; they never rename one.
package observe

// Table names: the folder under --out and the DuckDB view name.
const (
	TableFlows        = "flows"
	TableFlowCounters = "flow_counters"
	TableEvents       = "events"
)

// Tables lists every table in the order the collector writes them.
var Tables = []string{TableFlows, TableFlowCounters, TableEvents}

// Flow is one row of the flows table: one direction of one granular flow of
// one flow class, as seen at one probe interface (design 3.2, 3.10).
// Packets and Bytes are totals over the whole run.
type Flow struct {
	FlowID    uint64 `parquet:"flow_id"`        // probe-unique, assigned by the probe (design 3.2)
	Probe     string `parquet:"probe,dict"`     // probe name
	Interface string `parquet:"interface,dict"` // capture interface name within the probe
	Class     string `parquet:"class,dict"`     // flow class name from the config
	Name      string `parquet:"name"`           // readable flow name, e.g. "10.0.0.1:high>10.0.0.2:161/udp"
	IPVersion uint8  `parquet:"ip_version"`     // 4 or 6; 0 when the class does not split by it
	Protocol  uint8  `parquet:"protocol"`       // IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)
	SrcAddr   string `parquet:"src_addr,dict"`  // "" when the class does not split by it
	DstAddr   string `parquet:"dst_addr,dict"`  // "" when the class does not split by it
	SrcPort   uint16 `parquet:"src_port"`       // 0 when absent, folded or not split by
	DstPort   uint16 `parquet:"dst_port"`       // 0 when absent, folded or not split by
	FirstSeen int64  `parquet:"first_seen,timestamp(nanosecond:local)"`
	LastSeen  int64  `parquet:"last_seen,timestamp(nanosecond:local)"`
	Packets   uint64 `parquet:"packets"` // IP packets (fragments count one each)
	Bytes     uint64 `parquet:"bytes"`   // IP total length, summed
}

// FlowCounter is one row of flow_counters (long format): one metric of one
// flow over one interval, as population/sum/sum of squares/min/max so that
// intervals and flows aggregate without losing the variance (design 1.11).
// For an event count (e.g. tcp_syn) N is the count and Sum equals N.
type FlowCounter struct {
	Probe         string  `parquet:"probe,dict"`
	FlowID        uint64  `parquet:"flow_id"`
	IntervalStart int64   `parquet:"interval_start,timestamp(nanosecond:local)"`
	IntervalS     float64 `parquet:"interval_s"` // interval length in seconds
	Metric        string  `parquet:"metric,dict"`
	N             uint64  `parquet:"n"`
	Sum           float64 `parquet:"sum"`
	SumSq         float64 `parquet:"sumsq"`
	Min           float64 `parquet:"min"`
	Max           float64 `parquet:"max"`
}

// Event is one row of events: a remarkable occurrence at a probe or the
// collector (design 1.7, 3.13), such as a truncated capture, an evicted
// flow or a transport state change.
type Event struct {
	Time     int64  `parquet:"time,timestamp(nanosecond:local)"` // capture time of the occurrence
	Source   string `parquet:"source,dict"`                      // "probe:NAME" or "collector"
	Kind     string `parquet:"kind,dict"`                        // stable machine name, e.g. capture_truncated
	Severity string `parquet:"severity,dict"`                    // info, warning or error
	Message  string `parquet:"message"`
}

// Severities of an Event.
const (
	SevInfo    = "info"
	SevWarning = "warning"
	SevError   = "error"
)

// Batch collects the rows the collector produces; the store writes one
// Parquet file per table from it.
type Batch struct {
	Flows        []Flow
	FlowCounters []FlowCounter
	Events       []Event
}

// Len returns the number of rows per table name.
func (b *Batch) Len() map[string]int {
	return map[string]int{
		TableFlows:        len(b.Flows),
		TableFlowCounters: len(b.FlowCounters),
		TableEvents:       len(b.Events),
	}
}

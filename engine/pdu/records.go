package pdu

import (
	"encoding/binary"
	"math"
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/stat"
)

// Hello introduces a probe: its name and its capture interfaces, so that
// records can carry small numbers instead (TypeHello).
type Hello struct {
	Probe      string
	Interfaces []string // index = pkt.Meta.Iface
}

// Append encodes h.
func (h *Hello) Append(e *Enc) {
	e.String(h.Probe)
	e.Uvarint(uint64(len(h.Interfaces)))
	for _, s := range h.Interfaces {
		e.String(s)
	}
}

// MaxRecordBytes is the largest record a Sender sends: one record alone
// in a PDU must fit the frame's 16-bit payload length (MaxPayload) and,
// with header, HMAC tag and CRC, one UDP datagram over IPv4 (65,507 bytes
// of payload, RFC 768 with RFC 791's 65,535-byte datagram). A larger
// record is refused (Sender.End, EventRecordTooLarge), never sent as a
// frame no collector can parse and retried for ever.
const MaxRecordBytes = MaxFrameBytes - HeaderLen - TagLen - TrailerLen

// Fit trims h.Interfaces to the longest prefix whose record encodes in at
// most maxBytes and returns how many names it dropped: a probe with tens
// of thousands of interfaces (a pcapng may describe 65,536) still gets
// its name and its first interfaces' names to the collector, which names
// the others by their number (interface index), "if" and the index. The probe name alone
// must fit (probe.New refuses longer names).
func (h *Hello) Fit(maxBytes int) (dropped int) {
	n := uvarintLen(uint64(len(h.Probe))) + len(h.Probe) + uvarintLen(uint64(len(h.Interfaces)))
	for i, s := range h.Interfaces {
		n += uvarintLen(uint64(len(s))) + len(s)
		if n > maxBytes {
			dropped = len(h.Interfaces) - i
			h.Interfaces = h.Interfaces[:i] // the count only shrinks: its varint too
			return dropped
		}
	}
	return 0
}

// uvarintLen is the length of v's unsigned varint encoding in bytes.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// Decode decodes h; an empty probe name, or more interface names than a
// probe can have (pkt.MaxIfaces), is ErrCorrupt (FuzzApply).
func (h *Hello) Decode(d *Dec) {
	h.Probe = d.String()
	if h.Probe == "" && d.Err() == nil { // probe.New refuses an empty name
		d.fail(ErrCorrupt)
		return
	}
	n := d.Uvarint()
	if n > uint64(len(d.B)) || n > pkt.MaxIfaces { // each string costs at least one byte; pkt.Meta.Iface indexes them
		d.fail(ErrCorrupt)
		return
	}
	h.Interfaces = make([]string, 0, n)
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		h.Interfaces = append(h.Interfaces, d.String())
	}
}

// RunConfig names the configuration version a probe run is under
// (TypeRunConfig, sent with the Hello of each run): the hash of its
// effective configuration (config.Config.Hash, run.json's config_hash).
// All components share one version of one file (design 1.6): a collector
// that switches versions knows by it which probe runs are already of the
// new one.
type RunConfig struct {
	ConfigHash string
}

// Append encodes r.
func (r *RunConfig) Append(e *Enc) { e.String(r.ConfigHash) }

// Decode decodes r.
func (r *RunConfig) Decode(d *Dec) { r.ConfigHash = d.String() }

// Field bits of FlowDef.Fields: which granularity fields the flow key holds.
const (
	FieldIPVersion uint8 = 1 << iota
	FieldProtocol
	FieldSrcAddr
	FieldDstAddr
	FieldSrcPort
	FieldDstPort
	FieldDSCP
	FieldVLAN
)

// FlowDef describes one granular flow once, before any observation that
// refers to it (design 3.2, 3.14). FlowID is assigned by the probe and kept
// by the collector (design 4: collector-assigned ids were a mistake).
type FlowDef struct {
	FlowID      uint64
	Iface       uint16
	Class       string
	Fields      uint8 // Field* bits set for the fields the class splits by
	IPVersion   uint8
	Protocol    uint8
	SrcAddr     netip.Addr
	DstAddr     netip.Addr
	SrcPort     uint16
	DstPort     uint16
	DSCP        uint8
	VLAN        uint16
	FoldedPorts uint8 // bit 0: source port folded to "high", bit 1: destination
	FirstSeenNs int64
}

// Append encodes f.
func (f *FlowDef) Append(e *Enc) {
	e.ID(IDFlow, f.FlowID)
	e.Uvarint(uint64(f.Iface))
	e.String(f.Class)
	e.B = append(e.B, f.Fields, f.IPVersion, f.Protocol)
	e.Addr(f.SrcAddr)
	e.Addr(f.DstAddr)
	b := binary.AppendUvarint(e.B, uint64(f.SrcPort)) // e.B stored once (AppendIntMetric)
	b = binary.AppendUvarint(b, uint64(f.DstPort))
	b = append(b, f.DSCP)
	b = binary.AppendUvarint(b, uint64(f.VLAN))
	e.B = append(b, f.FoldedPorts)
	e.Varint(f.FirstSeenNs)
}

// Decode decodes f.
func (f *FlowDef) Decode(d *Dec) {
	f.FlowID = d.Uvarint()
	f.Iface = d.Uint16()
	f.Class = d.String()
	f.Fields = d.Byte()
	f.IPVersion = d.Byte()
	f.Protocol = d.Byte()
	f.SrcAddr = d.Addr()
	f.DstAddr = d.Addr()
	f.SrcPort = d.Uint16()
	f.DstPort = d.Uint16()
	f.DSCP = d.Byte()
	f.VLAN = d.Uint16()
	f.FoldedPorts = d.Byte()
	f.FirstSeenNs = d.Varint()
}

// MetricDef names a metric id used in Counters records (TypeMetricDef).
type MetricDef struct {
	ID   uint32
	Name string
}

// Append encodes m.
func (m *MetricDef) Append(e *Enc) {
	e.Uvarint(uint64(m.ID))
	e.String(m.Name)
}

// Decode decodes m.
func (m *MetricDef) Decode(d *Dec) {
	m.ID = uint32(d.Uvarint())
	m.Name = d.String()
}

// Counters carries the metrics of one flow over one interval (TypeCounters).
type Counters struct {
	IntervalStartNs int64
	IntervalNs      int64
	FlowID          uint64
	Metrics         []Metric
}

// Metric is one metric's aggregate within a Counters record.
type Metric struct {
	ID   uint32
	Stat stat.Stat
}

// stat encodings
const (
	statCount    = 0 // N events: Sum = SumSq = N, Min = Max = 1
	statIntegral = 1 // non-negative integral Sum, SumSq, Min, Max as uvarints
	statFloat    = 2 // four float64
)

// Append encodes c.
func (c *Counters) Append(e *Enc) {
	c.AppendHead(e, len(c.Metrics))
	for i := range c.Metrics {
		m := &c.Metrics[i]
		AppendMetric(e, m.ID, m.Stat)
	}
}

// AppendHead encodes c's interval, interval length and flow id and a count
// of n metrics (c.Metrics is not read): the record's n metrics must follow,
// each by AppendMetric or AppendIntMetric. A probe reporting a flow writes
// its counters so, straight from the flow table (issue 14), the bytes
// Append writes for the same metrics.
func (c *Counters) AppendHead(e *Enc, n int) {
	e.Varint(c.IntervalStartNs)
	e.Varint(c.IntervalNs)
	e.ID(IDFlow, c.FlowID)
	e.Uvarint(uint64(n))
}

// AppendMetric encodes one metric of a Counters record (AppendHead).
func AppendMetric(e *Enc, id uint32, s stat.Stat) {
	e.Uvarint(uint64(id))
	appendStat(e, s)
}

// AppendIntMetric encodes one metric whose aggregate is kept as integers
// (a flow's fixed metrics): the bytes AppendMetric writes for s.Stat(),
// without converting each field to a float64 and testing it for an
// integer again. An empty s is written as AppendMetric writes the empty
// Stat.
func AppendIntMetric(e *Enc, id uint32, s *stat.Ints) {
	if s.N == 0 || s.N|s.Sum|s.SumSq|s.Min|s.Max >= 1<<53 {
		// Floats (appendStat's float64 comparisons and integral test
		// on rounded values), or empty: as AppendMetric.
		AppendMetric(e, id, s.Stat())
		return
	}
	// Below 2^53 every field is an exact float64, so appendStat's tests
	// on floats are these tests on integers (N is written as it is).
	// Appended to a local slice, stored once: e.B loaded and stored at
	// each of the seven fields took a fifth of the instructions.
	b := binary.AppendUvarint(e.B, uint64(id))
	b = binary.AppendUvarint(b, s.N)
	if s.Sum == s.N && s.SumSq == s.N && s.Min == 1 && s.Max == 1 {
		e.B = append(b, statCount)
		return
	}
	b = append(b, statIntegral)
	b = binary.AppendUvarint(b, s.Sum)
	b = binary.AppendUvarint(b, s.SumSq)
	b = binary.AppendUvarint(b, s.Min)
	e.B = binary.AppendUvarint(b, s.Max)
}

func appendStat(e *Enc, s stat.Stat) {
	e.Uvarint(s.N)
	n := float64(s.N)
	switch {
	case s.Sum == n && s.SumSq == n && s.Min == 1 && s.Max == 1:
		e.Byte(statCount)
	case integral(s.Sum) && integral(s.SumSq) && integral(s.Min) && integral(s.Max):
		e.Byte(statIntegral)
		e.Uvarint(uint64(s.Sum))
		e.Uvarint(uint64(s.SumSq))
		e.Uvarint(uint64(s.Min))
		e.Uvarint(uint64(s.Max))
	default:
		e.Byte(statFloat)
		e.Float(s.Sum)
		e.Float(s.SumSq)
		e.Float(s.Min)
		e.Float(s.Max)
	}
}

// integral reports whether f is a non-negative integer exactly held by a
// uint64 and a float64 (below 2^53).
func integral(f float64) bool { return f >= 0 && f < 1<<53 && f == math.Trunc(f) }

func decodeStat(d *Dec) stat.Stat {
	if s, n := decodeStatFast(d.B); n > 0 {
		d.B = d.B[n:]
		return s
	}
	return decodeStatSlow(d)
}

// decodeStatFast decodes a well-formed stat at the start of b in one pass
// over a local index (d.B stored once, not at each of its six fields:
// issue 14) and returns it with its length; 0 for anything else, which
// decodeStatSlow then reads field by field for its error.
func decodeStatFast(b []byte) (s stat.Stat, n int) {
	var i int
	if len(b) > 0 && b[0] < 0x80 {
		s.N, i = uint64(b[0]), 1
	} else if s.N, i = uvarintLong(b, 0); i <= 0 {
		return s, 0
	}
	if i >= len(b) {
		return s, 0
	}
	kind := b[i]
	i++
	switch kind {
	case statCount:
		s.Sum, s.SumSq, s.Min, s.Max = float64(s.N), float64(s.N), 1, 1
	case statIntegral:
		var v [4]uint64
		if i = uvarintsAt(b, i, v[:]); i == 0 {
			return s, 0
		}
		s.Sum, s.SumSq, s.Min, s.Max = float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
	case statFloat:
		if len(b)-i < 32 {
			return s, 0
		}
		f := b[i : i+32]
		s.Sum = math.Float64frombits(binary.BigEndian.Uint64(f))
		s.SumSq = math.Float64frombits(binary.BigEndian.Uint64(f[8:]))
		s.Min = math.Float64frombits(binary.BigEndian.Uint64(f[16:]))
		s.Max = math.Float64frombits(binary.BigEndian.Uint64(f[24:]))
		i += 32
	default:
		return s, 0
	}
	return s, i
}

// decodeStatSlow is decodeStat field by field, with the errors of each.
func decodeStatSlow(d *Dec) stat.Stat {
	var s stat.Stat
	s.N = d.Uvarint()
	switch d.Byte() {
	case statCount:
		s.Sum, s.SumSq, s.Min, s.Max = float64(s.N), float64(s.N), 1, 1
	case statIntegral:
		s.Sum = float64(d.Uvarint())
		s.SumSq = float64(d.Uvarint())
		s.Min = float64(d.Uvarint())
		s.Max = float64(d.Uvarint())
	case statFloat:
		s.Sum, s.SumSq, s.Min, s.Max = d.Float(), d.Float(), d.Float(), d.Float()
	default:
		d.fail(ErrCorrupt)
	}
	return s
}

// Decode decodes c, reusing c.Metrics' storage.
func (c *Counters) Decode(d *Dec) {
	if n := c.decodeFast(d.B); n > 0 {
		d.B = d.B[n:]
		return
	}
	c.decodeSlow(d)
}

// decodeFast decodes a well-formed record at the start of b over a local
// index, as decodeStatFast does (issue 14: 1.4 M flow_counters rows of
// the 5M corpus, six varints each), and returns its length; 0 for
// anything else, which decodeSlow then reads field by field for its
// error.
func (c *Counters) decodeFast(b []byte) int {
	var u [4]uint64 // interval start, interval, flow, metrics
	i := uvarintsAt(b, 0, u[:])
	if i == 0 || u[3] > uint64(len(b)-i) {
		return 0
	}
	c.IntervalStartNs, c.IntervalNs, c.FlowID = unzigzag(u[0]), unzigzag(u[1]), u[2]
	c.Metrics = c.Metrics[:0]
	for range u[3] {
		var id uint64
		if i < len(b) && b[i] < 0x80 {
			id = uint64(b[i])
			i++
		} else if id, i = uvarintLong(b, i); i <= 0 {
			return 0
		}
		s, n := decodeStatFast(b[i:])
		if n == 0 {
			return 0
		}
		i += n
		c.Metrics = append(c.Metrics, Metric{ID: uint32(id), Stat: s})
	}
	return i
}

// decodeSlow is Decode field by field, with the errors of each.
func (c *Counters) decodeSlow(d *Dec) {
	c.IntervalStartNs = d.Varint()
	c.IntervalNs = d.Varint()
	c.FlowID = d.Uvarint()
	n := d.Uvarint()
	if n > uint64(len(d.B)) { // each metric costs at least 3 bytes
		d.fail(ErrCorrupt)
		return
	}
	c.Metrics = c.Metrics[:0]
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		id := uint32(d.Uvarint())
		c.Metrics = append(c.Metrics, Metric{ID: id, Stat: decodeStat(d)})
	}
}

// FlowUpdate carries a flow's running totals since it was first seen
// (TypeFlowUpdate). Totals are cumulative, so a lost or repeated update
// never double counts.
type FlowUpdate struct {
	FlowID     uint64
	LastSeenNs int64
	Packets    uint64
	Bytes      uint64
	Ended      uint8 // 0 still active, EndIdle, EndEvicted, EndFinal
}

// Reasons a flow ends, in FlowUpdate.Ended.
const (
	EndIdle    uint8 = 1 // idle timeout of its class
	EndEvicted uint8 = 2 // evicted from a full flow table
	EndFinal   uint8 = 3 // end of the capture
)

// Append encodes u.
func (u *FlowUpdate) Append(e *Enc) {
	e.ID(IDFlow, u.FlowID)
	e.Varint(u.LastSeenNs)
	b := binary.AppendUvarint(e.B, u.Packets) // e.B stored once (AppendIntMetric)
	b = binary.AppendUvarint(b, u.Bytes)
	e.B = append(b, u.Ended)
}

// Decode decodes u: a whole record in one pass over a local index (0.8 M
// flow updates of the 5M corpus, four varints each: issue 14), anything
// else field by field for its error.
func (u *FlowUpdate) Decode(d *Dec) {
	var v [4]uint64 // flow, last seen, packets, bytes
	if i := uvarintsAt(d.B, 0, v[:]); i > 0 && i < len(d.B) {
		u.FlowID, u.LastSeenNs, u.Packets, u.Bytes, u.Ended = v[0], unzigzag(v[1]), v[2], v[3], d.B[i]
		d.B = d.B[i+1:]
		return
	}
	u.decodeSlow(d)
}

// decodeSlow is Decode field by field.
func (u *FlowUpdate) decodeSlow(d *Dec) {
	u.FlowID = d.Uvarint()
	u.LastSeenNs = d.Varint()
	d.Uvarints(&u.Packets, &u.Bytes)
	u.Ended = d.Byte()
}

// Event is a probe event (design 1.7, 3.13; TypeEvents).
type Event struct {
	TimeNs   int64
	Severity uint8 // 0 info, 1 warning, 2 error
	Kind     string
	Message  string
	// Count is how many things the event reports (packets, rows, frames
	// refused or dropped), 0 when it reports none: events.count, so that
	// sum(count) tells how much is missing.
	Count uint64
}

// Append encodes ev.
func (ev *Event) Append(e *Enc) {
	e.Varint(ev.TimeNs)
	e.Byte(ev.Severity)
	e.String(ev.Kind)
	e.String(ev.Message)
	e.Uvarint(ev.Count)
}

// Decode decodes ev.
func (ev *Event) Decode(d *Dec) {
	ev.TimeNs = d.Varint()
	ev.Severity = d.Byte()
	ev.Kind = d.String()
	ev.Message = d.String()
	ev.Count = d.Uvarint()
}

// HistDef defines the slices of a histogram (design 3.14 "Metrics
// Histogram Slices description"): upper bounds, ascending, in Unit; a last
// slice takes everything above the last edge (TypeHistDef).
type HistDef struct {
	ID    uint32
	Unit  string
	Edges []float64
}

// Append encodes h.
func (h *HistDef) Append(e *Enc) {
	e.Uvarint(uint64(h.ID))
	e.String(h.Unit)
	e.Uvarint(uint64(len(h.Edges)))
	for _, x := range h.Edges {
		e.Float(x)
	}
}

// Decode decodes h.
func (h *HistDef) Decode(d *Dec) {
	h.ID = uint32(d.Uvarint())
	h.Unit = d.String()
	n := d.Uvarint()
	if n > uint64(len(d.B))/8 {
		d.fail(ErrCorrupt)
		return
	}
	h.Edges = make([]float64, n)
	for i := range h.Edges {
		h.Edges[i] = d.Float()
	}
}

// Histogram carries the slice counts of one flow's histogram over one
// interval (TypeHistograms, design 3.14 "Metrics Histogram Slices data").
type Histogram struct {
	IntervalStartNs int64
	IntervalNs      int64
	FlowID          uint64
	DefID           uint32 // HistDef.ID
	Counts          []uint64
}

// Append encodes h.
func (h *Histogram) Append(e *Enc) {
	e.Varint(h.IntervalStartNs)
	e.Varint(h.IntervalNs)
	e.ID(IDFlow, h.FlowID)
	e.Uvarint(uint64(h.DefID))
	e.Uvarint(uint64(len(h.Counts)))
	for _, c := range h.Counts {
		e.Uvarint(c)
	}
}

// Decode decodes h, reusing h.Counts' storage.
func (h *Histogram) Decode(d *Dec) {
	h.IntervalStartNs = d.Varint()
	h.IntervalNs = d.Varint()
	h.FlowID = d.Uvarint()
	h.DefID = uint32(d.Uvarint())
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.fail(ErrCorrupt)
		return
	}
	h.Counts = h.Counts[:0]
	for i := uint64(0); i < n && d.Err() == nil; i++ {
		h.Counts = append(h.Counts, d.Uvarint())
	}
}

// SeverityName returns the events.severity value of an Event's Severity
// (SevInfo, SevWarning, SevError; anything else reads as an error).
func SeverityName(sev uint8) string {
	switch sev {
	case SevInfo:
		return observe.SevInfo
	case SevWarning:
		return observe.SevWarning
	}
	return observe.SevError
}

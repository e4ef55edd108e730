// Package flow is the probe's granular flow table (design 3.2, 3.10): flows
// keyed by class, interface and the class's qualifier fields, each with a
// probe-unique numeric id, totals and the current interval's counters;
// idle flows expire on capture time and a bounded size evicts the least
// recently seen flow.
package flow

import (
	"net/netip"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// Key identifies a granular flow. Fields the class does not split by are
// zero. Keys are comparable and used as map keys.
type Key struct {
	Class     uint16 // index of the class in the config
	Iface     uint16 // probe interface index (design 3.2: flows are kept apart per interface)
	IPVersion uint8
	Protocol  uint8
	DSCP      uint8
	Folded    uint8 // bit 0: source port folded to "high", bit 1: destination
	SrcPort   uint16
	DstPort   uint16
	VLAN      uint16
	SrcAddr   netip.Addr
	DstAddr   netip.Addr
}

// Metric ids of the fixed per-flow counters (design 3.12). Values come
// first (kept as n/sum/sumsq/min/max), then event counts (kept as a plain
// count: their sum is n and min = max = 1). Metric names are in
// MetricNames; ids from NumFixed on are registered at run time.
const (
	MIPBytes        = iota // value: IP total length in bytes
	MTTL                   // value: IPv4 TTL / IPv6 hop limit
	MDSCP                  // value: DSCP code point
	ML4PayloadBytes        // value: TCP/UDP payload bytes announced per packet
	NumValues              // number of value metrics
)

// Count metric ids.
const (
	MPackets       = NumValues + iota // count of IP packets (fragments count one each)
	MFragments                        // count of IP fragments
	MTCPSyn                           // count of TCP segments with SYN
	MTCPFin                           // count of TCP segments with FIN
	MTCPRst                           // count of TCP segments with RST
	MTCPZeroWindow                    // count of TCP segments advertising a zero window (not RST)
	MReasmFailures                    // count of datagrams that never reassembled (timeout)
	NumFixed                          // number of fixed metrics
)

// MetricNames names the fixed metrics as they appear in flow_counters.metric.
var MetricNames = [NumFixed]string{
	MPackets:        "packets",
	MIPBytes:        "ip_bytes",
	MTTL:            "ttl",
	MDSCP:           "dscp",
	MFragments:      "ip_fragments",
	MTCPSyn:         "tcp_syn",
	MTCPFin:         "tcp_fin",
	MTCPRst:         "tcp_rst",
	MTCPZeroWindow:  "tcp_zero_window",
	ML4PayloadBytes: "l4_payload_bytes",
	MReasmFailures:  "ip_reassembly_failures",
}

// Extra is a metric registered at run time (ICMP type/code, ...).
type Extra struct {
	ID   uint32
	Stat stat.Stat
}

// Flow is one granular flow. The probe updates its counters directly.
type Flow struct {
	ID          uint64
	Key         Key
	FirstSeenNs int64
	LastSeenNs  int64
	Packets     uint64 // since first seen
	Bytes       uint64 // IP bytes since first seen
	// Values and Counts hold this interval's fixed metrics: values by
	// M* id, counts by M* id - NumValues (8 bytes a count instead of a
	// 40-byte aggregate: the table holds every flow).
	Values [NumValues]stat.Stat
	Counts [NumFixed - NumValues]uint64
	// Extras holds this interval's run-time metrics (small, linear).
	Extras []Extra
	// Sizes holds this interval's size histogram slice counts, when the
	// class asks for it.
	Sizes []uint64
	// Active is true when the flow saw a packet in the current interval.
	Active bool

	prev, next *Flow // per-class LRU list, most recent at head
}

// Extra returns the run-time metric id's aggregate, adding it if absent.
func (f *Flow) Extra(id uint32) *stat.Stat {
	for i := range f.Extras {
		if f.Extras[i].ID == id {
			return &f.Extras[i].Stat
		}
	}
	f.Extras = append(f.Extras, Extra{ID: id})
	return &f.Extras[len(f.Extras)-1].Stat
}

// Count adds one event to count metric id (MPackets ... MReasmFailures).
func (f *Flow) Count(id int) { f.Counts[id-NumValues]++ }

// Value returns the aggregate of value metric id (MIPBytes ... ML4PayloadBytes).
func (f *Flow) Value(id int) *stat.Stat { return &f.Values[id] }

// Metric returns this interval's aggregate of fixed metric id; a count
// reads as n events of value 1.
func (f *Flow) Metric(id int) stat.Stat {
	if id < NumValues {
		return f.Values[id]
	}
	n := f.Counts[id-NumValues]
	if n == 0 {
		return stat.Stat{}
	}
	return stat.Stat{N: n, Sum: float64(n), SumSq: float64(n), Min: 1, Max: 1}
}

// ResetInterval clears the interval counters after they were reported.
func (f *Flow) ResetInterval() {
	f.Values = [NumValues]stat.Stat{}
	f.Counts = [NumFixed - NumValues]uint64{}
	f.Extras = f.Extras[:0]
	for i := range f.Sizes {
		f.Sizes[i] = 0
	}
	f.Active = false
}

type lru struct{ head, tail *Flow }

// Table holds the flows of one probe. It is not safe for concurrent use.
type Table struct {
	m        map[Key]*Flow
	byID     map[uint64]*Flow
	lists    []lru // per class
	max      int
	nextID   uint64
	sizeBins int

	// Stats
	Created uint64
	Expired uint64
	Evicted uint64
}

// New returns a table for nClasses classes holding at most maxFlows flows.
// sizeBins is the number of size histogram slices kept per flow (0: none).
func New(nClasses, maxFlows, sizeBins int) *Table {
	return &Table{m: make(map[Key]*Flow), byID: make(map[uint64]*Flow), lists: make([]lru, nClasses), max: maxFlows, sizeBins: sizeBins}
}

// Len returns the number of flows held.
func (t *Table) Len() int { return len(t.m) }

// Lookup returns the flow of k, creating it at time nowNs if absent
// (created = true). When the table is full, the least recently seen flow of
// all classes is evicted first and handed to evict (which must report it).
func (t *Table) Lookup(k Key, nowNs int64, evict func(*Flow)) (f *Flow, created bool) {
	if f = t.m[k]; f != nil {
		l := &t.lists[k.Class]
		if l.head != f {
			l.unlink(f)
			l.pushFront(f)
		}
		return f, false
	}
	if len(t.m) >= t.max {
		if old := t.oldest(); old != nil {
			t.remove(old)
			t.Evicted++
			evict(old)
		}
	}
	t.nextID++
	f = &Flow{ID: t.nextID, Key: k, FirstSeenNs: nowNs, LastSeenNs: nowNs}
	if t.sizeBins > 0 {
		f.Sizes = make([]uint64, t.sizeBins)
	}
	t.m[k] = f
	t.byID[f.ID] = f
	t.lists[k.Class].pushFront(f)
	t.Created++
	return f, true
}

// Expire removes the flows of class c idle since before cutoffNs and hands
// each to fn (which must report it), oldest first.
func (t *Table) Expire(c int, cutoffNs int64, fn func(*Flow)) {
	l := &t.lists[c]
	for f := l.tail; f != nil && f.LastSeenNs < cutoffNs; f = l.tail {
		t.remove(f)
		t.Expired++
		fn(f)
	}
}

// Each calls fn for every flow, class by class, most recent first.
func (t *Table) Each(fn func(*Flow)) {
	for c := range t.lists {
		for f := t.lists[c].head; f != nil; f = f.next {
			fn(f)
		}
	}
}

func (t *Table) oldest() *Flow {
	var o *Flow
	for c := range t.lists {
		if f := t.lists[c].tail; f != nil && (o == nil || f.LastSeenNs < o.LastSeenNs) {
			o = f
		}
	}
	return o
}

func (t *Table) remove(f *Flow) {
	delete(t.m, f.Key)
	delete(t.byID, f.ID)
	t.lists[f.Key.Class].unlink(f)
}

func (l *lru) pushFront(f *Flow) {
	f.prev, f.next = nil, l.head
	if l.head != nil {
		l.head.prev = f
	}
	l.head = f
	if l.tail == nil {
		l.tail = f
	}
}

func (l *lru) unlink(f *Flow) {
	if f.prev != nil {
		f.prev.next = f.next
	} else {
		l.head = f.next
	}
	if f.next != nil {
		f.next.prev = f.prev
	} else {
		l.tail = f.prev
	}
	f.prev, f.next = nil, nil
}

// Get returns the flow of k, or nil, without creating it or changing its
// recency.
func (t *Table) Get(k Key) *Flow { return t.m[k] }

// ByID returns the flow with probe flow id id, or nil once it is gone.
func (t *Table) ByID(id uint64) *Flow { return t.byID[id] }

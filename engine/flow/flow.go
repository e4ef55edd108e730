// Package flow is the probe's granular flow table (design 3.2, 3.10): flows
// keyed by class, interface and the class's qualifier fields, each with a
// probe-unique numeric id, totals and the current interval's counters;
// idle flows expire on capture time and a bounded size evicts the least
// recently seen flow.
package flow

import (
	"cmp"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// Key identifies a granular flow. Fields the class does not split by are
// zero. The table keeps it in a compact form (addresses as 16 bytes,
// hashed once per lookup as one plain value); Flow.Key rebuilds it.
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
	ML4PayloadBytes        // value: TCP/UDP/SCTP payload bytes the packet carries, after the transport header (SCTP: its common header) (a fragment: its share of the datagram)
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

// ckey is Key as the table stores, compares and hashes it: six words of
// plain bytes, no pointer (netip.Addr holds one), 48 bytes instead of 64.
// Each word is written whole and read whole (issue 14): the key kept as
// 2- and 1-byte fields beside a 33-byte AddrPair took ~100 instructions a
// packet more (cachegrind, 5M corpus: a generated comparison function
// calling memequal, the hash gathering the fields again), and its
// addresses, stored 8 bytes at a time and copied in 16-byte loads, stalled
// every lookup (store-to-load forwarding fails when a load spans two
// stores).
type ckey struct {
	src0, src1 uint64 // source address: its 16 bytes (netip.Addr.As16), little-endian words
	dst0, dst1 uint64 // destination address, likewise
	ports      uint64 // class | iface<<16 | sport<<32 | dport<<48
	rest       uint64 // vlan | ver<<16 | proto<<24 | dscp<<32 | folded<<40 | AddrPair.fam bits<<48
}

func compact(k *Key) ckey {
	var c ckey
	c.set(k)
	return c
}

// set makes c the compact form of k, in place (no 48-byte key copied
// through return values: this runs once per packet).
func (c *ckey) set(k *Key) {
	s, d := k.SrcAddr.As16(), k.DstAddr.As16()
	c.src0, c.src1 = binary.LittleEndian.Uint64(s[:8]), binary.LittleEndian.Uint64(s[8:])
	c.dst0, c.dst1 = binary.LittleEndian.Uint64(d[:8]), binary.LittleEndian.Uint64(d[8:])
	c.ports = uint64(k.Class) | uint64(k.Iface)<<16 | uint64(k.SrcPort)<<32 | uint64(k.DstPort)<<48
	fam := famBits(k.SrcAddr) | famBits(k.DstAddr)<<1
	c.rest = uint64(k.VLAN) | uint64(k.IPVersion)<<16 | uint64(k.Protocol)<<24 | uint64(k.DSCP)<<32 | uint64(k.Folded)<<40 | uint64(fam)<<48
}

// eq reports whether c and o are the same key: six word comparisons,
// inlined (the == of a struct this size calls a comparison function).
func (c *ckey) eq(o *ckey) bool {
	return (c.src0^o.src0)|(c.src1^o.src1)|(c.dst0^o.dst0)|(c.dst1^o.dst1)|(c.ports^o.ports)|(c.rest^o.rest) == 0
}

// class returns the key's class index.
func (c *ckey) class() uint16 { return uint16(c.ports) }

// key rebuilds the Key c was made from.
func (c *ckey) key() Key {
	var p AddrPair
	binary.LittleEndian.PutUint64(p.src[:8], c.src0)
	binary.LittleEndian.PutUint64(p.src[8:], c.src1)
	binary.LittleEndian.PutUint64(p.dst[:8], c.dst0)
	binary.LittleEndian.PutUint64(p.dst[8:], c.dst1)
	p.fam = uint8(c.rest >> 48)
	return Key{Class: uint16(c.ports), Iface: uint16(c.ports >> 16), SrcPort: uint16(c.ports >> 32), DstPort: uint16(c.ports >> 48),
		VLAN: uint16(c.rest), IPVersion: uint8(c.rest >> 16), Protocol: uint8(c.rest >> 24), DSCP: uint8(c.rest >> 32), Folded: uint8(c.rest >> 40),
		SrcAddr: p.Src(), DstAddr: p.Dst()}
}

// AddrPair is a source and a destination address as plain bytes (33
// bytes, no pointer, comparable: a map key the garbage collector need not
// scan, where a netip.Addr holds a pointer). The zero AddrPair holds two
// invalid addresses. The probe's flow table and the collector's flow
// records keep their addresses so.
type AddrPair struct {
	src, dst [16]byte
	fam      uint8 // bit 0: src is an IPv4 address, bit 1: dst; bit 2: src valid, bit 3: dst valid
}

// PackAddrs packs src and dst (either may be the zero netip.Addr); Src and
// Dst give them back, IPv4 as IPv4 (not IPv4-mapped IPv6).
func PackAddrs(src, dst netip.Addr) AddrPair {
	var p AddrPair
	p.set(src, dst)
	return p
}

// set packs src and dst into p. The zero netip.Addr's As16 is 16 zero
// bytes, so each address is stored once, without a branch, and its family
// bits computed apart (issue 14: this runs once per packet).
func (p *AddrPair) set(src, dst netip.Addr) {
	p.src, p.dst = src.As16(), dst.As16()
	p.fam = famBits(src) | famBits(dst)<<1
}

// famBits returns a's AddrPair.fam bits as a source: 4 when valid, 1 more
// when IPv4.
func famBits(a netip.Addr) uint8 {
	var b uint8
	if a.IsValid() {
		b = 4
	}
	if a.Is4() {
		b |= 1
	}
	return b
}

// Src returns the source address.
func (p AddrPair) Src() netip.Addr { return addrOf(p.src, p.fam&4 != 0, p.fam&1 != 0) }

// Dst returns the destination address.
func (p AddrPair) Dst() netip.Addr { return addrOf(p.dst, p.fam&8 != 0, p.fam&2 != 0) }

func addrOf(b [16]byte, valid, v4 bool) netip.Addr {
	if !valid {
		return netip.Addr{}
	}
	a := netip.AddrFrom16(b)
	if v4 {
		return a.Unmap()
	}
	return a
}

// Flow is one granular flow. The probe updates its counters through
// AddPacket, AddL4Payload, Count and Extra; Metric reads them. The
// interval's fixed metrics are kept as integers (exact: IP lengths, TTLs,
// DSCPs and payload lengths are integers) and one packet count, not as one
// float aggregate each: a flow takes about half the memory.
//
// A Flow is three 64-byte cache lines (TestFlowLayout; the table's slabs
// start on a line): the first holds what a lookup compares and every
// packet reads (key, last sight, id), the second what every packet counts
// (Table.AddPacket, AddL4Payload, the tcp handle), the third the rest
// (first sight, earlier intervals' totals, event counts, the rtt handle,
// Active, what few flows need). A packet of a flow not in the caches
// misses two lines, not three or four (issue 14: flow records were ~2.3
// D1 misses a packet of the 5M corpus). The interval's TTL and DSCP are
// kept as their minimum and maximum only while each is constant, the
// usual case (their sums are then n times the value); the sums are kept
// apart (extra) once one varies.
type Flow struct {
	key        ckey
	LastSeenNs int64
	ID         uint64

	// This interval's fixed metrics.
	n, nL4         uint32 // packets; TCP/UDP packets
	ipSum, ipSumSq uint64
	l4Sum, l4SumSq uint64
	ipMin, ipMax   uint32
	l4Min, l4Max   uint32
	td             uint32 // TTL minimum, maximum, DSCP minimum, maximum: a byte each, lowest first
	// TCP is the tcp analyser's handle of the flow's latest connection
	// (tcpconn.Hint; 0: none): the analyser finds the connection of the
	// packet from the flow record instead of its own index (issue 14: one
	// flow lookup per packet). New flows start with 0.
	TCP int32

	// RTT is the rtt analyser's handle of the flow's latest timestamped
	// TCP connection (rtt.Hint; 0: none), for the same reason.
	RTT int32
	// Active is true when the flow saw a packet in the current interval
	// (Counted), or was touched by a metric of its own (rtt_unanswered).
	Active      bool
	gone        bool // removed from the table (kept in its id list until compaction)
	FirstSeenNs int64
	// The packets and IP bytes of the intervals already reported
	// (Packets and Bytes add the current one's: no second count per
	// packet).
	packetsBefore, bytesBefore uint64
	counts                     [NumFixed - MFragments]uint32

	x *extra // run-time metrics, size slices, varied TTL/DSCP sums, carries, when the flow has any
}

// Counted reports whether the flow counted a packet in the current
// interval (AddPacket since ResetInterval): such a flow is Active. It
// reads the line AddPacket writes, not Active's.
func (f *Flow) Counted() bool { return f.n != 0 }

// Packets returns the flow's packets since first seen.
func (f *Flow) Packets() uint64 { return f.packetsBefore + uint64(f.n) + f.carried(carryN) }

// Bytes returns the flow's IP bytes since first seen.
func (f *Flow) Bytes() uint64 { return f.bytesBefore + f.ipSum }

// extra holds what few flows need.
type extra struct {
	extras []Extra   // this interval's run-time metrics (small, linear)
	sizes  []uint64  // this interval's size histogram slice counts
	wide   wideStats // TTL and DSCP sums of an interval in which they varied; the counts' carries
	inline [2]Extra  // extras' first storage (no allocation for one or two metrics)
}

type wideStats struct {
	// The interval's TTL and DSCP sums, once either varied in it (on).
	ttlSum, ttlSq, dscpSum, dscpSq uint64
	// carry holds what the 32-bit interval counts (n, nL4, counts) handed
	// on (carryN, carryL4, then counts' order), nil until one did.
	carry *[carryL4 + 1 + NumFixed - MFragments]uint64
	on    bool
}

// Key returns the flow's key.
func (f *Flow) Key() Key { return f.key.key() }

// Class returns the index of the flow's class.
func (f *Flow) Class() int { return int(f.key.class()) }

// AddPacket counts one packet of the interval with its IP total length,
// TTL (hop limit) and DSCP: the metrics packets, ip_bytes, ttl and dscp.
// Table.AddPacket does the same with the table's slabs (no allocation
// when the TTL or DSCP varies).
func (f *Flow) AddPacket(ipLen uint32, ttl, dscp uint8) { f.addPacket(ipLen, ttl, dscp, nil) }

// AddPacket is f.AddPacket, what f needs when its TTL or DSCP varies
// taken from t's slabs.
func (t *Table) AddPacket(f *Flow, ipLen uint32, ttl, dscp uint8) { f.addPacket(ipLen, ttl, dscp, t) }

func (f *Flow) addPacket(ipLen uint32, ttl, dscp uint8, t *Table) {
	f.hold(&f.n, carryN)
	td := uint32(ttl)*0x0101 | uint32(dscp)*0x01010000 // as f.td when the interval's TTL and DSCP are this packet's
	if f.n == 0 {
		f.ipMin, f.ipMax, f.td = ipLen, ipLen, td
	} else {
		f.ipMin, f.ipMax = min(f.ipMin, ipLen), max(f.ipMax, ipLen)
		if td != f.td {
			f.varied(ttl, dscp, t)
		}
	}
	f.n++
	l := uint64(ipLen)
	f.ipSum += l
	f.ipSumSq += l * l
}

// varied counts the TTL and DSCP of a packet of an interval in which
// they did not all stay the same (a packet of another TTL or DSCP now, or
// before): the sums go to x.wide, started from the packets before, which
// all had f.td's values. Kept out of line: this is rare.
//
//go:noinline
func (f *Flow) varied(ttl, dscp uint8, t *Table) {
	if f.x == nil {
		if t != nil {
			f.x = t.newExtra()
		} else {
			f.x = &extra{}
		}
	}
	w := &f.x.wide
	if !w.on {
		n := uint64(f.n) + f.carried(carryN) // the packets before this one
		t0, d0 := uint64(f.td&0xff), uint64(f.td>>16&0xff)
		w.ttlSum, w.ttlSq, w.dscpSum, w.dscpSq, w.on = n*t0, n*t0*t0, n*d0, n*d0*d0, true
	}
	tt, dd := uint64(ttl), uint64(dscp)
	w.ttlSum += tt
	w.ttlSq += tt * tt
	w.dscpSum += dd
	w.dscpSq += dd * dd
	b := [4]uint32{f.td & 0xff, f.td >> 8 & 0xff, f.td >> 16 & 0xff, f.td >> 24}
	b[0], b[1] = min(b[0], uint32(ttl)), max(b[1], uint32(ttl))
	b[2], b[3] = min(b[2], uint32(dscp)), max(b[3], uint32(dscp))
	f.td = b[0] | b[1]<<8 | b[2]<<16 | b[3]<<24
}

// Interval counts are 32-bit: 4.3e9 packets of one flow in one interval
// are one day (interval_s goes to 86400) at 50,000 packets/s, an aggregate
// class's (granularity [protocol]) on a busy link. A count about to wrap
// hands carryStep to its 64-bit carry and stays above 2^31 (never 0 again:
// the first-value tests still hold).
const (
	carryStep = 1 << 31
	carryN    = 0 // packets (n)
	carryL4   = 1 // TCP/UDP packets (nL4); counts from carryL4+1 on
)

// hold hands carryStep of the 32-bit interval count *c to its 64-bit
// carry i when the next increment would wrap it.
func (f *Flow) hold(c *uint32, i int) {
	if *c == math.MaxUint32 {
		f.handOn(c, i)
	}
}

// handOn hands carryStep of *c to carry i. Kept out of line: inlined,
// its allocations made AddPacket and AddL4Payload spill their arguments
// and set up a frame on every packet (issue 14: ~20 instructions a
// packet of the 5M corpus).
//
//go:noinline
func (f *Flow) handOn(c *uint32, i int) {
	*c -= carryStep
	*f.carry(i) += carryStep
}

// carry returns the 64-bit carry of count i.
func (f *Flow) carry(i int) *uint64 {
	x := f.ext()
	if x.wide.carry == nil {
		x.wide.carry = new([carryL4 + 1 + NumFixed - MFragments]uint64)
	}
	return &x.wide.carry[i]
}

// carried returns what count i handed to its carry.
func (f *Flow) carried(i int) uint64 {
	if f.x == nil || f.x.wide.carry == nil {
		return 0
	}
	return f.x.wide.carry[i]
}

// AddL4Payload adds one TCP, UDP or SCTP packet's announced payload length
// (l4_payload_bytes).
func (f *Flow) AddL4Payload(n uint32) {
	f.hold(&f.nL4, carryL4)
	if f.nL4 == 0 {
		f.l4Min, f.l4Max = n, n
	} else {
		f.l4Min, f.l4Max = min(f.l4Min, n), max(f.l4Max, n)
	}
	f.nL4++
	v := uint64(n)
	f.l4Sum += v
	f.l4SumSq += v * v
}

func (f *Flow) ext() *extra {
	if f.x == nil {
		f.x = &extra{}
	}
	return f.x
}

// Extra returns the run-time metric id's aggregate, adding it if absent.
// Table.Extra does the same without allocating.
func (f *Flow) Extra(id uint32) *stat.Stat { return f.ext().stat(id) }

// Extra returns the run-time metric id's aggregate of f (a flow of t),
// adding it if absent. What it needs comes from t's slabs: one allocation
// per flowSlab flows, not one or two per flow (issue 14).
func (t *Table) Extra(f *Flow, id uint32) *stat.Stat {
	if f.x == nil {
		f.x = t.newExtra()
	}
	return f.x.stat(id)
}

// stat returns metric id's aggregate, adding it if absent.
func (x *extra) stat(id uint32) *stat.Stat {
	if x.extras == nil {
		x.extras = x.inline[:0]
	}
	for i := range x.extras {
		if x.extras[i].ID == id {
			return &x.extras[i].Stat
		}
	}
	x.extras = append(x.extras, Extra{ID: id})
	return &x.extras[len(x.extras)-1].Stat
}

// Extras returns this interval's run-time metrics (borrowed).
func (f *Flow) Extras() []Extra {
	if f.x == nil {
		return nil
	}
	return f.x.extras
}

// Sizes returns this interval's size histogram slice counts (nil when the
// table keeps none); the caller increments them.
func (f *Flow) Sizes() []uint64 {
	if f.x == nil {
		return nil
	}
	return f.x.sizes
}

// Count adds one event to count metric id (MFragments ... MReasmFailures;
// MPackets counts through AddPacket).
func (f *Flow) Count(id int) {
	if id == MPackets {
		panic("flow: packets are counted by AddPacket")
	}
	f.hold(&f.counts[id-MFragments], carryL4+1+id-MFragments)
	f.counts[id-MFragments]++
}

// ResetInterval clears the interval counters after they were reported.
func (f *Flow) ResetInterval() {
	f.packetsBefore, f.bytesBefore = f.Packets(), f.Bytes()
	f.n, f.nL4 = 0, 0
	f.ipSum, f.ipSumSq, f.l4Sum, f.l4SumSq = 0, 0, 0, 0
	f.counts = [NumFixed - MFragments]uint32{}
	if x := f.x; x != nil {
		x.extras = x.extras[:0]
		clear(x.sizes)
		x.wide = wideStats{}
	}
	f.Active = false
}

// Table holds the flows of one probe. It is not safe for concurrent use.
// Flows are found by compact key in one open-addressing index (index.go), and listed in id
// order for Each, ByID (binary search), idle expiry and eviction (scans of
// the list: expiry runs once per interval, eviction frees a batch at once).
type Table struct {
	m index
	// last holds, per class (modulo lastWays), the flow Lookup returned
	// last (nil after its removal): a packet of the same flow skips the
	// index. Per class, because a packet of two classes (all and dns)
	// looks up two flows in turn.
	last     [lastWays]*Flow
	all      []*Flow // by id; removed flows stay until compaction
	gone     int     // removed flows still in all
	max      int
	nextID   uint64
	sizeBins int
	scratch  []*Flow
	// slab holds flows not handed out yet: flows are carved from chunks
	// of flowChunk (one allocation per chunk, not per flow; issue 14). A
	// chunk is never reused: it is freed once none of its flows is
	// referenced any more.
	slab  []Flow
	xslab []extra
	sizes []uint64

	// Stats
	Created uint64
	Expired uint64
	Evicted uint64
}

// lastWays is the number of classes whose last flow Lookup keeps apart.
const lastWays = 8

// New returns a table for nClasses classes holding at most maxFlows flows.
// sizeBins is the number of size histogram slices kept per flow (0: none).
func New(nClasses, maxFlows, sizeBins int) *Table {
	_ = nClasses
	return &Table{m: newIndex(), max: max(maxFlows, 1), sizeBins: sizeBins}
}

// Len returns the number of flows held.
func (t *Table) Len() int { return t.m.n }

// SetNextID makes the next flow created get id+1, the one after id+2 and
// so on. Ids must keep growing (ByID searches the flows in id order): a
// run's first id (Identity.IDBase; the probe's workers, probe.Workers,
// number their own from 1 and their merge renumbers them).
func (t *Table) SetNextID(id uint64) { t.nextID = id }

// Lookup returns the flow of k, creating it at time nowNs if absent
// (created = true). When the table is full, the least recently seen
// flows of all classes (1/64 of the table, at least one) are evicted
// first, oldest first, each handed to evict (which must report it).
func (t *Table) Lookup(k Key, nowNs int64, evict func(*Flow)) (f *Flow, created bool) {
	return t.LookupRef(&k, nowNs, evict)
}

// LookupRef is Lookup for a key the caller keeps (the probe builds each
// packet's key in place, in one Key of its own: no 64-byte key copied
// through return values and arguments per packet, issue 14).
func (t *Table) LookupRef(k *Key, nowNs int64, evict func(*Flow)) (f *Flow, created bool) {
	var ck ckey
	ck.set(k)
	return t.lookup(&ck, nowNs, evict)
}

// lookup is LookupRef for a compact key.
func (t *Table) lookup(ck *ckey, nowNs int64, evict func(*Flow)) (f *Flow, created bool) {
	last := &t.last[ck.class()%lastWays]
	if f = *last; f != nil && f.key.eq(ck) {
		return f, false // a quarter of the 5M corpus's lookups (issue 14)
	}
	h := t.m.hash(ck)
	if f = t.m.get(ck, h); f != nil {
		*last = f
		return f, false
	}
	if t.m.n >= t.max {
		t.evictOldest(evict)
	}
	t.nextID++
	f = t.newFlow() // zero: only what is not zero is written
	f.ID, f.key, f.FirstSeenNs, f.LastSeenNs = t.nextID, *ck, nowNs, nowNs
	if t.sizeBins > 0 {
		f.x = t.newSizes()
	}
	t.m.add(f, h)
	t.list(f)
	t.Created++
	*last = f
	return f, true
}

// flowSlab is the number of extras allocated at once.
const flowSlab = 64

// flowChunk is the number of flows allocated at once: 48 KiB, six pages.
// Go allocates an object beyond 32 KiB on pages of its own, so each flow
// of the chunk starts on a cache line (a Flow is three); a smaller chunk
// holding pointers starts 8 bytes past one, after its allocation header
// (TestFlowLayout).
const flowChunk = 256

// newFlow returns a zero Flow from the slab. A new chunk's pages are
// populated at once (Populate): its flows are handed out one after the
// other, and each first write to one of its pages would cost a page
// fault. Memory resident ahead of the flows: at most one chunk, 48 KiB.
func (t *Table) newFlow() *Flow {
	if len(t.slab) == 0 {
		t.slab = make([]Flow, flowChunk)
		Populate(t.slab)
	}
	f := &t.slab[0]
	t.slab = t.slab[1:]
	return f
}

// newExtra returns a zero extra from the slab.
func (t *Table) newExtra() *extra { return fromSlab(&t.xslab) }

// fromSlab returns the next zero T of *slab, refilled with flowSlab of
// them when used up.
func fromSlab[T any](slab *[]T) *T {
	if len(*slab) == 0 {
		*slab = make([]T, flowSlab)
	}
	v := &(*slab)[0]
	*slab = (*slab)[1:]
	return v
}

// newSizes returns an extra holding a zero size histogram of sizeBins
// slices, both from slabs.
func (t *Table) newSizes() *extra {
	if len(t.sizes) < t.sizeBins {
		t.sizes = make([]uint64, t.sizeBins*flowSlab)
	}
	x := t.newExtra()
	x.sizes = t.sizes[:t.sizeBins:t.sizeBins]
	t.sizes = t.sizes[t.sizeBins:]
	return x
}

// Expire removes the flows of class c idle since before cutoffNs and hands
// each to fn (which must report it), oldest first.
func (t *Table) Expire(c int, cutoffNs int64, fn func(*Flow)) {
	cand := t.scratch[:0]
	for _, f := range t.all {
		if !f.gone && int(f.key.class()) == c && f.LastSeenNs < cutoffNs {
			cand = append(cand, f)
		}
	}
	slices.SortFunc(cand, older)
	for _, f := range cand {
		t.remove(f)
		t.Expired++
		fn(f)
	}
	clear(cand)
	t.scratch = cand[:0]
	t.compact()
}

// older orders flows by last sight, then id.
func older(a, b *Flow) int {
	return cmp.Or(cmp.Compare(a.LastSeenNs, b.LastSeenNs), cmp.Compare(a.ID, b.ID))
}

// evictOldest frees 1/64 of the table (at least one flow): the least
// recently seen, oldest first.
func (t *Table) evictOldest(evict func(*Flow)) {
	cand := t.scratch[:0]
	for _, f := range t.all {
		if !f.gone {
			cand = append(cand, f)
		}
	}
	k := min(max(1, t.max/64), len(cand))
	selectOldest(cand, k)
	slices.SortFunc(cand[:k], older)
	for _, f := range cand[:k] {
		t.remove(f)
		t.Evicted++
		evict(f)
	}
	clear(cand)
	t.scratch = cand[:0]
	t.compact()
}

// selectOldest reorders fs so that its first k flows are the k oldest
// (quickselect).
func selectOldest(fs []*Flow, k int) {
	lo, hi := 0, len(fs)-1
	for lo < hi {
		p := fs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for older(fs[i], p) < 0 {
				i++
			}
			for older(fs[j], p) > 0 {
				j--
			}
			if i <= j {
				fs[i], fs[j] = fs[j], fs[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// Each calls fn for every flow, in id order.
func (t *Table) Each(fn func(*Flow)) {
	for _, f := range t.all {
		if !f.gone {
			fn(f)
		}
	}
}

// Close hands every flow held to fn, in id order, and empties the table
// as it goes: the index and the list go first, and each flow's memory is
// freed once fn returned (its chunk of flowChunk flows once all of them
// were handed), so a probe's final reports do not hold the whole table
// (issue 14: the end of a run is the peak of the heap). The counters
// (Created, Expired, Evicted) are kept; the table is empty afterwards
// and may be used again. fn must not keep the flow.
func (t *Table) Close(fn func(*Flow)) {
	all := t.all
	SmallPages(t.m.slots) // the index's memory goes back to the heap without its advice
	t.m, t.all, t.gone, t.scratch, t.last = newIndex(), nil, 0, nil, [lastWays]*Flow{}
	t.slab, t.xslab, t.sizes = nil, nil, nil
	for i, f := range all {
		all[i] = nil
		if !f.gone {
			fn(f)
		}
	}
}

func (t *Table) remove(f *Flow) {
	t.m.remove(f, t.m.hash(&f.key))
	if last := &t.last[f.key.class()%lastWays]; *last == f {
		*last = nil
	}
	f.gone = true
	t.gone++
}

// compact drops removed flows from the id list once they are a quarter of
// it, so memory follows the flows held.
func (t *Table) compact() {
	if t.gone*4 < len(t.all) {
		return
	}
	w := 0
	for _, f := range t.all {
		if !f.gone {
			t.all[w] = f
			w++
		}
	}
	clear(t.all[w:])
	t.all = t.all[:w]
	t.gone = 0
}

// Get returns the flow of k, or nil, without creating it.
func (t *Table) Get(k Key) *Flow {
	var ck ckey
	ck.set(&k)
	return t.m.get(&ck, t.m.hash(&ck))
}

// ByID returns the flow with probe flow id id, or nil once it is gone.
func (t *Table) ByID(id uint64) *Flow {
	i, ok := slices.BinarySearchFunc(t.all, id, func(f *Flow, id uint64) int { return cmp.Compare(f.ID, id) })
	if !ok || t.all[i].gone {
		return nil
	}
	return t.all[i]
}

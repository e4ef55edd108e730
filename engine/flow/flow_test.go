package flow

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tmonbench/tmonbench/engine/stat"
)

func key(class uint16, port uint16) Key {
	return Key{Class: class, Protocol: 17, SrcAddr: netip.MustParseAddr("192.0.2.1"), DstAddr: netip.MustParseAddr("198.51.100.1"), SrcPort: port, DstPort: 53}
}

func TestLookupCreatesOnceWithIDs(t *testing.T) {
	tb := New(2, 10, 0)
	none := func(*Flow) { t.Fatal("nothing to evict") }
	f1, created := tb.Lookup(key(0, 1000), 10, none)
	f2, created2 := tb.Lookup(key(0, 1000), 20, none)
	f3, _ := tb.Lookup(key(1, 1000), 30, none)
	if !created || created2 || f1 != f2 || f1.ID != 1 || f3.ID != 2 || tb.Len() != 2 {
		t.Fatalf("ids %d %d %d, created %v %v", f1.ID, f2.ID, f3.ID, created, created2)
	}
	if tb.ByID(2) != f3 || tb.Get(key(1, 1000)) != f3 || tb.Get(key(1, 1001)) != nil {
		t.Error("ByID/Get")
	}
}

// TestEvictsLeastRecentlySeen: a full table evicts the flow seen longest
// ago, across classes, and hands it over to be reported.
func TestEvictsLeastRecentlySeen(t *testing.T) {
	tb := New(2, 3, 0)
	none := func(*Flow) { t.Fatal("nothing to evict yet") }
	a, _ := tb.Lookup(key(0, 1), 10, none)
	b, _ := tb.Lookup(key(1, 2), 20, none)
	c, _ := tb.Lookup(key(0, 3), 30, none)
	a.LastSeenNs, b.LastSeenNs, c.LastSeenNs = 10, 20, 30
	tb.Lookup(key(0, 1), 40, none) // a becomes the most recent of class 0
	a.LastSeenNs = 40
	var evicted []*Flow
	tb.Lookup(key(1, 4), 50, func(f *Flow) { evicted = append(evicted, f) })
	if len(evicted) != 1 || evicted[0] != b || tb.Evicted != 1 || tb.ByID(b.ID) != nil {
		t.Fatalf("evicted %v, want flow %d", evicted, b.ID)
	}
}

// TestExpireIdle: flows idle since before the cutoff go, oldest first, per class.
func TestExpireIdle(t *testing.T) {
	tb := New(1, 10, 3)
	none := func(*Flow) {}
	for i, ts := range []int64{10, 20, 30} {
		f, _ := tb.Lookup(key(0, uint16(i)), ts, none)
		f.LastSeenNs = ts
		if len(f.Sizes()) != 3 {
			t.Fatal("size slices not allocated")
		}
	}
	var gone []int64
	tb.Expire(0, 25, func(f *Flow) { gone = append(gone, f.LastSeenNs) })
	if len(gone) != 2 || gone[0] != 10 || gone[1] != 20 || tb.Len() != 1 || tb.Expired != 2 {
		t.Errorf("expired %v, %d left", gone, tb.Len())
	}
	n := 0
	tb.Each(func(*Flow) { n++ })
	if n != 1 {
		t.Errorf("Each visited %d", n)
	}
}

func TestExtrasAndReset(t *testing.T) {
	var f Flow
	f.Extra(42).Count()
	f.Extra(42).Count()
	f.Extra(7).Add(3)
	if len(f.Extras()) != 2 || f.Extra(42).N != 2 {
		t.Fatalf("%+v", f.Extras())
	}
	f.AddPacket(40, 64, 0)
	f.AddPacket(1500, 60, 46)
	f.AddL4Payload(1460)
	f.Count(MTCPSyn)
	want := map[int]stat.Stat{
		MPackets:        {N: 2, Sum: 2, SumSq: 2, Min: 1, Max: 1},
		MIPBytes:        {N: 2, Sum: 1540, SumSq: 40*40 + 1500*1500, Min: 40, Max: 1500},
		MTTL:            {N: 2, Sum: 124, SumSq: 64*64 + 60*60, Min: 60, Max: 64},
		MDSCP:           {N: 2, Sum: 46, SumSq: 46 * 46, Min: 0, Max: 46},
		ML4PayloadBytes: {N: 1, Sum: 1460, SumSq: 1460 * 1460, Min: 1460, Max: 1460},
		MTCPSyn:         {N: 1, Sum: 1, SumSq: 1, Min: 1, Max: 1},
		MTCPFin:         {},
	}
	for id, w := range want {
		if got := f.Metric(id); got != w {
			t.Errorf("%s = %+v, want %+v", MetricNames[id], got, w)
		}
	}
	f.Active = true
	f.ResetInterval()
	if f.Metric(MPackets).N != 0 || f.Metric(MIPBytes).N != 0 || len(f.Extras()) != 0 || f.Active {
		t.Errorf("not reset: %+v", f)
	}
}

// TestMetricsMatchFloatAggregates: the integer counters give exactly the
// float aggregates stat.Stat accumulates, also past 65535 packets an
// interval (where the TTL and DSCP sums widen to 64 bits).
func TestMetricsMatchFloatAggregates(t *testing.T) {
	var f Flow
	var ip, ttl, dscp, l4 stat.Stat
	for i := range 70000 {
		l, tt, d := uint32(40+i%1461), uint8(255-i%7), uint8(i%64)
		f.AddPacket(l, tt, d)
		ip.Add(float64(l))
		ttl.Add(float64(tt))
		dscp.Add(float64(d))
		if i%3 == 0 {
			f.AddL4Payload(l - 40)
			l4.Add(float64(l - 40))
		}
	}
	for id, w := range map[int]stat.Stat{MIPBytes: ip, MTTL: ttl, MDSCP: dscp, ML4PayloadBytes: l4} {
		if got := f.Metric(id); got != w {
			t.Errorf("%s = %+v, want %+v", MetricNames[id], got, w)
		}
	}
}

// TestEvictionBatch: a full table of 128 flows frees the 2 least recently
// seen (1/64) when a new flow comes, oldest first.
func TestEvictionBatch(t *testing.T) {
	tb := New(1, 128, 0)
	none := func(*Flow) { t.Fatal("nothing to evict yet") }
	for i := range 128 {
		f, _ := tb.Lookup(key(0, uint16(i)), int64(1000-i), none)
		f.LastSeenNs = int64(1000 - i) // the last created is the oldest
	}
	var ev []uint64
	tb.Lookup(key(0, 999), 2000, func(f *Flow) { ev = append(ev, f.ID) })
	if len(ev) != 2 || ev[0] != 128 || ev[1] != 127 || tb.Len() != 127 || tb.ByID(128) != nil || tb.ByID(1) == nil {
		t.Errorf("evicted %v, %d left", ev, tb.Len())
	}
	if k := tb.ByID(129).Key(); k != key(0, 999) {
		t.Errorf("key %+v", k)
	}
}

// TestZeroAllocsPerFlow: creating a flow, with its size histogram and two
// run-time metrics, and expiring it costs less than one allocation per
// flow (issue 14): flows, their extras and histograms come from slabs of
// flowChunk and flowSlab, not one allocation each; the map and the id list grow
// amortized.
func TestZeroAllocsPerFlow(t *testing.T) {
	tb := New(1, 1<<20, 4)
	var port uint32
	now := int64(0)
	none := func(*Flow) { t.Fatal("nothing to evict") }
	run := func() {
		port++
		k := key(0, uint16(port))
		k.DstPort = uint16(port >> 16)
		f, created := tb.Lookup(k, now, none)
		if !created {
			t.Fatal("not created")
		}
		if g, again := tb.LookupRef(&k, now, none); g != f || again { // the probe's path, the flow known
			t.Fatal("LookupRef did not find the flow")
		}
		tb.Extra(f, 42).Count()
		tb.Extra(f, 7).Add(3)
		f.Sizes()[1]++
		now++
		if port%4096 == 0 {
			tb.Expire(0, now-2048, func(*Flow) {})
		}
	}
	for range 8192 { // warm up: the map and the id list reach their size
		run()
	}
	if n := testing.AllocsPerRun(8192, run); n != 0 {
		t.Errorf("%.1f allocations per flow, want 0 (amortized)", n)
	}
	f := tb.ByID(uint64(port))
	if f == nil || len(f.Extras()) != 2 || f.Extras()[1].Stat.Sum != 3 || len(f.Sizes()) != 4 || f.Sizes()[1] != 1 {
		t.Errorf("last flow: %+v", f)
	}
}

// TestIndexMatchesMap: the open-addressing index finds, adds and removes
// flows as a Go map does, through growth and removals that shift chains
// back (random operations on a few thousand keys; a second run with
// every hash forced into the last 16 home slots makes the chains long
// and wrap around).
func TestIndexMatchesMap(t *testing.T) {
	for _, clustered := range []bool{false, true} {
		x := newIndex()
		ref := map[ckey]*Flow{}
		keys := make([]ckey, 3000)
		for i := range keys {
			keys[i] = compact(&Key{Class: uint16(i % 5), Protocol: 6, SrcAddr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), DstPort: uint16(i)})
		}
		hash := func(k *ckey) uint64 {
			h := x.hash(k)
			if clustered {
				h = ^(h & 15) // home slot among the last 16 of any size: chains wrap around
			}
			return h
		}
		r := rand.New(rand.NewPCG(3, 4))
		for op := range 200_000 {
			k := &keys[r.IntN(len(keys))]
			h := hash(k)
			got := x.get(k, h)
			if got != ref[*k] {
				t.Fatalf("clustered %v op %d: get %p, map %p", clustered, op, got, ref[*k])
			}
			switch {
			case got == nil:
				f := &Flow{key: *k}
				x.add(f, h)
				ref[*k] = f
			case r.IntN(2) == 0:
				x.remove(got, h)
				delete(ref, *k)
			}
			if x.n != len(ref) {
				t.Fatalf("op %d: %d flows, map %d", op, x.n, len(ref))
			}
		}
		for i := range keys {
			if got := x.get(&keys[i], hash(&keys[i])); got != ref[keys[i]] {
				t.Fatalf("clustered %v: key %d: %p, map %p", clustered, i, got, ref[keys[i]])
			}
		}
	}
}

// TestCloseHandsEveryFlowAndEmpties: Close hands the flows held (not the
// expired ones) in id order, empties the table, keeps its counters, and
// the table works again afterwards.
func TestCloseHandsEveryFlowAndEmpties(t *testing.T) {
	tb := New(1, 1000, 4)
	none := func(*Flow) { t.Fatal("nothing to evict") }
	for port := range uint16(200) {
		tb.Lookup(key(0, port), int64(port), none)
	}
	tb.Expire(0, 50, func(*Flow) {}) // ports 0..49 go
	var ids []uint64
	tb.Close(func(f *Flow) { ids = append(ids, f.ID) })
	if len(ids) != 150 || ids[0] != 51 || ids[149] != 200 {
		t.Fatalf("handed %d flows, ids %v...", len(ids), ids[:min(3, len(ids))])
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("ids not in order at %d: %d after %d", i, ids[i], ids[i-1])
		}
	}
	if tb.Len() != 0 || tb.Created != 200 || tb.Expired != 50 || tb.Get(key(0, 100)) != nil {
		t.Errorf("after Close: %d flows, created %d, expired %d", tb.Len(), tb.Created, tb.Expired)
	}
	f, created := tb.Lookup(key(0, 7), 300, none)
	if !created || f.ID != 201 || tb.Len() != 1 || len(f.Sizes()) != 4 || tb.ByID(201) != f {
		t.Errorf("after Close: new flow id %d created %v, %d flows", f.ID, created, tb.Len())
	}
}

// TestLastFlowForgotten: Lookup remembers the flow it returned last (a
// packet of the same flow skips the index), but never hands it out again
// once it expired, was evicted or the table closed: the next packet of
// its key starts a new flow, as without the shortcut.
func TestLastFlowForgotten(t *testing.T) {
	none := func(*Flow) {}
	for _, end := range []string{"expire", "evict", "close"} {
		tb := New(1, 2, 0)
		f, _ := tb.Lookup(key(0, 1), 10, none)
		f.LastSeenNs = 10
		if again, created := tb.Lookup(key(0, 1), 11, none); again != f || created {
			t.Fatalf("%s: the same key found another flow", end)
		}
		switch end {
		case "expire":
			tb.Expire(0, 20, none)
		case "evict":
			g, _ := tb.Lookup(key(0, 2), 12, none)
			g.LastSeenNs = 12
			tb.Lookup(key(0, 3), 13, none) // full: evicts f, the least recent
			if tb.Evicted != 1 || tb.Get(key(0, 1)) != nil {
				t.Fatalf("evict: %d evicted", tb.Evicted)
			}
		case "close":
			tb.Close(none)
		}
		g, created := tb.Lookup(key(0, 1), 30, none)
		if !created || g == f || g.FirstSeenNs != 30 {
			t.Errorf("%s: Lookup returned the ended flow (created %v)", end, created)
		}
	}
}

// TestLastFlowPerClass: Lookup remembers the last flow of each class
// apart (a packet of classes all and dns looks up two flows in turn), so
// flows of two classes, and of classes 1 and 1+lastWays that share a
// place, alternate without one standing for the other; a flow that
// expired is forgotten in its class's place only.
func TestLastFlowPerClass(t *testing.T) {
	none := func(*Flow) {}
	tb := New(2+lastWays, 100, 0)
	classes := []uint16{0, 1 + lastWays, 1} // class 1 last: its place holds its flow
	var fs []*Flow
	for _, c := range classes {
		f, _ := tb.Lookup(key(c, 1), 10, none)
		f.LastSeenNs = 10 * int64(c+1)
		fs = append(fs, f)
	}
	for round := range 3 {
		for i, c := range classes {
			if f, created := tb.Lookup(key(c, 1), 20, none); f != fs[i] || created || f.Class() != int(c) {
				t.Fatalf("round %d: class %d found flow %d of class %d (created %v)", round, c, f.ID, f.Class(), created)
			}
		}
	}
	tb.Expire(1, 25, none) // class 1's flow (last seen at 20 ns) goes
	if f, created := tb.Lookup(key(1, 1), 30, none); !created || f == fs[2] {
		t.Errorf("class 1: the expired flow was handed out again (created %v)", created)
	}
	for _, i := range []int{0, 1} {
		if f, created := tb.Lookup(key(classes[i], 1), 30, none); f != fs[i] || created {
			t.Errorf("class %d: another flow after class 1's expired (created %v)", classes[i], created)
		}
	}
}

// TestCountsBeyond32Bits: a flow's interval counts go past 2^32 (4.3e9
// packets of one flow in one interval: one day, interval_s 86400, at
// 50,000 packets/s) instead of wrapping to a few packets. The count is set
// just below the wrap (adding 2^32 packets one by one takes too long);
// the right N is that count plus the packets added, by arithmetic.
func TestCountsBeyond32Bits(t *testing.T) {
	var f Flow
	f.AddPacket(100, 64, 0)
	f.AddL4Payload(72)
	f.Count(MTCPSyn)
	f.n, f.nL4, f.counts[MTCPSyn-MFragments] = math.MaxUint32-1, math.MaxUint32-1, math.MaxUint32-1
	for range 3 {
		f.AddPacket(100, 64, 0)
		f.AddL4Payload(72)
		f.Count(MTCPSyn)
	}
	const want = math.MaxUint32 - 1 + 3 // 2^32 + 1
	for _, id := range []int{MPackets, MIPBytes, MTTL, MDSCP, ML4PayloadBytes, MTCPSyn} {
		if got := f.Metric(id); got.N != want {
			t.Errorf("%s: n %d, want %d", MetricNames[id], got.N, uint64(want))
		}
	}
	if got := f.Metric(MPackets); got.Sum != want || got.Min != 1 || got.Max != 1 {
		t.Errorf("packets %+v, want n = sum = %d, min = max = 1", got, uint64(want))
	}
	if got := f.Metric(MIPBytes); got.Min != 100 || got.Max != 100 {
		t.Errorf("ip_bytes min %v max %v after the carry, want 100 and 100", got.Min, got.Max)
	}
	if got := f.Packets(); got != want {
		t.Errorf("total packets %d, want %d", got, uint64(want))
	}
	f.ResetInterval()
	f.AddPacket(60, 64, 0)
	if got := f.Metric(MPackets).N; got != 1 {
		t.Errorf("next interval: packets %d, want 1", got)
	}
	// The totals since first seen keep the reported intervals, carry
	// included: 2^32+1 packets, then one more; 100 IP bytes each but the
	// last, 60 (the 2^32-3 packets set directly added no bytes: 4 of 100).
	if got, b := f.Packets(), f.Bytes(); got != want+1 || b != 4*100+60 {
		t.Errorf("totals after the interval: %d packets %d bytes, want %d and %d", got, b, uint64(want+1), 4*100+60)
	}
}

// TestIntMetricsAreMetric: IntMetrics gives, as integers, what Metric gives
// for every fixed metric, in each state a flow's counters take: empty,
// TCP only, constant and varied TTL and DSCP, every count, carries past 32
// bits, and after a reset with an extra allocated.
func TestIntMetricsAreMetric(t *testing.T) {
	check := func(name string, f *Flow) {
		t.Helper()
		var got [NumFixed]stat.Ints
		for i := range got {
			got[i] = stat.Ints{N: 9, Sum: 9, Min: 9} // written over, empty or not
		}
		f.IntMetrics(&got)
		for id := range NumFixed {
			if g, w := got[id].Stat(), f.Metric(id); g != w {
				t.Errorf("%s: %s = %+v, Metric %+v", name, MetricNames[id], g, w)
			}
			if got[id].N == 0 && got[id] != (stat.Ints{}) {
				t.Errorf("%s: %s empty but %+v", name, MetricNames[id], got[id])
			}
		}
	}
	var f Flow
	check("empty", &f)
	f.AddPacket(60, 64, 0)
	f.AddL4Payload(0)
	f.Count(MTCPSyn)
	check("one packet", &f)
	for i := range 300 {
		f.AddPacket(uint32(40+i), 64, 0)
		f.AddL4Payload(uint32(i))
		f.Count(MTCPFin)
	}
	check("constant ttl", &f)
	f.AddPacket(1500, 63, 46)
	for id := MFragments; id < NumFixed; id++ {
		f.Count(id)
	}
	check("varied ttl and dscp, every count", &f)
	f.ResetInterval()
	check("reset with extra", &f)
	f.AddPacket(576, 128, 10)
	check("next interval, no l4", &f)
	f.n, f.nL4, f.counts[MTCPRst-MFragments] = math.MaxUint32-1, math.MaxUint32-1, math.MaxUint32-1
	for range 3 {
		f.AddPacket(100, 64, 0)
		f.AddL4Payload(72)
		f.Count(MTCPRst)
	}
	check("carries", &f)
}

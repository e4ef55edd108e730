package flow

import (
	"net/netip"
	"testing"
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
		if len(f.Sizes) != 3 {
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
	if len(f.Extras) != 2 || f.Extra(42).N != 2 {
		t.Fatalf("%+v", f.Extras)
	}
	f.Count(MPackets)
	f.Count(MPackets)
	f.Value(MIPBytes).Add(40)
	if m := f.Metric(MPackets); m.N != 2 || m.Sum != 2 || m.Min != 1 || m.Max != 1 || f.Metric(MIPBytes).Sum != 40 || f.Metric(MTCPSyn).N != 0 {
		t.Fatalf("metrics %+v %+v", m, f.Metric(MIPBytes))
	}
	f.Active = true
	f.ResetInterval()
	if f.Metric(MPackets).N != 0 || f.Metric(MIPBytes).N != 0 || len(f.Extras) != 0 || f.Active {
		t.Errorf("not reset: %+v", f)
	}
}

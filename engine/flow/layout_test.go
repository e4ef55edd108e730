package flow

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/tmonbench/tmonbench/engine/stat"
)

// TestFlowLayout: a Flow is three cache lines, the table's flows start
// on a line, and what every packet touches lies in the first two (the
// key, last sight and id in the first; the interval's counters and the
// tcp handle in the second), the rest in the third.
func TestFlowLayout(t *testing.T) {
	var f Flow
	if s := unsafe.Sizeof(f); s != 192 {
		t.Errorf("Flow is %d bytes, want 192", s)
	}
	for _, c := range []struct {
		name   string
		off    uintptr
		size   uintptr
		lineNo uintptr
	}{
		{"key", unsafe.Offsetof(f.key), unsafe.Sizeof(f.key), 0},
		{"LastSeenNs", unsafe.Offsetof(f.LastSeenNs), 8, 0},
		{"ID", unsafe.Offsetof(f.ID), 8, 0},
		{"n", unsafe.Offsetof(f.n), 4, 1},
		{"nL4", unsafe.Offsetof(f.nL4), 4, 1},
		{"ipSum", unsafe.Offsetof(f.ipSum), 8, 1},
		{"ipSumSq", unsafe.Offsetof(f.ipSumSq), 8, 1},
		{"l4Sum", unsafe.Offsetof(f.l4Sum), 8, 1},
		{"l4SumSq", unsafe.Offsetof(f.l4SumSq), 8, 1},
		{"ipMin", unsafe.Offsetof(f.ipMin), 4, 1},
		{"l4Max", unsafe.Offsetof(f.l4Max), 4, 1},
		{"td", unsafe.Offsetof(f.td), 4, 1},
		{"TCP", unsafe.Offsetof(f.TCP), 4, 1},
	} {
		if c.off/64 != c.lineNo || (c.off+c.size-1)/64 != c.lineNo {
			t.Errorf("%s at bytes %d-%d, want in line %d", c.name, c.off, c.off+c.size-1, c.lineNo)
		}
	}
	tb := New(1, 1000, 0)
	for i := range 300 {
		k := Key{Protocol: 6, SrcAddr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), SrcPort: uint16(i)}
		f, _ := tb.Lookup(k, int64(i), nil)
		if p := uintptr(unsafe.Pointer(f)); p%64 != 0 {
			t.Fatalf("flow %d at %#x: not on a cache line", i, p)
		}
	}
}

// TestTTLDSCPConstantThenVaried: the TTL and DSCP metrics (kept as
// minimum and maximum while constant, as sums once they vary) equal the
// float aggregates of stat.Stat, for an interval constant all along (past
// 65536 packets), one that varies after 70000 constant packets, and
// intervals after a reset, by Flow.AddPacket and Table.AddPacket.
func TestTTLDSCPConstantThenVaried(t *testing.T) {
	tb := New(1, 10, 0)
	f, _ := tb.Lookup(Key{Protocol: 17}, 1, nil)
	for _, add := range []func(l uint32, tt, d uint8){
		func(l uint32, tt, d uint8) { tb.AddPacket(f, l, tt, d) },
		func(l uint32, tt, d uint8) { f.AddPacket(l, tt, d) },
	} {
		for _, interval := range []struct {
			constant, varied int
			ttl, dscp        uint8
		}{{70000, 0, 64, 46}, {70000, 5, 255, 63}, {3, 1000, 1, 0}, {1, 0, 0, 0}, {10, 10, 128, 10}} {
			var ttl, dscp stat.Stat
			for i := range interval.constant + interval.varied {
				tt, d := interval.ttl, interval.dscp
				if i >= interval.constant {
					tt, d = uint8(int(tt)+i%3-1), uint8(int(d)+i%5)&63
				}
				add(100, tt, d)
				ttl.Add(float64(tt))
				dscp.Add(float64(d))
			}
			if got := f.Metric(MTTL); got != ttl {
				t.Errorf("%+v: ttl %+v, want %+v", interval, got, ttl)
			}
			if got := f.Metric(MDSCP); got != dscp {
				t.Errorf("%+v: dscp %+v, want %+v", interval, got, dscp)
			}
			f.ResetInterval()
		}
	}
}

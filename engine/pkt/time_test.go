package pkt

import (
	"math"
	"testing"
)

func TestSaturatingTime(t *testing.T) {
	for _, c := range []struct{ a, b, add, sub int64 }{
		{1, 2, 3, -1},
		{math.MaxInt64, 1, math.MaxInt64, math.MaxInt64 - 1},
		{math.MaxInt64 - 5, 10e9, math.MaxInt64, math.MaxInt64 - 5 - 10e9},
		{math.MinInt64, -1, math.MinInt64, math.MinInt64 + 1},
		{0, math.MinInt64, math.MinInt64, math.MaxInt64},
		{-1, math.MinInt64, math.MinInt64, math.MaxInt64},
		{5, math.MaxInt64, math.MaxInt64, 5 - math.MaxInt64},
	} {
		if got := AddNs(c.a, c.b); got != c.add {
			t.Errorf("AddNs(%d, %d) = %d, want %d", c.a, c.b, got, c.add)
		}
		if got := SubNs(c.a, c.b); got != c.sub {
			t.Errorf("SubNs(%d, %d) = %d, want %d", c.a, c.b, got, c.sub)
		}
	}
	if ValidTime(-1) || ValidTime(MaxTimeNs+1) || !ValidTime(0) || !ValidTime(1_700_000_000e9) {
		t.Error("ValidTime")
	}
	m := Meta{TimeNs: 5}
	if m.Clock() != 5 {
		t.Error("Clock without ClockNs")
	}
	m.ClockNs = 7
	if m.Clock() != 7 {
		t.Error("Clock with ClockNs")
	}
}

// TestAfter: an event at the time of the one before is stamped 1 ns after
// it, a later one keeps its time, and the step saturates.
func TestAfter(t *testing.T) {
	for _, c := range []struct{ now, prev, want int64 }{
		{5, 5, 6}, {7, 5, 7}, {3, 5, 6}, {0, math.MaxInt64, math.MaxInt64},
	} {
		if got := After(c.now, c.prev); got != c.want {
			t.Errorf("After(%d, %d) = %d, want %d", c.now, c.prev, got, c.want)
		}
	}
}

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

// TestTimeString: RFC 3339 UTC dates of capture times, the int64 range's
// ends included (date -u -d @9223372036: 2262-04-11T23:47:16Z; date -u
// -d @5700475167.133969: 2150-08-22T17:19:27.133969Z, the trial's value;
// time.Unix(0, math.MinInt64): 1677-09-21T00:12:43.145224192Z).
func TestTimeString(t *testing.T) {
	for ns, want := range map[int64]string{
		0:                   "1970-01-01T00:00:00Z",
		-1:                  "1969-12-31T23:59:59.999999999Z",
		5700475167133969000: "2150-08-22T17:19:27.133969Z",
		9223372036000000000: "2262-04-11T23:47:16Z",
		math.MaxInt64:       "2262-04-11T23:47:16.854775807Z",
		math.MinInt64:       "1677-09-21T00:12:43.145224192Z",
	} {
		if got := TimeString(ns); got != want {
			t.Errorf("TimeString(%d) = %s, want %s", ns, got, want)
		}
	}
}

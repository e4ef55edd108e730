package pkt

import (
	"math"
	"time"
)

// Capture time arithmetic. Capture times are int64 Unix nanoseconds
// (Meta.TimeNs); a timeout or interval added to one must not wrap past
// the int64 range (a capture stamped near the year 2262 once made a timer
// loop forever), so engines add and subtract durations with AddNs and
// SubNs, which saturate.

// MaxTimeNs is the latest capture time the engines accept: 2^62 ns after
// the epoch (year 2116), leaving 146 years of headroom for timeouts and
// intervals added to it. The probe takes a packet stamped after it, or
// before the epoch, as having an impossible time (event
// capture_time_invalid).
const MaxTimeNs int64 = 1 << 62

// StepBackNs is the largest step back in capture time between two packets
// taken for packets reordered (across capture queues, by a switch), not
// for the clock set back: the probe's clock (a clock step beyond it, no
// time on its timers), replay's packet index (an entry where time steps
// back further) and its pacer (a step beyond it is not waited for) draw
// the line at the same place.
const StepBackNs = int64(time.Second)

// ValidTime reports whether t is a plausible capture time: in
// [0, MaxTimeNs].
func ValidTime(t int64) bool { return t >= 0 && t <= MaxTimeNs }

// AddNs returns a+b saturated to the int64 range.
func AddNs(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

// After returns now, or 1 ns after prev when now is not after it: the time
// of an event reported after one stamped prev, so that a table sorted by
// time keeps their order (health events of one check, issue 11).
func After(now, prev int64) int64 { return max(now, AddNs(prev, 1)) }

// SubNs returns a-b saturated to the int64 range.
func SubNs(a, b int64) int64 {
	if b == math.MinInt64 {
		if a >= 0 {
			return math.MaxInt64
		}
		return a - b // a - MinInt64 fits when a < 0
	}
	return AddNs(a, -b)
}

// Clock returns the packet's timer clock: ClockNs when the probe set it,
// else TimeNs.
func (m *Meta) Clock() int64 {
	if m.ClockNs != 0 {
		return m.ClockNs
	}
	return m.TimeNs
}

// TimeString formats a capture time in Unix nanoseconds as an RFC 3339
// UTC date with its nanoseconds (time.RFC3339Nano), what an event shows
// beside the raw number so a person can read an impossible time
// (capture_time_invalid). Every int64 is a time between 1677-09-21 and
// 2262-04-11, which RFC 3339 writes (4-digit years): the int64 range is
// the saturation, nothing needs clamping.
func TimeString(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

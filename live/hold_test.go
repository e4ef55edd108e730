//go:build linux

package live

import (
	"testing"
	"time"
)

// TestHoldAfterClockStep: a pair holds its oldest packet for an older one
// on the other port at most the reorder window, measured from the kernel
// timestamp and from when the reader saw it, so a wall clock set back an
// hour (the packet's timestamp then lies an hour in the future) does not
// hold it for an hour, and one set forward releases it at once.
func TestHoldAfterClockStep(t *testing.T) {
	const window = int64(30 * time.Millisecond)
	for _, c := range []struct {
		name             string
		ageWall, ageMono int64
		want             int64
	}{
		{"fresh", 0, 0, window},
		{"kernel held it 20 ms", int64(20 * time.Millisecond), 0, int64(10 * time.Millisecond)},
		{"window passed", window, int64(time.Millisecond), 0},
		{"clock set back 1 h, just seen", -int64(time.Hour), 0, window},
		{"clock set back 1 h, seen 30 ms ago", -int64(time.Hour), window, 0},
		{"clock set forward 1 h", int64(time.Hour), 0, 0},
	} {
		if got := holdNs(c.ageWall, c.ageMono, window); got != c.want {
			t.Errorf("%s: hold %v, want %v", c.name, time.Duration(got), time.Duration(c.want))
		}
	}
}

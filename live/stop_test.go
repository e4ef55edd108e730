package live

import (
	"os"
	"testing"
	"time"
)

// TestSignalEchoIsNotAbort: the copy of the stop signal that coreutils'
// timeout sends to the process group right after the command (measured
// here: `ip netns exec A timeout -s INT 2 tmonbench live -i IF` printed
// "aborted by a second signal" in 1 run of 5) stops the capture once and
// does not abort it; a second signal SignalEcho or more after the first
// still aborts. The unbuffered channel makes each send wait until
// WatchStop took the previous one; the clock is given.
func TestSignalEchoIsNotAbort(t *testing.T) {
	t0 := time.Unix(1795964262, 0)
	times := []time.Time{t0, t0.Add(20 * time.Microsecond), t0.Add(40 * time.Microsecond), t0.Add(SignalEcho)}
	calls := 0
	now := func() time.Time { calls++; return times[calls-1] }
	sig := make(chan os.Signal)
	stopped := make(chan struct{})
	var said []StopEvent
	ctx, cancel := WatchStop(sig, 0, now, func() { close(stopped) }, nil, func(ev StopEvent, _ os.Signal) { said = append(said, ev) })
	defer cancel()
	sig <- os.Interrupt
	<-stopped
	sig <- os.Interrupt // 20 µs after the first
	// each send below is taken only if the one before did not abort
	for _, prev := range []string{"20 µs", "40 µs"} {
		select {
		case sig <- os.Interrupt: // 40 µs, then SignalEcho after the first
		case <-ctx.Done():
			t.Fatalf("the signal %s after the first aborted the capture", prev)
		}
	}
	<-ctx.Done()
	if calls != 4 {
		t.Errorf("the clock was read %d times, want 4 (once per signal)", calls)
	}
	if len(said) != 1 || said[0] != StopBySignal { // said before stop: read after <-stopped
		t.Errorf("events %v, want one StopBySignal", said)
	}
}

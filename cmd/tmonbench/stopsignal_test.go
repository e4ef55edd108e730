package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestSignalEchoIsNotAbort: the copy of the stop signal that coreutils'
// timeout sends to the process group right after the command (measured
// here: `ip netns exec A timeout -s INT 2 tmonbench live -i IF` printed
// "aborted by a second signal" in 1 run of 5) stops the capture once and
// does not abort it; a second signal signalEcho or more after the first
// still aborts. The unbuffered channel makes each send wait until
// watchStop took the previous one; the clock is given.
func TestSignalEchoIsNotAbort(t *testing.T) {
	t0 := time.Unix(1795964262, 0)
	times := []time.Time{t0, t0.Add(20 * time.Microsecond), t0.Add(40 * time.Microsecond), t0.Add(signalEcho)}
	calls := 0
	now := func() time.Time { calls++; return times[calls-1] }
	sig := make(chan os.Signal)
	stopped := make(chan struct{})
	var said strings.Builder
	ctx, cancel := watchStop(sig, 0, now, func() { close(stopped) }, nil, &said, "live t", "writing what was captured")
	defer cancel()
	sig <- os.Interrupt
	<-stopped
	sig <- os.Interrupt // 20 µs after the first
	// each send below is taken only if the one before did not abort
	for _, prev := range []string{"20 µs", "40 µs"} {
		select {
		case sig <- os.Interrupt: // 40 µs, then signalEcho after the first
		case <-ctx.Done():
			t.Fatalf("the signal %s after the first aborted the capture", prev)
		}
	}
	<-ctx.Done()
	if calls != 4 {
		t.Errorf("the clock was read %d times, want 4 (once per signal)", calls)
	}
	if want := "tmonbench live t: interrupt: capture stopped; writing what was captured: a second signal aborts\n"; said.String() != want {
		t.Errorf("said %q, want %q", said.String(), want)
	}
}

// TestSecondSignalAfterCaptureEnded: a second signal once the capture has
// ended (live's engines took every packet; the last tables are being
// written) aborts nothing and says so, where it was silent though the
// first signal's line had said "a second signal aborts" (a new user's
// Ctrl-C during the 1.7 s of writes after a flood). Before the end it
// still aborts.
func TestSecondSignalAfterCaptureEnded(t *testing.T) {
	t0 := time.Unix(1795964262, 0)
	for _, ended := range []bool{true, false} {
		calls := 0
		now := func() time.Time { calls++; return t0.Add(time.Duration(calls-1) * time.Second) } // a person's pace
		sig := make(chan os.Signal)
		stopped := make(chan struct{})
		said := make(chan string, 8) // each line stderr gets
		ctx, cancel := watchStop(sig, 0, now, func() { close(stopped) }, func() bool { return ended }, lineWriter(said), "live t", "writing what was captured")
		sig <- os.Interrupt
		<-stopped
		sig <- os.Interrupt
		if !ended {
			<-ctx.Done() // aborted
			cancel()
			continue
		}
		select {
		case sig <- os.Interrupt: // taken: the second did not abort
		case <-ctx.Done():
			t.Fatal("a signal after the capture ended aborted the run")
		}
		cancel()
		for _, want := range []string{"tmonbench live t: interrupt: capture stopped; writing what was captured: a second signal aborts\n",
			"tmonbench live t: the capture has ended: writing what was captured, nothing is left to abort\n"} {
			if got := <-said; got != want {
				t.Errorf("said %q, want %q", got, want)
			}
		}
	}
}

// lineWriter is an io.Writer that sends each write to lines.
type lineWriter chan<- string

func (w lineWriter) Write(b []byte) (int, error) {
	w <- string(b)
	return len(b), nil
}

package main

import (
	"os"
	"testing"
	"time"
)

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

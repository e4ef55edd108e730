package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/tmonbench/tmonbench/live"
)

// stopOnSignal stops src at the first SIGINT or SIGTERM, or after d (when
// positive): the source then drains what the kernel captured before and
// ends, and the run ends normally; said tells stderr why, and that a
// second signal aborts. A second signal cancels the context (abort), but
// once ended says the capture has ended (nil: never), when it is only
// said so: live's engines have then taken every packet, what is left is
// writing them. cancel releases the handler.
func stopOnSignal(src *live.Source, ended func() bool, d time.Duration, stderr io.Writer, who, then string) (context.Context, func()) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, stopSignals...)
	ctx, cancel := watchStop(sig, d, time.Now, src.Stop, ended, stderr, who, then)
	return ctx, func() { signal.Stop(sig); cancel() }
}

// watchStop is live.WatchStop saying each of its events on stderr, for
// the command who; then is what the run does once the capture stopped.
func watchStop(sig <-chan os.Signal, d time.Duration, now func() time.Time, stop func(), ended func() bool, stderr io.Writer, who, then string) (context.Context, context.CancelFunc) {
	return live.WatchStop(sig, d, now, stop, ended, func(ev live.StopEvent, s os.Signal) {
		switch ev {
		case live.StopBySignal:
			fmt.Fprintf(stderr, "tmonbench %s: %v: capture stopped; %s: a second signal aborts\n", who, s, then)
		case live.StopByDuration:
			fmt.Fprintf(stderr, "tmonbench %s: --duration %v reached: capture stopped; %s\n", who, d, then)
		case live.SignalAfterEnd:
			fmt.Fprintf(stderr, "tmonbench %s: the capture has ended: %s, nothing is left to abort\n", who, then)
		}
	})
}

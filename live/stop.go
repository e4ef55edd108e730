package live

import (
	"context"
	"os"
	"time"
)

// SignalEcho is how soon after the first stop signal a second one is the
// same stop, not the abort: coreutils' timeout (without --foreground)
// sends its signal to the command and then to its process group, so the
// command gets it twice within microseconds, and aborted one run in five
// of `timeout -s INT 60 tmonbench live ...`; a person pressing Ctrl-C
// twice takes far longer.
const SignalEcho = 100 * time.Millisecond

// StopEvent is what WatchStop tells its caller, for it to say.
type StopEvent int

const (
	// StopBySignal: the first stop signal came; the capture stops (a
	// second signal aborts).
	StopBySignal StopEvent = iota
	// StopByDuration: the duration ran out; the capture stops.
	StopByDuration
	// SignalAfterEnd: a signal came once the capture had ended: nothing
	// is left to abort, it is ignored.
	SignalAfterEnd
)

// WatchStop stops a capture and aborts its run: it calls stop at the
// first signal on sig, or after d (when positive), and cancels the
// returned context at the next signal, but for one within SignalEcho of
// the first signal (on the clock now: its echo) and one after ended
// reports true (nil: never), which are ignored. said is called, from
// WatchStop's goroutine, with each event (s: the signal; nil for
// StopByDuration). The returned CancelFunc ends the watch.
func WatchStop(sig <-chan os.Signal, d time.Duration, now func() time.Time, stop func(), ended func() bool, said func(ev StopEvent, s os.Signal)) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	var timer <-chan time.Time
	if d > 0 {
		timer = time.After(d)
	}
	go func() {
		var first time.Time // of the first signal; zero after the duration
		select {
		case s := <-sig:
			first = now()
			said(StopBySignal, s)
		case <-timer:
			said(StopByDuration, nil)
		case <-ctx.Done():
			return
		}
		stop()
		for {
			select {
			case s := <-sig:
				if !first.IsZero() && now().Sub(first) < SignalEcho {
					continue // the first one's echo
				}
				if ended != nil && ended() {
					said(SignalAfterEnd, s)
					continue
				}
				cancel()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, cancel
}

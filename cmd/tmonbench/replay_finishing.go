package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// replayWritingHook, when set (by a test), is called with the replay's
// signal context as its last rows start to be written
// (pipeline.Options.Writing).
var replayWritingHook func(ctx context.Context)

// exitNow ends the process (os.Exit): a replay abandoned by a second
// Ctrl-C.
var exitNow = os.Exit

// noteFinishing watches ctx, a replay's signal context, for a Ctrl-C
// (SIGINT, SIGTERM) after its captures were read to their end: the run is
// then no longer interrupted (the pipeline's settle is over), its tables
// are finished whole (the last flush, the Parquet parts, run.json, the
// publish of --out) and the replay exits with status 130 (replayEnd), as
// `tmonbench rollup` and `replay --rollup` do. It says so on w at once,
// not after the writing. A second Ctrl-C then (not its echo, within
// live.SignalEcho) abandons the writing at once: abandon (the run's
// store.Run.Abandon) keeps the output folder whole, what it says is
// written (after before, nil or a --tui run's heldOutput.show: w, held
// while the TUI has the terminal, lost the line at the exit), and the
// process exits 130; abandon false (the run was already
// moved in, whole) lets the replay end. writing is pipeline.Options.Writing;
// stop ends the watch (the line written by then) once the run is closed.
// Before, a second Ctrl-C while a large replay wrote its tables did
// nothing (a new-user trial).
func noteFinishing(ctx context.Context, w io.Writer, before func(), abandon func() (string, bool)) (writing func(), stop func()) {
	wr := make(chan struct{})
	stop = watchSignals(func(sig <-chan os.Signal, done <-chan struct{}) {
		select {
		case <-ctx.Done():
		case <-done:
		}
		if ctx.Err() == nil {
			return
		}
		select { // a Ctrl-C in the reading interrupts the run: no writing
		case <-wr:
		case <-done:
		}
		select {
		case <-wr:
			fmt.Fprintln(w, "tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole (run.json says finished), then the replay exits with status 130; a second Ctrl-C abandons them at once")
		default:
			return
		}
		first := time.Now()
		<-sig                                             // the first Ctrl-C's own
		awaitSecond(sig, done, first, w, before, abandon) // --tui: before gives the terminal back, w passed on to it (heldOutput.show)
	})
	return func() {
		close(wr)
		if replayWritingHook != nil {
			replayWritingHook(ctx)
		}
	}, stop
}

// abandonLine is what a replay abandoned by a second Ctrl-C says: the
// parts left half-written (unfinished, store.Run.Abandon), run.json not
// written, and that the output folder out holds only whole parts, its
// previous content as it was, this run's staged in dir until the next run
// removes them.
func abandonLine(out, dir string, unfinished []string) string {
	return fmt.Sprintf("tmonbench replay: second Ctrl-C: writing abandoned (%s; run.json not written): %s holds only whole parts, its previous content as it was; this run's committed parts stay in %s until the next run removes it", unfinishedParts(unfinished), out, dir)
}

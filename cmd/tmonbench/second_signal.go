package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/live"
)

// onSecondSignal watches ctx, a command's signal context (untilSignal),
// for a second stop signal (SIGINT, SIGTERM) after the first one that
// cancelled it, not its echo (within live.SignalEcho): abandon then says
// what is given up, which before is called (nil: nothing; a --tui run
// restores the terminal there), the line is written to w and the process
// exits 130 at once (exitNow), as docs/processes.md says of a second
// Ctrl-C; abandon false (nothing left to give up: the output already
// whole) lets the command end. stop ends the watch.
func onSecondSignal(ctx context.Context, w io.Writer, before func(), abandon func() (string, bool)) (stop func()) {
	return watchSignals(func(sig <-chan os.Signal, done <-chan struct{}) {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		awaitSecond(sig, done, time.Now(), w, before, abandon)
	})
}

// watchSignals runs watch in a goroutine of its own with every stop
// signal (SIGINT, SIGTERM: the first, a command's signal context's, too)
// on sig, until done closes: stop closes it, waits for watch to return
// and stops the signals' delivery to sig.
func watchSignals(watch func(sig <-chan os.Signal, done <-chan struct{})) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, stopSignals...)
	go func() {
		defer close(ended)
		watch(sig, done)
	}()
	return func() {
		close(done)
		<-ended
		signal.Stop(sig)
	}
}

// awaitSecond waits on sig, after a first stop signal at first, for a
// second one (not the first's own nor its echo, within live.SignalEcho)
// until done closes: abandon then says what is given up; if it gave up
// something (ok), before (nil: nothing; a --tui run gives the terminal
// back there) is called, the line written to w and the process exits 130
// (exitNow). The second Ctrl-C of merge (onSecondSignal) and of a
// replay's writing (noteFinishing).
func awaitSecond(sig <-chan os.Signal, done <-chan struct{}, first time.Time, w io.Writer, before func(), abandon func() (string, bool)) {
	for {
		select {
		case <-sig:
		case <-done:
			return
		}
		if time.Since(first) < live.SignalEcho {
			continue // the first signal's own, or its echo (coreutils' timeout sends two)
		}
		if msg, ok := abandon(); ok {
			if before != nil {
				before()
			}
			fmt.Fprintln(w, msg)
			exitNow(130)
		}
		return
	}
}

// unfinishedParts says which parts an abandoned run left half-written
// (store.Run.Abandon's), for the abandon lines.
func unfinishedParts(unfinished []string) string {
	if len(unfinished) == 0 {
		return "no part was being written"
	}
	return "not finished: " + strings.Join(unfinished, ", ")
}

// mergeAbandonLine is what a merge abandoned by a second Ctrl-C says: the
// parts left half-written (unfinished, store.Run.Abandon), out as it was,
// the parts merged so far left in the staging folder dir until the next
// run removes it.
func mergeAbandonLine(out, dir string, unfinished []string) string {
	return fmt.Sprintf("tmonbench merge: second Ctrl-C: merge abandoned (%s; run.json not written): %s is as it was; the parts merged so far stay in %s until the next run removes it", unfinishedParts(unfinished), out, dir)
}

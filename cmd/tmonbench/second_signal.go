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
	done, ended := make(chan struct{}), make(chan struct{})
	sig := make(chan os.Signal, 4) // every stop signal, the first (ctx's) included
	signal.Notify(sig, stopSignals...)
	go func() {
		defer close(ended)
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		first := time.Now()
		for {
			select {
			case <-sig:
			case <-done:
				return
			}
			if time.Since(first) < live.SignalEcho {
				continue // the first signal's own, or its echo (coreutils' timeout sends two)
			}
			msg, ok := abandon()
			if !ok {
				return
			}
			if before != nil {
				before()
			}
			fmt.Fprintln(w, msg)
			exitNow(130)
			return
		}
	}()
	return func() {
		close(done)
		<-ended
		signal.Stop(sig)
	}
}

// mergeAbandonLine is what a merge abandoned by a second Ctrl-C says: the
// parts left half-written (unfinished, store.Run.Abandon), out as it was,
// the parts merged so far left in the staging folder dir until the next
// run removes it.
func mergeAbandonLine(out, dir string, unfinished []string) string {
	parts := "no part was being written"
	if len(unfinished) > 0 {
		parts = "not finished: " + strings.Join(unfinished, ", ")
	}
	return fmt.Sprintf("tmonbench merge: second Ctrl-C: merge abandoned (%s; run.json not written): %s is as it was; the parts merged so far stay in %s until the next run removes it", parts, out, dir)
}

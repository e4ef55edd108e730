package main

import (
	"context"
	"fmt"
	"io"
)

// replayWritingHook, when set (by a test), is called with the replay's
// signal context as its last rows start to be written
// (pipeline.Options.Writing).
var replayWritingHook func(ctx context.Context)

// noteFinishing watches ctx, a replay's signal context, for a Ctrl-C
// (SIGINT, SIGTERM) after its captures were read to their end: the run is
// then no longer interrupted (the pipeline's settle is over), its tables
// are finished whole (the last flush, the Parquet parts, run.json, the
// publish of --out) and the replay exits with status 130 (replayEnd), as
// `tmonbench rollup` and `replay --rollup` do. It says so on w at once,
// not after the writing; a later Ctrl-C changes nothing. writing is
// pipeline.Options.Writing; stop ends the watch (the line written by then)
// once the run is closed. Before this, such a Ctrl-C went unsaid and the
// replay exited 0 (a new-user trial).
func noteFinishing(ctx context.Context, w io.Writer) (writing func(), stop func()) {
	wr, done, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
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
			fmt.Fprintln(w, "tmonbench replay: Ctrl-C after the captures were read to their end: the tables are being finished whole (run.json says finished), then the replay exits with status 130")
		default:
		}
	}()
	return func() {
			close(wr)
			if replayWritingHook != nil {
				replayWritingHook(ctx)
			}
		}, func() {
			close(done)
			<-ended
		}
}

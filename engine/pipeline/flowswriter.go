package pipeline

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// flowsWriter writes the chunks of the final flows table
// (collector.FlushFlows) to the sink in a goroutine of its own, in order:
// the run's goroutine builds the next chunk's rows while this one is
// encoded to Parquet, and the collectors' Finish runs while the last one
// is (issue 14: the end of a run, where the second core idled). The
// chunks and their order are the sink's as when written in the run's
// goroutine: only the wall time changes. Two chunks at most are held (one
// written, one built). After the sink's error, the chunks handed over are
// not written but kept (left): built while the failed one was written,
// they would have stayed in the collector's table, for its final batch,
// had the chunks been written in the run's goroutine.
type flowsWriter struct {
	sink  observe.Sink
	chunk chan *observe.Batch // to write
	back  chan *observe.Batch // written, to fill again
	done  chan struct{}
	held  int // chunks handed over and not taken back
	mu    sync.Mutex
	err   error          // the sink's first error: the chunks after it are not written
	left  []observe.Flow // the rows of the chunks not written after err, in order
}

func startFlowsWriter(sink observe.Sink) *flowsWriter {
	w := &flowsWriter{sink: sink, chunk: make(chan *observe.Batch, 1), back: make(chan *observe.Batch, 2), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for b := range w.chunk {
			if w.failed() == nil {
				if err := w.sink.Write(b); err != nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
			} else {
				w.left = append(w.left, b.Flows...) // copied: b is handed back
			}
			w.back <- b
		}
	}()
	return w
}

// failed returns the sink's first error so far.
func (w *flowsWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// write is collector.FlushFlows' write: it hands b over and returns the
// chunk to fill next: a new one the first time, then the one handed over
// before b, once written.
func (w *flowsWriter) write(b *observe.Batch) (*observe.Batch, error) {
	w.chunk <- b
	if w.held++; w.held < 2 {
		return &observe.Batch{}, w.failed()
	}
	w.held--
	return <-w.back, w.failed()
}

// stop waits for the chunks handed over to be written and returns the
// rows of those not written after the sink's first error (the caller
// writes them with the collectors' final batch, as the rows FlushFlows
// did not reach) and that error.
func (w *flowsWriter) stop() ([]observe.Flow, error) {
	close(w.chunk)
	<-w.done
	return w.left, w.failed()
}

// flowsInGoroutine is whether Parallel runs use a flowsWriter (tests
// compare with the chunks written in the run's goroutine).
var flowsInGoroutine = true

// flushFlows writes the first collector's final flows table to the sink
// in chunks (collector.FlushFlows), through a flowsWriter when the
// collectors have goroutines of their own (Options.Parallel), whose stop
// then comes after finishing the collectors (finish).
func (r *run) flushFlows() (*flowsWriter, error) {
	c := r.collectors[0]
	if !r.opt.Parallel || !flowsInGoroutine {
		return nil, c.FlushFlows(finalFlowChunk, func(b *observe.Batch) (*observe.Batch, error) { return b, r.opt.Sink.Write(b) })
	}
	w := startFlowsWriter(r.opt.Sink)
	return w, c.FlushFlows(finalFlowChunk, w.write)
}

// addLeftFlows puts left, the final flows table's rows a failed sink left
// unwritten in a flowsWriter, into b, the first collector's final batch,
// in its order (probe, flow id: collector.Finish), as the rows FlushFlows
// did not reach are: the same batch as when the chunks are written in the
// run's goroutine (TestFlowsWriterError).
func addLeftFlows(b *observe.Batch, left []observe.Flow) {
	if len(left) == 0 {
		return
	}
	b.Flows = append(left, b.Flows...)
	slices.SortStableFunc(b.Flows, func(x, y observe.Flow) int {
		return cmp.Or(strings.Compare(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID))
	})
}

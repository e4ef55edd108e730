package pipeline

import (
	"sync"
	"time"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// worker runs one collector in its own goroutine (Options.Parallel).
type worker struct {
	ch   chan []byte
	free chan []byte
	made int // frame buffers made (deliver)
	// frameBytes is the room a frame buffer is made with: the largest
	// frame the probes send this collector (its MaxPDUBytes), so that a
	// recycled buffer holds any frame.
	frameBytes int
	done       chan struct{}
	ack        []byte
	err        error // the sink's first error, set in the goroutine
	stopped    bool
	// mu guards cnt: the collector's counters after its last frame, for
	// Options.Snapshot; and failed, err as the run's goroutine sees it.
	mu     sync.Mutex
	cnt    observe.CollectorCounters
	failed error
}

// workerQueueBytes bounds the frames a collector worker's queue holds: 4
// MiB, 2,995 frames of the default 1400 bytes, 256 at the least (frames
// of 16 KiB and more). The collector's goroutine handles frames in bursts
// (a drain writing an interval's rows to Parquet ran 12-24 ms at a time
// in execution traces of the 5M corpus), during which the probe fills the
// queue; a full queue stops the probe. With 256 frames (~16 ms of the
// corpus's PDUs) the probe's goroutine waited on it 436-514 times, 0.22-
// 0.28 s of a 2.1-2.5 s run (3 traced runs, idle machine); with 4096,
// 163-218 times, 0.12-0.13 s; 6 alternated pairs of `bench --repeat 3`:
// the wall ratio lower in each pair, median 2.174 → 2.090 (docs/speed.md).
const workerQueueBytes = 4 << 20

// queueFrames is the number of frames of frameBytes a worker's queue
// holds (workerQueueBytes).
func queueFrames(frameBytes int) int { return max(256, workerQueueBytes/max(frameBytes, 1)) }

// prefillBytes bounds the frame buffers a worker makes up front, all it
// can need, so that none is made while it runs: the 5M corpus's queue
// first filled past 200 frames after a fifth of its packets, each new
// high a buffer made in its steady state (issue 14). Frames up to 4 KiB
// (the default 1400 bytes) are all made up front, a queue's
// workerQueueBytes and two frames more; with larger frames (MaxPDUBytes
// over 4 KiB) buffers are made as the queue first needs them.
const prefillBytes = workerQueueBytes + 2*4096

// startWorker starts the goroutine of c, whose probes send frames of at
// most frameBytes; drain, when set, is called from it after each frame (it
// writes c's rows to the sink when due) and, with ticked set, at each tick
// of tick.
func startWorker(c *collector.Collector, name string, frameBytes int, drain func(c *collector.Collector, ticked bool) error, tick <-chan time.Time) *worker {
	// free holds every buffer there can be (the queue's, the one being
	// filled while the queue is full, the one being handled), so none is
	// dropped and made again after the collector's next stall (a drain
	// writing Parquet); with room for the queue's only, a stall of the
	// collector made one or two new buffers (issue 14).
	q := queueFrames(frameBytes)
	w := &worker{ch: make(chan []byte, q), free: make(chan []byte, q+2), frameBytes: frameBytes, done: make(chan struct{}), cnt: observe.CollectorCounters{Collector: name}}
	if n := cap(w.free); frameBytes > 0 && frameBytes*n <= prefillBytes {
		slab := make([]byte, frameBytes*n) // one allocation: 4 MiB at the default 1400 bytes
		for i := range n {
			w.free <- slab[i*frameBytes : i*frameBytes : (i+1)*frameBytes]
		}
	}
	if drain == nil {
		tick = nil
	}
	go func() {
		defer close(w.done)
		for {
			select {
			case frame, ok := <-w.ch:
				if !ok {
					return
				}
				c.Handle(frame)
				cnt := c.Counters(name)
				w.mu.Lock()
				w.cnt = cnt
				w.mu.Unlock()
				select {
				case w.free <- frame[:0]:
				default:
				}
				if drain != nil && w.err == nil {
					w.setErr(drain(c, false))
				}
			case <-tick:
				if w.err == nil {
					w.setErr(drain(c, true))
				}
			}
		}
	}()
	return w
}

// deliver hands a copy of frame to the collector goroutine and returns
// the acknowledgement the collector gives every valid PDU (the link is
// reliable and in-process: every frame is valid).
func (w *worker) deliver(frame []byte) []byte {
	h, _, err := pdu.ParseFrame(frame)
	if err != nil {
		return nil
	}
	var buf []byte
	select {
	case buf = <-w.free:
	default:
	}
	if cap(buf) < len(frame) {
		w.made++
	}
	w.ch <- copyFrame(buf, frame, w.frameBytes)
	if h.Type == pdu.TypeHeartbeat {
		return nil // heartbeats are not acknowledged (design 4.1)
	}
	w.ack = pdu.AppendAck(w.ack[:0], h.ProbeID, h.Epoch, h.ID)
	return w.ack
}

// copyFrame returns a copy of frame in buf (a recycled buffer, or nil): a
// buffer too small for it is replaced by one of frameBytes (or frame's
// size, if larger). Recycled buffers grown by append, each sized by the
// frame that first needed it, were replaced again and again by larger
// frames (issue 14: 127 of the 12.8k allocations of the 5M corpus's
// steady state).
func copyFrame(buf, frame []byte, frameBytes int) []byte {
	if cap(buf) < len(frame) {
		buf = make([]byte, 0, max(len(frame), frameBytes))
	}
	return append(buf[:0], frame...)
}

// setErr keeps the sink's error (from the goroutine), for stop and
// sinkErr.
func (w *worker) setErr(err error) {
	if err == nil {
		return
	}
	w.err = err
	w.mu.Lock()
	w.failed = err
	w.mu.Unlock()
}

// sinkErr returns the sink's error in the goroutine so far (from any
// goroutine): the run stops at the write that failed, not at its end.
func (w *worker) sinkErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// stop waits for the collector goroutine to handle every frame sent; it
// returns the sink's first error.
func (w *worker) stop() error {
	if !w.stopped {
		w.stopped = true
		close(w.ch)
		<-w.done
	}
	return w.err
}

// counters returns the collector's counters after its last frame, with
// the frames waiting for it.
func (w *worker) counters() observe.CollectorCounters {
	w.mu.Lock()
	c := w.cnt
	w.mu.Unlock()
	c.QueueFrames = len(w.ch)
	return c
}

package pipeline

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/collector"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// TestCopyFrameAllocs: a collector worker's recycled frame buffer, made
// with room for the collector's largest frame (MaxPDUBytes, 1400 by
// default), takes frames of any size up to it without allocating again;
// one grown by append to the size of the first frame it held was replaced
// by the next larger frame (issue 14: 4 allocations here). Frames larger
// than the room still copy whole.
func TestCopyFrameAllocs(t *testing.T) {
	max := pdu.DefaultSenderConfig().MaxPDUBytes
	var frames [][]byte // growing: each needs more room than the one before
	for _, n := range []int{60, 200, 700, max - 1, max} {
		frames = append(frames, bytes.Repeat([]byte{byte(n)}, n))
	}
	allocs := testing.AllocsPerRun(10, func() {
		var buf []byte // a new buffer, recycled for every frame
		for _, f := range frames {
			buf = copyFrame(buf[:0], f, max)
			if !bytes.Equal(buf, f) {
				t.Fatalf("copy of a %d-byte frame reads %d bytes", len(f), len(buf))
			}
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations for %d frames of 60 to %d bytes through one recycled buffer, want 1 (the buffer)", allocs, len(frames), max)
	}
	big := bytes.Repeat([]byte{7}, max+100)
	if got := copyFrame(make([]byte, 0, max), big, max); !bytes.Equal(got, big) {
		t.Errorf("a frame larger than the room: %d bytes copied, want %d", len(got), len(big))
	}
}

// TestWorkerBuffersKept: a collector worker makes no more frame buffers
// than there can be at once (its queue's, the one being filled while the
// queue is full, the one being handled), however often the collector
// stalls (a drain writing Parquet) and catches up: the free list has room
// for all of them. With room for the queue's only, each stall that filled
// the queue dropped a buffer on the way back and made one again (issue
// 14: 194 frame buffers made in the steady state of a million packets of
// the 5M corpus). A worker of 1400-byte frames makes them all up front:
// delivering a frame allocates nothing from the start.
func TestWorkerBuffersKept(t *testing.T) {
	const frameBytes = 8192 // larger than prefillBytes allows up front: buffers made as needed
	c, err := collector.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	var stall atomic.Bool
	drain := func(*collector.Collector, bool) error {
		if stall.Load() {
			<-gate
			stall.Store(false)
		}
		return nil
	}
	w := startWorker(c, "c", frameBytes, drain, nil)
	defer w.stop()
	frame := pdu.AppendFrame(nil, pdu.Header{Type: pdu.TypeHeartbeat, ProbeID: 1, Epoch: 1, ID: 1}, nil)
	waitFor := func(what string, ok func() bool) {
		for start := time.Now(); !ok(); time.Sleep(time.Millisecond) {
			if time.Since(start) > time.Minute {
				t.Fatalf("waited a minute for %s", what)
			}
		}
	}
	for range 5 {
		stall.Store(true)
		w.deliver(frame) // the collector handles it and stalls in its drain
		waitFor("the collector to take the frame", func() bool { return len(w.ch) == 0 })
		for range cap(w.ch) {
			w.deliver(frame) // the queue fills
		}
		gate <- struct{}{}
		waitFor("the collector to catch up", func() bool { return !stall.Load() && len(w.ch) == 0 && len(w.free) == min(w.made, cap(w.free)) })
	}
	if max := cap(w.ch) + 2; w.made > max {
		t.Errorf("%d frame buffers made over 5 stalls, want at most %d", w.made, max)
	}
	// Frames of the default 1400 bytes: every buffer was made up front.
	c2, err := collector.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2 := startWorker(c2, "c2", 1400, nil, nil)
	defer w2.stop()
	if n := testing.AllocsPerRun(100, func() { w2.deliver(frame) }); n != 0 || w2.made != 0 {
		t.Errorf("%v allocations per frame delivered to a new worker, %d buffers made, want 0", n, w2.made)
	}
}

// TestWorkerQueueBytes: a collector worker's queue holds 4 MiB of frames
// (workerQueueBytes): 2,995 of the default 1400 bytes, where 256 let a
// drain's burst (12-24 ms of Parquet writing) stop the probe 436-514
// times a run of the 5M corpus (docs/speed.md); its memory stays bounded
// whatever max_pdu_bytes: 256 frames at the least, so at most 256 + 2
// buffers of the largest UDP payload (65,507 bytes: 16.1 MiB).
func TestWorkerQueueBytes(t *testing.T) {
	for _, c := range []struct{ frameBytes, frames int }{{1400, 2995}, {4096, 1024}, {16384, 256}, {65507, 256}} {
		c2, err := collector.New(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := startWorker(c2, "c", c.frameBytes, nil, nil)
		if cap(w.ch) != c.frames || cap(w.free) != c.frames+2 {
			t.Errorf("frames of %d bytes: a queue of %d and %d buffers, want %d and %d", c.frameBytes, cap(w.ch), cap(w.free), c.frames, c.frames+2)
		}
		if up := len(w.free); c.frameBytes <= 4096 && up != c.frames+2 || c.frameBytes > 4096 && up != 0 {
			t.Errorf("frames of %d bytes: %d buffers made up front", c.frameBytes, up)
		}
		w.stop()
	}
}

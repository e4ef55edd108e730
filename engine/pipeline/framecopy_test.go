package pipeline

import (
	"bytes"
	"testing"

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

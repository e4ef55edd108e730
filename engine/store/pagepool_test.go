package store

import (
	"bytes"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestPageBufferReadsWhatWasWritten: a pagePool buffer reads back, seeks
// and copies (WriteTo) as a byte slice model says, across chunk
// boundaries, with writes over what was written and past the end; a
// buffer given back and taken again is empty.
func TestPageBufferReadsWhatWasWritten(t *testing.T) {
	var p pagePool
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		b := p.GetBuffer()
		var model []byte
		var seek int64
		for op := range 200 {
			switch rng.IntN(4) {
			case 0, 1: // write
				data := make([]byte, rng.IntN(3*pageChunkBytes))
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				n, err := b.Write(data)
				if n != len(data) || err != nil {
					t.Fatalf("round %d op %d: write %d: %d, %v", round, op, len(data), n, err)
				}
				if end := int(seek) + len(data); end > len(model) {
					model = append(model, make([]byte, end-len(model))...)
				}
				copy(model[seek:], data)
				seek += int64(len(data))
			case 2: // seek
				to := rng.Int64N(int64(len(model)) + 10)
				got, err := b.Seek(to, io.SeekStart)
				seek = min(to, int64(len(model)))
				if got != seek || err != nil {
					t.Fatalf("round %d op %d: seek %d: %d, %v, want %d", round, op, to, got, err, seek)
				}
			case 3: // read some
				buf := make([]byte, rng.IntN(2*pageChunkBytes)+1)
				n, err := io.ReadFull(b, buf)
				want := model[seek:]
				if len(want) > len(buf) {
					want = want[:len(buf)]
				}
				if !bytes.Equal(buf[:n], want) || (n < len(buf)) != (err != nil) {
					t.Fatalf("round %d op %d: read %d at %d: %d bytes, %v", round, op, len(buf), seek, n, err)
				}
				seek += int64(n)
			}
		}
		if _, err := b.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if n, err := io.Copy(&out, b); n != int64(len(model)) || err != nil || !bytes.Equal(out.Bytes(), model) {
			t.Fatalf("round %d: copied %d of %d bytes, %v", round, n, len(model), err)
		}
		if end, err := b.Seek(0, io.SeekEnd); end != int64(len(model)) || err != nil {
			t.Fatalf("round %d: end %d, %v, want %d", round, end, err, len(model))
		}
		if _, err := b.Seek(-1, io.SeekStart); err == nil {
			t.Error("a negative offset was accepted")
		}
		p.PutBuffer(b)
		if n, err := p.GetBuffer().Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("a buffer taken again read %d, %v: want it empty", n, err)
		}
	}
}

// TestPagePoolKeepsChunks: the page buffers of a row group written after
// a collection are those of the row group before: no allocation, where
// parquet-go's pool (sync.Pool) lost them at each collection and the
// 5M corpus's bench made them again (issue 14). The free chunks are
// bounded by maxFreeChunks.
func TestPagePoolKeepsChunks(t *testing.T) {
	if _, ok := any(pageBuffers).(*pagePool); !ok {
		t.Fatalf("the writers' page buffers are a %T, want a *pagePool", pageBuffers)
	}
	var p pagePool
	page := make([]byte, 5000)
	rowGroup := func() {
		var bufs [20]io.ReadWriteSeeker
		for i := range bufs {
			bufs[i] = p.GetBuffer()
			for range 10 {
				bufs[i].Write(page)
			}
		}
		for i := range bufs {
			bufs[i].Seek(0, io.SeekStart)
			bufs[i].(io.WriterTo).WriteTo(io.Discard)
			p.PutBuffer(bufs[i])
		}
	}
	rowGroup()
	if n := testing.AllocsPerRun(10, func() { runtime.GC(); runtime.GC(); rowGroup() }); n != 0 && !testenv.Race { // -race: testenv.Race
		t.Errorf("a row group's page buffers after a collection: %v allocations, want 0", n)
	}
	big := p.GetBuffer()
	big.Write(make([]byte, (maxFreeChunks+10)*pageChunkBytes))
	p.PutBuffer(big)
	if len(p.chunks) != maxFreeChunks {
		t.Errorf("%d free chunks kept, want at most %d", len(p.chunks), maxFreeChunks)
	}
}

// TestPageBufferNewAllocs: a new page buffer written up to pageInline
// chunks allocates itself and its chunks (and here its pool), nothing more: its chunk list
// grew by append before (1, 2, 4, 8 slots: 4 more allocations for 8
// chunks; issue 14).
func TestPageBufferNewAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts are asserted without -race (testenv.Race)")
	}
	page := make([]byte, pageChunkBytes)
	n := testing.AllocsPerRun(20, func() {
		var p pagePool // empty: a new buffer, new chunks
		b := p.GetBuffer()
		for range pageInline {
			b.Write(page)
		}
	})
	if want := float64(2 + pageInline); n != want { // the pool (the buffer points to it), the buffer, its chunks
		t.Errorf("a new page buffer of %d chunks: %v allocations, want %v (the pool, the buffer and its chunks)", pageInline, n, want)
	}
}

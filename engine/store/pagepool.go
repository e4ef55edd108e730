package store

import (
	"errors"
	"io"
	"sync"
)

// pagePool is the BufferPool (parquet.ColumnPageBuffers) in which every
// writer's column chunks hold their compressed pages until their row
// group is written: buffers of pageChunkBytes chunks, like parquet-go's
// own, but kept in free lists of this pool instead of sync.Pools. Every
// collection emptied parquet-go's pools, and the pages of the row groups
// written next made their buffers and chunks again (~250 allocations in
// the steady window of the 5M corpus's bench, issue 14). The free chunks
// are at most what the open column chunks held at once, and no more than
// maxFreeChunks: beyond, a chunk given back is left to the collector.
// Safe for concurrent use (the writers of a run's tables write in the
// collector's goroutine, an Appender's in its callers').
type pagePool struct {
	mu     sync.Mutex
	bufs   []*pageBuffer // free buffers, without chunks
	chunks [][]byte      // free chunks, pageChunkBytes each
}

// maxFreeChunks bounds the free chunks a pagePool keeps: 2,048 of 8 KiB,
// 16 MiB, far above what the 5M corpus's open row groups hold at once
// (TestPagePoolKeepsChunks).
const maxFreeChunks = 2048

// GetBuffer returns an empty buffer (parquet.BufferPool).
func (p *pagePool) GetBuffer() io.ReadWriteSeeker {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := pop(&p.bufs); ok {
		return b
	}
	b := &pageBuffer{pool: p}
	b.chunks = b.inline[:0]
	return b
}

// PutBuffer takes back a buffer GetBuffer gave, and its chunks
// (parquet.BufferPool); another type of buffer is ignored.
func (p *pagePool) PutBuffer(rws io.ReadWriteSeeker) {
	b, ok := rws.(*pageBuffer)
	if !ok || b.pool != p {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, c := range b.chunks {
		if len(p.chunks) < maxFreeChunks {
			p.chunks = append(p.chunks, c)
		}
		b.chunks[i] = nil
	}
	b.chunks, b.size, b.seek = b.chunks[:0], 0, 0
	p.bufs = append(p.bufs, b)
}

// chunk returns a free chunk, or a new one.
func (p *pagePool) chunk() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := pop(&p.chunks); ok {
		return c
	}
	return make([]byte, pageChunkBytes)
}

// pop takes the last element off *s, clearing its slot so that the free
// list does not hold what it gave away; ok is false when *s is empty.
func pop[T any](s *[]T) (v T, ok bool) {
	n := len(*s)
	if n == 0 {
		return v, false
	}
	v, (*s)[n-1] = (*s)[n-1], v
	*s = (*s)[:n-1]
	return v, true
}

// pageBuffer is a pagePool's buffer: an io.ReadWriteSeeker over chunks of
// pageChunkBytes, with WriteTo (io.Copy into the file then needs no
// buffer of its own).
type pageBuffer struct {
	pool       *pagePool
	chunks     [][]byte
	size, seek int64
	// inline is the first pageInline chunks' slots, in the buffer's own
	// allocation: a new buffer's chunk list grew by append (1, 2, 4, 8:
	// ~70 allocations in the 5M corpus's steady window, issue 14).
	inline [pageInline][]byte
}

// pageInline is the chunks a pageBuffer holds without a slice of its
// own: 64 KiB of pages, a 2^18-row group's column chunk of the widest
// table (flows: 1.8 MB over its 32 columns).
const pageInline = 8

// Write writes p at the offset, growing the buffer by whole chunks.
func (b *pageBuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i, off := int(b.seek/pageChunkBytes), int(b.seek%pageChunkBytes)
		if i == len(b.chunks) {
			b.chunks = append(b.chunks, b.pool.chunk())
		}
		w := copy(b.chunks[i][off:], p)
		b.seek += int64(w)
		p = p[w:]
	}
	b.size = max(b.size, b.seek)
	return n, nil
}

// Read reads from the offset up to the end of what was written.
func (b *pageBuffer) Read(p []byte) (int, error) {
	if b.seek >= b.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.seek < b.size {
		i, off := int(b.seek/pageChunkBytes), int(b.seek%pageChunkBytes)
		c := b.chunks[i][off:min(pageChunkBytes, off+int(b.size-b.seek))]
		m := copy(p[n:], c)
		n += m
		b.seek += int64(m)
	}
	return n, nil
}

// WriteTo writes what is left from the offset to w.
func (b *pageBuffer) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for b.seek < b.size {
		i, off := int(b.seek/pageChunkBytes), int(b.seek%pageChunkBytes)
		m, err := w.Write(b.chunks[i][off:min(pageChunkBytes, off+int(b.size-b.seek))])
		written += int64(m)
		b.seek += int64(m)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// errSeek is Seek's error for a negative offset or an unknown whence.
var errSeek = errors.New("store: page buffer: bad seek")

// Seek sets the offset, at most the size written (as parquet-go's
// buffers do).
func (b *pageBuffer) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += b.seek
	case io.SeekEnd:
		offset += b.size
	case io.SeekStart:
	default:
		return 0, errSeek
	}
	if offset < 0 {
		return 0, errSeek
	}
	b.seek = min(offset, b.size)
	return b.seek, nil
}

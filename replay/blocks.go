package replay

import (
	"bufio"
	"io"
	"sync"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// blockReader is a buffered reader, as bufio.Reader (Peek, Discard, Read,
// Reset behave the same), whose buffer is a pkt.Block: a File lends its
// packets (File.Lent) so that probe.Workers hands them to its workers
// without copying them (issue 14). Where bufio.Reader slides its unread
// bytes to the start of its buffer, a blockReader whose block is held by
// someone else moves them to another block (from its pool, or a new one)
// and releases its reference: the held block is not written again while
// held. Unshared, it slides in place as bufio does, so a File that lends
// nothing reads as it did with bufio.Reader.
type blockReader struct {
	rd   io.Reader
	size int
	cur  *pkt.Block
	buf  []byte // cur.Data
	r, w int    // read and write positions in buf
	err  error
	pool *blockPool
	// ahead, when not nil, reads rd ahead in a goroutine (prefetch.go):
	// fill takes its chunks
	ahead *prefetch
}

// blockPool keeps a blockReader's released blocks for reuse. A block is
// released by the reader, or by whoever held it last, from any goroutine.
type blockPool struct {
	mu   sync.Mutex
	free []*pkt.Block
}

func (p *blockPool) put(b *pkt.Block) {
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
}

// get returns a block of size bytes holding one reference.
func (p *blockPool) get(size int) *pkt.Block {
	p.mu.Lock()
	n := len(p.free)
	if n == 0 {
		p.mu.Unlock()
		return pkt.NewBlock(size, p.put)
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.mu.Unlock()
	b.Reuse()
	return b
}

func newBlockReader(rd io.Reader, size int) *blockReader {
	br := &blockReader{rd: rd, size: size, pool: &blockPool{}}
	br.cur = br.pool.get(size)
	br.buf = br.cur.Data
	return br
}

// Size returns the size of the buffer in bytes.
func (br *blockReader) Size() int { return br.size }

// Buffered returns the number of bytes that can be read from the buffer.
func (br *blockReader) Buffered() int { return br.w - br.r }

// Reset discards the buffered bytes and reads from rd from now on.
func (br *blockReader) Reset(rd io.Reader) {
	br.dropPrefetch()
	br.rd, br.err = rd, nil
	br.r, br.w = 0, 0
	if br.cur.Shared() {
		br.move()
	}
}

// move moves the unread bytes to the start of a block: the current one
// when nobody else holds it, another one otherwise.
func (br *blockReader) move() {
	if !br.cur.Shared() {
		copy(br.buf, br.buf[br.r:br.w])
	} else {
		nb := br.pool.get(br.size)
		copy(nb.Data, br.buf[br.r:br.w])
		br.cur.Release()
		br.cur, br.buf = nb, nb.Data
	}
	br.w -= br.r
	br.r = 0
}

// fill reads a new chunk into the buffer, as bufio.Reader's fill.
func (br *blockReader) fill() {
	if br.ahead != nil {
		br.fillAhead()
		return
	}
	if br.r > 0 {
		br.move()
	}
	for i := 100; i > 0; i-- { // bufio's maxConsecutiveEmptyReads
		n, err := br.rd.Read(br.buf[br.w:])
		if n < 0 {
			panic("replay: negative read")
		}
		br.w += n
		if err != nil {
			br.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	br.err = io.ErrNoProgress
}

func (br *blockReader) readErr() error {
	err := br.err
	br.err = nil
	return err
}

// Peek returns the next n bytes without advancing the reader, as
// bufio.Reader.Peek: borrowed until the next read, and kept valid beyond
// it by a reference to the block (Block).
func (br *blockReader) Peek(n int) ([]byte, error) {
	if p := br.buf[br.r:br.w]; len(p) >= n {
		return p[:n], nil
	}
	return br.peekMore(n)
}

func (br *blockReader) peekMore(n int) ([]byte, error) {
	for br.w-br.r < n && br.w-br.r < len(br.buf) && br.err == nil {
		br.fill()
	}
	if n > len(br.buf) {
		return br.buf[br.r:br.w], bufio.ErrBufferFull
	}
	var err error
	if avail := br.w - br.r; avail < n {
		n = avail
		err = br.readErr()
		if err == nil {
			err = bufio.ErrBufferFull
		}
	}
	return br.buf[br.r : br.r+n], err
}

// Block returns the block the bytes Peek returned last are in.
func (br *blockReader) Block() *pkt.Block { return br.cur }

// Discard skips the next n bytes, as bufio.Reader.Discard.
func (br *blockReader) Discard(n int) (int, error) {
	if n < 0 {
		return 0, bufio.ErrNegativeCount
	}
	if n <= br.w-br.r {
		br.r += n
		return n, nil
	}
	remain := n
	for {
		skip := br.w - br.r
		if skip == 0 {
			br.fill()
			skip = br.w - br.r
		}
		skip = min(skip, remain)
		br.r += skip
		remain -= skip
		if remain == 0 {
			return n, nil
		}
		if br.err != nil {
			return n - remain, br.readErr()
		}
	}
}

// Read reads into p, as bufio.Reader.Read, except that with an empty
// buffer it always reads straight into p (bufio.Reader does for a p at
// least as large as its buffer): File reads a record larger than the
// buffer so, and gzip reads through a bufio.Reader of its own.
func (br *blockReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if br.w > br.r {
			return 0, nil
		}
		return 0, br.readErr()
	}
	if br.r == br.w && br.ahead != nil && br.err == nil {
		br.fillAhead()
		if br.r == br.w {
			return 0, br.readErr()
		}
	}
	if br.r == br.w {
		if br.err != nil {
			return 0, br.readErr()
		}
		n, err := br.rd.Read(p)
		if n < 0 {
			panic("replay: negative read")
		}
		br.err = err
		return n, br.readErr()
	}
	n := copy(p, br.buf[br.r:br.w])
	br.r += n
	return n, nil
}

package replay

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Reading ahead (File.ReadAhead, issue 14: the reader stage on a core of
// its own). A goroutine reads the capture stream (the file, or gzip's
// output) into blocks of the blockReader's pool, prefetchChunk bytes each,
// and hands them over whole; the File parses its records in them in
// place, as it does in its own blocks. Nothing is done per packet on the
// reading side and nothing is copied but the unread tail of a block (a
// record cut by the chunk's end) into the room left before the next
// chunk's bytes: the hand-off costs a channel operation per chunk and a
// wake-up of the reading goroutine per three, and the read system calls
// (the kernel's copy out of the page cache, 80-95 ns a packet on the 5 M
// corpus) leave the consumer's goroutine.
var (
	// prefetchHead is the room before a chunk's bytes in its block for
	// the unread tail of the block before (a record cut by the chunk's
	// end): a longer tail is joined by copying the chunk after it instead.
	prefetchHead = 16 << 10
	// prefetchChunk is the bytes one read hands over at most.
	prefetchChunk = 256 << 10
	// prefetchChunks is the number of chunks read and not yet taken at
	// most: 1 MiB, in blocks of bufSize.
	prefetchChunks = 4
	// prefetchWake: the reading goroutine, waiting for room, is woken once
	// this many chunks or fewer wait, and so reads 3 chunks a wake-up.
	// Woken after each chunk taken (2 chunks of 128 KiB), reading ahead
	// cost 170-240 ns of CPU a packet more than reading in the caller's
	// goroutine; woken once both were taken, 40-100; so, 5-50
	// (BenchmarkReadAhead with 400 rounds of xorshift a packet, the 5 M
	// corpus's first million packets, on a loaded 2-core machine): the
	// goroutines' wake-ups, not cache misses, were the hand-off's cost
	// (docs/speed.md, Reading ahead).
	prefetchWake = 1
)

// chunk is prefetchChunk bytes at most of the stream, read into
// blk.Data[head:head+n], then the reader's error (nil: reading goes on).
type chunk struct {
	blk *pkt.Block
	n   int
	err error
}

// prefetch reads a blockReader's reader ahead in a goroutine.
type prefetch struct {
	head, size, wake int // prefetchHead, prefetchChunk, prefetchWake when started
	full             chan chunk
	// space is the consumer's token that full has room again, sent once
	// at most prefetchWake chunks wait in it (and waiting): the reading
	// goroutine is woken once per prefetchChunks-prefetchWake chunks, not
	// after each
	space   chan struct{}
	waiting atomic.Bool
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	// stopped: stop returned, nothing more will come than what full holds
	stopped bool
	// pend is a chunk taken and copied in part (fillAhead), pendOff bytes
	// of it
	pend    chunk
	pendOff int
	hasPend bool
	// last is a chunk read when stop came, with no room for it: the
	// goroutine's last, written before done is closed
	last    chunk
	hasLast bool
}

// canPrefetch reports whether blocks of size bytes hold the room and a chunk.
func canPrefetch(size int) bool { return size >= prefetchHead+prefetchChunk }

// startPrefetch starts reading ahead, once; a reader whose blocks are too
// small (a small file, read whole at once) does not.
func (br *blockReader) startPrefetch() {
	if br.ahead != nil || !canPrefetch(br.size) {
		return
	}
	p := &prefetch{head: prefetchHead, size: prefetchChunk, wake: prefetchWake,
		full: make(chan chunk, prefetchChunks), space: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	br.ahead = p
	go p.run(br.rd, br.pool, br.size)
}

// run reads rd into blocks until an error (sent after the bytes before
// it) or stop.
func (p *prefetch) run(rd io.Reader, pool *blockPool, size int) {
	defer close(p.done)
	for {
		select {
		case <-p.quit:
			return
		default:
		}
		blk := pool.get(size)
		buf := blk.Data[p.head : p.head+p.size]
		var n int
		var err error
		for i := 100; n == 0 && err == nil; i-- { // bufio's maxConsecutiveEmptyReads
			if i == 0 {
				err = io.ErrNoProgress
				break
			}
			n, err = rd.Read(buf)
			if n < 0 {
				panic("replay: negative read")
			}
		}
		for len(p.full) == cap(p.full) { // only this goroutine sends: room stays room
			p.waiting.Store(true)
			if len(p.full) < cap(p.full) { // taken meanwhile
				if !p.waiting.CompareAndSwap(true, false) {
					<-p.space // and the token sent for it
				}
				break
			}
			select {
			case <-p.space:
			case <-p.quit:
				// read, and no room: taken after the others (take)
				p.last, p.hasLast = chunk{blk: blk, n: n, err: err}, true
				return
			}
		}
		p.full <- chunk{blk: blk, n: n, err: err}
		if err != nil {
			return
		}
	}
}

// stopPrefetch ends the reading goroutine and waits for it; the chunks it
// read are still taken before rd is read again.
func (br *blockReader) stopPrefetch() {
	p := br.ahead
	if p == nil || p.stopped {
		return
	}
	p.once.Do(func() { close(p.quit) })
	<-p.done
	p.stopped = true
}

// take returns the next chunk: the one partly copied, one read ahead, or
// (ok false) none: reading ahead stopped and every chunk was taken.
func (p *prefetch) take() (c chunk, off int, ok bool) {
	if p.hasPend {
		p.hasPend = false
		return p.pend, p.pendOff, true
	}
	if p.stopped {
		select {
		case c = <-p.full:
			return c, 0, true
		default:
		}
		if p.hasLast {
			p.hasLast = false
			return p.last, 0, true
		}
		return chunk{}, 0, false
	}
	c = <-p.full
	if len(p.full) <= p.wake && p.waiting.Load() && p.waiting.CompareAndSwap(true, false) {
		p.space <- struct{}{}
	}
	return c, 0, true
}

// fillAhead is fill when reading ahead: the next chunk's block becomes
// the buffer, the unread bytes copied into its room before the chunk's
// bytes (one record's tail at most), or, when they do not fit there, the
// chunk's bytes are copied after them.
func (br *blockReader) fillAhead() {
	p := br.ahead
	c, off, ok := p.take()
	if !ok {
		br.ahead = nil // stopped and drained: read rd here again
		br.fill()
		return
	}
	u := br.w - br.r
	if off == 0 && u <= p.head {
		nb := c.blk
		copy(nb.Data[p.head-u:p.head], br.buf[br.r:br.w])
		br.cur.Release()
		br.cur, br.buf = nb, nb.Data
		br.r, br.w = p.head-u, p.head+c.n
		br.took(c.err)
		return
	}
	if br.r > 0 {
		br.move()
	}
	k := copy(br.buf[br.w:], c.blk.Data[p.head+off:p.head+c.n])
	br.w += k
	if off+k < c.n { // the rest is the next to take
		p.pend, p.pendOff, p.hasPend = c, off+k, true
		return
	}
	c.blk.Release()
	br.took(c.err)
}

// took notes the error that came with a chunk whose bytes are all in the
// buffer: the reading goroutine ended with it, the reader is read here
// again after it (asked again after its error, as bufio does).
func (br *blockReader) took(err error) {
	if err != nil {
		br.err = err
		br.ahead = nil
	}
}

// dropPrefetch stops reading ahead and gives back the chunks read and not
// taken (Reset: the buffered bytes are discarded).
func (br *blockReader) dropPrefetch() {
	p := br.ahead
	if p == nil {
		return
	}
	br.stopPrefetch()
	for {
		c, _, ok := p.take()
		if !ok {
			break
		}
		c.blk.Release()
	}
	br.ahead = nil
}

package pipeline

import (
	"errors"
	"io"
	"sync"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Read-ahead (Options.ReadAhead, issue 14 item 4: the reader stage): each
// input is read in its own goroutine, ahead of the probes, into batches of
// packets handed over a channel: copied, or, from a source that lends
// them (pkt.Lender: replay.File), left in the source's blocks, which the
// batch holds until the consumer is done with it. The read system calls
// and the capture parsing then leave the probes' goroutine; the packets,
// their order, their metadata and the position of the input's error are
// unchanged, so the rows are the same.
const (
	aheadPackets = 1024    // packets per batch at most
	aheadBytes   = 1 << 20 // bytes per batch, about (a batch ends after the packet that crosses it)
	aheadBatches = 4       // batches per input: one being read, up to two waiting, one being consumed
	// aheadBlockBytes bounds the blocks a batch holds references to (their
	// whole size): a packet whose block would pass it is copied instead,
	// so a filter passing one packet a block does not hold a block per
	// packet (as probe.workerBlockBytes).
	aheadBlockBytes = 4 * aheadBytes
)

// aheadBatch is packets copied one after the other into data or lent in
// blocks (one reference each, released when the consumer is done with the
// batch), then the error the source returned after them (nil: the batch
// is full).
type aheadBatch struct {
	data       []byte
	pkts       []aheadPacket
	blocks     []*pkt.Block
	lentBytes  int
	blockBytes int // the blocks' sizes summed (aheadBlockBytes)
	err        error
}

type aheadPacket struct {
	lent     []byte     // the packet in blk, or nil: data[off:end]
	blk      *pkt.Block // lent's block
	off, end int
	m        pkt.Meta
}

// release gives back the batch's blocks.
func (b *aheadBatch) release() {
	for i, blk := range b.blocks {
		blk.Release()
		b.blocks[i] = nil
	}
	b.blocks, b.lentBytes, b.blockBytes = b.blocks[:0], 0, 0
}

// ahead is a pkt.Source reading src ahead in a goroutine. Next's data stays
// valid until the next call to Next, as the pkt.Source contract says. stop
// must be called once the consumer is done (it waits for the goroutine);
// Close stops it and closes src.
type ahead struct {
	src  pkt.Source
	full chan *aheadBatch
	free chan *aheadBatch
	quit chan struct{}
	done chan struct{}
	once sync.Once

	cur   *aheadBatch
	i     int
	lent  *pkt.Block // the block of the packet Next returned last
	ended bool
}

// newAhead starts reading src ahead.
func newAhead(src pkt.Source) *ahead {
	a := &ahead{src: src, full: make(chan *aheadBatch, aheadBatches), free: make(chan *aheadBatch, aheadBatches),
		quit: make(chan struct{}), done: make(chan struct{})}
	for range aheadBatches {
		a.free <- &aheadBatch{data: make([]byte, 0, aheadBytes+64<<10), pkts: make([]aheadPacket, 0, aheadPackets)}
	}
	go a.read()
	return a
}

// read fills batches until the source ends with an error other than
// pkt.ErrIdle (a live source with no packet for now: reading goes on), or
// stop.
func (a *ahead) read() {
	defer close(a.done)
	lender, _ := a.src.(pkt.Lender)
	for {
		var b *aheadBatch
		select {
		case b = <-a.free:
		case <-a.quit:
			return
		}
		b.data, b.pkts, b.err = b.data[:0], b.pkts[:0], nil
		for len(b.pkts) < aheadPackets && len(b.data)+b.lentBytes < aheadBytes {
			data, m, err := a.src.Next()
			if err != nil {
				b.err = err
				break
			}
			if lender != nil && len(data) > 0 {
				if blk := lender.Lent(); blk != nil {
					n := len(b.blocks)
					held := n > 0 && b.blocks[n-1] == blk
					if held || b.blockBytes+len(blk.Data) <= aheadBlockBytes {
						if !held {
							blk.Retain()
							b.blocks = append(b.blocks, blk)
							b.blockBytes += len(blk.Data)
						}
						b.lentBytes += len(data)
						b.pkts = append(b.pkts, aheadPacket{lent: data, blk: blk, m: m})
						continue
					}
				}
			}
			off := len(b.data)
			b.data = append(b.data, data...)
			b.pkts = append(b.pkts, aheadPacket{off: off, end: len(b.data), m: m})
		}
		err := b.err // b is the consumer's once sent
		select {
		case a.full <- b:
		case <-a.quit:
			return
		}
		if err != nil && !errors.Is(err, pkt.ErrIdle) {
			return
		}
	}
}

// Next implements pkt.Source: the packets of src in order, then its error
// at the same position; io.EOF after an error other than pkt.ErrIdle.
func (a *ahead) Next() ([]byte, pkt.Meta, error) {
	for {
		if b := a.cur; b != nil {
			if a.i < len(b.pkts) {
				p := &b.pkts[a.i]
				a.i++
				a.lent = p.blk
				if p.lent != nil {
					return p.lent, p.m, nil
				}
				return b.data[p.off:p.end:p.end], p.m, nil
			}
			err := b.err
			b.err = nil
			a.cur, a.lent = nil, nil
			b.release()
			a.free <- b // never blocks: aheadBatches batches, aheadBatches slots
			if err != nil {
				if !errors.Is(err, pkt.ErrIdle) {
					a.ended = true
				}
				return nil, pkt.Meta{}, err
			}
		}
		if a.ended {
			return nil, pkt.Meta{}, io.EOF
		}
		a.cur, a.i = <-a.full, 0
	}
}

// Lent returns the source's block holding the packet Next returned last
// (pkt.Lender), nil when it was copied: the packet stays valid while the
// caller holds the block, after the batch is released.
func (a *ahead) Lent() *pkt.Block { return a.lent }

// stop ends the reading goroutine and waits for it: src is then only
// the caller's again (its counters can be read, it can be closed).
func (a *ahead) stop() {
	a.once.Do(func() { close(a.quit) })
	<-a.done
}

// Close implements pkt.Source: stop, then close src.
func (a *ahead) Close() error {
	a.stop()
	return a.src.Close()
}

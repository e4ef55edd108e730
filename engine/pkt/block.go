package pkt

import "sync/atomic"

// Block is a reference-counted buffer holding the bytes of a Lender's
// packets (issue 14: probe.Workers hands packets to its workers without
// copying them). The Lender holds a reference while it reads into the
// block; whoever keeps a packet beyond the next call to Next takes one
// with Retain and gives it back with Release. The block's memory is
// written again only once every reference has been released.
type Block struct {
	// Data is the block's memory.
	Data    []byte
	refs    atomic.Int32
	recycle func(*Block)
}

// NewBlock returns a block of n bytes holding one reference (its
// creator's). recycle, when not nil, receives the block when its last
// reference is released, from the goroutine that released it.
func NewBlock(n int, recycle func(*Block)) *Block {
	b := &Block{Data: make([]byte, n), recycle: recycle}
	b.refs.Store(1)
	return b
}

// Retain takes one more reference to the block.
func (b *Block) Retain() { b.refs.Add(1) }

// Release gives back one reference; the last one hands the block to its
// recycle function.
func (b *Block) Release() {
	if b.refs.Add(-1) == 0 && b.recycle != nil {
		b.recycle(b)
	}
}

// Shared reports whether anyone but the caller, which holds one
// reference, holds the block.
func (b *Block) Shared() bool { return b.refs.Load() > 1 }

// Reuse gives a recycled block (no reference left) one reference again,
// its new holder's.
func (b *Block) Reuse() { b.refs.Store(1) }

// Lender is a Source that can lend its packets beyond the next call to
// Next: their bytes are in Blocks.
type Lender interface {
	Source
	// Lent returns the block holding the bytes of the packet Next (or
	// NextInto) returned last, or nil if that packet is not in a block
	// (its bytes are then valid only until the next call). The caller
	// keeps them valid after the next call by calling Retain on the block
	// before it, and Release once done with them.
	Lent() *Block
}

// ReadAheader is a Source that can read its input ahead of Next in a
// goroutine of its own (issue 14: the read system calls leave the
// consumer's goroutine; the packets, their metadata, their order, the
// errors and Lent are unchanged). ReadAhead starts it and returns stop,
// which ends it and waits for it: the source is then read in the
// caller's goroutine again, from where Next left off, and can be closed.
// A source that cannot read ahead (a pipe, whose read a stop would wait
// on) returns nil.
type ReadAheader interface {
	Source
	ReadAhead() (stop func())
}

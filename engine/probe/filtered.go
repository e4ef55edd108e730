package probe

import (
	"errors"

	"github.com/tmonbench/tmonbench/engine/dissect"
	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Filtered is a pkt.Source that passes only the packets a pcap-filter
// expression accepts (tcpdump's trailing expression, `--filter`): replay
// applies it this way, and live capture when the kernel cannot run the
// compiled program (filter.Compile refused it). It dissects each packet
// once more than the probe does. Malformed packets pass, as with a kernel
// program: the probe counts them. Close closes the wrapped source.
type Filtered struct {
	pkt.Source
	expr    filter.Expr
	ds      *dissect.Dissector
	d       dissect.Dissection
	dropped uint64
	lender  pkt.Lender // Source, when it lends its packets
	firstNs int64      // capture time of the first packet read, passed or not
	seen    bool       // a packet was read
}

// NewFiltered wraps src with the expression e.
func NewFiltered(src pkt.Source, e filter.Expr) *Filtered {
	l, _ := src.(pkt.Lender)
	return &Filtered{Source: src, expr: e, ds: dissect.New(), lender: l}
}

// Lent returns the wrapped source's block of the packet Next returned
// last (pkt.Lender), nil when it lends none.
func (f *Filtered) Lent() *pkt.Block {
	if f.lender == nil {
		return nil
	}
	return f.lender.Lent()
}

// ReadAhead reads the wrapped source ahead when it can
// (pkt.ReadAheader: replay.File); nil otherwise. The expression is still
// matched in the caller's goroutine.
func (f *Filtered) ReadAhead() (stop func()) {
	if ra, ok := f.Source.(pkt.ReadAheader); ok {
		return ra.ReadAhead()
	}
	return nil
}

// Next returns the next packet the expression accepts, or the wrapped
// source's error.
func (f *Filtered) Next() ([]byte, pkt.Meta, error) {
	for {
		data, m, err := f.Source.Next()
		if err != nil {
			return data, m, err
		}
		if !f.seen {
			f.firstNs, f.seen = m.TimeNs, true
		}
		if err := f.ds.Dissect(data, m, &f.d); errors.Is(err, dissect.ErrMalformed) || f.expr.Match(&f.d) {
			return data, m, nil
		}
		f.dropped++
	}
}

// First returns the capture time of the first packet read from the
// wrapped source, whether the expression passed it or not, and whether
// there was one: the run's time when it left every packet out. Call it as
// Dropped.
func (f *Filtered) First() (timeNs int64, ok bool) { return f.firstNs, f.seen }

// Dropped returns how many packets the expression left out so far. Call
// it from the goroutine that calls Next, or after the source is drained.
func (f *Filtered) Dropped() uint64 { return f.dropped }

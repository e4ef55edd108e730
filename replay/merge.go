package replay

import (
	"errors"
	"fmt"
	"io"

	"github.com/tmonbench/tmonbench/engine/pkt"
)

// Merged interleaves several sources in capture-time order. It implements
// pkt.Source. Not safe for concurrent use.
type Merged struct {
	srcs    []pkt.Source
	heads   []head
	started bool
	last    int
	errs    []error
	ended   bool // the joined error (or io.EOF) has been returned
	// one is the single source when it fills Metas in place (NextInto).
	one pkt.MetaSource
}

// head is the next packet of one source, borrowed from it: the source is
// not advanced again until that packet has been returned and the caller
// calls Next once more.
type head struct {
	data []byte
	m    pkt.Meta
	ok   bool
}

// Merge returns a source yielding the packets of srcs ordered by
// Meta.TimeNs (a k-way merge: each source must itself be in capture order).
// Ties keep the order of srcs: at equal times, srcs[0]'s packet comes
// first. Meta is passed through untouched, so the caller sets each
// source's interface beforehand (see WithIface); Last tells which source a
// packet came from.
//
// A source that fails (for instance a truncated capture) is dropped and its
// error recorded; the others go on to their ends, so nothing they hold is
// lost. When every source has ended, Next returns errors.Join of the
// recorded errors (each "replay: merge source I: ..." wrapping the
// source's error, so errors.Is(err, pkt.ErrTruncated) works) if there were
// any, and io.EOF from then on (or straight away if there were none).
func Merge(srcs ...pkt.Source) *Merged {
	g := &Merged{srcs: srcs, heads: make([]head, len(srcs)), last: -1}
	if len(srcs) == 1 {
		g.one, _ = srcs[0].(pkt.MetaSource)
	}
	return g
}

// NextInto is Next filling *m in place (pkt.MetaSource): the packets of a
// single source that has NextInto pass straight through without a copy.
func (g *Merged) NextInto(m *pkt.Meta) (data []byte, err error) {
	if g.one != nil && g.last == 0 {
		if data, err = g.one.NextInto(m); err == nil {
			return data, nil
		}
		data, *m, err = g.endOne(err)
		return data, err
	}
	data, *m, err = g.Next()
	return data, err
}

// Next returns the earliest pending packet of all sources. data is
// borrowed until the next call.
func (g *Merged) Next() (data []byte, m pkt.Meta, err error) {
	if len(g.srcs) == 1 && g.last == 0 {
		// One source (replay of one file) has nothing to merge: its packets
		// pass straight through. The results are named so that the source's
		// Meta lands in them, not in a copy (a copy per layer of sources
		// costs more than the merge, issue 14).
		if data, m, err = g.srcs[0].Next(); err == nil {
			return data, m, nil
		}
		return g.endOne(err)
	}
	if len(g.srcs) == 1 {
		return g.startOne()
	}
	if !g.started {
		g.started = true
		for i := range g.srcs {
			g.fill(i)
		}
	} else if g.last >= 0 {
		g.fill(g.last)
	}
	best := -1
	for i := range g.heads {
		if g.heads[i].ok && (best < 0 || g.heads[i].m.TimeNs < g.heads[best].m.TimeNs) {
			best = i
		}
	}
	g.last = best
	if best < 0 {
		return g.end()
	}
	h := &g.heads[best]
	h.ok = false
	return h.data, h.m, nil
}

// startOne is Next for a single source before its first packet and after
// its end, with Last, the recorded error and the end as Next gives them for
// several sources (TestMergeOne).
func (g *Merged) startOne() ([]byte, pkt.Meta, error) {
	if !g.started {
		g.started = true
		data, m, err := g.srcs[0].Next()
		if err == nil {
			g.last = 0
			return data, m, nil
		}
		return g.endOne(err)
	}
	return g.end()
}

// endOne records the single source's error (err != nil) and ends.
func (g *Merged) endOne(err error) ([]byte, pkt.Meta, error) {
	g.last = -1
	if err != io.EOF {
		g.errs = append(g.errs, fmt.Errorf("replay: merge source %d: %w", 0, err))
	}
	return g.end()
}

// end returns the joined errors once, if there were any, then io.EOF.
func (g *Merged) end() ([]byte, pkt.Meta, error) {
	if !g.ended && len(g.errs) > 0 {
		g.ended = true
		return nil, pkt.Meta{}, errors.Join(g.errs...)
	}
	g.ended = true
	return nil, pkt.Meta{}, io.EOF
}

// fill advances source i, recording any error other than io.EOF.
func (g *Merged) fill(i int) {
	data, m, err := g.srcs[i].Next()
	if err != nil {
		g.heads[i] = head{}
		if err != io.EOF {
			g.errs = append(g.errs, fmt.Errorf("replay: merge source %d: %w", i, err))
		}
		return
	}
	g.heads[i] = head{data: data, m: m, ok: true}
}

// Single returns the source of a merge of one, whose packets, Meta and
// end Next passes through unchanged (the error wrapped): a reader that
// knows which input the packets come from may read it directly, a call
// level less per packet. nil for several sources.
func (g *Merged) Single() pkt.Source {
	if len(g.srcs) == 1 {
		return g.srcs[0]
	}
	return nil
}

// Last returns the index in Merge's srcs of the source of the packet the
// last call to Next returned, or -1 before the first packet and after the
// end.
func (g *Merged) Last() int { return g.last }

// Errs returns the errors of the sources that failed so far, in the order
// met, each wrapping the source's error. The slice is a copy.
func (g *Merged) Errs() []error {
	return append([]error(nil), g.errs...)
}

// Close closes every source and returns their errors joined.
func (g *Merged) Close() error {
	var errs []error
	for _, s := range g.srcs {
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// WithIface returns src with iface added to every packet's Meta.Iface. A
// single-interface source (classic pcap, a live interface) then carries
// exactly iface; interface k of a multi-interface pcapng carries iface+k.
// Use it to give each of several sources its own interface numbers before
// Merge.
func WithIface(src pkt.Source, iface uint16) pkt.Source {
	return &ifaceSource{src: src, base: iface}
}

type ifaceSource struct {
	src  pkt.Source
	base uint16
}

func (s *ifaceSource) Next() ([]byte, pkt.Meta, error) {
	data, m, err := s.src.Next()
	m.Iface += s.base
	return data, m, err
}

func (s *ifaceSource) Close() error { return s.src.Close() }

package probe

import "github.com/tmonbench/tmonbench/engine/pdu"

// defOnce is the Publisher of a Workers run: it passes everything on to
// out but a MetricDef whose id it already passed on since the last Hello.
// Every worker that uses a run-time metric defines it; once is what the
// collector needs, and the MetricDef records (pdu_stats) are then the same
// for any number of workers. A Hello (the run's start, or the definitions
// a collector restart asks for again) starts afresh.
type defOnce struct {
	out     pdu.Publisher
	defined map[uint32]bool
	enc     pdu.Enc // a MetricDef, until End decides
}

var _ pdu.Publisher = (*defOnce)(nil)

// Begin returns out's encoder, or defOnce's own for a MetricDef.
func (o *defOnce) Begin(t pdu.Type, nowNs int64) *pdu.Enc {
	switch t {
	case pdu.TypeHello:
		clear(o.defined)
	case pdu.TypeMetricDef:
		o.enc.B = o.enc.B[:0]
		return &o.enc
	}
	return o.out.Begin(t, nowNs)
}

// End ends the record, passing a MetricDef on if its id is new.
func (o *defOnce) End(t pdu.Type, nowNs int64) {
	if t == pdu.TypeMetricDef {
		d := pdu.Dec{B: o.enc.B}
		id := uint32(d.Uvarint())
		if o.defined[id] {
			return
		}
		o.defined[id] = true
		e := o.out.Begin(t, nowNs)
		e.B = append(e.B, o.enc.B...)
	}
	o.out.End(t, nowNs)
}

// Tick passes the clock step on.
func (o *defOnce) Tick(nowNs int64) { o.out.Tick(nowNs) }

// Flush passes the flush on.
func (o *defOnce) Flush(nowNs int64) { o.out.Flush(nowNs) }

// FlushType passes the flush on.
func (o *defOnce) FlushType(t pdu.Type, nowNs int64) { o.out.FlushType(t, nowNs) }

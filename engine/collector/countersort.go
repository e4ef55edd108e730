package collector

import (
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// countersOrder follows, as flow_counters rows are decoded, whether the
// batch's rows are in the order take sorts them into (probe, flow,
// interval, metric name; equal rows in decoding order), so that take
// need not sort them: a probe reports an interval's flows in flow id
// order, and addCounters appends each record's metrics in name order.
// Sorting rows already in order cost a tenth of the collector's
// instructions on the 5M corpus (comparing, and moving every record's
// rows from the probe's metric order to name order: issue 14). Any doubt
// leaves the rows to take's sort (sortRuns), which gives the same order:
// rows from another probe or probe name, a record not after the previous
// one, a probe or metric named by a placeholder (resolved at the drain:
// rows in order have none, and resolve skips them), or rows
// the collector did not append itself (a recycled, held or restored
// batch: the count differs).
type countersOrder struct {
	ok    bool // rows [0, n) of the batch are in take's order
	n     int
	pid   uint16
	probe string
	flow  uint64
	start int64
	// The labels (names and units) of the last record's metrics, by the
	// probe and its metric definitions (p, gen) and the ids: a probe's
	// records name the same metrics in the same order. perm is their
	// order by name (position i takes metric perm[i]), nil when a name is
	// a placeholder or there are too many.
	p       *probeState
	gen     uint64
	ids     []uint32
	labels  []metricLabel
	perm    []uint8
	permBuf []uint8 // perm's storage
	// never appends rows in the probe's metric order and makes take sort
	// every batch, as before countersOrder (tests compare with it).
	never bool
}

// maxOrdered is the most metrics of a record addCounters puts in order;
// a record with more leaves its batch to take's sort.
const maxOrdered = 64

// sorted reports whether a batch of n flow_counters rows is in take's
// order.
func (o *countersOrder) sorted(n int) bool { return o.ok && o.n == n && !o.never }

// learn sets o.labels and o.perm for the metrics ms of probe p, unless
// they are those of the last record.
func (o *countersOrder) learn(p *probeState, ms []pdu.Metric) {
	if o.p == p && o.gen == p.mgen && len(o.ids) == len(ms) {
		same := true
		for i := range ms {
			if o.ids[i] != ms[i].ID {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	o.p, o.gen = p, p.mgen
	o.ids, o.labels, o.perm = o.ids[:0], o.labels[:0], nil
	refs := false
	for _, m := range ms {
		name, unit := p.metricNameUnit(m.ID)
		o.ids = append(o.ids, m.ID)
		o.labels = append(o.labels, metricLabel{name: name, unit: unit})
		refs = refs || isRef(name)
	}
	if refs || len(ms) > maxOrdered {
		return
	}
	perm := o.permBuf[:0]
	for i := range ms {
		perm = append(perm, uint8(i))
	}
	for i := 1; i < len(perm); i++ {
		for j := i; j > 0 && o.labels[perm[j-1]].name > o.labels[perm[j]].name; j-- {
			perm[j-1], perm[j] = perm[j], perm[j-1]
		}
	}
	o.permBuf, o.perm = perm, perm
}

// follow notes a record of probe pid (rows labelled probe) appended to a
// batch of n rows, in name order without placeholders or not (ordered).
func (o *countersOrder) follow(n int, pid uint16, probe string, r *pdu.Counters, ordered bool) {
	switch {
	case n == 0:
		o.ok = true
	case n != o.n || pid != o.pid || probe != o.probe || r.FlowID < o.flow || r.FlowID == o.flow && r.IntervalStartNs <= o.start:
		o.ok = false
	}
	o.ok = o.ok && ordered
	o.pid, o.probe, o.flow, o.start = pid, probe, r.FlowID, r.IntervalStartNs
}

// addCounters appends the flow_counters rows of r, a record of probe pid,
// its metrics in name order when it can (countersOrder).
func (c *Collector) addCounters(pid uint16, p *probeState, r *pdu.Counters) {
	if !c.flows.Has(flowKey{pid, r.FlowID}) {
		c.stats.UnknownFlow++
	}
	if len(r.Metrics) == 0 {
		return
	}
	o := &c.counterOrder
	if o.never {
		o.p = nil // labels looked up for each record, as before
	}
	o.learn(p, r.Metrics)
	labels, perm, probe := o.labels, o.perm, p.label()
	if o.never {
		perm = nil
	}
	o.follow(len(c.batch.FlowCounters), pid, probe, r, perm != nil && !isRef(probe))
	rows := room(c.batch.FlowCounters, len(r.Metrics))
	intervalS := float64(r.IntervalNs) / 1e9
	for i := range r.Metrics {
		k := i
		if perm != nil {
			k = int(perm[i])
		}
		m, l := &r.Metrics[k], &labels[k]
		rows = append(rows, observe.FlowCounter{
			Probe: probe, FlowID: r.FlowID, IntervalStart: r.IntervalStartNs, IntervalS: intervalS,
			Metric: l.name, Unit: l.unit, N: m.Stat.N, Sum: m.Stat.Sum, SumSq: m.Stat.SumSq, Min: m.Stat.Min, Max: m.Stat.Max,
		})
	}
	c.batch.FlowCounters = rows
	o.n = len(rows)
}

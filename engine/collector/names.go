package collector

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// refPrefix starts the placeholders rows carry for probe, interface and
// metric names until Finish: PDUs may arrive out of order over a lossy link
// (a probe's Hello or a MetricDef after the observations that use them),
// so names are resolved once everything has arrived.
const refPrefix = "\x00"

// refRe finds placeholders inside event messages.
var refRe = regexp.MustCompile("\x00[pim][0-9]+(/[0-9]+)?")

// ifaceRef is the placeholder of interface index i of the probe.
func (p *probeState) ifaceRef(i uint16) string {
	return refPrefix + "i" + strconv.Itoa(int(p.id)) + "/" + strconv.Itoa(int(i))
}

// label is the probe's name once its Hello arrived, else its placeholder
// (rows then need no resolving at Drain).
func (p *probeState) label() string {
	if p.hello {
		return p.name
	}
	return p.ref
}

// ifaceLabel is interface i's name once known, else its placeholder.
func (p *probeState) ifaceLabel(i uint16) string {
	if p.hello && int(i) < len(p.ifaces) {
		return p.ifaces[i]
	}
	return p.ifaceRef(i)
}

// metricLabel is metric m's name once defined, else its placeholder.
func (p *probeState) metricLabel(m uint32) string {
	if n, ok := p.metrics[m]; ok {
		return n
	}
	return p.metricRef(m)
}

// metricCached bounds the metric ids whose label and unit a probe caches
// (probeState.mlabels); the probes number their metrics from 0.
const metricCached = 256

// metricLabel is a metric's name in rows and its unit, cached.
type metricLabel struct {
	name, unit string
	ok         bool
}

// metricNameUnit returns metricLabel(m) and its unit (observe.MetricUnit),
// from a cache for the ids below metricCached: two map lookups per
// flow_counters row were a tenth of the collector's decoding (issue 14).
// A definition of m (forgetMetric) drops its entry.
func (p *probeState) metricNameUnit(m uint32) (name, unit string) {
	if m < metricCached && int(m) < len(p.mlabels) && p.mlabels[m].ok {
		l := &p.mlabels[m]
		return l.name, l.unit
	}
	name = p.metricLabel(m)
	unit = observe.MetricUnit(name)
	if m < metricCached {
		if int(m) >= len(p.mlabels) {
			p.mlabels = append(p.mlabels, make([]metricLabel, int(m)+1-len(p.mlabels))...)
		}
		p.mlabels[m] = metricLabel{name: name, unit: unit, ok: true}
	}
	return name, unit
}

// forgetMetric drops the cached label of metric m (its definition came).
func (p *probeState) forgetMetric(m uint32) {
	p.mgen++
	if int(m) < len(p.mlabels) {
		p.mlabels[m] = metricLabel{}
	}
}

// metricRef is the placeholder of metric id m of the probe (cached: one
// per metric, not one per row).
func (p *probeState) metricRef(m uint32) string {
	if r, ok := p.mrefs[m]; ok {
		return r
	}
	r := refPrefix + "m" + strconv.Itoa(int(p.id)) + "/" + strconv.FormatUint(uint64(m), 10)
	if p.mrefs == nil {
		p.mrefs = map[uint32]string{}
	}
	p.mrefs[m] = r
	return r
}

// name resolves a placeholder (or returns s unchanged). Inlined: resolve
// calls it on every row's names, nearly never placeholders (a call per
// name was 4 % of the collector's instructions on the 5M corpus, issue
// 14).
func (c *Collector) name(s string) string {
	if len(s) < 3 || s[0] != refPrefix[0] { // !isRef(s), cheaper for the inliner
		return s
	}
	return c.resolveRef(s)
}

// isRef reports whether s has the form of a placeholder.
func isRef(s string) bool { return len(s) >= 3 && s[0] == refPrefix[0] }

// resolveRef is name for a placeholder.
func (c *Collector) resolveRef(s string) string {
	if n, ok := c.names[s]; ok {
		return n
	}
	n := c.lookupName(s)
	if c.names != nil {
		c.names[s] = n
	}
	return n
}

func (c *Collector) lookupName(s string) string {
	kind, rest := s[1], s[2:]
	idStr, sub, _ := strings.Cut(rest, "/")
	id, err := strconv.Atoi(idStr)
	if err != nil {
		return s
	}
	p := c.probe(uint16(id))
	switch kind {
	case 'p':
		return p.name
	case 'i':
		i, _ := strconv.Atoi(sub)
		if i < len(p.ifaces) {
			return p.ifaces[i]
		}
		return unnamedIface(i)
	case 'm':
		m, _ := strconv.ParseUint(sub, 10, 32)
		if n, ok := p.metrics[uint32(m)]; ok {
			return n
		}
		return "metric_" + sub
	}
	return s
}

// known reports whether a placeholder can be resolved now (its probe's
// Hello, interface or metric definition arrived); plain strings are known.
func (c *Collector) known(s string) bool {
	if !strings.HasPrefix(s, refPrefix) || len(s) < 3 {
		return true
	}
	idStr, sub, _ := strings.Cut(s[2:], "/")
	id, err := strconv.Atoi(idStr)
	if err != nil {
		return true
	}
	p := c.probes[uint16(id)]
	if p == nil || !p.hello {
		return false
	}
	if s[1] == 'm' {
		m, _ := strconv.ParseUint(sub, 10, 32)
		_, ok := p.metrics[uint32(m)]
		return ok
	}
	return true
}

// split keeps in place the rows whose names resolve now and moves the
// others to held (kept for a later Drain): no row is copied when all are
// ready, the common case.
func split[T any](rows []T, ready func(*T) bool) (r, held []T) {
	w := 0
	for i := range rows {
		if ready(&rows[i]) {
			if w != i {
				rows[w] = rows[i]
			}
			w++
		} else {
			held = append(held, rows[i])
		}
	}
	clear(rows[w:])
	return rows[:w], held
}

// holdUnresolved moves out of b the rows whose names cannot be resolved
// yet (over a lossy link a definition may arrive after its observations)
// and returns them.
func (c *Collector) holdUnresolved(b *observe.Batch) observe.Batch {
	var h observe.Batch
	if c.allKnown() {
		return h // every placeholder in use resolves: nothing to hold
	}
	b.FlowCounters, h.FlowCounters = split(b.FlowCounters, func(r *observe.FlowCounter) bool { return c.known(r.Probe) && c.known(r.Metric) })
	b.Events, h.Events = split(b.Events, func(r *observe.Event) bool {
		rest, _ := strings.CutPrefix(r.Source, "probe:")
		return c.known(rest)
	})
	b.SizeHistograms, h.SizeHistograms = split(b.SizeHistograms, func(r *observe.SizeHistogram) bool { return c.known(r.Probe) })
	b.TCPConnections, h.TCPConnections = split(b.TCPConnections, func(r *observe.TCPConnection) bool { return c.known(r.Probe) })
	b.RTTSamples, h.RTTSamples = split(b.RTTSamples, func(r *observe.RTTSample) bool { return c.known(r.Probe) })
	b.RTTHistograms, h.RTTHistograms = split(b.RTTHistograms, func(r *observe.RTTHistogram) bool { return c.known(r.Probe) })
	b.FTPSessions, h.FTPSessions = split(b.FTPSessions, func(r *observe.FTPSession) bool { return c.known(r.Probe) })
	b.FTPTransfers, h.FTPTransfers = split(b.FTPTransfers, func(r *observe.FTPTransfer) bool { return c.known(r.Probe) })
	b.PDUStats, h.PDUStats = split(b.PDUStats, func(r *observe.PDUStat) bool { return c.known(r.Probe) })
	return h
}

// allKnown reports whether every placeholder rows may carry resolves now:
// each probe's Hello arrived and every metric it used is defined.
func (c *Collector) allKnown() bool {
	for _, p := range c.probes {
		if !p.hello {
			return false
		}
		for m := range p.mrefs {
			if _, ok := p.metrics[m]; !ok {
				return false
			}
		}
	}
	return true
}

// resolve replaces the placeholders of every row by names.
func (c *Collector) resolve(b *observe.Batch) {
	if c.namesMap == nil {
		c.namesMap = map[string]string{}
	}
	clear(c.namesMap) // names are fixed for the duration of one resolve
	c.names = c.namesMap
	defer func() { c.names = nil }()
	for i := range b.Flows {
		b.Flows[i].Probe, b.Flows[i].Interface = c.name(b.Flows[i].Probe), c.name(b.Flows[i].Interface)
	}
	for i := range b.FlowCounters {
		if i == 0 && c.counterOrder.sorted(len(b.FlowCounters)) {
			break // decoded without placeholders (countersOrder)
		}
		r := &b.FlowCounters[i]
		r.Probe = c.name(r.Probe)
		if m := c.name(r.Metric); m != r.Metric { // a placeholder: its unit was the placeholder's
			r.Metric, r.Unit = m, observe.MetricUnit(m)
		}
	}
	for i := range b.Events {
		e := &b.Events[i]
		if rest, ok := strings.CutPrefix(e.Source, "probe:"); ok {
			e.Source = "probe:" + c.name(rest)
		}
		if strings.Contains(e.Message, refPrefix) {
			e.Message = refRe.ReplaceAllStringFunc(e.Message, c.name)
		}
	}
	for i := range b.SizeHistograms {
		b.SizeHistograms[i].Probe = c.name(b.SizeHistograms[i].Probe)
	}
	for i := range b.TCPConnections {
		b.TCPConnections[i].Probe, b.TCPConnections[i].Interface = c.name(b.TCPConnections[i].Probe), c.name(b.TCPConnections[i].Interface)
	}
	for i := range b.RTTSamples {
		b.RTTSamples[i].Probe = c.name(b.RTTSamples[i].Probe)
	}
	for i := range b.RTTHistograms {
		b.RTTHistograms[i].Probe = c.name(b.RTTHistograms[i].Probe)
	}
	for i := range b.FTPSessions {
		b.FTPSessions[i].Probe = c.name(b.FTPSessions[i].Probe)
	}
	for i := range b.FTPTransfers {
		b.FTPTransfers[i].Probe = c.name(b.FTPTransfers[i].Probe)
	}
	for i := range b.PDUStats {
		b.PDUStats[i].Probe = c.name(b.PDUStats[i].Probe)
	}
}

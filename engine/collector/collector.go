package collector

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/ftp"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/rtt"
	"github.com/tmonbench/tmonbench/engine/tcpconn"
)

// Stats counts what the collector received and decoded.
type Stats struct {
	Receiver    pdu.ReceiverStats
	Records     uint64 // records decoded from fresh PDUs
	BadRecords  uint64 // PDUs whose records failed to decode
	UnknownFlow uint64 // observations for a flow whose definition had not arrived yet
	// OnewayNotOnPath counts observations from a probe interface that is
	// not one of its class's hops; OnewayUndefined those dropped because
	// too many waited for their flow definition.
	OnewayNotOnPath uint64
	OnewayUndefined uint64
}

type probeState struct {
	hello   bool // its Hello arrived (name and interfaces known)
	id      uint16
	ref     string // placeholder for the name in rows until Finish (definitions may arrive late)
	name    string
	ifaces  []string
	metrics map[uint32]string
	mrefs   map[uint32]string // metricRef cache
	hists   map[uint32]pdu.HistDef
}

type flowKey struct {
	probe uint16
	id    uint64
}

// Collector is the collector engine (design 4): it checks, acknowledges
// and de-duplicates PDUs, decodes their records and accumulates the rows of
// every table. It is not safe for concurrent use.
type Collector struct {
	log    *slog.Logger
	rx     *pdu.Receiver
	probes map[uint16]*probeState
	flows  map[flowKey]*observe.Flow
	batch  observe.Batch
	stats  Stats

	counters pdu.Counters
	names    map[string]string // placeholder -> name, during resolve
	lastNs   int64             // the latest probe clock seen (PDU build times): the collector's capture-time clock
	authBad  uint64            // unauthenticated frames already reported in an event
	ow       *owState
	ended    map[flowKey]struct{} // flows the probe ended (idle, evicted): written at the next Drain
	retired  map[flowKey]struct{} // flows written out by a Drain: later updates are ignored
	hists    []pendingHist        // size histograms, expanded at Finish once their slices are known
}

type pendingHist struct {
	probe uint16
	h     pdu.Histogram
}

// New returns an empty collector for cfg (its one-way classes are
// reconciled here, design 4.3). Errors: a one-way class the reconciler
// cannot run.
func New(cfg *config.Config, log *slog.Logger) (*Collector, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{log: log, rx: pdu.NewReceiver(), probes: map[uint16]*probeState{}, flows: map[flowKey]*observe.Flow{}, ow: newOwState(),
		ended: map[flowKey]struct{}{}, retired: map[flowKey]struct{}{}}
	if cfg != nil {
		if err := c.setupOneway(cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// SetKeys sets the probes' shared HMAC keys by probe id: from then on only
// frames from those probes with valid tags are accepted (issue 6).
func (c *Collector) SetKeys(keys map[uint16][]byte) error { return c.rx.SetKeys(keys) }

// Stats returns the collector's counters.
func (c *Collector) Stats() Stats {
	s := c.stats
	s.Receiver = c.rx.Stats()
	return s
}

// Handle processes one frame from a probe and returns the acknowledgement
// to send back (nil for bad frames and heartbeats). ack is valid until the
// next call.
func (c *Collector) Handle(frame []byte) (ack []byte) {
	return c.accept(c.rx.Handle(frame))
}

// accept decodes a PDU the receiver found fresh and returns its ack.
func (c *Collector) accept(ack []byte, h pdu.Header, payload []byte, fresh bool, err error) []byte {
	if err == nil && h.BuildTimeNs > c.lastNs {
		c.lastNs = h.BuildTimeNs
	}
	if err != nil || !fresh {
		return ack
	}
	if err := c.decode(h, payload); err != nil {
		c.stats.BadRecords++
		c.event(h.BuildTimeNs, observe.SevError, "pdu_bad_records", fmt.Sprintf("probe %d PDU %d (%s): %v", h.ProbeID, h.ID, h.Type, err))
	}
	c.advanceOneway(h)
	return ack
}

func (c *Collector) probe(id uint16) *probeState {
	p := c.probes[id]
	if p == nil {
		p = &probeState{id: id, ref: refPrefix + "p" + strconv.Itoa(int(id)), name: "probe-" + strconv.Itoa(int(id)), metrics: map[uint32]string{}, hists: map[uint32]pdu.HistDef{}}
		c.probes[id] = p
	}
	return p
}

func (c *Collector) event(t int64, sev, kind, msg string) {
	c.batch.Events = append(c.batch.Events, observe.Event{Time: t, Source: "collector", Kind: kind, Severity: sev, Message: msg})
}

func (c *Collector) decode(h pdu.Header, payload []byte) error {
	d := pdu.Dec{B: payload}
	p := c.probe(h.ProbeID)
	for !d.Done() {
		switch h.Type {
		case pdu.TypeHello:
			var r pdu.Hello
			r.Decode(&d)
			if d.Err() == nil {
				p.name, p.ifaces, p.hello = r.Probe, r.Interfaces, true
				defer c.replayPending(h.ProbeID)
			}
		case pdu.TypeMetricDef:
			var r pdu.MetricDef
			r.Decode(&d)
			if d.Err() == nil {
				p.metrics[r.ID] = r.Name
			}
		case pdu.TypeHistDef:
			var r pdu.HistDef
			r.Decode(&d)
			if d.Err() == nil {
				p.hists[r.ID] = r
			}
		case pdu.TypeHistograms:
			var r pdu.Histogram
			r.Decode(&d)
			if d.Err() == nil {
				c.hists = append(c.hists, pendingHist{probe: h.ProbeID, h: r})
			}
		case pdu.TypeFlowDef:
			var r pdu.FlowDef
			r.Decode(&d)
			if d.Err() == nil {
				c.defineFlow(h.ProbeID, p, &r)
				c.defineOneway(h.ProbeID, &r)
			}
		case pdu.TypeCounters:
			r := &c.counters
			r.Decode(&d)
			if d.Err() == nil {
				c.addCounters(h.ProbeID, p, r)
			}
		case pdu.TypeFlowUpdate:
			var r pdu.FlowUpdate
			r.Decode(&d)
			if d.Err() == nil {
				c.updateFlow(h.ProbeID, &r)
			}
		case pdu.TypeEvents:
			var r pdu.Event
			r.Decode(&d)
			if d.Err() == nil {
				c.batch.Events = append(c.batch.Events, observe.Event{Time: r.TimeNs, Source: "probe:" + p.ref, Kind: r.Kind, Severity: severity(r.Severity), Message: r.Message})
			}
		case pdu.TypeTCPConn:
			var r observe.TCPConnection
			iface := tcpconn.DecodeConn(&d, &r)
			if d.Err() == nil {
				r.Probe, r.Interface = p.ref, p.ifaceRef(iface)
				c.batch.TCPConnections = append(c.batch.TCPConnections, r)
			}
		case pdu.TypeFTPTransfer:
			decodeRow(&d, ftp.DecodeTransfer, func(r *observe.FTPTransfer) { r.Probe = p.ref }, &c.batch.FTPTransfers)
		case pdu.TypeFTPSession:
			decodeRow(&d, ftp.DecodeSession, func(r *observe.FTPSession) { r.Probe = p.ref }, &c.batch.FTPSessions)
		case pdu.TypeRTTSample:
			decodeRow(&d, rtt.DecodeSample, func(r *observe.RTTSample) { r.Probe = p.ref }, &c.batch.RTTSamples)
		case pdu.TypeRTTHist:
			decodeRow(&d, rtt.DecodeHistogram, func(r *observe.RTTHistogram) { r.Probe = p.ref }, &c.batch.RTTHistograms)
		case pdu.TypeDropped:
			var x oneway.Dropped
			oneway.DecodeDropped(&d, &x)
			if d.Err() == nil {
				c.droppedObs(h.ProbeID, &x)
			}
		case pdu.TypePacketObs:
			if err := c.packetObs(h.ProbeID, payload); err != nil {
				return err
			}
			c.stats.Records++
			return nil
		case pdu.TypeHeartbeat:
			return nil
		default:
			return fmt.Errorf("unexpected PDU type %s", h.Type)
		}
		if d.Err() != nil {
			return d.Err()
		}
		c.stats.Records++
	}
	return nil
}

// decodeRow decodes one row record with decode, lets own fill the
// collector's fields (the probe placeholder) and appends the row to rows.
func decodeRow[T any](d *pdu.Dec, decode func(*pdu.Dec, *T), own func(*T), rows *[]T) {
	var r T
	decode(d, &r)
	if d.Err() == nil {
		own(&r)
		*rows = append(*rows, r)
	}
}

func severity(s uint8) string {
	switch s {
	case 0:
		return observe.SevInfo
	case 1:
		return observe.SevWarning
	}
	return observe.SevError
}

func (c *Collector) defineFlow(pid uint16, p *probeState, r *pdu.FlowDef) {
	k := flowKey{pid, r.FlowID}
	if _, gone := c.retired[k]; gone {
		return
	}
	f := c.flows[k]
	if f == nil {
		f = &observe.Flow{}
		c.flows[k] = f
	}
	*f = observe.Flow{
		FlowID: r.FlowID, Probe: p.ref, Interface: p.ifaceRef(r.Iface), Class: r.Class, Name: FlowName(r),
		IPVersion: r.IPVersion, Protocol: r.Protocol, SrcAddr: addr(r.SrcAddr), DstAddr: addr(r.DstAddr),
		SrcPort: r.SrcPort, DstPort: r.DstPort, FirstSeen: r.FirstSeenNs, LastSeen: max(f.LastSeen, r.FirstSeenNs),
		Packets: f.Packets, Bytes: f.Bytes,
	}
}

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

// name resolves a placeholder (or returns s unchanged).
func (c *Collector) name(s string) string {
	if !strings.HasPrefix(s, refPrefix) || len(s) < 3 {
		return s
	}
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
		return sub
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

// split keeps in ready the rows whose names resolve now and returns the
// others, held for a later Drain.
func split[T any](rows []T, ready func(*T) bool) (r, held []T) {
	r = rows[:0:0]
	for i := range rows {
		if ready(&rows[i]) {
			r = append(r, rows[i])
		} else {
			held = append(held, rows[i])
		}
	}
	return r, held
}

// holdUnresolved moves out of b the rows whose names cannot be resolved
// yet (over a lossy link a definition may arrive after its observations)
// and returns them.
func (c *Collector) holdUnresolved(b *observe.Batch) observe.Batch {
	var h observe.Batch
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
	return h
}

// Rows returns the number of rows accumulated since the last Drain (flows
// excluded): a caller streaming the output drains when it grows.
func (c *Collector) Rows() int {
	b := &c.batch
	return len(b.FlowCounters) + len(b.Events) + len(b.TCPConnections) + len(b.RTTSamples) + len(b.RTTHistograms) +
		len(b.FTPSessions) + len(b.FTPTransfers) + len(b.OnewayDelays) + len(b.OnewayLatency) + len(b.OnewayLoss) + len(c.hists)
}

// resolve replaces the placeholders of every row by names.
func (c *Collector) resolve(b *observe.Batch) {
	c.names = map[string]string{} // names are fixed for the duration of one resolve
	defer func() { c.names = nil }()
	for i := range b.Flows {
		b.Flows[i].Probe, b.Flows[i].Interface = c.name(b.Flows[i].Probe), c.name(b.Flows[i].Interface)
	}
	for i := range b.FlowCounters {
		b.FlowCounters[i].Probe, b.FlowCounters[i].Metric = c.name(b.FlowCounters[i].Probe), c.name(b.FlowCounters[i].Metric)
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
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// FlowName returns the readable name of a flow (design 7), e.g.
// "10.0.0.1:high>10.0.0.2:161/udp" or "[2001:db8::1]:53>[2001:db8::2]:33000/udp";
// fields the class does not split by are written "*".
func FlowName(r *pdu.FlowDef) string {
	var b strings.Builder
	end := func(a netip.Addr, port uint16, hasAddr, hasPort, folded bool) {
		switch {
		case !hasAddr:
			b.WriteString("*")
		case a.Is6() && hasPort:
			b.WriteString("[" + a.String() + "]")
		default:
			b.WriteString(a.String())
		}
		if hasPort {
			b.WriteByte(':')
			if folded {
				b.WriteString("high")
			} else {
				b.WriteString(strconv.Itoa(int(port)))
			}
		}
	}
	ports := r.Protocol == 6 || r.Protocol == 17 || r.Protocol == 132 || r.Fields&pdu.FieldProtocol == 0
	end(r.SrcAddr, r.SrcPort, r.Fields&pdu.FieldSrcAddr != 0 && r.SrcAddr.IsValid(), ports && r.Fields&pdu.FieldSrcPort != 0, r.FoldedPorts&1 != 0)
	b.WriteByte('>')
	end(r.DstAddr, r.DstPort, r.Fields&pdu.FieldDstAddr != 0 && r.DstAddr.IsValid(), ports && r.Fields&pdu.FieldDstPort != 0, r.FoldedPorts&2 != 0)
	if r.Fields&pdu.FieldProtocol != 0 {
		b.WriteByte('/')
		b.WriteString(ProtocolName(r.Protocol))
	}
	if r.Fields&pdu.FieldDSCP != 0 {
		b.WriteString(" dscp " + strconv.Itoa(int(r.DSCP)))
	}
	if r.Fields&pdu.FieldVLAN != 0 {
		b.WriteString(" vlan " + strconv.Itoa(int(r.VLAN)))
	}
	return b.String()
}

// ProtocolName returns the IANA keyword of an IP protocol number in lower
// case (tcp, udp, icmp, ipv6-icmp as "icmp6"), or its number.
func ProtocolName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 2:
		return "igmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 47:
		return "gre"
	case 50:
		return "esp"
	case 51:
		return "ah"
	case 58:
		return "icmp6"
	case 89:
		return "ospf"
	case 103:
		return "pim"
	case 112:
		return "vrrp"
	case 132:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

func (c *Collector) addCounters(pid uint16, p *probeState, r *pdu.Counters) {
	if _, ok := c.flows[flowKey{pid, r.FlowID}]; !ok {
		c.stats.UnknownFlow++
	}
	for _, m := range r.Metrics {
		name := p.metricRef(m.ID)
		c.batch.FlowCounters = append(c.batch.FlowCounters, observe.FlowCounter{
			Probe: p.ref, FlowID: r.FlowID, IntervalStart: r.IntervalStartNs, IntervalS: float64(r.IntervalNs) / 1e9,
			Metric: name, N: m.Stat.N, Sum: m.Stat.Sum, SumSq: m.Stat.SumSq, Min: m.Stat.Min, Max: m.Stat.Max,
		})
	}
}

// addHistogram turns IP size slice counts into size_histograms rows, one
// per non-empty slice.
func (c *Collector) addHistogram(p *probeState, r *pdu.Histogram) {
	def, ok := p.hists[r.DefID]
	if !ok {
		c.stats.UnknownFlow++
		return
	}
	for i, n := range r.Counts {
		if n == 0 {
			continue
		}
		var lo, hi float64
		if i > 0 && i-1 < len(def.Edges) {
			lo = def.Edges[i-1]
		}
		if i < len(def.Edges) {
			hi = def.Edges[i]
		}
		c.batch.SizeHistograms = append(c.batch.SizeHistograms, observe.SizeHistogram{
			Probe: p.ref, FlowID: r.FlowID, IntervalStart: r.IntervalStartNs, IntervalS: float64(r.IntervalNs) / 1e9,
			SliceLoBytes: uint32(lo), SliceHiBytes: uint32(hi), Packets: n,
		})
	}
}

func (c *Collector) updateFlow(pid uint16, r *pdu.FlowUpdate) {
	k := flowKey{pid, r.FlowID}
	if _, gone := c.retired[k]; gone {
		return // already written out as ended
	}
	if r.Ended == pdu.EndIdle || r.Ended == pdu.EndEvicted {
		c.ended[k] = struct{}{}
	}
	f := c.flows[k]
	if f == nil {
		c.stats.UnknownFlow++
		f = &observe.Flow{FlowID: r.FlowID, Probe: c.probe(pid).ref}
		c.flows[flowKey{pid, r.FlowID}] = f
	}
	// Totals are cumulative: keep the largest (PDUs may arrive reordered).
	if r.Packets >= f.Packets {
		f.Packets, f.Bytes = r.Packets, r.Bytes
	}
	if r.LastSeenNs > f.LastSeen {
		f.LastSeen = r.LastSeenNs
	}
}

// Finish returns every row accumulated since the last Drain, and every
// flow with its totals, sorted for stable output: flows by probe and flow
// id, counters by probe, flow, interval and metric, events by time. The
// collector must not be used afterwards.
func (c *Collector) Finish() *observe.Batch {
	return c.take(true)
}

// Drain returns the rows accumulated since the previous Drain (sorted as
// Finish does) and forgets them, for a long-running collector that writes
// as it goes. Flows stay until Finish: their totals still grow. Names
// (probes, interfaces, metrics) are resolved with the definitions received
// so far.
func (c *Collector) Drain() *observe.Batch {
	return c.take(false)
}

// SetEpoch makes acknowledgements carry epoch (the collector's start time):
// probes re-send their definitions when it changes (a restart).
func (c *Collector) SetEpoch(epoch int64) { c.rx.SetEpoch(epoch) }

// HandleAt is Handle at collector time nowNs (Unix ns): liveness counts
// from it (see Liveness).
func (c *Collector) HandleAt(nowNs int64, frame []byte) (ack []byte) {
	return c.accept(c.rx.HandleAt(nowNs, frame))
}

// Liveness turns probes that fell silent for afterNs (no PDU, no
// heartbeat) at collector time nowNs, and probes that spoke again, into
// events (design 4.1: "the probe alive time is refreshed").
func (c *Collector) Liveness(nowNs, afterNs int64) {
	if st := c.rx.Stats(); st.BadAuth+st.Unknown > c.authBad {
		c.event(nowNs, observe.SevWarning, "pdu_unauthenticated", fmt.Sprintf("%d frames refused: unknown probe or bad HMAC tag (%d in all)", st.BadAuth+st.Unknown-c.authBad, st.BadAuth+st.Unknown))
		c.authBad = st.BadAuth + st.Unknown
	}
	c.rx.Liveness(nowNs, afterNs, func(id uint16, lastNs int64, silent bool) {
		p := c.probe(id)
		if silent {
			c.event(nowNs, observe.SevWarning, "probe_silent", fmt.Sprintf("probe %s silent since %s", p.ref, time.Unix(0, lastNs).UTC().Format(time.RFC3339Nano)))
		} else {
			c.event(nowNs, observe.SevInfo, "probe_alive", fmt.Sprintf("probe %s sends again", p.ref))
		}
	})
}

func (c *Collector) take(final bool) *observe.Batch {
	if final {
		c.flushOneway()
	}
	b := &c.batch
	var heldHists []pendingHist
	for _, ph := range c.hists {
		p := c.probe(ph.probe)
		if _, ok := p.hists[ph.h.DefID]; !ok && !final {
			heldHists = append(heldHists, ph)
			continue
		}
		c.addHistogram(p, &ph.h)
	}
	c.hists = heldHists
	var held observe.Batch
	if !final {
		held = c.holdUnresolved(b)
	}
	b.Flows = b.Flows[:0]
	if final {
		for _, f := range c.flows {
			b.Flows = append(b.Flows, *f)
		}
	} else {
		// Flows the probe ended are final: write them now, so a long run
		// does not keep every flow it ever saw.
		for k := range c.ended {
			f := c.flows[k]
			if f != nil && (!c.known(f.Probe) || !c.known(f.Interface) || f.Class == "") {
				continue // its definition or Hello has not arrived yet
			}
			if f != nil {
				b.Flows = append(b.Flows, *f)
				delete(c.flows, k)
			}
			delete(c.ended, k)
			c.retired[k] = struct{}{}
		}
	}
	c.resolve(b)
	slices.SortFunc(b.Flows, func(x, y observe.Flow) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID))
	})
	slices.SortStableFunc(b.FlowCounters, func(x, y observe.FlowCounter) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.IntervalStart, y.IntervalStart), cmp.Compare(x.Metric, y.Metric))
	})
	slices.SortStableFunc(b.SizeHistograms, func(x, y observe.SizeHistogram) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.IntervalStart, y.IntervalStart), cmp.Compare(x.SliceLoBytes, y.SliceLoBytes))
	})
	slices.SortStableFunc(b.TCPConnections, func(x, y observe.TCPConnection) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.Class, y.Class), cmp.Compare(x.ConnID, y.ConnID))
	})
	slices.SortStableFunc(b.FTPSessions, func(x, y observe.FTPSession) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.SessionID, y.SessionID))
	})
	slices.SortStableFunc(b.FTPTransfers, func(x, y observe.FTPTransfer) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.SessionID, y.SessionID), cmp.Compare(x.StartTime, y.StartTime))
	})
	slices.SortStableFunc(b.RTTSamples, func(x, y observe.RTTSample) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.RequestTime, y.RequestTime), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.FlowID, y.FlowID))
	})
	slices.SortStableFunc(b.RTTHistograms, func(x, y observe.RTTHistogram) int {
		return cmp.Or(cmp.Compare(x.Probe, y.Probe), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.IntervalStart, y.IntervalStart), cmp.Compare(x.SliceLoMs, y.SliceLoMs))
	})
	slices.SortStableFunc(b.OnewayDelays, func(x, y observe.OnewayDelay) int {
		return cmp.Or(cmp.Compare(x.Class, y.Class), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.FromHop, y.FromHop), cmp.Compare(x.ToHop, y.ToHop), cmp.Compare(ptr(x.SendTime), ptr(y.SendTime)), cmp.Compare(ptr(x.RecvTime), ptr(y.RecvTime)), cmp.Compare(x.Signature, y.Signature))
	})
	slices.SortStableFunc(b.OnewayLatency, func(x, y observe.OnewayLatency) int {
		return cmp.Or(cmp.Compare(x.Class, y.Class), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.FromHop, y.FromHop), cmp.Compare(x.ToHop, y.ToHop), cmp.Compare(x.IntervalStart, y.IntervalStart))
	})
	slices.SortStableFunc(b.OnewayLoss, func(x, y observe.OnewayLoss) int {
		return cmp.Or(cmp.Compare(x.Class, y.Class), cmp.Compare(x.FlowID, y.FlowID), cmp.Compare(x.FromHop, y.FromHop), cmp.Compare(x.ToHop, y.ToHop), cmp.Compare(x.IntervalStart, y.IntervalStart))
	})
	slices.SortStableFunc(b.Events, func(x, y observe.Event) int {
		return cmp.Or(cmp.Compare(x.Time, y.Time), cmp.Compare(x.Source, y.Source))
	})
	out := *b
	c.batch = held
	return &out
}

// Event records a collector-side event (e.g. a truncated capture reported
// by the replay driver) at capture time t.
func (c *Collector) Event(t int64, sev, kind, msg string) { c.event(t, sev, kind, msg) }

func ptr(p *int64) int64 {
	if p == nil {
		return -1 << 63
	}
	return *p
}

package collector

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// owKey identifies a one-way flow across probes (design 7): the class and
// the granularity fields, without probe or interface.
type owKey struct {
	class                     string
	ipVersion, protocol, dscp uint8
	srcPort, dstPort, vlan    uint16
	folded                    uint8
	srcAddr, dstAddr          netip.Addr
}

// owDef is the one-way flow of a probe flow and the probe's interface
// number it was seen on (its route's hop, even once the flow is written
// and deleted from the flow table).
type owDef struct {
	key    owKey
	iface  uint16
	fields uint8 // pdu.FlowDef.Fields: the flow's name (renewOneway)
}

// owRoute is where a probe's flow sends its observations: a reconciler, the
// collector-wide one-way flow id and the hop of the probe's interface.
type owRoute struct {
	rec  *oneway.Reconciler
	flow uint64
	hop  int
}

// maxPendingObs bounds the observations held until their flow definition
// (or their probe's Hello) arrives.
const maxPendingObs = 1 << 20

// oneway holds the collector's one-way reconciliation (design 4.3).
type owState struct {
	recs map[string]*oneway.Reconciler // by class name
	// ids are the one-way flow ids, collector-wide, of the flows the
	// reconcilers hold: a one-way flow is numbered only while its class's
	// reconciler has room (oneway.Limits.MaxFlows; it keeps a flow until
	// the flow has been idle for the class's idle_timeout_s, then frees it
	// and its id goes (pruneOwIDs); one it has no room for has id 0, its
	// observations refused: FlowsFull), and a switch-over keeps those the new
	// reconcilers take, so ids stay within the reconcilers' bounds over
	// any run. The flow's name (FlowName of its first definition) is kept
	// by its reconciler (DefineFlow, FlowName), not here: a map of every
	// name ever defined grew without bound.
	ids  map[owKey]uint64
	next uint64 // the latest id given (ids are never reused)
	// defs, routes and pending are per probe flow: they go when the flow
	// is forgotten (forgetOneway), so they hold the open flows and those
	// remembered as written (retiredSet), never every flow ever seen.
	defs    map[flowKey]owDef        // probe flow -> one-way flow
	routes  map[flowKey]owRoute      // resolved once the probe's name is known
	pending map[flowKey][]oneway.Obs // observations waiting for a definition
	npend   int
	times   map[uint16]map[uint32]int64 // PDU build times above the receiver's watermark, current run
	runs    map[uint16]int64            // epoch of the run times follows, per probe
	marks   map[uint16]int64            // probe clock watermark: no PDU built before it can still arrive
	before  map[uint16]int64            // per probe, its newest run heard from before the latest switch-over (Switch)
	follow  map[uint16]int64            // per probe, a run begun before the switch-over that went on past it: followed (preSwitch)
	// switchAt is when the latest switch-over took effect: its valid_from
	// (timed: every run begun before it is of the version that stopped),
	// else the latest probe clock heard then; MinInt64 before any.
	switchAt int64
	timed    bool
	// switchHash is the configuration hash the latest switch-over took
	// (config.Config.Hash): a run that says it is under it (pdu.RunConfig)
	// is of the new version, whenever it began.
	switchHash string
	told       map[string]oneway.Stats // per class, the reconciler's counters at the last report (reportOneway)
	freed      uint64                  // the reconcilers' Freed, summed, at the last pruneOwIDs
}

func newOwState() *owState {
	return &owState{recs: map[string]*oneway.Reconciler{}, ids: map[owKey]uint64{}, defs: map[flowKey]owDef{},
		routes: map[flowKey]owRoute{}, pending: map[flowKey][]oneway.Obs{}, times: map[uint16]map[uint32]int64{}, runs: map[uint16]int64{}, marks: map[uint16]int64{}, before: map[uint16]int64{}, follow: map[uint16]int64{}, switchAt: math.MinInt64,
		told: map[string]oneway.Stats{}}
}

// setupOneway creates a reconciler per one-way class of cfg.
func (c *Collector) setupOneway(cfg *config.Config) error {
	offsets := map[string]float64{}
	for _, p := range cfg.Probes {
		offsets[p.Name] = p.ClockOffsetUs
	}
	for i := range cfg.Classes {
		cl := &cfg.Classes[i]
		if !cl.Has(config.AnalysisOneway) {
			continue
		}
		oc := cl.Oneway // oneway.Config
		oc.ClockOffsetUs = map[string]float64{}
		for _, h := range oc.Hops {
			probe, _, _ := strings.Cut(h, "/")
			if off, ok := offsets[probe]; ok {
				oc.ClockOffsetUs[h] = off
			}
		}
		out := oneway.Output{
			Delay:   c.delayRow,
			Latency: c.latencyRow,
			Loss:    func(r *observe.OnewayLoss) { c.batch.OnewayLoss = append(c.batch.OnewayLoss, *r) },
		}
		// A one-way flow ends as its probe flows do (idle_timeout_s): its
		// reconciler frees it, and its id here (pruneOwIDs).
		rec, err := oneway.New(cl.Name, oc, oneway.Limits{IntervalS: cfg.IntervalS, IdleS: cl.IdleTimeoutS, SilentS: silentS(cfg, oc.TimeoutS), MaxBuildS: maxBuildS(cfg)}, out)
		if err != nil {
			return fmt.Errorf("collector: class %s: %w", cl.Name, err)
		}
		c.ow.recs[cl.Name] = rec
	}
	return nil
}

// silentS is how long, in capture time, a one-way class's packets and
// intervals wait for a hop whose probe stopped reporting
// (oneway.Limits.SilentS): the class's timeout_s (0: 5), interval_s, and
// the longest max_build_s + final_timeout_s of the collectors' regulations
// (the defaults when none is listed). A probe gives up a one-way PDU
// unacknowledged for final_timeout_s (a drop notice says so), so an
// observation built earlier than that cannot arrive any more; the hop is
// silent, not late.
func silentS(cfg *config.Config, timeoutS float64) float64 {
	d := config.DefaultCollector()
	reg := d.MaxBuildS + d.FinalTimeoutS
	if len(cfg.Collectors) > 0 {
		reg = 0
	}
	for _, cl := range cfg.Collectors {
		reg = max(reg, cmp.Or(cl.MaxBuildS, d.MaxBuildS)+cmp.Or(cl.FinalTimeoutS, d.FinalTimeoutS))
	}
	return cmp.Or(timeoutS, oneway.DefaultConfig().TimeoutS) + cmp.Or(cfg.IntervalS, config.DefaultIntervalS) + reg
}

// maxBuildS is the longest max_build_s of the collectors' regulations
// (the default when none is listed): how far a PDU's build time, a
// probe's one-way watermark, may pass an observation still to be sent
// (oneway.Limits.MaxBuildS; TestWorkersAcksKeepBuildTimes).
func maxBuildS(cfg *config.Config) float64 {
	d := config.DefaultCollector()
	if len(cfg.Collectors) == 0 {
		return d.MaxBuildS
	}
	var m float64
	for _, cl := range cfg.Collectors {
		m = max(m, cmp.Or(cl.MaxBuildS, d.MaxBuildS))
	}
	return m
}

// delayRow keeps a copy of a borrowed oneway_delays row (its optional
// fields point into the reconciler).
func (c *Collector) delayRow(r *observe.OnewayDelay) {
	row := *r
	row.SendTime, row.RecvTime, row.DelayUs = clonePtr(r.SendTime), clonePtr(r.RecvTime), clonePtr(r.DelayUs)
	row.SendFirstTime, row.RecvFirstTime = clonePtr(r.SendFirstTime), clonePtr(r.RecvFirstTime)
	c.batch.OnewayDelays = append(room(c.batch.OnewayDelays, 1), row)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (c *Collector) latencyRow(r *observe.OnewayLatency) {
	row := *r
	row.SlicesMs = slices.Clone(r.SlicesMs)
	row.SliceCounts = slices.Clone(r.SliceCounts)
	c.batch.OnewayLatency = append(c.batch.OnewayLatency, row)
}

// defineOneway records the one-way flow of a probe flow definition of a
// one-way class. A flow left out of flows (a late definition of a run
// ended without its final report, endRun) is defined all the same: its
// observations are packets seen, as its rtt_samples are kept.
func (c *Collector) defineOneway(pid uint16, r *pdu.FlowDef) {
	if _, ok := c.ow.recs[r.Class]; !ok {
		return
	}
	k := owKey{class: r.Class, ipVersion: r.IPVersion, protocol: r.Protocol, dscp: r.DSCP, srcPort: r.SrcPort, dstPort: r.DstPort,
		vlan: r.VLAN, folded: r.FoldedPorts, srcAddr: r.SrcAddr, dstAddr: r.DstAddr}
	if _, ok := c.ow.ids[k]; !ok && c.ow.recs[r.Class].Room() {
		c.ow.next++
		c.ow.ids[k] = c.ow.next
		def := *r
		c.ow.recs[r.Class].DefineFlow(c.ow.next, FlowName(&def))
	}
	c.ow.defs[flowKey{pid, r.FlowID}] = owDef{key: k, iface: r.Iface, fields: r.Fields}
	c.replayPending(pid)
}

// forgetOneway drops the one-way state of probe flows the collector
// forgot (retiredSet): an observation of one arriving later waits for a
// definition as one of an unknown flow does.
func (c *Collector) forgetOneway(keys map[flowKey]struct{}) {
	for fk := range keys {
		if c.flows.Has(fk) {
			continue // defined again since (an update of a forgotten flow)
		}
		delete(c.ow.defs, fk)
		delete(c.ow.routes, fk)
		if obs, ok := c.ow.pending[fk]; ok {
			c.ow.npend -= len(obs)
			delete(c.ow.pending, fk)
		}
	}
}

// route resolves where a probe flow's observations go, once both its
// definition and its probe's Hello have arrived.
func (c *Collector) route(pid uint16, flowID uint64) (owRoute, bool) {
	fk := flowKey{pid, flowID}
	if rt, ok := c.ow.routes[fk]; ok {
		return rt, true
	}
	d, ok := c.ow.defs[fk]
	p := c.probes[pid]
	if !ok || p == nil || !p.hello {
		return owRoute{}, false
	}
	rec := c.ow.recs[d.key.class]
	if rec == nil { // a class the running version does not reconcile (Switch)
		rt := owRoute{hop: -1}
		c.ow.routes[fk] = rt
		return rt, true
	}
	// The interface of the definition, not of the flow table: a flow
	// written (deleted) keeps its hop after a switch-over.
	rt := owRoute{rec: rec, flow: c.ow.ids[d.key], hop: rec.Hop(p.name, ifaceName(p, d.iface))}
	c.ow.routes[fk] = rt
	return rt, true
}

// observe gives o to the route's reconciler, if it has one and its hop is
// on the path (a route renewed for a flow that ended: renewOneway).
func (rt owRoute) observe(o *oneway.Obs) {
	if rt.rec != nil && rt.hop >= 0 {
		rt.rec.Observe(rt.hop, rt.flow, o)
	}
}

// renewOneway gives probe flow (pid, id) a new one-way flow, its route's
// having ended or been freed (oneway.Limits.IdleS: silent for the class's
// idle_timeout_s), and returns its new route: the key's next id, named as
// the flow it follows, or id 0 if the reconciler has no room (FlowsFull).
// Another probe flow of the key (another hop) joins the new id when its
// own observations come after the old flow's end.
func (c *Collector) renewOneway(pid uint16, id uint64, old owRoute) owRoute {
	fk := flowKey{pid, id}
	delete(c.ow.routes, fk)
	d, ok := c.ow.defs[fk]
	if !ok {
		return owRoute{hop: -1}
	}
	if cur, ok := c.ow.ids[d.key]; ok && cur == old.flow {
		delete(c.ow.ids, d.key)
	}
	if _, ok := c.ow.ids[d.key]; !ok && old.rec.Room() {
		name, named := old.rec.FlowName(old.flow)
		if !named {
			k := d.key
			name = FlowName(&pdu.FlowDef{Class: k.class, Fields: d.fields, IPVersion: k.ipVersion, Protocol: k.protocol, SrcAddr: k.srcAddr, DstAddr: k.dstAddr,
				SrcPort: k.srcPort, DstPort: k.dstPort, DSCP: k.dscp, VLAN: k.vlan, FoldedPorts: k.folded})
		}
		c.ow.next++
		c.ow.ids[d.key] = c.ow.next
		old.rec.DefineFlow(c.ow.next, name)
	}
	rt, ok := c.route(pid, id)
	if !ok {
		return owRoute{hop: -1}
	}
	if rt.rec == old.rec && rt.flow != 0 {
		old.rec.Renewed(old.flow, rt.flow) // another hop's observation of the packet, before the end, joins it there
	}
	return rt
}

// pruneOwIDs forgets the ids of the one-way flows the reconcilers freed
// (oneway.Limits.IdleS), so that ids holds no more than the reconcilers
// do. It looks only when a reconciler freed flows since the last look.
func (c *Collector) pruneOwIDs() {
	var n uint64
	for _, rec := range c.ow.recs {
		n += rec.Freed()
	}
	if n == c.ow.freed {
		return
	}
	c.ow.freed = n
	for k, id := range c.ow.ids {
		if rec := c.ow.recs[k.class]; rec != nil {
			if _, ok := rec.FlowName(id); !ok {
				delete(c.ow.ids, k)
			}
		}
	}
}

// packetObs feeds the observations of a PacketObs PDU to the reconcilers,
// holding those whose flow is not defined yet.
func (c *Collector) packetObs(pid uint16, payload []byte) error {
	return oneway.Decode(payload, func(d *oneway.Obs) {
		o := *d // Decode reuses d, its FlowID set once per record: offset a copy
		o.FlowID += c.base
		c.seenNs = max(c.seenNs, o.TimeNs) // the one-way counters' clock (reportOneway)
		if rt, ok := c.route(pid, o.FlowID); ok {
			if rt.rec == nil {
				return
			}
			if rt.hop >= 0 {
				if !rt.rec.Observe(rt.hop, rt.flow, &o) {
					c.renewOneway(pid, o.FlowID, rt).observe(&o)
				}
			} else {
				c.stats.OnewayNotOnPath++
			}
			return
		}
		if c.ow.npend >= maxPendingObs {
			c.stats.OnewayUndefined++
			return
		}
		fk := flowKey{pid, o.FlowID}
		c.ow.pending[fk] = append(c.ow.pending[fk], o)
		c.ow.npend++
	})
}

// replayPending feeds the held observations of a probe whose flows became
// routable.
func (c *Collector) replayPending(pid uint16) {
	var keys []flowKey // in flow order: the reconcilers see the same sequence in every run (journal replay)
	for fk := range c.ow.pending {
		if fk.probe == pid {
			keys = append(keys, fk)
		}
	}
	slices.SortFunc(keys, func(a, b flowKey) int { return cmp.Compare(a.id, b.id) })
	for _, fk := range keys {
		obs := c.ow.pending[fk]
		rt, ok := c.route(pid, fk.id)
		if !ok {
			continue
		}
		for i := range obs {
			if rt.hop >= 0 && !rt.rec.Observe(rt.hop, rt.flow, &obs[i]) {
				rt = c.renewOneway(pid, fk.id, rt)
				rt.observe(&obs[i])
			}
		}
		c.ow.npend -= len(obs)
		delete(c.ow.pending, fk)
	}
}

// advanceOneway moves a probe's watermark: observations built before the
// build time of every PDU below the receiver's contiguous watermark have
// all arrived, so the reconcilers may classify records up to it (design
// 4.3: a silent or lagging probe holds records open).
func (c *Collector) advanceOneway(h pdu.Header) {
	if len(c.ow.recs) == 0 {
		return
	}
	if c.preSwitch(h.ProbeID, h.Epoch) {
		if !c.notSwitched(h) {
			return // a run of the version a switch-over stopped: the reconcilers in effect follow the probe's next run (Switch)
		}
	}
	t := c.ow.times[h.ProbeID]
	if run, ok := c.ow.runs[h.ProbeID]; !ok || h.Epoch > run {
		t = nil // a new run of the probe: its PDU ids start again
		c.ow.runs[h.ProbeID] = h.Epoch
		if ok || c.probe(h.ProbeID).finished {
			c.resumeOneway(h)
		}
	} else if h.Epoch < run {
		return // a late PDU of a previous run: the current run's watermark rules
	}
	if t == nil {
		t = map[uint32]int64{}
		c.ow.times[h.ProbeID] = t
	}
	t[h.ID] = h.BuildTimeNs
	low := c.rx.Low(h.ProbeID, h.Epoch)
	mark := c.ow.marks[h.ProbeID]
	for id, bt := range t {
		if id <= low {
			mark = max(mark, bt)
			delete(t, id)
		}
	}
	c.moveMark(h.ProbeID, mark)
}

// moveMark moves probe pid's one-way watermark to mark, when later.
func (c *Collector) moveMark(pid uint16, mark int64) {
	if mark <= c.ow.marks[pid] {
		return
	}
	c.ow.marks[pid] = mark
	p := c.probes[pid]
	if p == nil || !p.hello {
		return
	}
	for _, rec := range c.ow.recs {
		rec.AdvanceProbe(p.name, mark)
	}
	c.pruneOwIDs()
}

// preSwitch reports whether run epoch of probe pid began under the version
// the latest switch-over stopped (Switch): the reconcilers in effect do
// not follow it, unless it went on past the switch (notSwitched).
func (c *Collector) preSwitch(pid uint16, epoch int64) bool {
	if f, ok := c.ow.follow[pid]; ok && f == epoch {
		return false
	}
	if p := c.probes[pid]; p != nil && p.runConfigEpoch == epoch && p.runConfig != "" && p.runConfig == c.ow.switchHash {
		return false // the run says it is of the version switched to (RunConfig)
	}
	if c.ow.timed && epoch < c.ow.switchAt {
		return true
	}
	run, ok := c.ow.before[pid]
	return ok && epoch <= run
}

// runConfig notes that run h.Epoch of h's probe is under configuration
// hash (pdu.RunConfig): a run of the version the latest switch-over took
// is not one begun before it (preSwitch), even if the collector heard
// from it first (its probe restarted faster than the collector switched)
// or it began before valid_from by the probe's clock. A late copy from an
// older run changes nothing.
func (c *Collector) runConfig(h pdu.Header, hash string) {
	if p := c.probe(h.ProbeID); h.Epoch >= p.runConfigEpoch {
		p.runConfig, p.runConfigEpoch = hash, h.Epoch
	}
}

// notSwitched tells whether h, of a run begun before the latest
// switch-over, was built more than the longest one-way timeout after it:
// its probe did not restart with the new version (it refused it, or never
// got the file), so the reconcilers follow that run from then on instead
// of holding its hops open to the end; a warning says so.
func (c *Collector) notSwitched(h pdu.Header) bool {
	var timeoutNs int64
	for _, rec := range c.ow.recs {
		timeoutNs = max(timeoutNs, int64(rec.Config().TimeoutS*1e9))
	}
	if h.BuildTimeNs <= pkt.AddNs(c.ow.switchAt, timeoutNs) {
		return false
	}
	c.ow.follow[h.ProbeID] = h.Epoch
	p := c.probe(h.ProbeID)
	c.event(h.BuildTimeNs, observe.SevWarning, "oneway_probe_not_switched", fmt.Sprintf("probe %s still reports its run begun before the configuration switch-over, %.1f s after it: the one-way reconcilers of the new version follow that run (a probe that refused the new version or did not get it)",
		p.name, float64(h.BuildTimeNs-c.ow.switchAt)/1e9))
	return true
}

// resumeOneway starts a new run of h's probe in the reconcilers (a
// restart, or a switch-over): its watermark starts again, and its hops,
// which its previous run's end may have moved to the end of time
// (checkFinished), are waited for again (oneway.Reconciler.Resume).
func (c *Collector) resumeOneway(h pdu.Header) {
	delete(c.ow.marks, h.ProbeID)
	if p := c.probe(h.ProbeID); p.hello {
		for _, n := range slices.Sorted(maps.Keys(c.ow.recs)) {
			c.ow.recs[n].Resume(p.name)
		}
	}
}

// flushOneway classifies every record still open (end of the run). Its
// events are stamped with the capture time of the latest packet the flow
// updates or one-way observations report (seenNs), so that the same
// captures give the same rows however the link behaved: a PDU's build
// time is its channel's clock, which the sending slots move on
// (retransmissions take some), a heartbeat's or a lingering probe's
// events' follow the wall clock. Without flow updates or observations
// they take the latest data PDU's build time (heartbeats, events and
// dropped notices left out), without data PDUs the latest heartbeat's,
// without any PDU the server's latest wall time (Collector.wallNs: a
// switch-over or the end of a collector that received nothing), not 0.
func (c *Collector) flushOneway() {
	at := cmp.Or(c.seenNs, c.dataNs, c.lastNs, c.wallNs)
	for _, n := range slices.Sorted(maps.Keys(c.ow.recs)) {
		rec := c.ow.recs[n]
		rec.Flush()
		st := rec.Stats()
		c.reportClass(at, n, &st)
		c.event(at, observe.SevInfo, "oneway_totals", "class "+n+":"+onewayTotals(&st))
	}
}

// onewayTotals writes every counter of a Reconciler as " name=value", so
// that each reaches the output (issue 15.13; the probe's counters are in
// its *_totals events the same way).
func onewayTotals(st *oneway.Stats) string {
	var b strings.Builder
	v := reflect.ValueOf(st).Elem()
	for i := range v.NumField() {
		fmt.Fprintf(&b, " %s=%d", observe.CounterName(v.Type().Field(i).Name), v.Field(i).Uint())
	}
	return b.String()
}

// onewayEvents are the reconcilers' counters an engineer must see as
// they happen: each is reported with its growth since the last report in
// events.count, one event per class whose counter grew (the class's
// oneway_totals event, at the end of a run or a switch, has them all), so
// that sum(count) over a kind is the total however many reports there
// were. A replay reports them once, at its end, so that its rows do not
// depend on when the caller drains: Message as written ("class telemetry:
// 311 signature collisions resolved by time"). A served collector and a
// live capture report them at every drain (SetPeriodicReports: a durable
// collector stopped between runs ends none): a counter's first report
// reads as a replay's, a later one says it is an increment and gives the
// running total (more): "class telemetry: 204 more signature collisions
// resolved by time (231 in all)", the total of the class's reconciler
// since it started (the collector's start, kept across its restarts by
// its state, or the latest configuration switch: Switch).
var onewayEvents = []struct {
	Kind, Severity, Message string // Message: class, count (refgen reads these keys)
	n                       func(*oneway.Stats) uint64
}{
	{Kind: "oneway_negative_delays", Severity: observe.SevWarning, Message: "class %s: %d one-way delay[s] below zero: check the probes' clock synchronisation or clock_offset_us",
		n: func(s *oneway.Stats) uint64 { return s.NegativeDelays }},
	{Kind: "oneway_signature_collisions", Severity: observe.SevInfo, Message: "class %s: %d signature collision[s] resolved by time",
		n: func(s *oneway.Stats) uint64 { return s.Collisions }},
	{Kind: "oneway_late", Severity: observe.SevWarning, Message: "class %s: %d observation[s] arrived after the timeout (timeout_s) had passed at every hop: [it|each] made a record of its own, so its packet may count as lost at one hop and missed at another; raise timeout_s if the probes' PDUs arrive that late",
		n: func(s *oneway.Stats) uint64 { return s.Late }},
	{Kind: "oneway_evicted", Severity: observe.SevWarning, Message: "class %s: %d packet record[s] classified before [its|their] timeout to keep the collector's open records bounded: at a hop that had not reported [it|them] yet [it counts|they count] as dropped; shorten timeout_s or narrow the class",
		n: func(s *oneway.Stats) uint64 { return s.Evicted }},
	{Kind: "oneway_flows_full", Severity: observe.SevWarning, Message: "class %s: %d observation[s] of one-way flows beyond the collector's limit of flows per class ignored: narrow the class or its granularity",
		n: func(s *oneway.Stats) uint64 { return s.FlowsFull }},
	{Kind: "oneway_drop_notices_full", Severity: observe.SevWarning, Message: "class %s: %d notice[s] of observations a probe destroyed ignored beyond the collector's limit: their packets count as lost, not dropped",
		n: func(s *oneway.Stats) uint64 { return s.DropRangesFull }},
	{Kind: "oneway_unreported", Severity: observe.SevWarning, Message: "class %s: %d packet[s] dropped at hops whose probe had not reported that far when [it was|they were] classified (a probe killed, silent or never heard from, or still running when the collector stopped): nobody can say whether [it|they] passed there",
		n: func(s *oneway.Stats) uint64 { return s.Unreported }},
	{Kind: "oneway_hop_silent", Severity: observe.SevWarning, Message: "class %s: %d time[s] a hop's probe fell silent (no report while another hop's clock went on past timeout_s + interval_s + max_build_s + final_timeout_s): its packets and intervals were closed without it, the packets due there counted dropped and unreported (oneway_unreported)",
		n: func(s *oneway.Stats) uint64 { return s.SilentHops }},
	{Kind: "oneway_bad_hop", Severity: observe.SevError, Message: "class %s: %d observation[s] or clock[s] for a hop outside the class's hops ignored",
		n: func(s *oneway.Stats) uint64 { return s.BadHop }},
}

// SetPeriodicReports makes every Drain report the one-way counters that
// grew since the last report (onewayEvents, oneway_repeats), as a served
// collector and a live capture want (NewServer sets it, and the pipeline
// with Options.SinkTick); off, they come at Finish and at a configuration
// switch only.
func (c *Collector) SetPeriodicReports(on bool) { c.periodic = on }

// reportOneway reports, for every class, the counters that grew since the
// last report (onewayEvents, oneway_repeats), at the collector's capture
// clock at the drain: the latest packet the flow updates or the one-way
// observations received report (seenNs; before any, the latest PDU build
// time, else the server's wall time), as the end reports (flushOneway):
// a single report at the end of a run has the time a replay's has,
// however the link behaved. Reports share a time when no later packet
// was reported between their drains, which is right: what they resolved
// had been captured by then. A trial's three drains (probes A and B,
// their PDUs arriving after their captures' end) all read
// 14:57:12.461260714, B.pcap's last packet; mid-capture the observations
// move the clock between the flow updates (TestPeriodicOnewayReports).
func (c *Collector) reportOneway() {
	at := cmp.Or(c.seenNs, c.dataNs, c.lastNs, c.wallNs)
	for _, n := range slices.Sorted(maps.Keys(c.ow.recs)) {
		st := c.ow.recs[n].Stats()
		c.reportClass(at, n, &st)
	}
}

// reportClass reports class n's counters st that grew since the last
// report, at time at: the first report of a counter as onewayEvents
// writes it, a later one as an increment with the running total (more).
func (c *Collector) reportClass(at int64, n string, st *oneway.Stats) {
	was := c.ow.told[n]
	c.ow.told[n] = *st
	for _, e := range onewayEvents {
		if d := e.n(st) - e.n(&was); d > 0 {
			msg := fmt.Sprintf(pkt.Nouns(d, e.Message), n, d)
			if e.n(&was) > 0 {
				msg = fmt.Sprintf(pkt.Nouns(d, more(e.Message)), n, d, e.n(st))
			}
			c.EventCount(at, e.Severity, e.Kind, msg, d)
		}
	}
	// Repeats (a probe restarted on the capture it was replaying, a resent
	// spool): an engineer sees why the observations outnumber the packets.
	if open, done := st.Repeats-was.Repeats, st.RepeatsClassified-was.RepeatsClassified; open+done > 0 {
		repeats := "class %s: %d observation[s] reported again (a probe restarted on the capture it replays, a resent spool) ignored, not counted as packets: %d of packets still open, %d of packets already classified and written"
		rmsg := fmt.Sprintf(pkt.Nouns(open+done, repeats), n, open+done, open, done)
		if all := st.Repeats + st.RepeatsClassified; all > open+done {
			rmsg = fmt.Sprintf(pkt.Nouns(open+done, more(repeats)), n, open+done, all, open, done)
		}
		c.EventCount(at, observe.SevInfo, "oneway_repeats", rmsg, open+done)
	}
}

// more is a counter's message format (onewayEvents: "class %s: %d
// thing[s] did: advice") as a later report's: "class %s: %d more thing[s]
// did (%d in all): advice", the running total after the counted phrase
// (before the advice, the next ": ", if any); its arguments are the
// class, the increment, the total, then the message's own.
func more(format string) string {
	head, rest, _ := strings.Cut(format, "%d ")
	rest = "%d more " + rest
	if i := strings.Index(rest, ": "); i >= 0 {
		return head + rest[:i] + " (%d in all)" + rest[i:]
	}
	return head + rest + " (%d in all)"
}

// droppedObs records observations a probe destroyed before delivering them:
// packets missing at that hop in that time range are "dropped", not lost or
// missed (design 4.3).
func (c *Collector) droppedObs(pid uint16, x *oneway.Dropped) {
	rt, ok := c.route(pid, x.FlowID)
	if !ok || rt.hop < 0 {
		c.stats.OnewayUndefined++
		return
	}
	rt.rec.Drop(rt.hop, rt.flow, x)
}

package collector

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"reflect"
	"slices"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/oneway"
	"github.com/tmonbench/tmonbench/engine/pdu"
)

// stateVersion numbers the layout of a saved state; a checkpoint of a
// later version is refused (a build before version 2 refuses any but 1).
// Version 2: oneway_latency and oneway_loss rows hold their key columns in
// an embedded observe.OnewayKey, which gob sends as a field of its own; a
// build of version 1 would decode such rows without their keys, so it must
// refuse them. Version 1 (the keys as fields of the row) decodes into this
// layout unchanged: gob finds a row's fields by name, the embedded ones
// too (TestRestoreVersion1).
const stateVersion = 2

// oldestStateVersion is the first layout this build restores.
const oldestStateVersion = 1

// savedState is everything a Collector holds that its configuration does
// not give (the rows not drained yet included), as plain values for
// encoding/gob. Any field added to Collector or owState that outlives a
// call must be added here (TestStateRoundTrip catches the omissions it
// exercises).
type savedState struct {
	Version  int
	Receiver pdu.ReceiverState
	Probes   []savedProbe
	Flows    []savedFlow
	Batch    observe.Batch
	Present  []byte // which pointer fields of Batch rows are set (gob drops pointers to zero values)
	Stats    Stats
	LastNs   int64
	DataNs   int64
	SeenNs   int64
	WallNs   int64 // Collector.wallNs (0 in a state saved before it)
	Ended    []flowKeyS
	Retired  []flowKeyS
	Hists    []savedHist
	OwIDs    []savedOwID
	OwNext   uint64 // owState.next (0 in a state saved before it: the largest of OwIDs)
	OwDefs   []savedOwDef
	OwRoutes []savedRoute
	OwPend   []savedPending
	OwNPend  int
	OwTimes  []savedTimes
	OwRuns   map[uint16]int64
	OwMarks  map[uint16]int64
	OwBefore map[uint16]int64        // owState.before; nil in a state saved before it existed
	OwFollow map[uint16]int64        // owState.follow; nil likewise
	OwSwitch *savedSwitch            // owState.switchAt and timed; nil before any switch-over
	OwTold   map[string]oneway.Stats // owState.told; nil in a state saved before it existed
	Recs     map[string]oneway.State
	Bad      map[uint16]savedBad
	Restarts map[uint16]savedBad
	// Incomplete: Collector.incomplete (nil in a state saved before it existed).
	Incomplete map[uint16]savedBad
	// CfgMismatch: Collector.cfgMismatch, the probe runs under another
	// configuration, said or still to say (nil in a state saved before it
	// existed).
	CfgMismatch map[uint16]savedMismatch
}

// savedMismatch is a configMismatch in exported fields.
type savedMismatch struct {
	Epoch   int64
	Hash    string
	SinceNs int64
	Said    bool
}

type savedBad struct {
	N       uint64
	FirstNs int64
	First   string
}

type flowKeyS struct {
	Probe uint16
	ID    uint64
}

type savedProbe struct {
	ID      uint16
	Hello   bool
	Ref     string
	Name    string
	Ifaces  []string
	Metrics map[uint32]string
	Hists   map[uint32]pdu.HistDef
	// FinalID and FinalEpoch locate the probe's final report; Finished is
	// set once everything before it arrived (report.go).
	FinalID    uint32
	FinalEpoch int64
	Finished   bool
	// RunConfig and RunConfigEpoch: the configuration hash the probe's
	// run RunConfigEpoch said it is under (pdu.RunConfig); empty in a
	// state saved before it existed.
	RunConfig      string
	RunConfigEpoch int64
	// Run is the run followed until its end (probeRun); zero in a state
	// saved before it existed: the next frame starts following.
	Run savedRun
	// LeftOut: probeState.leftOut (nil in a state saved before it).
	LeftOut []uint64
}

// savedRun is a probeRun in exported fields.
type savedRun struct {
	Seen, Ended bool
	Epoch       int64
	Base        uint64
	LastNs      int64
}

// savedFlow is a cflow in exported fields: its definition (Defined
// false: totals only) and totals.
type savedFlow struct {
	Key     flowKeyS
	Defined bool
	Def     pdu.FlowDef
	LastNs  int64
	Packets uint64
	Bytes   uint64
}

type savedHist struct {
	Probe uint16
	H     pdu.Histogram
}

type owKeyS struct {
	Class                     string
	IPVersion, Protocol, DSCP uint8
	SrcPort, DstPort, VLAN    uint16
	Folded                    uint8
	SrcAddr, DstAddr          netip.Addr
}

type savedOwID struct {
	Key  owKeyS
	ID   uint64
	Name string // the flow's name in its reconciler (restored from Recs: read by no version since)
}

type savedOwDef struct {
	Flow   flowKeyS
	Key    owKeyS
	Iface  uint16
	Fields uint8 // owDef.fields; 0 in a state saved before it existed
}

type savedRoute struct {
	Flow  flowKeyS
	Class string
	ID    uint64
	Hop   int
}

type savedPending struct {
	Flow flowKeyS
	Obs  []oneway.Obs
}

type savedTimes struct {
	Probe uint16
	Times map[uint32]int64
}

func keyS(k flowKey) flowKeyS   { return flowKeyS{k.probe, k.id} }
func (k flowKeyS) key() flowKey { return flowKey{k.Probe, k.ID} }

func owKeyOf(k owKey) owKeyS {
	return owKeyS{k.class, k.ipVersion, k.protocol, k.dscp, k.srcPort, k.dstPort, k.vlan, k.folded, k.srcAddr, k.dstAddr}
}

func (k owKeyS) key() owKey {
	return owKey{k.Class, k.IPVersion, k.Protocol, k.DSCP, k.SrcPort, k.DstPort, k.VLAN, k.Folded, k.SrcAddr, k.DstAddr}
}

func cmpKey(a, b flowKeyS) int { return cmp.Or(cmp.Compare(a.Probe, b.Probe), cmp.Compare(a.ID, b.ID)) }

// SaveState encodes the collector's state (gob): with RestoreState into a
// collector built from the same configuration it goes on exactly as this
// one would, rows not drained yet included. The journal of a durable
// collector checkpoints it (issue 13).
func (c *Collector) SaveState() ([]byte, error) {
	s := savedState{Version: stateVersion, Receiver: c.rx.State(), Batch: c.batch, Stats: c.stats, LastNs: c.lastNs, DataNs: c.dataNs, SeenNs: c.seenNs, WallNs: c.wallNs,
		OwNPend: c.ow.npend, OwRuns: c.ow.runs, OwMarks: c.ow.marks, OwBefore: c.ow.before, OwFollow: c.ow.follow, OwSwitch: c.ow.savedSwitch(), OwTold: c.ow.told, Recs: map[string]oneway.State{}}
	s.Stats.Receiver = pdu.ReceiverStats{}
	s.Present = presence(&s.Batch)
	for _, id := range slices.Sorted(maps.Keys(c.probes)) {
		p := c.probes[id]
		s.Probes = append(s.Probes, savedProbe{ID: id, Hello: p.hello, Ref: p.ref, Name: p.name, Ifaces: p.ifaces, Metrics: p.metrics, Hists: p.hists,
			FinalID: p.finalID, FinalEpoch: p.finalEpoch, Finished: p.finished, RunConfig: p.runConfig, RunConfigEpoch: p.runConfigEpoch,
			Run: savedRun{Seen: p.run.seen, Ended: p.run.ended, Epoch: p.run.epoch, Base: p.run.base, LastNs: p.run.lastNs}, LeftOut: p.leftOut})
	}
	for k, f := range c.flows.All {
		sf := savedFlow{Key: keyS(k), Defined: f.class != 0, LastNs: f.lastNs, Packets: f.packets, Bytes: f.bytes}
		if sf.Defined {
			sf.Def = f.def(c, k.id)
		}
		s.Flows = append(s.Flows, sf)
	}
	slices.SortFunc(s.Flows, func(a, b savedFlow) int { return cmpKey(a.Key, b.Key) })
	for _, k := range c.ended {
		s.Ended = append(s.Ended, keyS(k))
	}
	for _, k := range c.retired.keys() {
		s.Retired = append(s.Retired, keyS(k))
	}
	for _, h := range c.hists {
		s.Hists = append(s.Hists, savedHist{Probe: h.probe, H: h.h})
	}
	for k, id := range c.ow.ids {
		name := ""
		if rec := c.ow.recs[k.class]; rec != nil {
			name, _ = rec.FlowName(id)
		}
		s.OwIDs = append(s.OwIDs, savedOwID{Key: owKeyOf(k), ID: id, Name: name})
	}
	s.OwNext = c.ow.next
	for k, d := range c.ow.defs {
		s.OwDefs = append(s.OwDefs, savedOwDef{Flow: keyS(k), Key: owKeyOf(d.key), Iface: d.iface, Fields: d.fields})
	}
	for k, rt := range c.ow.routes {
		class := ""
		for name, rec := range c.ow.recs {
			if rec == rt.rec {
				class = name
			}
		}
		s.OwRoutes = append(s.OwRoutes, savedRoute{Flow: keyS(k), Class: class, ID: rt.flow, Hop: rt.hop})
	}
	for k, obs := range c.ow.pending {
		s.OwPend = append(s.OwPend, savedPending{Flow: keyS(k), Obs: obs})
	}
	for p, t := range c.ow.times {
		s.OwTimes = append(s.OwTimes, savedTimes{Probe: p, Times: t})
	}
	for name, rec := range c.ow.recs {
		s.Recs[name] = rec.SaveState()
	}
	s.Bad, s.Restarts, s.Incomplete = saveBad(c.bad), saveBad(c.restarts), saveBad(c.incomplete)
	for id, m := range c.cfgMismatch {
		if s.CfgMismatch == nil {
			s.CfgMismatch = map[uint16]savedMismatch{}
		}
		s.CfgMismatch[id] = savedMismatch{Epoch: m.epoch, Hash: m.hash, SinceNs: m.sinceNs, Said: m.said}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("collector: save state: %w", err)
	}
	return buf.Bytes(), nil
}

// RestoreState replaces the state of c, freshly built with New from the
// configuration of the collector that saved b, by that state. Errors: b
// does not decode, or does not fit the configuration (one-way classes).
func (c *Collector) RestoreState(b []byte) error {
	var s savedState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return fmt.Errorf("collector: restore state: %w", err)
	}
	if s.Version < oldestStateVersion || s.Version > stateVersion {
		return fmt.Errorf("collector: restore state: version %d, this build restores versions %d to %d", s.Version, oldestStateVersion, stateVersion)
	}
	if err := restorePresence(&s.Batch, s.Present); err != nil {
		return err
	}
	if len(s.Recs) != len(c.ow.recs) {
		return fmt.Errorf("collector: restore state: %d one-way classes saved, the config has %d", len(s.Recs), len(c.ow.recs))
	}
	for name, st := range s.Recs {
		rec := c.ow.recs[name]
		if rec == nil {
			return fmt.Errorf("collector: restore state: one-way class %s is not in the config", name)
		}
		if err := rec.RestoreState(st); err != nil {
			return fmt.Errorf("collector: restore state: %w", err)
		}
	}
	c.rx.SetState(s.Receiver)
	c.probes, c.lastProbe = map[uint16]*probeState{}, nil
	for _, p := range s.Probes {
		ps := &probeState{hello: p.Hello, id: p.ID, ref: p.Ref, name: p.Name, ifaces: p.Ifaces, metrics: p.Metrics, hists: p.Hists,
			finalID: p.FinalID, finalEpoch: p.FinalEpoch, finished: p.Finished, runConfig: p.RunConfig, runConfigEpoch: p.RunConfigEpoch,
			run: probeRun{seen: p.Run.Seen, epoch: p.Run.Epoch, base: p.Run.Base, lastNs: p.Run.LastNs, ended: p.Run.Ended}, leftOut: p.LeftOut}
		if ps.metrics == nil {
			ps.metrics = map[uint32]string{}
		}
		if ps.hists == nil {
			ps.hists = map[uint32]pdu.HistDef{}
		}
		c.probes[p.ID] = ps
	}
	c.flows = newFlowTable()
	for _, sf := range s.Flows {
		var f cflow
		if sf.Defined {
			f.define(c, &sf.Def)
		}
		f.lastNs, f.packets, f.bytes = max(f.lastNs, sf.LastNs), sf.Packets, sf.Bytes
		c.flows.Set(sf.Key.key(), f)
	}
	c.batch, c.stats, c.lastNs, c.dataNs, c.seenNs, c.wallNs = s.Batch, s.Stats, s.LastNs, s.DataNs, s.SeenNs, s.WallNs
	c.placeHops()
	c.counterOrder.ok = false // rows this collector did not decode
	c.ended, c.retired = nil, retiredSet{}
	for _, k := range s.Ended {
		if f := c.flows.Ptr(k.key()); f != nil {
			c.markEnded(k.key(), f)
		} else {
			c.ended = append(c.ended, k.key()) // its flow was flushed (FlushFlows): retired at the next Drain
		}
	}
	for _, k := range s.Retired {
		c.retire(k.key())
	}
	c.hists = nil
	for _, h := range s.Hists {
		c.hists = append(c.hists, pendingHist{probe: h.Probe, h: h.H})
	}
	c.bad, c.restarts, c.incomplete = restoreBad(s.Bad), restoreBad(s.Restarts), restoreBad(s.Incomplete)
	c.cfgMismatch = nil
	for id, m := range s.CfgMismatch {
		if c.cfgMismatch == nil {
			c.cfgMismatch = map[uint16]*configMismatch{}
		}
		c.cfgMismatch[id] = &configMismatch{epoch: m.Epoch, hash: m.Hash, sinceNs: m.SinceNs, said: m.Said}
	}
	ow := c.ow
	ow.ids, ow.defs, ow.routes, ow.pending = map[owKey]uint64{}, map[flowKey]owDef{}, map[flowKey]owRoute{}, map[flowKey][]oneway.Obs{}
	ow.next = s.OwNext
	for _, x := range s.OwIDs { // their names are in their reconcilers' states (Recs)
		ow.ids[x.Key.key()] = x.ID
		ow.next = max(ow.next, x.ID) // a state saved before OwNext: ids were 1..n
	}
	for _, x := range s.OwDefs {
		ow.defs[x.Flow.key()] = owDef{key: x.Key.key(), iface: x.Iface, fields: x.Fields}
	}
	for _, x := range s.OwRoutes {
		ow.routes[x.Flow.key()] = owRoute{rec: ow.recs[x.Class], flow: x.ID, hop: x.Hop}
	}
	for _, x := range s.OwPend {
		ow.pending[x.Flow.key()] = x.Obs
	}
	ow.npend = s.OwNPend
	ow.times = map[uint16]map[uint32]int64{}
	for _, x := range s.OwTimes {
		if x.Times == nil {
			x.Times = map[uint32]int64{}
		}
		ow.times[x.Probe] = x.Times
	}
	ow.runs, ow.marks, ow.before = s.OwRuns, s.OwMarks, s.OwBefore
	if ow.before == nil {
		ow.before = map[uint16]int64{}
	}
	if ow.follow = s.OwFollow; ow.follow == nil {
		ow.follow = map[uint16]int64{}
	}
	ow.switchAt = math.MinInt64
	if s.OwSwitch != nil {
		ow.switchAt, ow.timed, ow.switchHash = s.OwSwitch.AtNs, s.OwSwitch.Timed, s.OwSwitch.Hash
	}
	if ow.runs == nil {
		ow.runs = map[uint16]int64{}
	}
	if ow.marks == nil {
		ow.marks = map[uint16]int64{}
	}
	ow.told = s.OwTold
	if ow.told == nil {
		ow.told = map[string]oneway.Stats{}
	}
	return nil
}

// presence returns one bit per pointer field of every row of b (tables in
// field order, rows in order, fields in order): set when the pointer is
// not nil. gob transmits a pointer to a zero value as nothing, so a saved
// 0 ms handshake would come back NULL without it.
func presence(b *observe.Batch) []byte {
	var bits []byte
	n := 0
	walkPointers(b, func(p reflect.Value) {
		if n%8 == 0 {
			bits = append(bits, 0)
		}
		if !p.IsNil() {
			bits[n/8] |= 1 << (n % 8)
		}
		n++
	})
	return bits
}

// restorePresence sets to a zero value every pointer field presence saw
// set and gob brought back nil.
func restorePresence(b *observe.Batch, bits []byte) error {
	n := 0
	bad := false
	walkPointers(b, func(p reflect.Value) {
		if n/8 >= len(bits) {
			bad = true
		} else if bits[n/8]&(1<<(n%8)) != 0 && p.IsNil() {
			p.Set(reflect.New(p.Type().Elem()))
		}
		n++
	})
	if bad || (n+7)/8 != len(bits) {
		return fmt.Errorf("collector: restore state: saved rows do not match their pointer map")
	}
	return nil
}

// walkPointers calls fn with every pointer field of every row of b.
func walkPointers(b *observe.Batch, fn func(reflect.Value)) {
	bv := reflect.ValueOf(b).Elem()
	for i := range bv.NumField() {
		rows := bv.Field(i)
		if rows.Kind() != reflect.Slice || rows.Type().Elem().Kind() != reflect.Struct {
			continue
		}
		cols := observe.ColumnFields(rows.Type().Elem())
		for j := range rows.Len() {
			row := rows.Index(j)
			for _, c := range cols {
				if f := row.FieldByIndex(c.Index); f.Kind() == reflect.Pointer && f.CanSet() {
					fn(f)
				}
			}
		}
	}
}

func saveBad(m map[uint16]*badPDUs) map[uint16]savedBad {
	out := map[uint16]savedBad{}
	for id, b := range m {
		out[id] = savedBad{N: b.n, FirstNs: b.firstNs, First: b.first}
	}
	return out
}

func restoreBad(m map[uint16]savedBad) map[uint16]*badPDUs {
	out := map[uint16]*badPDUs{}
	for id, b := range m {
		out[id] = &badPDUs{n: b.N, firstNs: b.FirstNs, first: b.First}
	}
	return out
}

// savedSwitch is the latest switch-over's time in a checkpoint.
type savedSwitch struct {
	AtNs  int64
	Timed bool
	Hash  string // the version switched to; empty in a state saved before it existed
}

// savedSwitch returns the latest switch-over for a checkpoint, nil when
// none came.
func (ow *owState) savedSwitch() *savedSwitch {
	if ow.switchAt == math.MinInt64 {
		return nil
	}
	return &savedSwitch{AtNs: ow.switchAt, Timed: ow.timed, Hash: ow.switchHash}
}

// placeHops sets the hop indices of the one-way rows of c.batch from their
// hop names and their class's hops: rows of a state saved before
// from_hop_index and to_hop_index were columns hold 0 there (gob leaves a
// field it does not find zero), and the saving collector had the same
// classes (RestoreState), so the names place each row on its path.
func (c *Collector) placeHops() {
	hops := map[string][]string{}
	for name, rec := range c.ow.recs {
		hops[name] = rec.Config().Hops
	}
	at := func(class, hop string) uint8 { return uint8(max(slices.Index(hops[class], hop), 0)) }
	for i := range c.batch.OnewayDelays {
		r := &c.batch.OnewayDelays[i]
		r.FromHopIndex, r.ToHopIndex = at(r.Class, r.FromHop), at(r.Class, r.ToHop)
	}
	for i := range c.batch.OnewayLatency {
		k := &c.batch.OnewayLatency[i].OnewayKey
		k.FromHopIndex, k.ToHopIndex = at(k.Class, k.FromHop), at(k.Class, k.ToHop)
	}
	for i := range c.batch.OnewayLoss {
		k := &c.batch.OnewayLoss[i].OnewayKey
		k.FromHopIndex, k.ToHopIndex = at(k.Class, k.FromHop), at(k.Class, k.ToHop)
	}
}

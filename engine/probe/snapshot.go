package probe

import (
	"cmp"
	"slices"

	"github.com/tmonbench/tmonbench/engine/flow"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
)

// topFlow is one flow's counters over an interval, kept for snapshots.
type topFlow struct {
	key              flow.Key
	id               uint64
	firstNs          int64 // the flow's first packet
	packets, ipBytes uint64
}

// topFlows keeps the observe.SnapshotFlows busiest flows (by IP bytes) of
// the interval being closed, in a fixed array (a min-heap): no allocation,
// O(log SnapshotFlows) per active flow at an interval's close, nothing per
// packet. last holds the previous closed interval's, largest first.
type topFlows struct {
	heap         [observe.SnapshotFlows]topFlow
	n            int
	last         [observe.SnapshotFlows]topFlow
	nLast        int
	lastStart    int64 // start of the interval last holds (Unix ns)
	lastLengthNs int64
	// the capture time last's counters cover within that interval (Unix
	// ns, [coveredLo, coveredHi)): observe.IntervalFlow.CoveredStart
	coveredLo, coveredHi int64
}

// note offers f's interval counters (before they are reset).
func (t *topFlows) note(f *flow.Flow) {
	st := f.Metric(flow.MIPBytes)
	if st.N == 0 {
		return
	}
	x := topFlow{key: f.Key(), id: f.ID, firstNs: f.FirstSeenNs, packets: st.N, ipBytes: uint64(st.Sum)}
	if t.n < len(t.heap) {
		t.heap[t.n] = x
		t.n++
		t.up(t.n - 1)
		return
	}
	if x.ipBytes <= t.heap[0].ipBytes {
		return
	}
	t.heap[0] = x
	t.down(0)
}

func (t *topFlows) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if t.heap[p].ipBytes <= t.heap[i].ipBytes {
			return
		}
		t.heap[p], t.heap[i] = t.heap[i], t.heap[p]
		i = p
	}
}

func (t *topFlows) down(i int) {
	for {
		l, m := 2*i+1, i
		if l < t.n && t.heap[l].ipBytes < t.heap[m].ipBytes {
			m = l
		}
		if r := l + 1; r < t.n && t.heap[r].ipBytes < t.heap[m].ipBytes {
			m = r
		}
		if m == i {
			return
		}
		t.heap[m], t.heap[i] = t.heap[i], t.heap[m]
		i = m
	}
}

// closed makes the flows noted so far the latest closed interval's, the
// interval starting at startNs and lasting lengthNs, of which the capture
// covered [lo, hi) (lo the run's first packet when later than startNs, hi
// the probe clock at the close when earlier than the interval's end).
func (t *topFlows) closed(startNs, lengthNs, lo, hi int64) {
	t.last, t.nLast = t.heap, t.n
	slices.SortFunc(t.last[:t.nLast], func(a, b topFlow) int {
		switch {
		case a.ipBytes > b.ipBytes:
			return -1
		case a.ipBytes < b.ipBytes:
			return 1
		}
		return 0
	})
	t.n, t.lastStart, t.lastLengthNs = 0, startNs, lengthNs
	t.coveredLo, t.coveredHi = lo, max(hi, lo)
}

// AppendSnapshot adds the probe's counters, its channels' transport state
// and the busiest flows of its latest closed interval to s (once a second
// at most: it allocates the rows' strings). It belongs to the probe's
// goroutine, like Packet.
func (p *Probe) AppendSnapshot(s *observe.Snapshot) {
	appendEngine(s, p.id.Name, p.Stats(), p.flows.Len(), p.nowNs, p.senders)
	s.Flows = p.appendFlows(s.Flows)
	s.Current = p.appendCurrent(s.Current)
}

// AppendSnapshot is Probe.AppendSnapshot for the workers together: it
// merges the batches in flight (the workers' tables are then still), sums
// their flows and keeps the busiest of their latest intervals' flows.
func (w *Workers) AppendSnapshot(s *observe.Snapshot) {
	w.drain()
	active := 0
	for _, p := range w.ws {
		active += p.flows.Len()
	}
	appendEngine(s, w.ws[0].id.Name, w.Stats(), active, w.now, w.senders)
	start := len(s.Flows)
	for i, p := range w.ws {
		from := len(s.Flows)
		s.Flows = p.appendFlows(s.Flows)
		w.denseIDs(i, s.Flows[from:])
	}
	s.Flows = busiestOf(s.Flows, start)
	start = len(s.Current)
	for i, p := range w.ws {
		from := len(s.Current)
		s.Current = p.appendCurrent(s.Current)
		w.denseIDs(i, s.Current[from:])
	}
	s.Current = busiestOf(s.Current, start)
}

// denseIDs gives worker i's flows their ids in the tables (renum.go):
// every id it gave is numbered once the batches are merged.
func (w *Workers) denseIDs(i int, fs []observe.IntervalFlow) {
	for j := range fs {
		if d, ok := w.rn.dense(i, pdu.IDFlow, fs[j].FlowID); ok {
			fs[j].FlowID = d
		}
	}
}

// busiestOf keeps the observe.SnapshotFlows busiest of the flows the
// workers appended to fs from start on, largest first.
func busiestOf(fs []observe.IntervalFlow, start int) []observe.IntervalFlow {
	flows := fs[start:]
	slices.SortStableFunc(flows, func(a, b observe.IntervalFlow) int { return cmp.Compare(b.Bytes, a.Bytes) })
	return fs[:start+min(len(flows), observe.SnapshotFlows)]
}

// appendEngine adds one probe identity's counters and channels to s.
func appendEngine(s *observe.Snapshot, name string, st Stats, active int, nowNs int64, senders []*pdu.Sender) {
	s.CaptureNs = max(s.CaptureNs, nowNs)
	s.Probes = append(s.Probes, observe.ProbeCounters{
		Probe: name, Packets: st.Packets, Bytes: st.Bytes, IP: st.IP, NotIP: st.NotIP, Malformed: st.Malformed,
		FlowsActive: active, Flows: st.Flows, FlowsExpired: st.Expired, FlowsEvicted: st.Evicted, Intervals: st.Intervals,
	})
	for _, snd := range senders {
		x := snd.Stats()
		c := observe.ChannelCounters{Probe: name, Collector: snd.Collector(), Acked: x.Acked, Retransmits: x.Retransmits, Heartbeats: x.Heartbeats,
			Unacked: x.Unacked, Queued: x.Queued, LongRetry: x.LongRetry, LongRetryEntries: x.LongRetryEntries,
			Backlog: x.Backlog, BacklogEntries: x.BacklogEntries}
		for t := range x.PDUs {
			c.Sent += x.PDUs[t]
			c.SentBytes += x.Bytes[t]
			c.Destroyed += x.Destroyed[t]
		}
		s.Channels = append(s.Channels, c)
	}
}

// appendFlows appends the busiest flows of the probe's latest closed
// interval, largest first.
func (p *Probe) appendFlows(out []observe.IntervalFlow) []observe.IntervalFlow {
	return p.appendTop(out, &p.top)
}

// appendCurrent appends the busiest flows of the probe's interval in
// progress, their counters so far (observe.Snapshot.Current), largest
// first: one pass over the interval's active flows (as its close makes,
// reportActive), at a snapshot, once a second at most; nothing per packet.
// None before the probe started.
func (p *Probe) appendCurrent(out []observe.IntervalFlow) []observe.IntervalFlow {
	if !p.started {
		return out
	}
	t := &p.cur
	for _, f := range p.active {
		if f.Active {
			t.note(f)
		}
	}
	end := pkt.AddNs(p.intervalStart, p.intervalNs)
	t.closed(p.intervalStart, p.intervalNs, max(p.intervalStart, p.firstNs), min(end, p.nowNs))
	return p.appendTop(out, t)
}

// appendTop appends the flows t holds as its last interval's.
func (p *Probe) appendTop(out []observe.IntervalFlow, t *topFlows) []observe.IntervalFlow {
	for _, x := range t.last[:t.nLast] {
		k := x.key
		f := observe.IntervalFlow{Probe: p.id.Name, FlowID: x.id, IntervalStart: t.lastStart, IntervalS: float64(t.lastLengthNs) / 1e9, FirstSeen: x.firstNs,
			CoveredStart: t.coveredLo, CoveredS: float64(t.coveredHi-t.coveredLo) / 1e9,
			IPVersion: k.IPVersion, Protocol: k.Protocol, SrcPort: k.SrcPort, DstPort: k.DstPort, Packets: x.packets, Bytes: x.ipBytes}
		if int(k.Class) < len(p.classes) {
			f.Class = p.classes[k.Class].cfg.Name
		}
		if int(k.Iface) < len(p.id.Interfaces) {
			f.Interface = p.id.Interfaces[k.Iface]
		}
		if k.SrcAddr.IsValid() {
			f.SrcAddr = k.SrcAddr.String()
		}
		if k.DstAddr.IsValid() {
			f.DstAddr = k.DstAddr.String()
		}
		out = append(out, f)
	}
	return out
}

// Snapshots counts the packets of each input and publishes
// observe.Snapshots of running engines at most once a second: Probe.Run
// and the in-process pipeline use it. Count belongs to the engines'
// goroutine (it is called per packet and does not allocate); To is read
// from any goroutine.
type Snapshots struct {
	To *observe.Latest // nil: no snapshots (Count and Due do nothing)
	// Kernel, when set, fills the inputs' kernel capture counters of
	// each snapshot (live capture: PACKET_STATISTICS), in input order.
	Kernel func(in []observe.InputCounters)
	// Wall is the wall clock (Unix ns) that paces the snapshots and dates
	// them; nil: capture time paces them and WallNs stays 0.
	Wall  func() int64
	State string // Snapshot.State
	// Inputs are the inputs' names and counters (InputsOf); Count counts
	// their packets and bytes.
	Inputs []observe.InputCounters
	lastNs int64 // clock of the last snapshot
}

// InputsOf returns one observe.InputCounters per interface of a probe,
// its kernel counters unknown (-1).
func InputsOf(probe string, ifaces ...string) []observe.InputCounters {
	in := make([]observe.InputCounters, len(ifaces))
	for i, name := range ifaces {
		in[i] = observe.InputCounters{Probe: probe, Interface: name, KernelPackets: -1, KernelDrops: -1, KernelFreezes: -1}
	}
	return in
}

// Count counts a packet of n captured bytes from input i.
func (s *Snapshots) Count(i int, n int) {
	if s.To != nil && i >= 0 && i < len(s.Inputs) {
		s.Inputs[i].Packets++
		s.Inputs[i].Bytes += uint64(n)
	}
}

// Due reports whether a second has passed since the last snapshot, on
// the wall clock, or on the capture clock nowNs without one.
func (s *Snapshots) Due(nowNs int64) bool {
	if s.To == nil {
		return false
	}
	if s.Wall != nil {
		nowNs = s.Wall()
	}
	if nowNs-s.lastNs < 1e9 {
		return false
	}
	s.lastNs = nowNs
	return true
}

// Publish publishes a snapshot of the inputs, filled in by fill (the
// engines' AppendSnapshot), done when the run has ended.
func (s *Snapshots) Publish(done bool, fill func(sn *observe.Snapshot)) {
	if s.To == nil {
		return
	}
	sn := &observe.Snapshot{State: s.State, Done: done, Inputs: slices.Clone(s.Inputs)}
	if s.Wall != nil {
		sn.WallNs = s.Wall()
	}
	if s.Kernel != nil {
		s.Kernel(sn.Inputs)
	}
	fill(sn)
	s.To.Publish(sn)
}

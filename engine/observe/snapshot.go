package observe

import "sync/atomic"

// Snapshot is a copy of a running run's counters (issue 11.8, 12.3): what
// the live TUI and the Prometheus metrics read while the engines work,
// instead of callbacks or re-reading the Parquet output. An engine builds
// one at most once a second of wall time (never per packet) and publishes
// it whole (Latest); a reader gets an immutable value it must not modify.
// Counters ending in a total are monotonic over one run (a config
// switch-over starts a new run, design 1.6); the others are gauges.
type Snapshot struct {
	// WallNs is the wall clock (Unix ns) when the snapshot was taken:
	// rates are differences between two snapshots over the difference of
	// their WallNs.
	WallNs int64
	// CaptureNs is the engines' clock: the latest capture time seen (Unix
	// ns), 0 before the first packet.
	CaptureNs int64
	// State says what the run is doing ("replaying", "capturing",
	// "probing", "serving"); Done is set once it ended (numbers final).
	State string
	Done  bool
	// Inputs are the capture interfaces (or replayed files), in input
	// order; Probes the probe engines; Channels every probe-to-collector
	// PDU channel (per probe, then collector); Collectors the collector
	// engines.
	Inputs     []InputCounters
	Probes     []ProbeCounters
	Channels   []ChannelCounters
	Collectors []CollectorCounters
	// Flows are the busiest flows of each probe's latest closed interval
	// (by IP bytes, largest first, at most SnapshotFlows a probe), so a
	// live table shows flows without a query.
	Flows []IntervalFlow
	// Current are the busiest flows of each probe's interval in progress,
	// as Flows, their counters so far (partial: the interval has not
	// closed; CoveredS is the capture time it covered until the snapshot),
	// so that a flow started since the latest close is seen before the
	// next. Taken at the snapshot from the flows active in the interval,
	// nothing per packet.
	Current []IntervalFlow
	// Recent holds the latest rows of RecentTables (at most SnapshotRecent
	// a table, oldest first; nil when the run keeps none), taken from the
	// first collector as it produces them, before they are written;
	// RecentRows counts the rows taken since the run began (total), so a
	// reader sees whether any came since its last snapshot.
	Recent     *Batch
	RecentRows uint64
}

// SnapshotFlows is the most flows of one probe's latest closed interval
// a Snapshot holds (Snapshot.Flows).
const SnapshotFlows = 64

// InputCounters are one capture input's counters: an interface of a live
// capture or a replayed capture file.
type InputCounters struct {
	Probe     string // probe the input feeds
	Interface string // probe interface name ("" when unnamed)
	Packets   uint64 // packets handed to the probe engine, total
	Bytes     uint64 // captured bytes handed to the probe engine, total
	// KernelPackets, KernelDrops and KernelFreezes are the kernel's
	// capture counters (PACKET_STATISTICS tp_packets, tp_drops,
	// tp_freeze_q_cnt; design 1.7), -1 when the input has none (a file).
	KernelPackets, KernelDrops, KernelFreezes int64
}

// ProbeCounters are one probe engine's counters (probe.Stats).
type ProbeCounters struct {
	Probe     string
	Packets   uint64 // packets processed, total
	Bytes     uint64 // captured bytes processed, total
	IP        uint64 // packets with a usable IP header, total
	NotIP     uint64 // non-IP frames, total
	Malformed uint64 // packets with a broken link or IP header, total
	// FlowsActive is the number of flows in the flow table now (gauge);
	// Flows, FlowsExpired and FlowsEvicted count flows created, expired
	// idle and evicted from a full table (totals).
	FlowsActive                       int
	Flows, FlowsExpired, FlowsEvicted uint64
	Intervals                         uint64 // intervals closed, total
}

// ChannelCounters are one probe-to-collector PDU channel's transport
// counters (pdu.SenderStats, design 1.5, 4.1).
type ChannelCounters struct {
	Probe, Collector string
	Sent             uint64 // PDUs built and sent (first transmissions, heartbeats included), total
	Heartbeats       uint64 // heartbeats among Sent (never acknowledged: Sent = Acked + Unacked + Destroyed + Heartbeats), total
	SentBytes        uint64 // frame bytes of first transmissions, total
	Acked            uint64 // PDUs acknowledged, total
	Retransmits      uint64 // retransmissions, total
	Destroyed        uint64 // PDUs given up in long retry mode (observations lost), total
	Unacked          int    // PDUs waiting for an acknowledgement now (gauge)
	Queued           int    // PDUs waiting for a sending slot now (gauge)
	// LongRetry is set while the channel is in long retry mode (the
	// collector unreachable); LongRetryEntries counts the times it entered
	// it.
	LongRetry        bool
	LongRetryEntries uint64
	// Backlog is set while the PDUs waiting for their first sending slot
	// exceed the channel's backlog_s of sending time (the sender cannot
	// drain what the probe produces, design 1.5; event pdu_backlog);
	// BacklogEntries counts the times it started.
	Backlog        bool
	BacklogEntries uint64
}

// CollectorCounters are one collector engine's counters.
type CollectorCounters struct {
	Collector string
	// QueueFrames counts the frames waiting for the collector (gauge; 0
	// when it runs on the probes' goroutine or reads its own socket).
	QueueFrames int
	Frames      uint64 // frames received, total
	Accepted    uint64 // PDUs accepted (fresh), total
	Duplicates  uint64 // duplicate PDUs (acknowledged again, not applied), total
	Refused     uint64 // frames refused (bad, unknown probe, bad tag, closed epoch), total
	// OnewayPendingPackets are packets seen at some hops of their path,
	// waiting for the others or their timeout; OnewayHeldObservations wait
	// for their flow's definition (gauges, design 3.8).
	OnewayPendingPackets, OnewayHeldObservations int
	RowsWritten                                  uint64 // rows handed to the sink, total
}

// IntervalFlow is one flow's counters over a probe's latest closed
// interval (the flow_counters packets and ip_bytes metrics of that
// interval, with the flow's key as in the flows table).
type IntervalFlow struct {
	Probe, Interface, Class string
	FlowID                  uint64
	IntervalStart           int64   // Unix ns
	IntervalS               float64 // interval length in seconds
	FirstSeen               int64   // the flow's first packet (Unix ns), as flows.first_seen
	IPVersion, Protocol     uint8
	SrcAddr, DstAddr        string // "" when the class does not split by it
	SrcPort, DstPort        uint16
	Packets                 uint64 // IP packets in the interval
	Bytes                   uint64 // IP bytes in the interval
	// CoveredStart (Unix ns) and CoveredS (seconds) are the part of the
	// interval the capture covered: from the later of the interval's start
	// and the run's first packet to the earlier of its end and the probe
	// clock at its close (the last packet when the run ended inside it).
	// A rate over the interval is Bytes over CoveredS, not IntervalS (a
	// 10.9 s capture inside a 60 s interval moved its bytes in 10.9 s);
	// CoveredS is 0 when the capture is one instant (one packet).
	CoveredStart int64
	CoveredS     float64
}

// Snapshotter is anything that gives a Snapshot of a running engine: a
// Latest an engine publishes to, or a collector.Server. Snapshot may be
// called from any goroutine; it returns nil before the first snapshot.
type Snapshotter interface {
	Snapshot() *Snapshot
}

// Latest holds the latest Snapshot an engine published. Publish and
// Snapshot are safe from any goroutine (one atomic pointer); the zero
// value is ready.
type Latest struct{ p atomic.Pointer[Snapshot] }

// Publish makes s the latest snapshot. The publisher must not modify s
// afterwards.
func (l *Latest) Publish(s *Snapshot) { l.p.Store(s) }

// Snapshot returns the latest snapshot, nil before the first. It is
// shared: do not modify it.
func (l *Latest) Snapshot() *Snapshot { return l.p.Load() }

// Totals returns the sums over every input of packets and bytes handed to
// the engines, and the kernel drops (-1 when no input counts them).
func (s *Snapshot) Totals() (packets, bytes uint64, kernelDrops int64) {
	kernelDrops = -1
	for _, in := range s.Inputs {
		packets += in.Packets
		bytes += in.Bytes
		if in.KernelDrops >= 0 {
			kernelDrops = max(kernelDrops, 0) + in.KernelDrops
		}
	}
	return packets, bytes, kernelDrops
}

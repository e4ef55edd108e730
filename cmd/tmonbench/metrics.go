package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// liveMetrics serves the Prometheus metrics of a live run, a probe or a
// collector process (--metrics): the kernel's capture counters and the
// engines' counters of the latest observe.Snapshot (the engines publish
// one a second; a collector process's server makes one at each scrape).
type liveMetrics struct {
	snap observe.Snapshotter
	srv  *http.Server
	addr string // the address listened on (the port chosen for :0)
}

// Row types the metrics are read from (observe.Snapshot's rows).
type (
	inputRow     = observe.InputCounters
	probeRow     = observe.ProbeCounters
	channelRow   = observe.ChannelCounters
	collectorRow = observe.CollectorCounters
)

// metric is one Prometheus family read from a snapshot row of type R:
// name, help, counter or gauge, and its value in the row.
type metric[R any] struct {
	name, help string
	kind       prometheus.ValueType
	value      func(r *R) float64
}

// family is the metrics read from one kind of row, with the names of the
// labels that tell the rows apart and the metrics' descriptors.
type family[R any] struct {
	metrics []metric[R]
	descs   []*prometheus.Desc
}

// newFamily makes the descriptors of metrics, labelled labels.
func newFamily[R any](labels []string, metrics []metric[R]) *family[R] {
	f := &family[R]{metrics: metrics}
	for _, m := range metrics {
		f.descs = append(f.descs, prometheus.NewDesc(m.name, m.help, labels, nil))
	}
	return f
}

// describe sends f's descriptors.
func (f *family[R]) describe(ch chan<- *prometheus.Desc) {
	for _, d := range f.descs {
		ch <- d
	}
}

// collect sends f's metrics of row r, whose labels are labels.
func (f *family[R]) collect(ch chan<- prometheus.Metric, r *R, labels ...string) {
	for i, m := range f.metrics {
		ch <- prometheus.MustNewConstMetric(f.descs[i], m.kind, m.value(r), labels...)
	}
}

const (
	counter = prometheus.CounterValue
	gauge   = prometheus.GaugeValue
)

// one is 1 for true, 0 for false (a gauge of a state).
func one(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The metrics, one line each, by the row they are read from.
var (
	kernelMetrics = newFamily([]string{"probe", "interface"}, []metric[inputRow]{
		{"tmonbench_capture_kernel_packets_total", "Packets the socket filter passed to the capture ring (dropped ones included).", counter, func(in *inputRow) float64 { return float64(in.KernelPackets) }},
		{"tmonbench_capture_kernel_drops_total", "Packets the kernel dropped because the capture ring was full.", counter, func(in *inputRow) float64 { return float64(in.KernelDrops) }},
		{"tmonbench_capture_ring_freezes_total", "Times the capture ring filled up.", counter, func(in *inputRow) float64 { return float64(in.KernelFreezes) }},
	})
	inputMetrics = newFamily([]string{"probe", "interface"}, []metric[inputRow]{
		{"tmonbench_capture_delivered_packets_total", "Packets handed to the probe engine.", counter, func(in *inputRow) float64 { return float64(in.Packets) }},
	})
	probeMetrics = newFamily([]string{"probe"}, []metric[probeRow]{
		{"tmonbench_probe_packets_total", "Packets the probe processed.", counter, func(p *probeRow) float64 { return float64(p.Packets) }},
		{"tmonbench_probe_bytes_total", "Captured bytes the probe processed.", counter, func(p *probeRow) float64 { return float64(p.Bytes) }},
		{"tmonbench_probe_malformed_packets_total", "Packets with a broken link or IP header.", counter, func(p *probeRow) float64 { return float64(p.Malformed) }},
		{"tmonbench_probe_flows_total", "Granular flows created.", counter, func(p *probeRow) float64 { return float64(p.Flows) }},
		{"tmonbench_probe_flow_evictions_total", "Flows evicted from a full flow table.", counter, func(p *probeRow) float64 { return float64(p.FlowsEvicted) }},
	})
	channelMetrics = newFamily([]string{"probe", "collector"}, []metric[channelRow]{
		{"tmonbench_pdu_sent_total", "PDUs built and sent (first transmissions), heartbeats included.", counter, func(c *channelRow) float64 { return float64(c.Sent) }},
		{"tmonbench_pdu_heartbeats_total", "Heartbeats among the PDUs sent: never acknowledged (sent = acked + unacked + destroyed + heartbeats).", counter, func(c *channelRow) float64 { return float64(c.Heartbeats) }},
		{"tmonbench_pdu_acked_total", "PDUs acknowledged by the collector.", counter, func(c *channelRow) float64 { return float64(c.Acked) }},
		{"tmonbench_pdu_retransmissions_total", "PDU retransmissions.", counter, func(c *channelRow) float64 { return float64(c.Retransmits) }},
		{"tmonbench_pdu_unacked", "PDUs waiting for an acknowledgement now.", gauge, func(c *channelRow) float64 { return float64(c.Unacked) }},
		{"tmonbench_pdu_long_retry", "1 while the channel is in long retry mode (design 1.5).", gauge, func(c *channelRow) float64 { return one(c.LongRetry) }},
		{"tmonbench_pdu_queued", "PDUs built and waiting for their first sending slot.", gauge, func(c *channelRow) float64 { return float64(c.Queued) }},
		{"tmonbench_pdu_backlog", "1 while the PDUs waiting for a sending slot exceed backlog_s of sending time: the channel cannot carry what the probe observes (event pdu_backlog).", gauge, func(c *channelRow) float64 { return one(c.Backlog) }},
		{"tmonbench_pdu_backlog_entries_total", "Times the channel entered a backlog.", counter, func(c *channelRow) float64 { return float64(c.BacklogEntries) }},
	})
	collectorMetrics = newFamily([]string{"collector"}, []metric[collectorRow]{
		{"tmonbench_collector_queue_frames", "Frames waiting for the collector.", gauge, func(c *collectorRow) float64 { return float64(c.QueueFrames) }},
		{"tmonbench_collector_oneway_pending_packets", "One-way records pending: packets seen at some hops of their path, waiting for the others or their timeout.", gauge, func(c *collectorRow) float64 { return float64(c.OnewayPendingPackets) }},
		{"tmonbench_collector_oneway_held_observations", "One-way observations held until their flow's definition arrives.", gauge, func(c *collectorRow) float64 { return float64(c.OnewayHeldObservations) }},
		{"tmonbench_collector_frames_total", "Frames the collector received.", counter, func(c *collectorRow) float64 { return float64(c.Frames) }},
		{"tmonbench_collector_pdus_accepted_total", "PDUs the collector accepted (fresh ones).", counter, func(c *collectorRow) float64 { return float64(c.Accepted) }},
		{"tmonbench_collector_pdus_duplicate_total", "Duplicate PDUs (acknowledged again, not applied).", counter, func(c *collectorRow) float64 { return float64(c.Duplicates) }},
		{"tmonbench_collector_frames_refused_total", "Frames refused (bad, unknown probe, bad tag, closed epoch).", counter, func(c *collectorRow) float64 { return float64(c.Refused) }},
		{"tmonbench_collector_rows_written_total", "Rows handed to the output.", counter, func(c *collectorRow) float64 { return float64(c.RowsWritten) }},
	})
)

// Describe implements prometheus.Collector.
func (m *liveMetrics) Describe(ch chan<- *prometheus.Desc) {
	kernelMetrics.describe(ch)
	inputMetrics.describe(ch)
	probeMetrics.describe(ch)
	channelMetrics.describe(ch)
	collectorMetrics.describe(ch)
}

// Collect implements prometheus.Collector.
func (m *liveMetrics) Collect(ch chan<- prometheus.Metric) {
	o := m.snap.Snapshot()
	if o == nil {
		return
	}
	for i := range o.Inputs {
		in := &o.Inputs[i]
		if in.KernelPackets >= 0 {
			kernelMetrics.collect(ch, in, in.Probe, in.Interface)
		}
		inputMetrics.collect(ch, in, in.Probe, in.Interface)
	}
	for i := range o.Probes {
		probeMetrics.collect(ch, &o.Probes[i], o.Probes[i].Probe)
	}
	// collector label: its name, as the TUI and pdu_stats say it (config
	// collectors[].name, "collector" for the default one and the collector
	// process; the index said "0"), its index among its probe's if nameless
	chans := map[string]int{}
	for i := range o.Channels {
		c := &o.Channels[i]
		channelMetrics.collect(ch, c, c.Probe, cmp.Or(c.Collector, fmt.Sprint(chans[c.Probe])))
		chans[c.Probe]++
	}
	for i := range o.Collectors {
		collectorMetrics.collect(ch, &o.Collectors[i], cmp.Or(o.Collectors[i].Collector, fmt.Sprint(i)))
	}
}

// serveMetrics listens on addr and serves /metrics until stop.
func serveMetrics(addr string, snap observe.Snapshotter) (*liveMetrics, error) {
	m := &liveMetrics{snap: snap}
	reg := prometheus.NewRegistry()
	if err := reg.Register(m); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.addr = ln.Addr().String()
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err
		}
	}()
	return m, nil
}

// stop closes the server; a nil m (no --metrics) is a no-op.
func (m *liveMetrics) stop() {
	if m != nil {
		m.srv.Close()
	}
}

// say prints on w where the metrics are served, for the command who
// ("collector", "probe NAME"); a nil m (no --metrics) says nothing.
func (m *liveMetrics) say(w io.Writer, who string) {
	if m != nil {
		fmt.Fprintf(w, "tmonbench %s: metrics on http://%s/metrics\n", who, m.addr)
	}
}

// metricsFlag is the --metrics flag of the commands that run engines:
// live, probe and collector.
type metricsFlag struct{ addr *string }

// register adds --metrics to fs; its help suggests the address example
// (a collector's port is a probe's plus one: both fit on one host) and
// ends with more.
func (f *metricsFlag) register(fs *pflag.FlagSet, example, more string) {
	f.addr = fs.String("metrics", "", "serve Prometheus metrics on `ADDR` (e.g. "+example+"), path /metrics"+more)
}

// serve serves snap's metrics on the --metrics address, nil when the flag
// is not set; an address it cannot listen on is a usage error of the
// command cmd.
func (f *metricsFlag) serve(cmd string, snap observe.Snapshotter) (*liveMetrics, error) {
	if *f.addr == "" {
		return nil, nil
	}
	m, err := serveMetrics(*f.addr, snap)
	if err != nil {
		return nil, usageErr("%s: %v", cmd, err)
	}
	return m, nil
}

// laterSnapshotter is a Snapshotter whose source is set once it exists
// (the metrics listen before it is made): no snapshot before.
type laterSnapshotter struct {
	p atomic.Pointer[observe.Snapshotter]
}

// set makes s the source of the snapshots.
func (l *laterSnapshotter) set(s observe.Snapshotter) { l.p.Store(&s) }

// Snapshot implements observe.Snapshotter.
func (l *laterSnapshotter) Snapshot() *observe.Snapshot {
	if s := l.p.Load(); s != nil {
		return (*s).Snapshot()
	}
	return nil
}

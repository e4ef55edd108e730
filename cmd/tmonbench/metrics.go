package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

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

var (
	descKernel    = prometheus.NewDesc("tmonbench_capture_kernel_packets_total", "Packets the socket filter passed to the capture ring (dropped ones included).", []string{"probe", "interface"}, nil)
	descDrops     = prometheus.NewDesc("tmonbench_capture_kernel_drops_total", "Packets the kernel dropped because the capture ring was full.", []string{"probe", "interface"}, nil)
	descFreezes   = prometheus.NewDesc("tmonbench_capture_ring_freezes_total", "Times the capture ring filled up.", []string{"probe", "interface"}, nil)
	descDelivered = prometheus.NewDesc("tmonbench_capture_delivered_packets_total", "Packets handed to the probe engine.", []string{"probe", "interface"}, nil)
	descPackets   = prometheus.NewDesc("tmonbench_probe_packets_total", "Packets the probe processed.", []string{"probe"}, nil)
	descBytes     = prometheus.NewDesc("tmonbench_probe_bytes_total", "Captured bytes the probe processed.", []string{"probe"}, nil)
	descMalformed = prometheus.NewDesc("tmonbench_probe_malformed_packets_total", "Packets with a broken link or IP header.", []string{"probe"}, nil)
	descFlows     = prometheus.NewDesc("tmonbench_probe_flows_total", "Granular flows created.", []string{"probe"}, nil)
	descEvicted   = prometheus.NewDesc("tmonbench_probe_flow_evictions_total", "Flows evicted from a full flow table.", []string{"probe"}, nil)
	descSent      = prometheus.NewDesc("tmonbench_pdu_sent_total", "PDUs built and sent (first transmissions).", []string{"probe", "collector"}, nil)
	descAcked     = prometheus.NewDesc("tmonbench_pdu_acked_total", "PDUs acknowledged by the collector.", []string{"probe", "collector"}, nil)
	descRetried   = prometheus.NewDesc("tmonbench_pdu_retransmissions_total", "PDU retransmissions.", []string{"probe", "collector"}, nil)
	descUnacked   = prometheus.NewDesc("tmonbench_pdu_unacked", "PDUs waiting for an acknowledgement now.", []string{"probe", "collector"}, nil)
	descLongRetry = prometheus.NewDesc("tmonbench_pdu_long_retry", "1 while the channel is in long retry mode (design 1.5).", []string{"probe", "collector"}, nil)
	descQueued    = prometheus.NewDesc("tmonbench_pdu_queued", "PDUs built and waiting for their first sending slot.", []string{"probe", "collector"}, nil)
	descBacklog   = prometheus.NewDesc("tmonbench_pdu_backlog", "1 while the PDUs waiting for a sending slot exceed backlog_s of sending time: the channel cannot carry what the probe observes (event pdu_backlog).", []string{"probe", "collector"}, nil)
	descBacklogs  = prometheus.NewDesc("tmonbench_pdu_backlog_entries_total", "Times the channel entered a backlog.", []string{"probe", "collector"}, nil)
	descQueue     = prometheus.NewDesc("tmonbench_collector_queue_frames", "Frames waiting for the collector.", []string{"collector"}, nil)
	descOwPending = prometheus.NewDesc("tmonbench_collector_oneway_pending_packets", "One-way records pending: packets seen at some hops of their path, waiting for the others or their timeout.", []string{"collector"}, nil)
	descOwHeld    = prometheus.NewDesc("tmonbench_collector_oneway_held_observations", "One-way observations held until their flow's definition arrives.", []string{"collector"}, nil)
	descFrames    = prometheus.NewDesc("tmonbench_collector_frames_total", "Frames the collector received.", []string{"collector"}, nil)
	descAccepted  = prometheus.NewDesc("tmonbench_collector_pdus_accepted_total", "PDUs the collector accepted (fresh ones).", []string{"collector"}, nil)
	descDups      = prometheus.NewDesc("tmonbench_collector_pdus_duplicate_total", "Duplicate PDUs (acknowledged again, not applied).", []string{"collector"}, nil)
	descRefused   = prometheus.NewDesc("tmonbench_collector_frames_refused_total", "Frames refused (bad, unknown probe, bad tag, closed epoch).", []string{"collector"}, nil)
	descRows      = prometheus.NewDesc("tmonbench_collector_rows_written_total", "Rows handed to the output.", []string{"collector"}, nil)
)

// Describe implements prometheus.Collector.
func (m *liveMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descKernel, descDrops, descFreezes, descDelivered, descPackets, descBytes,
		descMalformed, descFlows, descEvicted, descSent, descAcked, descRetried, descUnacked, descLongRetry, descQueued, descBacklog, descBacklogs, descQueue, descOwPending, descOwHeld,
		descFrames, descAccepted, descDups, descRefused, descRows} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *liveMetrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	o := m.snap.Snapshot()
	if o == nil {
		return
	}
	for _, in := range o.Inputs {
		if in.KernelPackets >= 0 {
			counter(descKernel, float64(in.KernelPackets), in.Probe, in.Interface)
			counter(descDrops, float64(in.KernelDrops), in.Probe, in.Interface)
			counter(descFreezes, float64(in.KernelFreezes), in.Probe, in.Interface)
		}
		counter(descDelivered, float64(in.Packets), in.Probe, in.Interface)
	}
	for _, p := range o.Probes {
		counter(descPackets, float64(p.Packets), p.Probe)
		counter(descBytes, float64(p.Bytes), p.Probe)
		counter(descMalformed, float64(p.Malformed), p.Probe)
		counter(descFlows, float64(p.Flows), p.Probe)
		counter(descEvicted, float64(p.FlowsEvicted), p.Probe)
	}
	chans := map[string]int{} // collector label: the channel's index among its probe's
	for _, c := range o.Channels {
		coll := fmt.Sprint(chans[c.Probe])
		chans[c.Probe]++
		counter(descSent, float64(c.Sent), c.Probe, coll)
		counter(descAcked, float64(c.Acked), c.Probe, coll)
		counter(descRetried, float64(c.Retransmits), c.Probe, coll)
		gauge(descUnacked, float64(c.Unacked), c.Probe, coll)
		lr := 0.0
		if c.LongRetry {
			lr = 1
		}
		gauge(descLongRetry, lr, c.Probe, coll)
		gauge(descQueued, float64(c.Queued), c.Probe, coll)
		bl := 0.0
		if c.Backlog {
			bl = 1
		}
		gauge(descBacklog, bl, c.Probe, coll)
		counter(descBacklogs, float64(c.BacklogEntries), c.Probe, coll)
	}
	for i, c := range o.Collectors {
		gauge(descQueue, float64(c.QueueFrames), fmt.Sprint(i))
		gauge(descOwPending, float64(c.OnewayPendingPackets), fmt.Sprint(i))
		gauge(descOwHeld, float64(c.OnewayHeldObservations), fmt.Sprint(i))
		counter(descFrames, float64(c.Frames), fmt.Sprint(i))
		counter(descAccepted, float64(c.Accepted), fmt.Sprint(i))
		counter(descDups, float64(c.Duplicates), fmt.Sprint(i))
		counter(descRefused, float64(c.Refused), fmt.Sprint(i))
		counter(descRows, float64(c.RowsWritten), fmt.Sprint(i))
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

func (m *liveMetrics) stop() { m.srv.Close() }

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

package collector

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/journal"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/pdu"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// deadConfig is the new-user trial's setup: one probe, 5 s intervals, the
// default class all with ICMP echo round trips.
const deadConfig = `
interval_s: 5
probes: [{name: srv}]
classes:
  - name: all
    filter: ""
    granularity: [ip_version, protocol, src_addr, dst_addr, src_port, dst_port]
    analyses: [counters, rtt]
    rtt: {kinds: [icmp_echo]}
`

// udpBytes is the IP total length of the test's UDP datagrams: 20 (IPv4)
// + 8 (UDP) + 100 of payload.
const udpBytes = 128

// deadTraffic is the capture of the probe that dies, times in seconds
// after capgen.Base: flow U1 (10.0.0.1:1000 > 10.0.0.2:9) one datagram
// every second from 0.5 to 11.5 s, flow U2 (10.0.0.3:2000 > 10.0.0.2:9)
// one at 1 s, and four ICMP echoes 10.0.0.1 > 10.0.0.9 at 6, 6.5, 7 and
// 7.5 s answered 10 ms later (two flows: requests and replies).
func deadTraffic() (data [][]byte, metas []pkt.Meta) {
	add := func(s float64, f []byte) {
		data = append(data, f)
		metas = append(metas, pkt.Meta{TimeNs: capgen.Ms(s * 1000), CapLen: uint32(len(f)), WireLen: uint32(len(f)), LinkType: pkt.LinkEthernet})
	}
	payload := make([]byte, udpBytes-28)
	u1 := capgen.UDP{Src: capgen.AP("10.0.0.1:1000"), Dst: capgen.AP("10.0.0.2:9"), Payload: payload}.Frame()
	for i := range 12 {
		t := 0.5 + float64(i)
		if t == 6.5 || t == 7.5 {
			t += 0.001 // not at an echo's instant
		}
		add(t, u1)
		if i == 0 {
			add(1, capgen.UDP{Src: capgen.AP("10.0.0.3:2000"), Dst: capgen.AP("10.0.0.2:9"), Payload: payload}.Frame())
		}
		if i >= 5 && i <= 6 {
			for _, s := range []float64{float64(i) + 1, float64(i) + 1.5} {
				add(s-0.002, capgen.ICMPEcho{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.9"), ID: 7, Seq: uint16(2 * s)}.Frame())
				add(s+0.008, capgen.ICMPEcho{Src: netip.MustParseAddr("10.0.0.9"), Dst: netip.MustParseAddr("10.0.0.1"), Reply: true, ID: 7, Seq: uint16(2 * s)}.Frame())
			}
		}
	}
	return sortByTime(data, metas)
}

// sortByTime reorders data and metas together by capture time.
func sortByTime(data [][]byte, metas []pkt.Meta) ([][]byte, []pkt.Meta) {
	idx := make([]int, len(data))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return int(metas[a].TimeNs - metas[b].TimeNs) })
	d, m := make([][]byte, len(data)), make([]pkt.Meta, len(data))
	for i, j := range idx {
		d[i], m[i] = data[j], metas[j]
	}
	return d, m
}

// runFrames runs probe srv (run epoch) over data and returns every frame
// its sender built, its final report last.
func runFrames(t *testing.T, cfg *config.Config, epoch int64, data [][]byte, metas []pkt.Meta) [][]byte {
	t.Helper()
	var frames [][]byte
	lb := &pdu.Loopback{Deliver: recorder{&frames}.deliver}
	p, err := probe.New(probe.Identity{Name: "srv", ID: cfg.ProbeID("srv"), Interfaces: []string{"eth0"}, Epoch: epoch}, cfg, []probe.Channel{{Link: lb, Config: pdu.DefaultSenderConfig()}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lb.Ack = p.Senders()[0].HandleAck
	for i := range data {
		p.Packet(data[i], metas[i])
	}
	p.Close()
	p.Senders()[0].Settle(p.Now() + 3600e9)
	return frames
}

// deadRun returns the frames of run epoch 1 of probe srv over
// deadTraffic that a collector received before the probe was killed at
// 10 s of its capture (frames built later, its final report among them,
// never left), and the build time of the last data PDU among them.
func deadRun(t *testing.T, cfg *config.Config) (frames [][]byte, lastNs int64) {
	t.Helper()
	data, metas := deadTraffic()
	kill := capgen.Ms(10000)
	for _, f := range runFrames(t, cfg, 1, data, metas) {
		h, _, err := pdu.ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if h.BuildTimeNs >= kill {
			continue
		}
		if h.Type == pdu.TypeReport {
			t.Fatal("the final report was built before the kill: the test kills nothing")
		}
		if h.Type != pdu.TypeEvents && h.Type != pdu.TypeHeartbeat && h.Type != pdu.TypeDropped {
			lastNs = max(lastNs, h.BuildTimeNs)
		}
		frames = append(frames, f)
	}
	return frames, lastNs
}

// checkDeadRun checks the rows of the dead run in b (probe srv, flow ids
// below 1<<48) against deadTraffic: U1 keeps the totals of the 5 s
// interval report (its 5 datagrams at 0.5 to 4.5 s), U2 its 1; the echo
// flows began after that report and before the next (10 s), so none of
// their totals arrived: no flows row, and one probe_run_incomplete event
// at lastNs counting the 4 open flows, 2 of them left out. The 4 echo
// round trips arrived (rtt_samples) and name the left-out request flow.
func checkDeadRun(t *testing.T, b *observe.Batch, lastNs int64, found string) {
	t.Helper()
	type tot struct {
		name    string
		packets uint64
		bytes   uint64
	}
	var got []tot
	inFlows := map[uint64]bool{}
	slices.SortFunc(b.Flows, func(x, y observe.Flow) int { return cmp.Compare(x.FlowID, y.FlowID) }) // parts of several drains
	for _, f := range b.Flows {
		if f.FlowID>>pdu.RunShift == 0 {
			got = append(got, tot{f.Name, f.Packets, f.Bytes})
			inFlows[f.FlowID] = true
		}
	}
	want := []tot{{"10.0.0.1:1000>10.0.0.2:9/udp", 5, 5 * udpBytes}, {"10.0.0.3:2000>10.0.0.2:9/udp", 1, udpBytes}}
	if !slices.Equal(got, want) {
		t.Errorf("flows of the dead run %v, want %v (the echo flows, without totals, left out)", got, want)
	}
	n := 0
	for _, r := range b.RTTSamples {
		if r.FlowID>>pdu.RunShift == 0 && r.Kind == "icmp_echo" {
			n++
			if inFlows[r.FlowID] {
				t.Errorf("rtt sample %+v names a flow in flows: want the left-out echo flow", r)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d icmp_echo rtt_samples of the dead run, want its 4 echoes", n)
	}
	var inc []observe.Event
	for _, e := range b.Events {
		if e.Kind == "probe_run_incomplete" {
			inc = append(inc, e)
		}
	}
	if len(inc) != 1 {
		t.Fatalf("%d probe_run_incomplete events, want 1: %+v", len(inc), inc)
	}
	e := inc[0]
	t.Log(e.Message)
	at := time.Unix(0, lastNs).UTC().Format(time.RFC3339Nano)
	for _, s := range []string{"probe srv: a run ended without its final report", "run epoch 1, found as " + found, "built at " + at,
		": 4 flows still open in it never got their final totals", "2 of those flows had no totals at all and are left out of flows", "2 keep the totals of their last report"} {
		if !strings.Contains(e.Message, s) {
			t.Errorf("probe_run_incomplete message %q does not say %q", e.Message, s)
		}
	}
	if e.Count != 4 || e.Time != lastNs || e.Severity != observe.SevWarning || e.Source != "collector" {
		t.Errorf("probe_run_incomplete %+v, want count 4 (open flows) at %s, warning, collector", e, at)
	}
}

// restartedRun is the frames of the probe's next run after deadRun's
// (epoch 2): two UDP packets of U1 at 20.5 and 21.5 s.
func restartedRun(t *testing.T, cfg *config.Config) [][]byte {
	t.Helper()
	u1 := capgen.UDP{Src: capgen.AP("10.0.0.1:1000"), Dst: capgen.AP("10.0.0.2:9"), Payload: make([]byte, udpBytes-28)}.Frame()
	meta := func(s float64) pkt.Meta {
		return pkt.Meta{TimeNs: capgen.Ms(s * 1000), CapLen: uint32(len(u1)), WireLen: uint32(len(u1)), LinkType: pkt.LinkEthernet}
	}
	return runFrames(t, cfg, 2, [][]byte{u1, u1}, []pkt.Meta{meta(20.5), meta(21.5)})
}

// TestKilledProbeRestarted: the new-user trial's probe killed (kill -9)
// 10 s into its run and restarted (run epoch 2, two datagrams of U1 at 20.5
// and 21.5 s, then a clean stop). Before, the dead run's echo flows were
// written with packets 0 and bytes 0 (their definitions arrived, their
// totals never), rtt_samples pointed at a 0-packet flow, and only a
// probe_restart event said anything. Now they are left out, U1 and U2
// keep their first interval's totals, and a probe_run_incomplete event
// says that run ended without its final report; the new run is whole.
func TestKilledProbeRestarted(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead, lastNs := deadRun(t, cfg)
	again := restartedRun(t, cfg)
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all observe.Batch
	for i, f := range append(dead, again...) {
		if c.Handle(f) == nil {
			if h, _, _ := pdu.ParseFrame(f); h.Type != pdu.TypeHeartbeat {
				t.Fatalf("frame %d (%s) refused", i, h.Type)
			}
		}
		if i%7 == 0 {
			all.Append(c.Drain())
		}
	}
	all.Append(c.Finish())
	checkDeadRun(t, &all, lastNs, "a new run (epoch 2) began")
	restarts := 0
	for _, e := range all.Events {
		if e.Kind == "probe_restart" {
			restarts++
		}
	}
	var second []uint64
	for _, f := range all.Flows {
		if f.FlowID>>pdu.RunShift == 1 {
			second = append(second, f.Packets, f.Bytes)
		}
		if f.Packets == 0 {
			t.Errorf("flow %+v: 0 packets", f)
		}
	}
	if restarts != 1 || !slices.Equal(second, []uint64{2, 2 * udpBytes}) {
		t.Errorf("%d probe_restart events, want 1; the new run's flows (packets, bytes) %v, want U1's 2 datagrams", restarts, second)
	}
}

// clockTicks is a wall clock that moves 1 s at every reading.
type clockTicks struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clockTicks) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// TestKilledProbeIdleExit: the new-user trial's probe killed 10 s into its
// run and not restarted, under a collector with --idle-exit: the
// collector finishes while the run never said it stopped. Before, the
// echo flows were written with 0 packets and no event said the run's end
// was missing; now the server's last write has the rows and event of
// checkDeadRun, found as the collector finished.
func TestKilledProbeIdleExit(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead, lastNs := deadRun(t, cfg)
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	clock := &clockTicks{now: time.Unix(1_800_000_000, 0)}
	srv := NewServer(c, &fakeTransport{frames: dead}, sink, ServerOptions{WriteEvery: 10 * time.Millisecond, IdleExit: 5 * time.Second, Now: clock.Now})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the server did not stop at its idle exit")
	}
	checkDeadRun(t, &sink.rows, lastNs, "the collector finished")
}

// TestKilledProbeDurable: the dead run of TestKilledProbeIdleExit into a
// durable collector that is itself killed after the run's frames and
// restarted from its journal, then finishes (--idle-exit): the rows and
// the one probe_run_incomplete event of checkDeadRun, as without the
// crash (the run followed is restored from the checkpoint taken at the
// drain after its last frame: one at every drain).
func TestKilledProbeDurable(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dead, lastNs := deadRun(t, cfg)
	dir, sink, clock := t.TempDir(), newMemSink(), time.Unix(1_800_000_000, 0)
	server := func() *Server {
		l, err := journal.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(c, &ackRecorder{}, sink, ServerOptions{Journal: l, CheckpointBytes: 1, Silence: time.Hour, Now: func() time.Time { return clock }})
		if _, err := srv.Recover(); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	first := server()
	for i, f := range dead {
		first.handle(f, netip.AddrPort{})
		if i%9 == 8 {
			first.tick(clock, true)
		}
	}
	first.tick(clock, true) // a drain after the last frame: a checkpoint covers them all; then killed, no stop
	server().stopDurable(true)
	var all observe.Batch
	for _, p := range sink.parts[observe.TableFlows] {
		all.Flows = append(all.Flows, p.Flows...)
	}
	for _, p := range sink.parts[observe.TableRTTSamples] {
		all.RTTSamples = append(all.RTTSamples, p.RTTSamples...)
	}
	for _, p := range sink.parts[observe.TableEvents] {
		all.Events = append(all.Events, p.Events...)
	}
	checkDeadRun(t, &all, lastNs, "the collector finished")
}

// TestIdleExitWaitsForOpenRun: a second trial ran `collector --idle-exit
// 2s` beside a probe replaying at realtime; the probe's PDUs came more
// than 2 s apart, so the collector stopped during the run (10 flows of 16,
// a probe_run_incomplete for a probe never killed) and left the probe
// retrying. While a run has not sent its final report, idle means silent
// for Silence and two heartbeats too (the probe's heartbeats come every
// heartbeat_s); a run whose final report came, or none, leaves IdleExit
// alone.
func TestIdleExitWaitsForOpenRun(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	open, _ := deadRun(t, cfg)
	data, metas := deadTraffic()
	whole := runFrames(t, cfg, 1, data, metas) // the final report among them
	for _, c := range []struct {
		name          string
		frames        [][]byte
		silence, beat time.Duration
		idleAt        time.Duration // the first whole second after the last frame at which tick says idle; -1: never in a minute
	}{
		{"open run", open, 30 * time.Second, 10 * time.Second, 30 * time.Second},
		// a review: --silence 5s under heartbeat_s 10 stopped during a 20 s gap of the capture
		{"open run, short silence", open, 5 * time.Second, 10 * time.Second, 20 * time.Second},
		{"finished run", whole, 30 * time.Second, 10 * time.Second, 2 * time.Second},
		// no frame ever: idle-exit waits for the first (--help: "once one
		// came"; docs/processes.md said "after D without a frame")
		{"no frame", nil, 30 * time.Second, 10 * time.Second, -1},
	} {
		coll, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Unix(1_800_000_000, 0)
		srv := NewServer(coll, &ackRecorder{}, newMemSink(), ServerOptions{IdleExit: 2 * time.Second, Silence: c.silence, Heartbeat: c.beat, Now: func() time.Time { return start }})
		for _, f := range c.frames {
			srv.handle(f, netip.AddrPort{})
		}
		idleAt := time.Duration(-1)
		for s := time.Duration(0); s <= time.Minute; s += time.Second {
			if srv.tick(start.Add(s), false) {
				idleAt = s
				break
			}
		}
		if idleAt != c.idleAt {
			t.Errorf("%s: idle %v after the last frame, want %v", c.name, idleAt, c.idleAt)
		}
	}
}

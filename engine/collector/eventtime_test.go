package collector

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// phasedTransport hands the server its phases of frames, each once the
// server's clock (read without moving it) has moved on by gap since the
// previous phase was handled (handling reads the clock too).
type phasedTransport struct {
	phases [][][]byte
	gap    time.Duration
	clock  *clockTicks
}

func (p *phasedTransport) Serve(ctx context.Context, handle func([]byte, netip.AddrPort) []byte) error {
	read := func() time.Time {
		p.clock.mu.Lock()
		defer p.clock.mu.Unlock()
		return p.clock.now
	}
	start := read()
	for _, ph := range p.phases {
		for read().Before(start) {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return nil
			}
		}
		for _, f := range ph {
			handle(f, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), 4739))
		}
		start = read().Add(p.gap)
	}
	<-ctx.Done()
	return nil
}

func (p *phasedTransport) SendAck([]byte, netip.AddrPort) error { return nil }

// TestCollectorEventTimes: the probe's events were fixed not to be
// stamped 1970 (zero time); the collector's own are audited here over a
// served run with every one of them that a run can cause: the
// new-user trial's probe killed 10 s into its run (probe_run_incomplete),
// silent (probe_silent) and restarted (probe_alive, probe_restart), a
// frame refused (pdu_refused), a one-way class (oneway_totals), and the
// idle exit. Each is at a capture time of the run (from capgen.Base,
// 2023-11-14) or at the server's wall clock (from 2027-01-15, the test's
// clock: Unix 1,800,000,000 s), none before.
func TestCollectorEventTimes(t *testing.T) {
	cfg, err := config.Parse([]byte(deadConfig+`
  - name: ow
    filter: "udp and dst port 9000"
    granularity: [dst_addr, dst_port]
    analyses: [oneway]
    oneway: {hops: [srv, peer]}
`), "dead.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Probes = append(cfg.Probes, config.Probe{Name: "peer"})
	dead, _ := deadRun(t, cfg)
	again := restartedRun(t, cfg)
	c, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := &recordSink{}
	start := time.Unix(1_800_000_000, 0)
	clock := &clockTicks{now: start}
	// The restarted run 10 s after the dead one: past Silence (3 s).
	tr := &phasedTransport{phases: [][][]byte{dead, append([][]byte{[]byte("not a frame")}, again...)}, gap: 10 * time.Second, clock: clock}
	srv := NewServer(c, tr, sink, ServerOptions{WriteEvery: 10 * time.Millisecond, IdleExit: 30 * time.Second, Silence: 3 * time.Second, Heartbeat: time.Second, Now: clock.Now})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the server did not stop at its idle exit")
	}
	kinds := map[string]int{}
	for _, e := range sink.rows.Events {
		if e.Source != "collector" {
			continue
		}
		kinds[e.Kind]++
		if e.Time < capgen.Base {
			t.Errorf("%s at %s (%d), before the run", e.Kind, time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano), e.Time)
		}
	}
	for _, k := range []string{"probe_run_incomplete", "probe_silent", "probe_alive", "probe_restart", "pdu_refused", "oneway_totals"} {
		if kinds[k] == 0 {
			t.Errorf("no %s event: the test does not cover it (collector events %v)", k, kinds)
		}
	}
	t.Log(kinds)
}

// TestCollectorEventTimesNothingReceived: a served collector with a
// one-way class whose configuration switches over before any probe sent
// a frame (tmonbench collector, its file edited: the reconcilers are
// flushed), then stops. Its oneway_totals events, dated by the latest
// capture time it knew, took 0: 1970-01-01, beside config_switch_stop at
// the wall clock (seen with the binary: `tmonbench query events` read
// 1970-01-01T00:00:00Z oneway_totals). They take the server's wall time
// now (Collector.wallNs): the switch's, then the last tick's.
func TestCollectorEventTimesNothingReceived(t *testing.T) {
	cfg, _ := labPDUs(t)
	start := time.Unix(1_800_000_000, 0)
	for _, tickFirst := range []bool{false, true} {
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := NewServer(c, &ackRecorder{}, newMemSink(), ServerOptions{Now: func() time.Time { return start }})
		if tickFirst {
			srv.tick(start, true)
		}
		if err := srv.Switch(start.Add(time.Second).UnixNano(), cfg, "old", nil, nil); err != nil {
			t.Fatal(err)
		}
		srv.tick(start.Add(2*time.Second), false)
		b := c.Finish()
		n := 0
		for _, e := range b.Events {
			if e.Kind == "oneway_totals" {
				n++
			}
			if e.Time < start.UnixNano() {
				t.Errorf("tick first %v: %s at %s, before the collector started", tickFirst, e.Kind, time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano))
			}
		}
		if n != 2 { // the switch's and the end's, class telemetry
			t.Errorf("tick first %v: %d oneway_totals events, want 2", tickFirst, n)
		}
	}
}

package probe_test

import (
	"context"
	"io"
	"testing"

	"github.com/tmonbench/tmonbench/engine/config"
	"github.com/tmonbench/tmonbench/engine/pkt"
	"github.com/tmonbench/tmonbench/engine/probe"
	"github.com/tmonbench/tmonbench/internal/capgen"
)

// wakeSource hands out its steps: a packet at a time, or an error
// (pkt.ErrWake, pkt.ErrIdle), then io.EOF.
type wakeSource struct {
	frame []byte
	steps []any // int64 capture time, or error
}

func (s *wakeSource) Next() ([]byte, pkt.Meta, error) {
	if len(s.steps) == 0 {
		return nil, pkt.Meta{}, io.EOF
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	if err, ok := st.(error); ok {
		return nil, pkt.Meta{}, err
	}
	n := uint32(len(s.frame))
	return s.frame, pkt.Meta{TimeNs: st.(int64), CapLen: n, WireLen: n, LinkType: pkt.LinkEthernet}, nil
}

func (s *wakeSource) Close() error { return nil }

// TestWakeUpKeepsClock: live and probe -i wake their read loop every
// 250 ms while packets flow (health events, metrics, switch-overs). A
// wake-up was taken for an idle source and ticked the probe clock to the
// wall clock less the ring's delivery lag (30 ms), while the ring still
// held older packets: a reader 200 ms behind a ping flood counted 14299
// packets of one second in the next (live against a replay of tcpdump's
// capture of the same packets). Here the wall clock is 2.5 s ahead of
// the packets: the packets at 0.5 s and 0.9 s, with a wake-up between,
// count in interval 0; a real idle (pkt.ErrIdle) still moves the clock,
// so the packet at 0.95 s after it counts in the interval it reached, 2.
func TestWakeUpKeepsClock(t *testing.T) {
	cfg, err := config.Parse([]byte("interval_s: 1\nclasses:\n  - {name: ip, filter: ip, granularity: [protocol], analyses: [counters]}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, coll := loopProbeOf(t, cfg, "p")
	src := &wakeSource{
		frame: capgen.UDP{Src: capgen.AP("192.0.2.1:5000"), Dst: capgen.AP("192.0.2.2:9000"), Payload: make([]byte, 8)}.Frame(),
		steps: []any{capgen.Ms(500), pkt.ErrWake, capgen.Ms(900), pkt.ErrIdle, capgen.Ms(950)},
	}
	wall := func() int64 { return capgen.Ms(2500) }
	if _, err := p.Run(context.Background(), src, probe.RunOptions{Wall: wall}); err != nil {
		t.Fatal(err)
	}
	got := map[int64]uint64{}
	b := coll.Finish()
	ip := map[uint64]bool{}
	for _, f := range b.Flows {
		ip[f.FlowID] = f.Class == "ip"
	}
	for _, c := range b.FlowCounters {
		if c.Metric == "packets" && ip[c.FlowID] {
			got[(c.IntervalStart-capgen.Ms(0))/1e9] += c.N
		}
	}
	if len(got) != 2 || got[0] != 2 || got[2] != 1 {
		t.Errorf("packets per interval (s from the start) %v, want map[0:2 2:1]", got)
	}
}

package probe_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/capgen"
)

// TestIdleGapSkippedIntervals: a flow idle longer than its class's
// idle_timeout_s, then active again, is two flows rows even when no other
// packet closed the intervals between (the probe closes them at once when
// the next packet comes). Before, the expiry cutoff was the first skipped
// interval's end, so the flow came back as the same row: the result hung on
// unrelated traffic, and differed from a live probe, whose idle ticks close
// every interval. A clock jump still counts no time (clock.go).
//
// testdata/idle-gap.pcap is generated here (go test -update rewrites it):
// UDP 192.0.2.1:40000>198.51.100.2:7000 at Base+10 s and Base+400 s (390 s
// idle > 300 s, no packet between); UDP 192.0.2.5:40001>198.51.100.6:7001
// at Base+401 s, then at Base+402 s+3 h: a jump forward beyond 10 min
// (clockJumpNs), 1 s of timer time idle.
func TestIdleGapSkippedIntervals(t *testing.T) {
	const cfg = `
interval_s: 60
classes:
  - name: all
    idle_timeout_s: 300
    analyses: [counters]
`
	ab := capgen.UDP{Src: capgen.AP("192.0.2.1:40000"), Dst: capgen.AP("198.51.100.2:7000"), Payload: make([]byte, 20)}
	ef := capgen.UDP{Src: capgen.AP("192.0.2.5:40001"), Dst: capgen.AP("198.51.100.6:7001"), Payload: make([]byte, 20)}
	s := int64(time.Second)
	b := runFrames(t, cfg, "idle-gap.pcap", []capgen.Frame{
		{TimeNs: capgen.Base + 10*s, Data: ab.Frame()},
		{TimeNs: capgen.Base + 400*s, Data: ab.Frame()},
		{TimeNs: capgen.Base + 401*s, Data: ef.Frame()},
		{TimeNs: capgen.Base + 402*s + int64(3*time.Hour), Data: ef.Frame()},
	})
	type row struct {
		packets, bytes uint64
		first, last    int64
	}
	got := map[netip.Addr][]row{}
	for _, f := range flowsOf(b, "all") {
		a := netip.MustParseAddr(f.SrcAddr)
		got[a] = append(got[a], row{f.Packets, f.Bytes, f.FirstSeen, f.LastSeen})
	}
	// 48 IP bytes a datagram: 20 (IPv4) + 8 (UDP) + 20.
	wantAB := []row{{1, 48, capgen.Base + 10*s, capgen.Base + 10*s}, {1, 48, capgen.Base + 400*s, capgen.Base + 400*s}}
	if r := got[netip.MustParseAddr("192.0.2.1")]; len(r) != 2 || r[0] != wantAB[0] && r[0] != wantAB[1] || r[1] != wantAB[0] && r[1] != wantAB[1] || r[0] == r[1] {
		t.Errorf("192.0.2.1>198.51.100.2, idle 390 s with a 300 s timeout: rows %+v; want two, %+v", r, wantAB)
	}
	wantEF := row{2, 96, capgen.Base + 401*s, capgen.Base + 402*s + int64(3*time.Hour)}
	if r := got[netip.MustParseAddr("192.0.2.5")]; len(r) != 1 || r[0] != wantEF {
		t.Errorf("192.0.2.5>198.51.100.6 across a 3 h clock jump (1 s idle on the timer clock): rows %+v; want one, %+v", r, wantEF)
	}
}

package tui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// TestLiveRateZeroOnceEnded: once the run has ended, the capture rate is
// 0 pkt/s in the status line and the live panel. A trial's replay --tui
// of the one-way lab (A: 5,000 packets in 10 s) kept showing the last
// second's 491 pkt/s after its end: the ended run's snapshots repeat the
// last one's wall time (cmd/tmonbench liveFeed.Status: the pipeline's
// WallNs), from which liveHistory.add takes no rate. While it runs, the
// rate is the difference of two snapshots: (5,000 − 4,509) packets / 1 s.
func TestLiveRateZeroOnceEnded(t *testing.T) {
	snap := func(wallS int64, packets uint64, done bool) *LiveStatus {
		return &LiveStatus{TimeNs: wallS * 1e9, State: "replaying", Done: done,
			Ifaces: []LiveIface{{Probe: "A", Iface: "if0", Packets: packets, Bytes: packets * 537, KernelDrops: -1}},
			Probes: []LiveProbe{{Name: "A", Packets: packets, Flows: 2}}}
	}
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	for _, c := range []struct {
		s          *LiveStatus
		line, rate string
	}{
		{snap(9, 4509, false), "replaying 4,509 pkts · 0 pkt/s", "0"},
		{snap(10, 5000, false), "replaying 5,000 pkts · 491 pkt/s", "491"},
		{snap(10, 5000, true), "replaying (ended) 5,000 pkts · 0 pkt/s", "0"},
		{snap(10, 5000, true), "replaying (ended) 5,000 pkts · 0 pkt/s", "0"},
	} {
		e.snap = c.s
		e.liveHist.add(c.s)
		if got := liveLine(e.snap, &e.liveHist); !strings.HasPrefix(got, c.line) {
			t.Errorf("status line %q, want prefix %q", got, c.line)
		}
		row := strings.Fields(lineWith(livePanel(e, 120, 20), "A ", "if0"))
		if len(row) < 4 || row[3] != c.rate {
			t.Errorf("done %v: live panel row %q, want pkt/s %s", c.s.Done, row, c.rate)
		}
	}
}

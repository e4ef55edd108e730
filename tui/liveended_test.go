package tui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/gopacket/gopacket"

	"github.com/tmonbench/tmonbench/queries"
)

// TestLiveRateZeroOnceEnded: once the run has ended, the capture rate is
// 0 pkt/s in the status line and the live panel. A trial's replay --tui
// of the one-way lab (A: 5,000 packets in 10 s) kept showing the last
// second's 491 pkt/s after its end: the ended run's snapshots repeat the
// last one's wall time (cmd/tmonbench liveFeed.Status: the pipeline's
// WallNs), from which liveHistory.add takes no rate. While it runs, the
// rate is the difference of two snapshots: (5,000 − 4,509) packets / 1 s;
// before the second, none is known ("·").
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
		{snap(9, 4509, false), "replaying 4,509 pkts · · pkt/s", "·"}, // one snapshot: no rate yet
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

// TestLiveLineOnePacket: the status line of replay --tui over a capture
// of one packet (tcpdump -c 1 -w) read "replaying (ended) 1 pkts", as the
// replay's progress bar did ("1 pkts"): one packet is "1 pkt", any other
// count "pkts", as English counts (the engines' pkt.Nouns, the TUI's
// count).
func TestLiveLineOnePacket(t *testing.T) {
	for n, want := range map[uint64]string{0: "replaying (ended) 0 pkts · 0 pkt/s", 1: "replaying (ended) 1 pkt · 0 pkt/s", 2: "replaying (ended) 2 pkts · 0 pkt/s"} {
		s := &LiveStatus{TimeNs: 1e9, State: "replaying", Done: true, Ifaces: []LiveIface{{Probe: "A", Iface: "if0", Packets: n, Bytes: n * 90, KernelDrops: -1}}}
		var h liveHistory
		h.add(s)
		if got := liveLine(s, &h); !strings.HasPrefix(got, want) {
			t.Errorf("Packets() %d: status line %q, want prefix %q", n, got, want)
		}
	}
}

// TestLiveChartEnded: once the run has ended, the live panel's rate chart
// stays as the run left it (its last seconds: a monitor's graph stops
// with its capture) and the line under it says first that the run
// ended, at which capture time; while it runs, it reads "over the last N
// s". A trial's replay --tui kept the 8-second chart unchanged after the
// end with nothing to tell it from a run going on. Here 9 snapshots a
// second apart, 100 packets more each (8 rates of 100 pkt/s), then the
// end at capture time 2026-11-29T14:57:45.974955Z (the FTP lab's last
// packet, tshark -r testdata/lab/ftp/A.pcap -T fields -e frame.time_epoch:
// 1795964265.974955172).
func TestLiveChartEnded(t *testing.T) {
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	snap := func(wallS int64, done bool) *LiveStatus {
		packets := uint64(wallS) * 100
		return &LiveStatus{TimeNs: wallS * 1e9, State: "replaying", Done: done, CaptureNs: 1795964265974955172,
			Ifaces: []LiveIface{{Probe: "A", Iface: "if0", Packets: packets, Bytes: packets * 537, KernelDrops: -1}},
			Probes: []LiveProbe{{Name: "A", Packets: packets, Flows: 2}}}
	}
	chart := func(panel string) string { // the chart's lines and the one under it
		i := strings.Index(panel, "\n █")
		if i < 0 {
			t.Fatalf("no chart:\n%s", panel)
		}
		return panel[i+1:]
	}
	for s := int64(1); s <= 9; s++ {
		e.snap = snap(s, false)
		e.liveHist.add(e.snap)
	}
	running := chart(livePanel(e, 80, 20))
	if !strings.Contains(running, "\n pkt/s over the last 8 s (peak 100)\n") {
		t.Errorf("running: want the last 8 s:\n%s", running)
	}
	for range 2 { // the ended run's snapshots repeat the last one's time
		e.snap = snap(9, true)
		e.liveHist.add(e.snap)
	}
	ended := chart(livePanel(e, 80, 20))
	bars := func(s string) string { return s[:strings.LastIndex(strings.TrimSuffix(s, "\n"), "\n")] }
	want := "\n ended at 14:57:45.974955 (capture time) · pkt/s over its last 8 s (peak 100)\n"
	if bars(ended) != bars(running) || !strings.HasSuffix(ended, want) {
		t.Errorf("ended: want the same bars and %q:\n%s\nrunning:\n%s", want, ended, running)
	}
}

// TestLiveChartSeconds (the sixth trial's D3): the rate chart has one
// column per second of the run, however far apart the snapshots the TUI
// took are. It polls a second after it handled the previous snapshot; a
// TUI whose updates lag sees them seconds apart, and the chart had one
// column per pair of snapshots: a realtime replay of the lab FTP capture
// A.pcap (capinfos: 7.425982037 s, 7799 packets) polled every 2.5 s read
// "over the last 3 s". Here snapshots at 0, 2.5, 5 and 7.4 s of wall time,
// 1000 pkt/s: 7 columns (7.4 s rounded) of 1,000, the first pair's rate
// over its 2.5 s, not one column.
func TestLiveChartSeconds(t *testing.T) {
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	for _, ms := range []int64{0, 2500, 5000, 7400} {
		packets := uint64(ms) // 1000 pkt/s
		e.snap = &LiveStatus{TimeNs: 1_800_000_000e9 + ms*1e6, State: "replaying",
			Ifaces: []LiveIface{{Probe: "A", Iface: "A.pcap", Packets: packets, Bytes: packets * 537, KernelDrops: -1}},
			Probes: []LiveProbe{{Name: "A", Packets: packets, Flows: 2}}}
		e.liveHist.add(e.snap)
	}
	if got := e.liveHist.rates(78); len(got) != 7 || got[0] != 1000 || got[6] != 1000 {
		t.Errorf("rates %v, want 7 seconds of 1000 pkt/s", got)
	}
	if p := livePanel(e, 80, 20); !strings.Contains(p, "\n pkt/s over the last 7 s (peak 1,000)\n") {
		t.Errorf("want the last 7 s:\n%s", p)
	}
}

// TestBusiestKeepsPort (the sixth trial's D6): at 80 columns the live
// panel's busiest flows have 40 columns for a flow's name, and
// 10.100.200.201:49152>198.151.100.210:443/tcp (44) lost its server port
// at a field boundary ("…198.151.100.210…tcp"): the port (the service,
// RFC 9293's connection identity) is kept, the address before it elided.
func TestBusiestKeepsPort(t *testing.T) {
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false)}
	f := LiveFlow{Probe: "A", Iface: "eth0", Class: "all", FlowID: 1, IntervalStartNs: 1_800_000_000e9, IntervalS: 10,
		Protocol: 6, SrcAddr: "10.100.200.201", DstAddr: "198.151.100.210", SrcPort: 49152, DstPort: 443,
		Packets: 10, Bytes: 5000, CoveredStartNs: 1_800_000_000e9, CoveredS: 10}
	e.snap = &LiveStatus{State: "capturing", Flows: []LiveFlow{f}, Probes: []LiveProbe{{Name: "A", Intervals: 1}}}
	got := busiestFlows(e, 80, 5)
	if want := " 10.100.200.201:49152>…:443/tcp "; !strings.Contains(got, want) {
		t.Errorf("want the flow as %q:\n%s", want, got)
	}
	for _, c := range []struct {
		s    string
		w    int
		want string
	}{
		{"[2001:db8:1234:5678::abcd]:49152>[2001:db8:1234:5678::1]:443/tcp", 40, "…:49152>[2001:db8:1234:5678::1]:443/tcp"},
		{"*>198.51.100.10:9000", 18, "*>198.51.100.10…"}, // a port alone says less than the address
	} {
		if got := queries.ElideFields(c.s, c.w); got != c.want {
			t.Errorf("ElideFields(%q, %d) = %q, want %q", c.s, c.w, got, c.want)
		}
	}
}

// TestPayloadByteSingular (the sixth trial's D2): the packet view's
// payload line of a TCP keep-alive probe (RFC 9293 3.8.4: one garbage
// octet) read "Payload   1 bytes"; and "wrote 1 packets" after w.
func TestPayloadByteSingular(t *testing.T) {
	if got := count(1, "byte"); got != "1 byte" {
		t.Errorf("count(1, byte) = %q, want 1 byte", got)
	}
	if got := count(0, "byte"); got != "0 bytes" {
		t.Errorf("count(0, byte) = %q, want 0 bytes", got)
	}
	lines := headerLines(gopacket.NewPacket([]byte{0}, gopacket.LayerTypePayload, gopacket.Default))
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Payload   1 byte  ") {
		t.Errorf("payload of one octet: %q, want Payload   1 byte", lines)
	}
}

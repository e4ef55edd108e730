package tui

import (
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// tcpMixSnap is the final snapshot of the lab's tcp-mix replay at A: the
// capture (capinfos -a -e -S: 10.908795940 s from 14:58:39.922139688)
// lies inside the default 60 s interval 14:58:00, whose counters cover
// those 10.9 s (observe.IntervalFlow.CoveredS); the two busiest flows
// carried 2,172,921 and 1,086,697 IP bytes (the engines' snapshot;
// tshark -qz conv,tcp: 1453 and 729 frames from the server).
func tcpMixSnap() LiveStatus {
	mk := func(id uint64, dport uint16, pk, by uint64) LiveFlow {
		return LiveFlow{Probe: "A", Iface: "if0", Class: "all", FlowID: id, IntervalStartNs: 1795964280e9, IntervalS: 60,
			CoveredStartNs: 1795964319_922139688, CoveredS: 10.90879594, Protocol: 6,
			SrcAddr: "198.51.100.10", DstAddr: "10.10.1.100", SrcPort: 8080, DstPort: dport, Packets: pk, Bytes: by}
	}
	return LiveStatus{TimeNs: 1, State: "replaying", Done: true,
		Ifaces: []LiveIface{{Probe: "A", Iface: "if0", Packets: 6436, Bytes: 1_124_561, KernelDrops: -1}},
		Probes: []LiveProbe{{Name: "A", Packets: 6436, Flows: 16, Intervals: 1}},
		Flows:  []LiveFlow{mk(11, 60878, 1453, 2_172_921), mk(7, 60868, 729, 1_086_697)}}
}

// TestLiveRateOverCaptured: the live Mbit/s of a flow is its bytes over
// the capture time its interval's counters cover, and the screens say
// which: a trial's replay of tcp-mix (10.9 s inside a 60 s interval)
// showed the busiest flow's 2,172,921 B as 0.290 Mbit/s (over 60 s);
// 2,172,921 × 8 / 10.90879594 s = 1.5935 Mbit/s, 1,086,697 × 8 /
// 10.90879594 s = 0.7969 Mbit/s. On the overview's busiest flows and the
// live Flows screen.
func TestLiveRateOverCaptured(t *testing.T) {
	s := tcpMixSnap()
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	expect := screenHas(t, m)
	drive(t, m, tea.WindowSizeMsg{Width: 160, Height: 50}, liveMsg{st: &s})
	v := expect("overview", "Mbit/s over the 10.909 s captured of the 60 s interval (from 14:58:39.922139)")
	for port, want := range map[string]string{"60878": "1.594", "60868": "0.797"} {
		if f := strings.Fields(lineWith(v, ":"+port+"/tcp")); len(f) == 0 || f[len(f)-1] != want {
			t.Errorf("overview: the flow to %s shows %q, want %s Mbit/s", port, f, want)
		}
	}
	drive(t, m, keyMsg("2"))
	v = expect("flows", "Mbit/s over the 10.909 s captured of the 60 s interval (from 14:58:39.922139)")
	if f := strings.Fields(lineWith(v, ":60878/tcp")); len(f) < 2 || f[len(f)-2] != "1.594" {
		t.Errorf("flows: the busiest flow's row %q, want 1.594 Mbit/s", f)
	}
	// a capture of one instant has no rate: "·", not 0 or +Inf
	one := s.Flows[0]
	one.CoveredS = 0
	if got := one.mbpsText(); got != "·" {
		t.Errorf("a flow over no time: %q, want ·", got)
	}
}

// TestLiveBytesLegend: the live panel's captured bytes (snaplen-cut: the
// lab's tcp-mix at A, snaplen 256, keeps 1,124,561 B of its 6,436 frames)
// and the IP bytes beside them (5,389,752, the IP total lengths on the
// wire; tshark -T fields -e frame.cap_len -e ip.len, summed) read as a contradiction unless the screen says
// which is which: its title line does, within 80 columns, even when the
// run has ended.
func TestLiveBytesLegend(t *testing.T) {
	s := tcpMixSnap()
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false), snap: &s}
	for _, w := range []int{80, 120} {
		title := strings.SplitN(livePanel(e, w, 20), "\n", 2)[0]
		if !strings.HasPrefix(title, "Live · replaying · ended  captured B: snaplen-cut · IP bytes: on the wire") || ansi.StringWidth(title) > w {
			t.Errorf("width %d: title line %q", w, title)
		}
	}
}

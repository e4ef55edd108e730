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
		if f := strings.Fields(lineWith(v, ":"+port+"/tcp")); len(f) < 2 || f[len(f)-2] != want || f[len(f)-1] != "·" { // partial: no interval in progress
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

// TestLiveBusiestPartial: the live panel's busiest flows listed closed
// intervals only, so a flow started since the last close was invisible
// for up to an interval. They now take the interval in progress too
// (LiveStatus.Current, the engines' counters so far): its Mbit/s in the
// column "partial", said in the caption with the time covered so far, and
// rows ranked by the higher of a flow's two rates. In the second interval
// of liveFlows (14:57:40 +10 s, closed), 3.25 s into the next: a new flow
// to port 5001 with 4,062,500 B so far (4,062,500 × 8 / 3.25 s = 10.000
// Mbit/s) comes first, its closed columns empty (·); the data connection
// to 47000 shows both (5,431,336 × 8 / 10 s = 4.345 closed; 1,000,000 × 8
// / 3.25 s = 2.462 so far). Before any interval closed (the first
// minutes of a live run) the rows of the interval in progress show alone.
func TestLiveBusiestPartial(t *testing.T) {
	const next = int64(1_795_964_270_000_000_000) // 14:57:50, the interval after liveFlows(1)'s
	cur := func(id uint64, dport uint16, pk, by uint64) LiveFlow {
		return LiveFlow{Probe: "A", Iface: "if0", Class: "all", FlowID: id, IntervalStartNs: next, IntervalS: 10,
			CoveredStartNs: next, CoveredS: 3.25, Protocol: 6, SrcAddr: "198.51.100.10", DstAddr: "10.10.1.100", SrcPort: 20, DstPort: dport, Packets: pk, Bytes: by}
	}
	s := liveSnaps()[2]
	s.Current = []LiveFlow{cur(60, 5001, 2700, 4_062_500), cur(40, 47000, 700, 1_000_000)}
	m := liveModel(t, replayed(t, ftpLab), []LiveStatus{s})
	expect := screenHas(t, m)
	drive(t, m, tea.WindowSizeMsg{Width: 160, Height: 50}, liveMsg{st: &s})
	v := expect("overview", "Busiest flows  by Mbit/s · partial: so far in 14:57:50.000000 +10 s (3.250 s of it) · last closed 14:57:40.000000 +10 s")
	header := strings.Fields(lineWith(v, "probe", "flow", "partial"))
	if strings.Join(header, " ") != "probe iface class flow packets IP bytes Mbit/s partial" {
		t.Errorf("header %q", header)
	}
	rows := strings.Split(v[strings.Index(v, "Busiest flows"):], "\n")[2:]
	for i, want := range []string{
		"A if0 all 198.51.100.10:20>10.10.1.100:5001/tcp · · · 10.000",
		"A if0 all 198.51.100.10:21>10.10.1.100:33488/tcp 46 9,000,000 7.200 ·",
		"A if0 all 198.51.100.10:20>10.10.1.100:47000/tcp 3,624 5,431,336 4.345 2.462",
	} {
		if got := strings.Join(strings.Fields(rows[i]), " "); got != want {
			t.Errorf("row %d %q, want %q", i, got, want)
		}
	}
	// the first interval of a run: nothing closed yet, the partial rows
	first := liveSnaps()[0]
	first.Current = s.Current
	drive(t, m, liveMsg{st: &first})
	v = expect("first interval", "Busiest flows  by Mbit/s · partial: so far in 14:57:50.000000 +10 s (3.250 s of it) · none yet: no interval has closed")
	if got := strings.Join(strings.Fields(lineWith(v, ":5001/tcp")), " "); got != "A if0 all 198.51.100.10:20>10.10.1.100:5001/tcp · · · 10.000" {
		t.Errorf("first interval: row %q", got)
	}
	// at 120 columns (the golden's) the rows fit, the flow's name whole
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40}, liveMsg{st: &s})
	for _, l := range strings.Split(plain(m), "\n") {
		if strings.Contains(l, ">10.10.1.100:") && (ansi.StringWidth(l) > 120 || strings.Contains(l, "…")) {
			t.Errorf("at 120 columns: %q", l)
		}
	}
}

// TestLiveCountsLabelled: replay --tui shows two packets and flows
// figures, the live panel's (every captured packet, every class's flows)
// and the Output row's (the class's IP packets and flows): a trial read
// 136 and 59 against 126 and 57 with nothing to tell them apart. The
// panel's header says "captured", its legend says what each counts,
// every item whole, at 80 and 100 columns, the bytes' legend of the
// title line too (at 100 it was cut at "every sec…", at 80 it lost
// "engines' counters, every second" whole).
func TestLiveCountsLabelled(t *testing.T) {
	s := tcpMixSnap()
	e := &env{st: newStyles(lipgloss.NewRenderer(io.Discard), false), snap: &s}
	for _, w := range []int{80, 100} {
		lines := strings.Split(ansi.Strip(livePanel(e, w, 20)), "\n")
		var legend []string
		for i := 0; i < len(lines) && !strings.HasPrefix(lines[i], "probe "); i++ {
			if ansi.StringWidth(lines[i]) > w {
				t.Fatalf("width %d: legend line %q wider than the window", w, lines[i])
			}
			legend = append(legend, lines[i])
		}
		text := strings.Join(legend, "\n")
		for _, want := range []string{"captured B: snaplen-cut", "IP bytes: on the wire", "engines' counters, every second",
			"captured: every packet, IP or not", "flows: every class's", "Output below: IP packets and flows of its row's class"} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: legend lacks %q whole:\n%s", w, want, text)
			}
		}
		if h := strings.Fields(lines[len(legend)]); len(h) < 3 || h[2] != "captured" {
			t.Errorf("width %d: header %q, want captured third", w, lines[len(legend)])
		}
	}
}

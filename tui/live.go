package tui

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// Live is what a running engine exposes to the TUI (tmonbench live --tui,
// replay --speed realtime --tui): a snapshot of its counters, safe to call
// from the TUI's goroutine. The engines hold no terminal code.
type Live interface {
	Status() LiveStatus
}

// LiveStatus is one snapshot of the running engines.
type LiveStatus struct {
	// TimeNs is the wall clock of the snapshot (Unix ns): rates are the
	// differences between two snapshots over the difference of their times.
	TimeNs int64
	// State says what the run is doing ("capturing", "replaying"); Done
	// is set once the run has ended (the numbers are then final).
	State string
	Done  bool
	// CaptureNs is the engines' clock: the latest capture time seen (Unix
	// ns, observe.Snapshot.CaptureNs), 0 before the first packet; once
	// Done, the capture time the run ended at.
	CaptureNs int64
	// Ifaces are the capture interfaces (or replayed inputs), per probe.
	Ifaces []LiveIface
	// Probes are the probe engines' counters.
	Probes []LiveProbe
	// Channels are the probe-to-collector PDU channels.
	Channels []LiveChannel
	// CollectorQueue counts the frames waiting for the collectors.
	CollectorQueue int
	// Flows are the busiest flows of each probe's latest closed interval
	// (the engines keep them: observe.Snapshot.Flows), largest first per
	// probe: the live panel shows them without a query.
	Flows []LiveFlow
	// Current are the busiest flows of each probe's interval in progress,
	// their counters so far (observe.Snapshot.Current: partial, the
	// interval has not closed; CoveredS is the capture time covered so
	// far), so that a flow started since the last close shows at once.
	Current []LiveFlow
	// Recent holds the engines' latest rows of observe.RecentTables
	// (observe.Snapshot.Recent, shared: not modified), nil before any;
	// RecentRows counts the rows taken so far (it changes when rows come).
	Recent     *observe.Batch
	RecentRows uint64
}

// LiveFlow is one flow's counters over its probe's latest closed
// interval.
type LiveFlow struct {
	Probe, Iface, Class string
	FlowID              uint64
	IntervalStartNs     int64   // Unix ns
	IntervalS           float64 // interval length in seconds
	FirstSeenNs         int64   // the flow's first packet (Unix ns), 0 unknown
	Protocol            uint8   // IP protocol number
	SrcAddr, DstAddr    string  // "" when the class does not split by it
	SrcPort, DstPort    uint16  // 0 when absent or not split by
	Packets             uint64  // IP packets in the interval
	Bytes               uint64  // IP bytes in the interval
	// CoveredStartNs (Unix ns) and CoveredS (seconds) are the part of the
	// interval the capture covered (observe.IntervalFlow.CoveredS): the
	// rates divide by CoveredS, not IntervalS.
	CoveredStartNs int64
	CoveredS       float64
}

// mbps is the flow's IP throughput in Mbit/s over the capture time its
// interval's counters cover (CoveredS); ok is false when that is no time
// (a capture of one instant).
func (f LiveFlow) mbps() (mbps float64, ok bool) {
	if f.CoveredS <= 0 {
		return 0, false
	}
	return float64(f.Bytes) * 8 / f.CoveredS / 1e6, true
}

// mbpsText is mbps to the kbit/s, "·" without a rate.
func (f LiveFlow) mbpsText() string {
	if r, ok := f.mbps(); ok {
		return fmt.Sprintf("%.3f", r)
	}
	return "·"
}

// rateWindow says what time a flow's rate covers: the whole interval, or
// the part of it the capture covered (a run started or ended inside it).
func (f LiveFlow) rateWindow(dated bool) string {
	if f.CoveredS >= f.IntervalS {
		return fmt.Sprintf("Mbit/s over the interval's %g s", f.IntervalS)
	}
	return fmt.Sprintf("Mbit/s over the %.3f s captured of the %g s interval (from %s)", f.CoveredS, f.IntervalS, stamp(f.CoveredStartNs, dated))
}

// name is the flow's readable name as in the flows table
// (10.0.0.1:40000>10.0.0.2:21/tcp, collector.FlowName), "*" for what the
// class does not split by: an IPv6 address is bracketed only before a
// port ([2001:db8::1]:53, but fe80::1>ff02::2/icmp6), the protocol has
// the flows table's name (observe.ProtocolName: igmp, not "proto 2"), and
// no protocol is written when the class does not split by it (0).
func (f LiveFlow) name() string {
	end := func(a string, port uint16) string {
		if a == "" {
			a = "*"
		} else if port != 0 && strings.Contains(a, ":") {
			a = "[" + a + "]"
		}
		if port != 0 {
			a += fmt.Sprintf(":%d", port)
		}
		return a
	}
	n := end(f.SrcAddr, f.SrcPort) + ">" + end(f.DstAddr, f.DstPort)
	if f.Protocol != 0 {
		n += "/" + observe.ProtocolName(f.Protocol)
	}
	return n
}

// LiveIface is one interface's (or replayed file's) counters.
type LiveIface struct {
	Probe, Iface string
	Packets      uint64 // packets handed to the probe
	Bytes        uint64 // captured bytes handed to the probe
	// KernelDrops counts the packets the kernel dropped (ring full); -1
	// when the source has no such counter (a replayed file).
	KernelDrops int64
}

// LiveProbe is one probe engine's counters.
type LiveProbe struct {
	Name                      string
	Packets, Bytes            uint64
	Flows, Malformed, Evicted uint64
	Intervals                 uint64 // intervals closed
}

// LiveChannel is one probe-to-collector channel's transport state.
type LiveChannel struct {
	Probe, Collector string
	Sent, Acked      uint64
	Heartbeats       uint64 // heartbeats among Sent: never acknowledged
	Unacked          int    // PDUs sent and not yet acknowledged
	LongRetry        bool   // the collector is unreachable: long-retry mode
}

// noFlows says why a snapshot lists no flow: no interval has closed yet,
// or the last one had none.
func (s *LiveStatus) noFlows() string {
	for _, p := range s.Probes {
		if p.Intervals > 0 {
			return "none: the last closed interval had no packets"
		}
	}
	return "none yet: no interval has closed"
}

// Packets is the total over every interface.
func (s *LiveStatus) Packets() (n uint64) {
	for _, i := range s.Ifaces {
		n += i.Packets
	}
	return n
}

// KernelDrops is the total over every interface that counts them, -1
// when none does.
func (s *LiveStatus) KernelDrops() int64 {
	n := int64(-1)
	for _, i := range s.Ifaces {
		if i.KernelDrops >= 0 {
			n = max(n, 0) + i.KernelDrops
		}
	}
	return n
}

// Unacked is the total over every channel, and whether any is in long
// retry.
func (s *LiveStatus) Unacked() (n int, longRetry bool) {
	for _, c := range s.Channels {
		n += c.Unacked
		longRetry = longRetry || c.LongRetry
	}
	return n, longRetry
}

// liveHistory keeps the last snapshots' totals for rates and the live
// strip.
type liveHistory struct {
	times   []int64
	packets []uint64
	bytes   []uint64
	// per interface, the previous snapshot's counts (rates per row)
	prev    map[string][2]uint64
	prevNs  int64
	ratePps map[string]float64
}

const liveHistoryLen = 600 // ten minutes of one-second snapshots

func (h *liveHistory) add(s *LiveStatus) {
	var pk, by uint64
	rates := map[string]float64{}
	cur := map[string][2]uint64{}
	for _, i := range s.Ifaces {
		pk += i.Packets
		by += i.Bytes
		k := i.Probe + "\x00" + i.Iface
		cur[k] = [2]uint64{i.Packets, i.Bytes}
		if p, ok := h.prev[k]; ok && s.TimeNs > h.prevNs && i.Packets >= p[0] {
			rates[k] = float64(i.Packets-p[0]) / (float64(s.TimeNs-h.prevNs) / 1e9)
		}
	}
	if n := len(h.times); n > 0 && s.TimeNs <= h.times[n-1] {
		return // same snapshot again (or a clock step back): no rate from it
	}
	h.prev, h.prevNs, h.ratePps = cur, s.TimeNs, rates
	h.times = append(h.times, s.TimeNs)
	h.packets = append(h.packets, pk)
	h.bytes = append(h.bytes, by)
	if len(h.times) > liveHistoryLen {
		h.times, h.packets, h.bytes = h.times[1:], h.packets[1:], h.bytes[1:]
	}
}

// rates returns the packets per second of the last n seconds of the
// snapshots' (wall) time: each pair of successive snapshots fills the
// seconds it spans with its rate, at least one. The TUI polls a second
// after it handled the previous snapshot: when its updates lag (a loaded
// machine, a slow render) the snapshots it sees are seconds apart, and one
// column per snapshot pair drew a 7.4 s replay polled every 2.5 s as "the
// last 3 s" (the sixth trial's D3).
func (h *liveHistory) rates(n int) []float64 {
	var out []float64
	for i := 1; i < len(h.times); i++ {
		dt := float64(h.times[i]-h.times[i-1]) / 1e9
		v := 0.0
		if dt > 0 && h.packets[i] >= h.packets[i-1] {
			v = float64(h.packets[i]-h.packets[i-1]) / dt
		}
		end := max(int((h.times[i]-h.times[0]+5e8)/1e9), len(out)+1) // the seconds covered so far, rounded
		for len(out) < end {
			out = append(out, v)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// rate is the latest packets per second over every interface.
func (h *liveHistory) rate() float64 {
	r := h.rates(1)
	if len(r) == 0 {
		return 0
	}
	return r[0]
}

// endedRate is a capture rate as the screens show it: 0 once the run has
// ended. Its snapshots then repeat the last one's time (liveHistory.add
// takes no rate from them), which kept the last second's rate on screen
// (a trial's replay --tui read 491 pkt/s on A long after its end).
func endedRate(s *LiveStatus, pps float64) float64 {
	if s.Done {
		return 0
	}
	return pps
}

// rateText is a capture rate as the screens show it: "·" while none is
// known (the run's first snapshot, or an interface's: a rate needs two,
// and 0 read as a silent link while packets were counted, a trial's
// live --tui), 0 once the run has ended (endedRate).
func rateText(s *LiveStatus, pps float64, known bool) string {
	if !known && !s.Done {
		return "·"
	}
	return human(int64(endedRate(s, pps)))
}

// liveLine is the status-line text of the latest snapshot: capture rate,
// kernel drops and the PDU transport state.
func liveLine(s *LiveStatus, h *liveHistory) string {
	state := s.State
	if state == "" {
		state = "live"
	}
	if s.Done {
		state += " (ended)"
	}
	pkts := humanCount(int64(s.Packets()), "pkt", "pkts") // a replay of one packet read "1 pkts"
	t := fmt.Sprintf("%s %s · %s pkt/s", state, pkts, rateText(s, h.rate(), len(h.times) > 1))
	if d := s.KernelDrops(); d >= 0 { // a replayed file has no kernel drops
		t += " · drops " + human(d)
	}
	un, lr := s.Unacked()
	t += fmt.Sprintf(" · unacked %d", un)
	if lr {
		t += " · LONG RETRY"
	}
	return t
}

// liveMsg carries one snapshot to the root model.
type liveMsg struct{ st *LiveStatus }

func (m *Model) pollLive() tea.Cmd {
	l := m.e.live
	return tea.Tick(m.e.livePoll, func(time.Time) tea.Msg {
		s := l.Status()
		return liveMsg{st: &s}
	})
}

// liveLegend follows the live panel's title, its items wrapped between
// them within the window (at 100 columns the one line was cut at
// "every sec…", at 80 at "on the wire"): the captured bytes and the IP
// bytes of the same packets differ (a snaplen of 256 keeps 1.1 MB of 5.4
// MB); its captured packets and flows and the Output section's packets
// and flows count different things (a replay of 136 packets, 10 of them
// not IP, read 136 and 59 flows live, 126 and 57 in the output). The
// first item follows the title on its line.
var liveLegend = []string{"captured B: snaplen-cut", "IP bytes: on the wire", "engines' counters, every second",
	"captured: every packet, IP or not", "flows: every class's", "Output below: IP packets and flows of its row's class"}

// livePanel draws the live section of the overview: per interface what
// the engines counted so far, the PDU channels, the capture rate over
// the last minutes and, when the body (h lines) has room, the busiest
// flows of the last interval.
func livePanel(e *env, w, bodyH int) string {
	s, h, st := e.snap, &e.liveHist, e.st
	var b strings.Builder
	title := "Live"
	if s.State != "" {
		title += " · " + s.State
	}
	if s.Done {
		title += " · ended"
	}
	// captured B (what the capture kept of each frame, cut at its snaplen)
	// and the IP bytes below (IP total lengths, as on the wire) count the
	// same packets, and the output's rows below count one class's IP
	// packets and flows, these every packet and every class's flows: say
	// which is which before the rest, every item whole
	items := append([]string{title + "  " + liveLegend[0]}, liveLegend[1:]...)
	legend := strings.Split(wrapItems(w, " · ", items...), "\n")
	// On a short window the legend goes below the counters it explains:
	// at 40×10 its 6 wrapped lines filled the body, and the overview
	// showed the legend and not one number (a tmux trial of live --tui).
	// The overview cuts what does not fit (overview.view), the legend's
	// end then.
	after := len(legend)+1+len(s.Ifaces) > bodyH-1 // the hint's line
	// after: the title alone, the legend wrapped without it
	if after {
		b.WriteString(st.section.Render(title) + "\n")
		legend = strings.Split(wrapItems(w, " · ", liveLegend...), "\n")
	}
	var leg strings.Builder
	for i, l := range legend {
		if i == 0 && !after && strings.HasPrefix(l, title) {
			b.WriteString(st.section.Render(title) + st.dim.Render(cut(l[len(title):], max(w-ansi.StringWidth(title), 0))) + "\n")
			continue
		}
		leg.WriteString(st.dim.Render(cut(l, w)) + "\n")
	}
	if !after {
		b.WriteString(leg.String())
	}
	pw, iw := nameWidths(s.Ifaces, func(i LiveIface) (string, string) { return i.Probe, i.Iface }, 10, 8, w-80) // the row's 80 columns
	fmt.Fprintf(&b, "%-*s %-*s %10s %8s %12s %8s %9s %7s\n", pw, "probe", iw, "iface", "captured", "pkt/s", "captured B", "flows", "malformed", "drops")
	shown := map[string]bool{}
	for _, i := range s.Ifaces {
		flows, mal := "·", "·"
		if !shown[i.Probe] { // probe counters on the probe's first interface
			shown[i.Probe] = true
			for _, p := range s.Probes {
				if p.Name == i.Probe {
					flows, mal = human(int64(p.Flows)), human(int64(p.Malformed))
				}
			}
		}
		drops := "·"
		if i.KernelDrops >= 0 {
			drops = human(i.KernelDrops)
		}
		pps, known := h.ratePps[i.Probe+"\x00"+i.Iface]
		fmt.Fprintf(&b, "%-*s %-*s %10s %8s %12s %8s %9s %7s\n", pw, elideMiddle(i.Probe, pw), iw, elideMiddle(i.Iface, iw), human(int64(i.Packets)),
			rateText(s, pps, known), human(int64(i.Bytes)), flows, mal, drops)
	}
	if after {
		b.WriteString(leg.String())
	}
	var ch []string
	for _, c := range s.Channels {
		state := "ok"
		if c.LongRetry {
			state = st.sevError.Render("LONG RETRY")
		}
		hb := ""
		if c.Heartbeats > 0 {
			hb = " (" + humanCount(int64(c.Heartbeats), "heartbeat", "heartbeats") + ")" // a live --tui trial read "sent 25 (1 heartbeats)"
		}
		ch = append(ch, fmt.Sprintf("%s→%s sent %s%s acked %s unacked %d %s", c.Probe, c.Collector, human(int64(c.Sent)), hb, human(int64(c.Acked)), c.Unacked, state))
	}
	if s.CollectorQueue > 0 {
		ch = append(ch, fmt.Sprintf("collector queue %d", s.CollectorQueue))
	}
	if len(ch) > 0 {
		b.WriteString(cut("PDUs: "+strings.Join(ch, " · "), w) + "\n")
	}
	if r := h.rates(max(w-2, 10)); len(r) > 0 {
		for _, l := range strings.Split(columnChart(r, len(r), 2, func(int) lipgloss.Style { return st.chart }), "\n") {
			b.WriteString(" " + l + "\n")
		}
		peak := 0.0
		for _, v := range r {
			peak = max(peak, v)
		}
		b.WriteString(st.dim.Render(cut(chartCaption(s, len(r), peak), w)) + "\n")
	}
	if bodyH >= liveFlowsMinH { // at 80×24 the overview's own table comes first
		b.WriteString(busiestFlows(e, w, liveFlowsShown))
	}
	return b.String()
}

// chartCaption is the line under the live panel's rate chart of n
// seconds: while the run goes on, the last n seconds and their peak; once
// it has ended, the chart stays as the run left it (its last seconds, as
// a monitor's graph does when its capture stops: the rates per
// interface read 0, endedRate) and the caption says first that it ended,
// at which capture time (a trial's replay --tui kept the 8-second chart
// as it was, with nothing to tell it from a run going on).
func chartCaption(s *LiveStatus, n int, peak float64) string {
	if !s.Done {
		return fmt.Sprintf(" pkt/s over the last %d s (peak %s)", n, human(int64(peak)))
	}
	at := ""
	if s.CaptureNs > 0 {
		at = " at " + fmtTime(s.CaptureNs)[11:] + " (capture time)"
	}
	return fmt.Sprintf(" ended%s · pkt/s over its last %d s (peak %s)", at, n, human(int64(peak)))
}

// liveFlowsShown is how many busiest flows the live panel lists, on a
// screen body at least liveFlowsMinH lines high.
const (
	liveFlowsShown = 5
	liveFlowsMinH  = 30
)

// busyFlow is one row of the live panel's busiest flows: a flow's
// counters over its probe's last closed interval (closed) and so far over
// the interval in progress (now, partial); either is nil when the flow is
// not among that interval's busiest.
type busyFlow struct{ closed, now *LiveFlow }

// flow is the row's flow (its key and name).
func (b busyFlow) flow() *LiveFlow {
	if b.closed != nil {
		return b.closed
	}
	return b.now
}

// rate is the row's rank: the higher of its Mbit/s in the two intervals
// (rates over different spans compare; bytes do not).
func (b busyFlow) rate() float64 {
	r := 0.0
	for _, f := range []*LiveFlow{b.closed, b.now} {
		if f != nil {
			x, _ := f.mbps()
			r = max(r, x)
		}
	}
	return r
}

// bytes is the row's tie-break: the higher of its IP bytes.
func (b busyFlow) bytes() uint64 {
	var n uint64
	for _, f := range []*LiveFlow{b.closed, b.now} {
		if f != nil {
			n = max(n, f.Bytes)
		}
	}
	return n
}

// busiest returns the n busiest flows of every probe, from a snapshot:
// those of the latest closed interval and those of the interval in
// progress, a row per flow, by the higher of their two Mbit/s (a flow
// started since the last close ranks by its rate so far). When the
// snapshot has flows of the class "all", only those count (every flow is
// also in its own class: the same traffic twice otherwise).
func busiest(s *LiveStatus, n int) []busyFlow {
	all := func(f LiveFlow) bool { return f.Class == "all" }
	only := slices.ContainsFunc(s.Flows, all) || slices.ContainsFunc(s.Current, all)
	type key struct {
		probe, class string
		id           uint64
	}
	at := map[key]int{}
	var rows []busyFlow
	for now, fs := range [][]LiveFlow{s.Flows, s.Current} {
		for i := range fs {
			f := &fs[i]
			if only && !all(*f) {
				continue
			}
			k := key{f.Probe, f.Class, f.FlowID}
			j, ok := at[k]
			if !ok {
				j = len(rows)
				at[k] = j
				rows = append(rows, busyFlow{})
			}
			if now == 1 {
				rows[j].now = f
			} else {
				rows[j].closed = f
			}
		}
	}
	slices.SortStableFunc(rows, func(a, b busyFlow) int {
		fa, fb := a.flow(), b.flow()
		return cmp.Or(cmp.Compare(b.rate(), a.rate()), cmp.Compare(b.bytes(), a.bytes()), cmp.Compare(fa.Probe, fb.Probe), cmp.Compare(fa.FlowID, fb.FlowID))
	})
	return rows[:min(n, len(rows))]
}

// busiestFlows draws the live panel's busiest flows: the engines' latest
// closed interval and, in the column "partial", the Mbit/s so far of the
// interval in progress, updated with every snapshot, no Parquet read.
func busiestFlows(e *env, w, n int) string {
	st := e.st
	rows := busiest(e.snap, n)
	var b strings.Builder
	b.WriteString(st.section.Render("Busiest flows"))
	if len(rows) == 0 {
		b.WriteString(st.dim.Render("  "+e.snap.noFlows()) + "\n")
		return b.String()
	}
	var last, cur *LiveFlow // the latest intervals the rows show
	for _, r := range rows {
		if r.closed != nil && (last == nil || r.closed.IntervalStartNs > last.IntervalStartNs) {
			last = r.closed
		}
		if r.now != nil && (cur == nil || r.now.IntervalStartNs > cur.IntervalStartNs) {
			cur = r.now
		}
	}
	caption := ""
	switch {
	case cur == nil:
		caption = fmt.Sprintf("by Mbit/s in the last closed interval, %s +%g s; %s", stamp(last.IntervalStartNs, e.dated), last.IntervalS, last.rateWindow(e.dated))
	default: // the interval in progress first: its figures are partial
		caption = fmt.Sprintf("by Mbit/s · partial: so far in %s +%g s (%.3f s of it) · ", stamp(cur.IntervalStartNs, e.dated), cur.IntervalS, cur.CoveredS)
		if last == nil {
			caption += e.snap.noFlows()
		} else {
			caption += fmt.Sprintf("last closed %s +%g s", stamp(last.IntervalStartNs, e.dated), last.IntervalS)
			if last.CoveredS < last.IntervalS {
				caption += ", " + last.rateWindow(e.dated)
			}
		}
	}
	b.WriteString(st.dim.Render(cut("  "+caption, max(w-len("Busiest flows"), 1))) + "\n")
	flows := make([]LiveFlow, len(rows))
	for i, r := range rows {
		flows[i] = *r.flow()
	}
	// the row: names, class 7, flow 40 to 50 and the counts (46, with the
	// separators 53); the flow's name gives up to 10 columns first
	pw, iw := nameWidths(flows, func(f LiveFlow) (string, string) { return f.Probe, f.Iface }, 10, 8, w-121)
	fw := min(max(w-pw-iw-53, 40), 50)
	fmt.Fprintf(&b, "%-*s %-*s %-7s %-*s %9s %12s %9s %9s\n", pw, "probe", iw, "iface", "class", fw, "flow", "packets", "IP bytes", "Mbit/s", "partial")
	for _, r := range rows {
		f := r.flow()
		packets, bytes, mbps, partial := "·", "·", "·", "·"
		if c := r.closed; c != nil {
			packets, bytes, mbps = human(int64(c.Packets)), human(int64(c.Bytes)), c.mbpsText()
		}
		if r.now != nil {
			partial = r.now.mbpsText()
		}
		b.WriteString(cut(fmt.Sprintf("%-*s %-*s %-7s %-*s %9s %12s %9s %9s", pw, elideMiddle(f.Probe, pw), iw, elideMiddle(f.Iface, iw), elideMiddle(f.Class, 7), fw, elideName(f.name(), fw),
			packets, bytes, mbps, partial), w) + "\n")
	}
	return b.String()
}

// liveReopen reopens the database when the running run has written a
// table that did not exist when it was opened (a view is made per table
// folder at open; the views then follow the new parts by themselves).
// It checks every liveReloadNs of snapshot time and at the run's end.
func (m *Model) liveReopen(st *LiveStatus) tea.Cmd {
	e := m.e
	if e.db == nil || len(e.inflight) > 0 || e.liveLoading || (!st.Done && st.TimeNs-e.reopenNs < liveReloadNs) {
		return nil
	}
	e.reopenNs = st.TimeNs
	if partTables(e.out) <= e.tables {
		return nil
	}
	e.db.Close()
	e.db = nil
	return m.reopen()
}

// missingTable returns the table that a query error says does not exist
// (DuckDB: "Catalog Error: Table with name flows does not exist!", or
// the TUI's "table flows: ... No files found that match ..." for a view
// whose folder holds no part yet): a running run has not written it yet.
func missingTable(errMsg string) (string, bool) {
	if strings.Contains(errMsg, "No files found that match") { // a view over a folder with no part yet
		if t, ok := strings.CutPrefix(errMsg, "table "); ok {
			name, _, ok := strings.Cut(t, ":")
			return name, ok && name != ""
		}
	}
	_, rest, ok := strings.Cut(errMsg, "Table with name ")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, " does not exist")
	name = strings.Trim(name, `"`)
	return name, ok && name != ""
}

// partTables counts the tables of an output that hold a part, where
// queries.Open reads them: the tables it has views of (and those
// _manifest.json lists, written at a run's end). A run makes every
// table's folder as it starts and their first parts later (flows as
// flows end): counted by folder, a run that ended before the TUI's first
// count had as many at its end, and its database was never opened again
// ("Table with name flows does not exist" after the end of a replay of
// one packet). The same count as the output watch's (outputWatch.tables:
// the TUI opening an output takes it from there).
func partTables(out string) int {
	var w outputWatch
	_, tables := w.changed(queries.State(out).Dir)
	return len(tables)
}

// tableCount counts the table folders of an output where queries.Open
// reads them: a running replay's staging folder inside it, or the folder.
// Only the folders named after a table count (observe.Tables): a folder
// that merely holds other folders (a source tree, a home directory) is no
// output, and tmonbench tui there waited for one instead of saying so.
func tableCount(out string) int {
	des, err := os.ReadDir(queries.State(out).Dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, d := range des {
		if d.IsDir() && observe.TableNamed(d.Name()) != nil {
			n++
		}
	}
	return n
}

package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// liveFlowsTab is the Flows screen of a live run (live/replay --tui): by
// default the engines' busiest flows of each probe's last closed interval
// (LiveStatus.Flows, at most observe.SnapshotFlows a probe), redrawn with
// every snapshot and never queried; L switches to the written flows table
// (the paged table over the Parquet parts) and back, / (filter) and c
// (columns) switch to it and open there. Query results go to
// the table, which is loaded when it is first shown.
type liveFlowsTab struct {
	*pagedTable
	live     bool
	needLoad bool // the table was asked to load while the live view was shown
	cur, top int
	pageH    int
	colCur   int  // column cursor (←/→), s sorts by it
	sortCol  int  // index in liveCols
	asc      bool // sort ascending (text columns); numbers sort largest first
	at       liveFlowKey
	brushed  bool // the brush turned the live view to the written table
}

// liveFlowKey names a row across snapshots: the cursor stays on it.
type liveFlowKey struct {
	probe, class string
	id           uint64
}

// liveCols are the live Flows screen's columns.
var liveCols = [...]struct {
	name string
	num  bool
	val  func(f LiveFlow) string
	cmp  func(a, b LiveFlow) int
}{
	{"probe", false, func(f LiveFlow) string { return f.Probe }, func(a, b LiveFlow) int { return cmp.Compare(a.Probe, b.Probe) }},
	{"interface", false, func(f LiveFlow) string { return f.Iface }, func(a, b LiveFlow) int { return cmp.Compare(a.Iface, b.Iface) }},
	{"class", false, func(f LiveFlow) string { return f.Class }, func(a, b LiveFlow) int { return cmp.Compare(a.Class, b.Class) }},
	{"name", false, LiveFlow.name, func(a, b LiveFlow) int { return cmp.Compare(a.name(), b.name()) }},
	{"packets", true, func(f LiveFlow) string { return human(int64(f.Packets)) }, func(a, b LiveFlow) int { return cmp.Compare(a.Packets, b.Packets) }},
	{"bytes", true, func(f LiveFlow) string { return human(int64(f.Bytes)) }, func(a, b LiveFlow) int { return cmp.Compare(a.Bytes, b.Bytes) }},
	{"Mbit/s", true, LiveFlow.mbpsText, func(a, b LiveFlow) int { x, _ := a.mbps(); y, _ := b.mbps(); return cmp.Compare(x, y) }},
	{"flow_id", true, func(f LiveFlow) string { return fmt.Sprint(f.FlowID) }, func(a, b LiveFlow) int { return cmp.Compare(a.FlowID, b.FlowID) }},
}

func newLiveFlowsTab(e *env) *liveFlowsTab {
	pt := newTableScreen(e, flowsSpec())
	pt.liveFlows = true // its info line says it is the written table, L the way back
	return &liveFlowsTab{pagedTable: pt, live: true, sortCol: 5}
}

func (t *liveFlowsTab) typing() bool { return !t.live && t.pagedTable.typing() }

func (t *liveFlowsTab) load(e *env) tea.Cmd {
	// a brushed time range narrows the written flows (the engines' last
	// interval is one moment): the brush shows them, clearing it comes
	// back to the live view
	switch {
	case t.live && e.brush.active():
		t.live, t.brushed = false, true
	case t.brushed && !e.brush.active():
		t.live, t.brushed = true, false
	}
	if t.live {
		t.needLoad = true
		return nil
	}
	return t.pagedTable.load(e)
}

// flows are the snapshot's flows in the screen's order.
func (t *liveFlowsTab) flows(e *env) []LiveFlow {
	if e.snap == nil {
		return nil
	}
	fs := slices.Clone(e.snap.Flows)
	c := liveCols[t.sortCol]
	slices.SortStableFunc(fs, func(a, b LiveFlow) int {
		r := c.cmp(a, b)
		if !t.asc {
			r = -r
		}
		return cmp.Or(r, cmp.Compare(a.Probe, b.Probe), cmp.Compare(a.Class, b.Class), cmp.Compare(a.FlowID, b.FlowID))
	})
	return fs
}

func (t *liveFlowsTab) update(e *env, msg tea.Msg) tea.Cmd {
	k, isKey := msg.(tea.KeyMsg)
	if isKey && !t.pagedTable.typing() && key.Matches(k, e.keys.LiveFlows) {
		t.live, t.brushed = !t.live, false
		if !t.live && t.needLoad {
			t.needLoad = false
			return t.pagedTable.load(e)
		}
		return nil
	}
	if isKey && t.live && (key.Matches(k, e.keys.Filter) || key.Matches(k, e.keys.Columns)) {
		// the filter and the columns are the written table's: / and c
		// turn to it (as L does) and open there, so the text typed next
		// is the filter's, not keys of the live view
		t.live, t.brushed = false, false
		var load tea.Cmd
		if t.needLoad {
			t.needLoad = false
			load = t.pagedTable.load(e)
		}
		return tea.Batch(load, t.pagedTable.update(e, msg))
	}
	if !t.live {
		return t.pagedTable.update(e, msg)
	}
	if _, ok := msg.(dataMsg); ok {
		return t.pagedTable.update(e, msg)
	}
	if !isKey {
		return nil
	}
	fs := t.flows(e)
	t.cur = t.find(fs)
	n := len(fs)
	keys := e.keys
	switch {
	case key.Matches(k, keys.Down):
		t.cur++
	case key.Matches(k, keys.Up):
		t.cur--
	case key.Matches(k, keys.PageDown):
		t.cur += t.pageH
	case key.Matches(k, keys.PageUp):
		t.cur -= t.pageH
	case key.Matches(k, keys.Top):
		t.cur = 0
	case key.Matches(k, keys.Bottom):
		t.cur = n - 1
	case key.Matches(k, keys.Left), key.Matches(k, keys.Right):
		t.colCur = keys.across(k, t.colCur, len(liveCols))
	case key.Matches(k, keys.Sort):
		if t.sortCol == t.colCur {
			t.asc = !t.asc
		} else {
			t.sortCol, t.asc = t.colCur, !liveCols[t.colCur].num
		}
		t.cur = 0
		fs = t.flows(e)
	case key.Matches(k, keys.Enter), key.Matches(k, keys.Packets):
		if t.cur < 0 || t.cur >= n {
			return nil
		}
		f := fs[t.cur]
		if key.Matches(k, keys.Enter) {
			return pushCmd(newDetail(e, flowRef{probe: f.Probe, flowID: int64(f.FlowID)}))
		}
		// the flow's packets from its first to the end of its last
		// closed interval (the capture's, when replayed)
		lo, tail := f.FirstSeenNs, " so far"
		if lo == 0 || lo > f.IntervalStartNs {
			lo, tail = f.IntervalStartNs, " in its last interval"
		}
		return pushCmd(newPackets(e, packetSel{probe: f.Probe, iface: f.Iface, lo: lo, hi: f.IntervalStartNs + int64(f.IntervalS*1e9),
			src: f.SrcAddr, dst: f.DstAddr, sport: int64(f.SrcPort), dport: int64(f.DstPort), proto: int64(f.Protocol),
			lead: "Packets of ", name: f.name(), tail: tail}))
	}
	t.cur = min(max(t.cur, 0), max(n-1, 0))
	if t.cur < n {
		f := fs[t.cur]
		t.at = liveFlowKey{f.Probe, f.Class, f.FlowID}
	}
	return nil
}

// find is the cursor's row in fs: the row it was on, if the snapshot
// still has it, else the same position.
func (t *liveFlowsTab) find(fs []LiveFlow) int {
	for i, f := range fs {
		if (liveFlowKey{f.Probe, f.Class, f.FlowID}) == t.at {
			return i
		}
	}
	return min(t.cur, max(len(fs)-1, 0))
}

func (t *liveFlowsTab) view(e *env, w, h int) string {
	if !t.live {
		return t.pagedTable.view(e, w, h)
	}
	st := e.st
	var b strings.Builder
	fs := t.flows(e)
	t.cur = t.find(fs)
	t.pageH = max(h-4, 1) // the info line, the header, the rates' window below
	if t.cur < t.top {
		t.top = t.cur
	}
	if t.cur >= t.top+t.pageH {
		t.top = t.cur - t.pageH + 1
	}
	t.top = min(t.top, max(len(fs)-t.pageH, 0))
	c := liveCols[t.sortCol]
	dir := "↓"
	if t.asc {
		dir = "↑"
	}
	info, window := "waiting for the engines' first snapshot", ""
	widths, first, stop := t.layout(fs, w)
	switch {
	case e.snap != nil && len(fs) == 0:
		info = e.snap.noFlows()
	case len(fs) > 0:
		last := fs[0]
		for _, f := range fs {
			if f.IntervalStartNs > last.IntervalStartNs {
				last = f
			}
		}
		window = last.rateWindow(e.dated)
		b.WriteString(st.dim.Render(liveInfoLine(w, t.cur+1, len(fs), c.name+" "+dir, first, len(liveCols)-stop,
			stamp(last.IntervalStartNs, e.dated), last.IntervalS)) + "\n")
	}
	if len(fs) == 0 {
		b.WriteString(st.dim.Render(cut(info, w-21)+" · L: written table") + "\n")
	}
	var hdr []string
	for i, col := range liveCols {
		if i < first || i >= stop {
			continue
		}
		name := col.name
		if i == t.sortCol {
			name += dir
		}
		name = cut(name, widths[i])
		cellTxt := fmt.Sprintf("%-*s", widths[i], name)
		if col.num {
			cellTxt = fmt.Sprintf("%*s", widths[i], name)
		}
		if i == t.colCur {
			cellTxt = st.sortCol.Render(cellTxt)
		} else {
			cellTxt = st.header.Render(cellTxt)
		}
		hdr = append(hdr, cellTxt)
	}
	b.WriteString(strings.Join(hdr, " ") + "\n")
	for i := t.top; i < len(fs) && i < t.top+t.pageH; i++ {
		var cells []string
		for j, col := range liveCols[first:stop] {
			cw := widths[first+j]
			v := cut(col.val(fs[i]), cw)
			if !col.num { // names: their distinguishing ends stay (-uplink-A, -B); a flow's, whole fields
				v = elideName(col.val(fs[i]), cw)
			}
			if col.num {
				cells = append(cells, fmt.Sprintf("%*s", cw, v))
			} else {
				cells = append(cells, fmt.Sprintf("%-*s", cw, v))
			}
		}
		line := cut(strings.Join(cells, " "), w)
		if i == t.cur {
			line = st.selected.Render(pad(line, w))
		}
		b.WriteString(line + "\n")
	}
	if window != "" {
		b.WriteString(st.dim.Render(cut(window, w)) + "\n")
	}
	return b.String()
}

// layout gives each column's width for a screen w cells wide, the first
// column shown and the end of those shown, as a written table's
// (pagedTable.layout, fitColumns): each column as wide as its header and
// the cells of fs, the text columns shrunk when they do not fit, the
// probe, interface and class before the flow's name (elided in the
// middle, down to two fifths of the window), the columns that still do
// not fit left out, not cut at the window's edge; columns scroll sideways
// so that the column cursor is on screen.
func (t *liveFlowsTab) layout(fs []LiveFlow, w int) (widths []int, first, stop int) {
	n := len(liveCols)
	natural, least, key := make([]int, n), make([]int, n), make([]bool, n)
	for i, c := range liveCols {
		hw := ansi.StringWidth(c.name)
		if i == t.sortCol {
			hw++ // its arrow
		}
		natural[i] = hw
		for _, f := range fs {
			natural[i] = max(natural[i], ansi.StringWidth(c.val(f)))
		}
		least[i] = natural[i]
		if !c.num {
			key[i] = c.name == "name"
			least[i] = min(natural[i], max(hw, minTextWidth))
			if key[i] { // what names the row: two fifths of the window
				least[i] = min(natural[i], max(hw, minTextWidth, w*2/5))
			}
		}
	}
	fit := func(from int) ([]int, int) { return fitColumns(natural[from:], least[from:], key[from:], w) }
	ws, shown := fit(0)
	for first < t.colCur && first+shown <= t.colCur {
		first++
		ws, shown = fit(first)
	}
	widths = make([]int, n)
	copy(widths[first:], ws)
	return widths, first, first + shown
}

// liveInfoLine is the live Flows screen's info line in w columns: row
// cur of n, the sort (column and arrow), the columns scrolled past (left)
// and beyond the right edge (right), the closed interval the rows are of
// (its start, at, and length, intervalS) and the key back to the written
// table. Too wide, its parts take shorter forms one after the other, the
// words first and the facts last (at 80 columns a trial read
// "... · live: … · L: written table": the interval was lost); only what
// the shortest forms cannot fit is cut.
func liveInfoLine(w, cur, n int, sort string, left, right int, at string, intervalS float64) string {
	var hid []string // long, short
	if lay := (colLayout{left: left, right: right}); left > 0 || right > 0 {
		hid = []string{lay.hiddenText(), lay.shortHidden()}
	}
	parts := [][]string{
		{fmt.Sprintf("row %d of %d", cur, n), fmt.Sprintf("%d/%d", cur, n)},
		{"sorted by " + sort, "by " + sort},
		hid,
		{fmt.Sprintf("live: the engines' last closed interval, %s +%g s", at, intervalS),
			fmt.Sprintf("live: last closed interval %s +%g s", at, intervalS),
			fmt.Sprintf("live: interval %s +%g s", at, intervalS),
			fmt.Sprintf("live: %s +%g s", at, intervalS)},
		{"L: written table", "L: written"},
	}
	form := make([]int, len(parts))
	line := func() string {
		var out []string
		for i, p := range parts {
			if len(p) > 0 {
				out = append(out, p[form[i]])
			}
		}
		return strings.Join(out, " · ")
	}
	// the order parts shorten in: words before numbers, the position last
	for _, i := range []int{3, 1, 3, 2, 4, 3, 0} {
		if ansi.StringWidth(line()) <= w {
			break
		}
		if form[i]+1 < len(parts[i]) {
			form[i]++
		}
	}
	return cut(line(), w)
}

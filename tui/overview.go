package tui

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// overview is the first screen: per probe and interface what was seen,
// the protocol and class mix, events by severity and the throughput strip,
// which is the time brush of every screen.
type overview struct {
	screenBase
	d      *overviewData
	strip  *stripData
	cur    int // cursor bucket on the strip
	anchor int // first end of a brush being marked; -1 none
	stripY int // screen row of the strip's first line (mouse)
	stripH int
	width  int
	// live mode: the Parquet parts are re-read every liveReloadNs of
	// snapshot time, and once more when the run ends
	reloadedNs int64
	sawDone    bool
	refresh    bool // the next load also recomputes the strip
	stripW     int  // buckets of the strip held or asked for; 0: none
	pending    bool // the overview's data is being read
}

// liveReloadNs is how often, in live mode, the overview re-reads what the
// run has written so far (the live panel itself follows every snapshot).
const liveReloadNs = 5e9

type probeRow struct {
	probe, iface, class   string
	packets, bytes, flows int64
	first, last           int64
	malformed             string
	drops                 string // kernel drops from the capture_stop event (live captures)
}

type mixRow struct {
	label          string
	flows, packets int64
	bytes          int64
}

type overviewData struct {
	probes   []probeRow
	protos   []mixRow
	classes  []mixRow
	severity []mixRow
	inputs   []string
	groups   []flowGroup // the flow groups of the whole capture (nil when brushed)
	// brushHow says what the rows count within a brush ("" unbrushed)
	brushHow string
}

// stripData is the throughput over the whole capture in equal buckets.
type stripData struct {
	lo, hi int64 // span, Unix ns
	vals   []float64
	exact  bool // from flow_counters intervals, not flows spread over their lifetime
	open   bool // with the counters of flows that have no flows row yet (counterIntervals)
	n      int
}

func newOverview(e *env) *overview {
	return &overview{screenBase: screenBase{sid: e.newID(), title: "Overview"}, anchor: -1}
}

func (o *overview) typing() bool { return false }

// points is the number of points of the activity strip, 0 before it loads.
func (o *overview) points() int {
	if o.strip == nil {
		return 0
	}
	return len(o.strip.vals)
}

func (o *overview) load(e *env) tea.Cmd {
	b := e.brush
	out, dated := e.dbDir, e.dated // the run.json of the tables read: a running replay's staged one
	o.pending = true
	return e.query(o.sid, "overview", func(ctx context.Context, db *sql.DB) (any, error) {
		return loadOverview(ctx, db, out, b, dated)
	})
}

// stripCmd asks for the throughput strip when the terminal's width is
// known and the strip is missing, of another width or to be refreshed.
// It runs after the overview's data is in (the first screen is drawn
// without it), from the flow groups gs of the whole capture when the
// overview has them (nil: the strip reads them).
func (o *overview) stripCmd(e *env, gs []flowGroup) tea.Cmd {
	w := max(o.width-2, 20)
	if o.width == 0 || (o.stripW == w && !o.refresh) {
		return nil
	}
	o.stripW, o.refresh = w, false
	return e.query(o.sid, "strip", func(ctx context.Context, db *sql.DB) (any, error) {
		return loadStrip(ctx, db, w, gs)
	})
}

// runInputs names the capture files of run.json for the title: each by
// the shortest suffix of its path (whole folders) that no other input
// shares, so four A.pcap of the lab read dns-snmp-ntp/A.pcap, frag/A.pcap,
// ... and not A.pcap four times; prefixed with "probe=" when the probe
// that read it (packet_index) is not named after that suffix (--probe
// NAME=FILE).
func runInputs(ctx context.Context, db *sql.DB, out string) []string {
	m, err := readRun(out)
	if err != nil {
		return nil
	}
	probeOf := map[string]string{} // absolute path -> probe
	if rows, err := db.QueryContext(ctx, `SELECT DISTINCT path, probe FROM packet_index`); err == nil {
		for rows.Next() {
			var path, probe string
			if rows.Scan(&path, &probe) == nil {
				probeOf[path] = probe
			}
		}
		rows.Close()
	}
	paths := make([]string, len(m.Inputs))
	for i, in := range m.Inputs {
		paths[i] = in.Path
	}
	names := shortestSuffixes(paths)
	for i, in := range m.Inputs {
		for path, probe := range probeOf {
			same := path == in.Path || !filepath.IsAbs(in.Path) && strings.HasSuffix(path, string(filepath.Separator)+filepath.Clean(in.Path))
			if same && probe != stem(names[i]) {
				names[i] = probe + "=" + names[i]
			}
		}
	}
	return names
}

// shortestSuffixes gives each path the fewest trailing elements (at least
// its base name) that tell it apart from every other path of the list (the
// same path listed twice counts once).
func shortestSuffixes(paths []string) []string {
	parts := make([][]string, len(paths))
	for i, p := range paths {
		parts[i] = strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
	}
	suffix := func(i, k int) string { return strings.Join(parts[i][max(len(parts[i])-k, 0):], "/") }
	names := make([]string, len(paths))
	for i := range paths {
		for k := 1; ; k++ {
			s := suffix(i, k)
			unique := true
			for j := range paths {
				if j != i && suffix(j, k) == s && paths[j] != paths[i] {
					unique = false
				}
			}
			if unique || k >= len(parts[i]) {
				names[i] = s
				break
			}
		}
	}
	return names
}

// stem is a capture's name without its extensions (x.pcap.gz: x), as
// replay names a probe after its file.
func stem(name string) string {
	name = strings.TrimSuffix(name, filepath.Ext(name))
	return strings.TrimSuffix(name, filepath.Ext(name))
}

func (o *overview) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case liveMsg:
		// re-read what the run wrote every few seconds, and at its end
		done := msg.st.Done && !o.sawDone
		if e.db == nil || len(e.inflight) > 0 || (!done && msg.st.TimeNs-o.reloadedNs < liveReloadNs) {
			return nil
		}
		o.reloadedNs, o.sawDone, o.refresh = msg.st.TimeNs, msg.st.Done, true
		return o.load(e)
	case tea.WindowSizeMsg:
		if o.width != msg.Width {
			o.width = msg.Width
			o.strip, o.stripW = nil, 0
			if o.d == nil {
				if !o.pending {
					return o.load(e) // the strip follows the overview's data
				}
				return nil
			}
			return o.stripCmd(e, o.d.groups)
		}
	case dataMsg:
		if msg.err != nil {
			if msg.tag == "strip" {
				o.stripW = 0 // asked again at the next load or resize
			} else {
				o.pending = false
			}
			e.setErr(msg.err)
			return nil
		}
		switch v := msg.v.(type) {
		case *overviewData:
			o.d, o.pending = v, false
			return o.stripCmd(e, v.groups)
		case *stripData:
			if v.n != max(o.width-2, 20) {
				return nil // computed for a width the terminal no longer has
			}
			o.strip = v
			o.cur = min(o.cur, max(len(v.vals)-1, 0))
		}
	case tea.KeyMsg:
		k := e.keys
		switch {
		case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
			o.cur = k.across(msg, o.cur, o.points())
		case key.Matches(msg, k.Top):
			o.cur = 0
		case key.Matches(msg, k.Bottom):
			if o.strip != nil {
				o.cur = o.points() - 1
			}
		case key.Matches(msg, k.BrushMark):
			if o.anchor < 0 {
				o.anchor = o.cur
				e.status = "brush: move to the other end and press b again"
				return nil
			}
			return o.setBrush(e, o.anchor, o.cur)
		case key.Matches(msg, k.BrushClear), key.Matches(msg, k.Back):
			o.anchor = -1
			if e.brush.active() {
				e.brush = brush{}
				e.brushGen++
				o.gen = e.brushGen
				e.status = "brush cleared"
				return o.load(e)
			}
		case key.Matches(msg, k.Enter):
			return func() tea.Msg { return switchMsg{tab: 1} }
		}
		if o.anchor >= 0 { // the hint stays while a brush is being marked
			e.status = "brush: move to the other end and press b again"
		}
	case tea.MouseMsg:
		if o.strip == nil || msg.Y < o.stripY || msg.Y >= o.stripY+o.stripH {
			return nil
		}
		x := min(max(msg.X-1, 0), len(o.strip.vals)-1)
		switch msg.Action {
		case tea.MouseActionPress:
			o.cur, o.anchor = x, x
		case tea.MouseActionMotion:
			o.cur = x
		case tea.MouseActionRelease:
			o.cur = x
			if o.anchor >= 0 && o.anchor != x {
				return o.setBrush(e, o.anchor, x)
			}
			o.anchor = -1
		}
	}
	return nil
}

func (o *overview) setBrush(e *env, a, b int) tea.Cmd {
	o.anchor = -1
	if o.strip == nil || o.strip.hi <= o.strip.lo {
		return nil
	}
	if a > b {
		a, b = b, a
	}
	span := o.strip.hi - o.strip.lo
	n := int64(len(o.strip.vals))
	bw := span/n + 1
	e.brush = brush{lo: o.strip.lo + int64(a)*bw, hi: o.strip.lo + int64(b+1)*bw - 1}
	e.brushGen++
	o.gen = e.brushGen
	e.status = "every screen now shows the brushed range (B clears)"
	return o.load(e)
}

// brushLine draws the brushed buckets of an n-bucket strip as a bar under
// it, ┣━━┫: the brush is seen without colours too (NO_COLOR), where the
// bars' colour would be all that marks it.
func brushLine(n int, in func(i int) bool) string {
	line := []rune(" " + strings.Repeat(" ", n))
	for i := range n {
		if !in(i) {
			continue
		}
		switch {
		case (i == 0 || !in(i-1)) && (i == n-1 || !in(i+1)):
			line[i+1] = '┃'
		case i == 0 || !in(i-1):
			line[i+1] = '┣'
		case i == n-1 || !in(i+1):
			line[i+1] = '┫'
		default:
			line[i+1] = '━'
		}
	}
	return strings.TrimRight(string(line), " ")
}

// overviewHint is the overview's last line, its own keys.
const overviewHint = "enter: flows · tab/1-8: screens · ? help"

// view draws the overview within h lines, its key hint on the last: a
// live panel above it (its legend, busiest flows) pushed the hint off a
// 120×40 screen. The throughput strip gives up its lines first (down to
// 2), then the lines above the hint are cut.
func (o *overview) view(e *env, w, h int) string {
	stripH := max(min(h/4, 10), 2)
	v := o.render(e, w, h, stripH)
	for n := strings.Count(v, "\n") + 1; n > h && stripH > 2; n = strings.Count(v, "\n") + 1 {
		stripH = max(stripH-(n-h), 2)
		v = o.render(e, w, h, stripH)
	}
	if lines := strings.Split(v, "\n"); len(lines) > h && strings.HasSuffix(v, e.st.dim.Render(overviewHint)) {
		v = strings.Join(append(lines[:max(h-1, 0)], lines[len(lines)-1]), "\n")
	}
	return v
}

// render draws the overview with a throughput strip of stripH lines.
func (o *overview) render(e *env, w, h, stripH int) string {
	st := e.st
	var b strings.Builder
	if e.snap != nil {
		b.WriteString(livePanel(e, w, h) + "\n")
	}
	if o.d == nil {
		if e.db == nil && e.snap == nil {
			// the status line has the error: no empty screen saying "loading"
			return b.String() + st.dim.Render("waiting for tmonbench output in "+e.out+" (looked again every 2 s; q quits)")
		}
		if tbl, ok := missingTable(e.errMsg); ok && e.snap != nil && !e.snap.Done {
			// a replay writes its tables at its end: "loading" stood there
			// for the whole run
			return b.String() + st.section.Render(cut("Output "+e.out, w)) + "\n" +
				st.dim.Render(wrapItems(w, " ", "  no "+tbl+" rows written yet:", "a replay writes its tables at its end,", "live every --write-every")) +
				"\n\n" + st.dim.Render(overviewHint)
		}
		return b.String() + st.dim.Render("loading "+e.out+" …")
	}
	b.WriteString(st.section.Render(outputTitle(e.out, o.d.inputs, w)) + "\n")
	o.probeRows(e, &b, w)
	// throughput strip
	if o.strip == nil && o.stripW != 0 {
		b.WriteString("\n" + st.section.Render("Throughput") + st.dim.Render("  adding up the IP bytes over time …") + "\n")
	}
	if o.strip != nil && o.strip.lo == 0 && o.strip.hi == 0 { // no flow (yet: a live run's first tables)
		b.WriteString("\n" + st.section.Render("Throughput") + st.dim.Render("  "+noStrip(e)) + "\n")
	} else if o.strip != nil && len(o.strip.vals) > 0 {
		how := "≈ flows spread over their lifetimes"
		if o.strip.exact {
			how = "from flow_counters"
		}
		if o.strip.open { // their class is not known until their row is written
			how += " (flows not ended yet: in every class they match)"
		}
		per := "IP bytes per " + binText(float64(o.strip.hi-o.strip.lo)/1e9/float64(len(o.strip.vals)))
		if o.strip.hi == o.strip.lo { // every flow so far at one instant
			per = "IP bytes of the flows so far, all seen at " + stamp(o.strip.lo, e.dated)
			if iv := e.snapIntervalS(); iv > 0 {
				per += fmt.Sprintf(" (intervals of %g s)", iv)
			}
		}
		caption := fmt.Sprintf("  %s, %s", per, how)
		// the keys in full when they fit, else in short, else left to ? help
		for _, keys := range []string{" · ←/→ cursor, b marks the brush ends, B clears", " · ←/→ b B: brush", ""} {
			if len("Throughput")+len([]rune(caption+keys)) <= w || keys == "" {
				caption += keys
				break
			}
		}
		b.WriteString("\n" + st.section.Render("Throughput") + st.dim.Render(cut(caption, max(w-len("Throughput"), 1))) + "\n")
		lo, hi := o.anchor, o.cur
		if lo > hi {
			lo, hi = hi, lo
		}
		inBrush := func(i int) bool {
			if o.anchor >= 0 {
				return i >= lo && i <= hi
			}
			if !e.brush.active() {
				return false
			}
			span := o.strip.hi - o.strip.lo
			bw := span/int64(len(o.strip.vals)) + 1
			t0 := o.strip.lo + int64(i)*bw
			return t0+bw > e.brush.lo && t0 <= e.brush.hi
		}
		chart := columnChart(o.strip.vals, len(o.strip.vals), stripH, func(i int) lipgloss.Style {
			if inBrush(i) {
				return st.brush
			}
			return st.chart
		})
		o.stripY = 1 + strings.Count(b.String(), "\n")
		o.stripH = stripH
		for _, l := range strings.Split(chart, "\n") {
			b.WriteString(" " + l + "\n")
		}
		if o.anchor >= 0 || e.brush.active() {
			b.WriteString(st.brush.Render(brushLine(len(o.strip.vals), inBrush)) + "\n")
		}
		// cursor line
		cursor := strings.Repeat(" ", o.cur+1) + "▲ " + stamp(o.strip.lo+int64(o.cur)*((o.strip.hi-o.strip.lo)/int64(len(o.strip.vals))+1), e.dated)
		b.WriteString(st.brush.Render(cut(cursor, w)) + "\n")
		b.WriteString(" " + timeAxis(st, o.strip.lo, o.strip.hi, len(o.strip.vals), e.dated) + "\n")
	}
	// mixes side by side
	colW := max((w-4)/3, 20)
	mixCol := func(title string, rows []mixRow, val func(mixRow) int64, unit string, share bool) string {
		labels := make([]string, 0, len(rows))
		vals := make([]float64, 0, len(rows))
		texts := make([]string, 0, len(rows))
		var total int64
		for _, r := range rows {
			total += val(r)
		}
		for i, r := range rows {
			if i >= 6 {
				break
			}
			labels = append(labels, cut(r.label, 10))
			vals = append(vals, float64(val(r)))
			pct := 0.0
			if total > 0 {
				pct = 100 * float64(val(r)) / float64(total)
			}
			if share {
				texts = append(texts, fmt.Sprintf("%s %s %4.1f%%", human(val(r)), unit, pct))
			} else { // classes overlap: a packet counts in every class it matches
				texts = append(texts, fmt.Sprintf("%s %s", human(val(r)), unit))
			}
		}
		if unit == "B" {
			fitBytes(labels, texts, vals, float64(total), share, colW)
		}
		fitLabels(labels, texts, colW)
		return st.section.Render(title) + "\n" + barRows(st, labels, vals, texts, colW)
	}
	protos := mixCol("Protocols", o.d.protos, func(r mixRow) int64 { return r.bytes }, "B", true)
	classes := mixCol("Classes", o.d.classes, func(r mixRow) int64 { return r.packets }, "pk", false)
	var ev strings.Builder
	ev.WriteString(st.section.Render("Events") + "\n")
	if len(o.d.severity) == 0 {
		ev.WriteString(st.dim.Render("  (none)"))
	}
	for _, s := range o.d.severity {
		style := st.dim
		switch s.label {
		case "warning":
			style = st.sevWarn
		case "error":
			style = st.sevError
		}
		ev.WriteString("  " + style.Render(fmt.Sprintf("%-8s %s", s.label, human(s.flows))) + "\n")
	}
	b.WriteString("\n" + lipgloss.JoinHorizontal(lipgloss.Top,
		st.r.NewStyle().Width(colW+1).Render(protos),
		st.r.NewStyle().Width(colW+1).Render(classes),
		ev.String()))
	b.WriteString("\n\n" + st.dim.Render(overviewHint))
	return b.String()
}

// probeRows writes the overview's table of probe interfaces: what a
// brush counts, then one line per interface, or two when w is too narrow
// for the 116 columns of one. The probe and interface columns widen to
// their longest names as far as w allows, so that probes sharing their
// first 10 characters (files named chrissanders_...) stay apart.
func (o *overview) probeRows(e *env, b *strings.Builder, w int) {
	st := e.st
	if o.d.brushHow != "" {
		for _, l := range strings.Split(ansi.Wordwrap("brushed: "+o.d.brushHow, w, ""), "\n") {
			b.WriteString(st.brush.Render(l) + "\n")
		}
	}
	drops := o.probeDrops(e)
	// one line of 116 columns and the names whole; narrower, one line as
	// narrowProbeTable shortens it (at 120 columns a probe named after its
	// file, chrissanders_dns_lab, read "chrissanders_…" in the 116),
	// else the counts go on a second line (a first line of 62, a second
	// of 55: the packets were on the first, of 74, which a terminal of 70
	// cut to "IP pa…" with every count "…")
	pw, iw := nameWidths(o.d.probes, func(p probeRow) (string, string) { return p.probe, p.iface }, 10, 6, 1<<20)
	wide, fixed := w >= 116+pw-10+iw-6, 62
	if wide {
		fixed = 116
	} else if lines := narrowProbeTable(o.d.probes, drops, e.dated, w); lines != nil {
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if len(o.d.probes) == 0 {
			noFlowsNote(e, b, w)
		}
		return
	}
	pw, iw = nameWidths(o.d.probes, func(p probeRow) (string, string) { return p.probe, p.iface }, 10, 6, w-fixed)
	if over := fixed - w; !wide && over > 0 { // below 62 columns the names give up what is missing, down to 5 and 3
		by := min(over, pw-5)
		pw, over = pw-by, over-by
		iw -= min(over, iw-3)
	}
	row := func(probe, iface, class, first, span, packets, bytes, flows, mal, drops string) {
		fmt.Fprintf(b, "%-*s %-*s %-7s %-26s %9s", pw, probe, iw, iface, class, first, span)
		if !wide {
			b.WriteString("\n ")
		}
		fmt.Fprintf(b, " %11s %14s %9s %9s %5s\n", packets, bytes, flows, mal, drops)
	}
	row("probe", "iface", "class", "first seen", "span", "IP packets", "IP bytes", "flows", "malformed", "drops")
	for n, p := range o.d.probes {
		mal := p.malformed
		if mal == "" {
			mal = "·"
		}
		row(elideMiddle(p.probe, pw), elideMiddle(p.iface, iw), cut(p.class, 7), fmtTime(p.first), fmtSpan(p.last-p.first),
			human(p.packets), human(p.bytes), human(p.flows), mal, drops[n])
	}
	if len(o.d.probes) == 0 {
		noFlowsNote(e, b, w)
	}
}

// noStrip is what the throughput strip says without a flow: "no flows to
// add up"; while the run writing the output goes, "yet", the probe table
// above saying why (noFlowsNote: the flows table gets a flow's row when
// the flow ends), and with --tui that the live panel counts them now.
func noStrip(e *env) string {
	switch {
	case e.noFlowYet() == "":
		return "no flows to add up"
	case e.snap != nil && !e.snap.Done:
		return "no flows to add up yet: the live panel counts them now"
	}
	return "no flows to add up yet"
}

// noFlowsNote is what the probe table says without a flow: "(no flows in
// the brushed range)" when the brush is set; while the run writing the
// output goes, why flows is still empty, wrapped as a table screen's empty
// note ("(flows is empty: no flow has ended yet: the collector writing it
// is still going (...))": it said "(no flows)" alone on a running
// collector's output, which reads as a capture without a flow); else
// "(no flows)".
func noFlowsNote(e *env, b *strings.Builder, w int) {
	note := "(no flows)"
	if e.brush.active() {
		note = "(no flows in the brushed range)"
	} else if why := e.noFlowYet(); why != "" {
		note = "(flows is empty: " + why + ")"
	}
	for _, l := range strings.Split(wrapItems(max(w-2, 10), " ", strings.Fields(note)...), "\n") {
		b.WriteString(e.st.dim.Render("  "+l) + "\n")
	}
}

// fmtSpan writes a capture span of ns nanoseconds in at most 9 columns:
// seconds to the ms under 1000 s ("7.426 s"), then hours, minutes and
// seconds under 100 h ("27h05m12s"), then days and hours ("1122d08h": a
// capture of three years read "96970194.886").
func fmtSpan(ns int64) string {
	s := float64(ns) / 1e9
	if s < 1000 {
		return fmt.Sprintf("%.3f s", s)
	}
	sec := ns / 1e9
	if sec < 100*3600 {
		return fmt.Sprintf("%dh%02dm%02ds", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%dd%02dh", sec/86400, sec/3600%24)
}

package tui

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// elideMiddle shortens s to at most w terminal columns by putting "…" in
// its middle: names that share their beginning (capture files named
// chrissanders_...) or their end (…-lab.pcap) stay apart, which cut (the
// end only) loses. Plain text only (no escapes): queries.ElideMiddle,
// the one the query tables use.
func elideMiddle(s string, w int) string { return queries.ElideMiddle(s, w) }

// outputTitle is the overview's title line within w columns: the output
// folder and the capture files. A list that does not fit keeps the first
// names whole, as many as fit, and says how many it leaves out ("+2
// more"): a name cut in the middle of the list lost a capture silently
// (at 60 columns "captures ftp/A.pcap, tcp-mi…pcap, frag/A.pcap" hid
// everything between the two ends). When not even the first fits whole
// it is elided in the middle (its ends kept), before the count.
func outputTitle(out string, inputs []string, w int) string {
	title := elideMiddle("Output "+filepath.Base(out), w)
	if len(inputs) == 0 {
		return title
	}
	head := title + "  ·  captures "
	room := w - ansi.StringWidth(head)
	if room < 10 {
		return title
	}
	if all := strings.Join(inputs, ", "); ansi.StringWidth(all) <= room {
		return head + all
	}
	if len(inputs) == 1 {
		return head + elideMiddle(inputs[0], room)
	}
	for k := len(inputs) - 1; k >= 1; k-- {
		list := strings.Join(inputs[:k], ", ") + fmt.Sprintf(", +%d more", len(inputs)-k)
		if ansi.StringWidth(list) <= room {
			return head + list
		}
	}
	more := fmt.Sprintf(", +%d more", len(inputs)-1)
	if first := room - ansi.StringWidth(more); first >= 5 {
		return head + elideMiddle(inputs[0], first) + more
	}
	return head + elideMiddle(fmt.Sprintf("%d files", len(inputs)), room)
}

// narrowProbeCol is one column of narrowProbeTable: its header and
// cells, left-aligned or not.
type narrowProbeCol struct {
	head  string
	left  bool
	cells []string
}

// narrowProbeTable lays out the overview's probe table in one line per
// row within w columns, where the fixed 116-column row does not fit with
// its names whole (a terminal of 80: that row wrapped onto two lines
// each, a trial found it hard to read): each column as wide as
// its header and cells, the names elided in the middle. As far as needed
// to fit, the probe and interface names give up columns down to 14 and 9,
// then the shortenings of narrowProbeCols apply one after the other, then
// the names go down to 8 and 5 columns. It returns the lines (header
// first), or nil when even that is wider than w (the caller then takes
// two lines a row).
func narrowProbeTable(rows []probeRow, drops []string, dated bool, w int) []string {
	for _, floors := range [][2]int{{14, 9}, {8, 5}} {
		for level := 0; level <= narrowLevels; level++ {
			cols := narrowProbeCols(rows, drops, dated, level)
			widths := make([]int, len(cols))
			total := len(cols) - 1
			for i, c := range cols {
				widths[i] = ansi.StringWidth(c.head)
				for _, s := range c.cells {
					widths[i] = max(widths[i], ansi.StringWidth(s))
				}
				total += widths[i]
			}
			for i, floor := range floors { // the names give up what is missing, probe first
				if over := total - w; over > 0 && widths[i] > floor {
					by := min(over, widths[i]-floor)
					widths[i] -= by
					total -= by
				}
			}
			if total <= w {
				return layoutCols(cols, widths, len(rows))
			}
		}
	}
	return nil
}

// layoutCols writes n rows of cols (header first) at widths, the first
// two columns (the names) elided in the middle to theirs.
func layoutCols(cols []narrowProbeCol, widths []int, n int) []string {
	lines := make([]string, n+1)
	for r := range lines {
		var b strings.Builder
		for i, c := range cols {
			s := c.head
			if r > 0 {
				s = c.cells[r-1]
			}
			if i < 2 {
				s = elideMiddle(s, widths[i])
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			pad := strings.Repeat(" ", max(widths[i]-ansi.StringWidth(s), 0))
			if c.left {
				b.WriteString(s + pad)
			} else {
				b.WriteString(pad + s)
			}
		}
		lines[r] = strings.TrimRight(b.String(), " ")
	}
	return lines
}

// narrowLevels is the last level of narrowProbeCols.
const narrowLevels = 5

// narrowProbeCols are the columns of narrowProbeTable at a level of
// shortening: 0 none; 1 the headers "malformed" and "IP packets" as
// "malf" and "IP pkts"; 2 the IP bytes in KiB, MiB...; 3 the first seen to the
// millisecond (with its date: to the second); 4 the packets and flows from
// 100,000 up in 3 digits (123k, 12.3M, 3.12G); 5 "IP pkts" as "pkts" and,
// with its date, the first seen to the minute.
func narrowProbeCols(rows []probeRow, drops []string, dated bool, level int) []narrowProbeCol {
	mal, pkts := "malformed", "IP packets" // the class's IP packets (the live panel's are every packet)
	if level >= 1 {
		mal, pkts = "malf", "IP pkts"
	}
	if level >= 5 {
		pkts = "pkts"
	}
	first := func(ns int64) string { return stamp(ns, dated) }
	layout := ""
	switch {
	case level >= 5 && dated:
		layout = "2006-01-02 15:04"
	case level >= 3 && dated:
		layout = "2006-01-02 15:04:05"
	case level >= 3:
		layout = "15:04:05.000"
	}
	if layout != "" {
		first = func(ns int64) string { return time.Unix(0, ns).UTC().Format(layout) }
	}
	count := human
	if level >= 4 {
		count = shortCount
	}
	cols := []narrowProbeCol{{head: "probe", left: true}, {head: "iface", left: true}, {head: "class", left: true},
		{head: "first seen", left: true}, {head: "span"}, {head: pkts}, {head: "IP bytes"}, {head: "flows"}, {head: mal}, {head: "drops"}}
	for i, p := range rows {
		bytes := human(p.bytes)
		if level >= 2 {
			bytes = bytesIEC(float64(p.bytes))
		}
		m := p.malformed
		if m == "" {
			m = "·"
		}
		for c, s := range []string{p.probe, p.iface, cut(p.class, 7), first(p.first), fmtSpan(p.last - p.first),
			count(p.packets), bytes, count(p.flows), m, drops[i]} {
			cols[c].cells = append(cols[c].cells, s)
		}
	}
	return cols
}

// shortCount writes a count in at most 6 columns: whole below 100,000
// ("99,999"), else in 3 digits with k, M, G, T ("123k", "12.3M", "3.12G").
func shortCount(n int64) string {
	if n < 100000 && n > -100000 {
		return human(n)
	}
	f, units := float64(n), "kMGTPE"
	for i := range units {
		f /= 1000
		if f < 999.5 && f > -999.5 || i == len(units)-1 {
			return strconv.FormatFloat(f, 'g', 3, 64) + units[i:i+1]
		}
	}
	return human(n)
}

// probeDrops are the drops cells of the overview's probe rows: a replayed
// file has none (·); a live capture's come from its capture_stop event,
// or while it runs from the engines' snapshot.
func (o *overview) probeDrops(e *env) []string {
	out := make([]string, len(o.d.probes))
	for n, p := range o.d.probes {
		drops := p.drops
		if e.snap != nil {
			for _, i := range e.snap.Ifaces {
				if i.Probe == p.probe && i.Iface == p.iface && i.KernelDrops >= 0 {
					drops = human(i.KernelDrops)
				}
			}
		}
		if drops == "" {
			drops = "·"
		}
		out[n] = drops
	}
	return out
}

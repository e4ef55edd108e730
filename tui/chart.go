package tui

import (
	"fmt"
	"strings"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/charmbracelet/lipgloss"
)

// columnChart draws vals as columns on an ntcharts canvas w×h cells, the
// tallest column h cells high; styleOf picks each column's style (the
// brush colours part of the time strip).
func columnChart(vals []float64, w, h int, styleOf func(i int) lipgloss.Style) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	c := canvas.New(w, h)
	hi := 0.0
	for _, v := range vals {
		hi = max(hi, v)
	}
	for i := 0; i < len(vals) && i < w; i++ {
		f := 0.0
		if hi > 0 {
			f = vals[i] / hi * float64(h)
		}
		if vals[i] > 0 && f < 0.125 {
			f = 0.125 // a nonzero value stays visible
		}
		graph.DrawColumnBottomToTop(&c, canvas.Point{X: i, Y: h - 1}, f, styleOf(i))
	}
	return c.View()
}

// barRows draws one horizontal bar per label: label, bar scaled to the
// largest value, value text.
// fits reports whether barRows of these labels and texts fit in w cells
// with bars of at least 4.
func fits(labels, texts []string, w int) bool {
	lw, tw := 0, 0
	for i := range labels {
		lw = max(lw, len([]rune(labels[i])))
		tw = max(tw, len([]rune(texts[i])))
	}
	return 2+lw+1+4+1+tw <= w
}

// fitBytes writes texts, the byte counts vals (and their shares of
// total), in IEC units when they do not fit w beside labels (a narrow
// terminal: 7.8 MiB, not 8,150,454 B), and leaves the shares out when
// that does not fit either (60 columns: the bar tells the share).
func fitBytes(labels, texts []string, vals []float64, total float64, share bool, w int) {
	if fits(labels, texts, w) {
		return
	}
	for i, v := range vals {
		texts[i] = bytesIEC(v)
		if share && total > 0 {
			texts[i] += fmt.Sprintf(" %4.1f%%", 100*v/total)
		}
	}
	if fits(labels, texts, w) {
		return
	}
	for i, v := range vals {
		texts[i] = bytesIEC(v)
	}
}

// fitLabels cuts labels (to 3 characters at least) so that barRows'
// lines of labels and texts fit w columns, which they wrap past when
// lipgloss lays the columns side by side (at 60 columns the protocol mix's
// share went to a line of its own, under the next column's rows).
func fitLabels(labels, texts []string, w int) {
	if fits(labels, texts, w) {
		return
	}
	tw := 0
	for _, t := range texts {
		tw = max(tw, len([]rune(t)))
	}
	room := max(w-(2+1+4+1+tw), 3)
	for i, l := range labels {
		labels[i] = cut(l, room)
	}
}

func barRows(st *styles, labels []string, vals []float64, texts []string, w int) string {
	if len(vals) == 0 {
		return st.dim.Render("  (none)")
	}
	lw := 0
	tw := 0
	hi := 0.0
	for i := range vals {
		lw = max(lw, len([]rune(labels[i])))
		tw = max(tw, len(texts[i]))
		hi = max(hi, vals[i])
	}
	bw := max(w-lw-tw-4, 4)
	var b strings.Builder
	for i, v := range vals {
		c := canvas.New(bw, 1)
		f := 0.0
		if hi > 0 {
			f = v / hi * float64(bw)
		}
		if v > 0 && f < 0.125 {
			f = 0.125
		}
		graph.DrawRowLeftToRight(&c, canvas.Point{X: 0, Y: 0}, f, st.chart)
		fmt.Fprintf(&b, "  %-*s %s %*s\n", lw, labels[i], c.View(), tw, texts[i])
	}
	return strings.TrimRight(b.String(), "\n")
}

// timeAxis labels the two ends of a time strip w cells wide: the start
// with its date, the end with its date too when dated (spanDated).
func timeAxis(st *styles, lo, hi int64, w int, dated bool) string {
	l, r := fmtTime(lo), stamp(hi, dated)
	gap := w - len(l) - len(r)
	if gap < 1 {
		return st.dim.Render(cut(l, w))
	}
	return st.dim.Render(l + strings.Repeat(" ", gap) + r)
}

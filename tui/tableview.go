package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// The drawing of a table screen (pagedTable): its info line, header and
// rows fitted to the window, and the column chooser.

// view draws the info line, the header and the visible rows, the columns
// fitted to the window (layout): what does not fit is said in the info
// line, never cut off at the window's edge.
func (t *pagedTable) view(e *env, w, h int) string {
	st := e.st
	t.pageH = max(h-3, 1)
	if t.chooser {
		return t.chooserView(e, h)
	}
	var b strings.Builder
	// the cells of the window's rows, by shown column (columnCells)
	end := min(t.top+t.pageH, len(t.rows))
	texts := make([][]string, len(t.show))
	for i, c := range t.show {
		vals := make([]any, 0, end-t.top)
		for r := t.top; r < end; r++ {
			vals = append(vals, t.rows[r].Values[t.colIndex(c)])
		}
		texts[i] = columnCells(c, t.typ[c], vals, e.dated)
	}
	lay := t.layout(texts, w)
	b.WriteString(t.infoLine(e, lay, w) + "\n")
	var hdr []string
	for k, i := range lay.vis {
		cw := lay.widths[k]
		s := fmt.Sprintf("%-*s", cw, cut(t.spec.header(t.show[i]), cw))
		if isNumeric(t.typ[t.show[i]]) { // over its numbers' last digit
			s = fmt.Sprintf("%*s", cw, cut(t.spec.header(t.show[i]), cw))
		}
		switch {
		case i == t.colCur, t.show[i] == t.sort:
			hdr = append(hdr, st.sortCol.Render(s))
		default:
			hdr = append(hdr, st.header.Render(s))
		}
	}
	b.WriteString(strings.Join(hdr, " ") + "\n")
	shown := make([][]string, len(lay.vis)) // the text cells, long IPv6 addresses labelled column-wide
	for k, i := range lay.vis {
		shown[k] = narrowNames(t.show[i], t.typ[t.show[i]], texts[i], lay.widths[k])
	}
	for r := t.top; r < end; r++ {
		var cells []string
		for k, i := range lay.vis {
			cw := lay.widths[k]
			s := shown[k][r-t.top]
			if isNumeric(t.typ[t.show[i]]) {
				s = fmt.Sprintf("%*s", cw, cut(s, cw))
			} else {
				s = fmt.Sprintf("%-*s", cw, elideText(t.show[i], s, cw))
			}
			cells = append(cells, s)
		}
		line := strings.Join(cells, " ")
		if r == t.cur {
			line = st.selected.Render(pad(line, w))
		}
		b.WriteString(line + "\n")
	}
	if len(t.rows) == 0 && t.pager != nil && !t.busy && !t.failed {
		// wrapped between its words: at 80 columns the reason was cut
		// ("no class of the configuration that wrote /tmp/…")
		for _, l := range strings.Split(wrapItems(max(w-2, 10), " ", strings.Fields(t.emptyNote(e))...), "\n") {
			b.WriteString(st.dim.Render("  "+l) + "\n")
		}
	}
	return b.String()
}

// colIndex is the index of column c in t.cols (0 when absent).
func (t *pagedTable) colIndex(c string) int {
	for j, col := range t.cols {
		if col.Name == c {
			return j
		}
	}
	return 0
}

// showsBrush reports whether the table's view says the brush (its info
// line does, but while the filter is typed or the columns are chosen):
// the status line then leaves it out.
func (t *pagedTable) showsBrush() bool { return !t.editing && !t.chooser }

// infoLine is the line above the header: position, sort, live or written
// rows, the brush (as the filter: a trial found no sign of it on the
// Flows screen), the filter, and the columns the window does not show (scrolled
// past on the left, beyond its right edge: → shows them). In w columns:
// too wide, the sort, the hidden columns and the live or written note take
// shorter forms (at 80 columns a live Flows screen read "... · L: live
// ro…"), and only what those cannot fit is cut by the screen.
func (t *pagedTable) infoLine(e *env, lay colLayout, w int) string {
	st := e.st
	pos := "…"
	if len(t.rows) > 0 {
		pos = fmt.Sprintf("row %s", human(t.offset+int64(t.cur)+1))
	} else if t.failed {
		pos = "not loaded" // the status line says why
	} else if t.pager != nil && !t.busy {
		pos = "no rows"
	}
	if t.total >= 0 && len(t.rows) > 0 {
		pos += " of " + human(t.total)
	}
	sortTxt, arrow := "file order", ""
	if t.sort != "" {
		arrow = " ↑"
		if t.desc {
			arrow = " ↓"
		}
	}
	var info, brushed string
	for pass := range 3 {
		// shorter forms, then (a brush shown: a written table's rows)
		// the written note left out before the brush is cut
		short, noNote := pass > 0, pass == 2 && e.brush.active()
		if e.brush.active() { // shown as a filter is: the rows are of its range only
			brushed = "  " + st.brush.Render(e.brush.text(short))
		}
		if t.sort != "" {
			sortTxt = "sorted by " + t.sort + arrow
			if short {
				sortTxt = "by " + t.sort + arrow
			}
		}
		info = st.dim.Render(fmt.Sprintf("%s · %s", pos, sortTxt))
		hid := lay.hiddenText()
		if short {
			hid = lay.shortHidden()
		}
		if hid != "" {
			info += st.dim.Render(" · " + hid)
		}
		switch {
		case noNote && !t.liveView:
		case t.liveView && t.waiting:
			info = st.dim.Render("live: waiting for the engines' first rows · L: written table")
		case t.liveView && short:
			info += st.dim.Render(fmt.Sprintf(" · live: latest %d rows · L: written", observe.SnapshotRecent))
		case t.liveView:
			info += st.dim.Render(fmt.Sprintf(" · live: the engines' latest %d rows · L: written table", observe.SnapshotRecent))
		case (t.liveable || t.liveFlows) && short:
			info += st.dim.Render(" · written · L: live rows")
		case t.liveable, t.liveFlows:
			info += st.dim.Render(" · written table · L: live rows")
		}
		if ansi.StringWidth(info+brushed) <= w {
			break
		}
	}
	if t.editing {
		info = t.input.View()
	} else {
		info += brushed
		if t.filter != "" {
			info += "  " + st.brush.Render("filter: "+t.filter)
		}
	}
	return info
}

// layout fits the shown columns to w terminal columns (fitColumns): the
// kept key columns, then those from the scroll offset on, as many as fit
// with their text columns shrunk, the column cursor always among them
// (the offset follows it). When every column fits (the window grew), the
// offset goes back to 0: none is left scrolled past.
func (t *pagedTable) layout(texts [][]string, w int) colLayout {
	natural := make([]int, len(t.show))
	least := make([]int, len(t.show))
	textKeys := 0 // the text columns that name the row share two fifths of the window
	for _, c := range t.show {
		if slices.Contains(t.spec.key, c) && !isNumeric(t.typ[c]) && !isTime(t.typ[c]) {
			textKeys++
		}
	}
	for i, c := range t.show {
		hw := ansi.StringWidth(t.spec.header(c))
		natural[i] = hw
		for _, s := range texts[i] {
			natural[i] = max(natural[i], ansi.StringWidth(s))
		}
		least[i] = natural[i]
		if !isNumeric(t.typ[c]) && !isTime(t.typ[c]) && !queries.MachineName(c) { // an event's kind: whole
			least[i] = addrLeast(texts[i], hw, natural[i], w)
			if slices.Contains(t.spec.key, c) { // what names the row: two fifths of the window
				least[i] = min(natural[i], max(hw, minTextWidth, w*2/5/textKeys))
			}
		}
	}
	t.colCur = min(t.colCur, max(len(t.show)-1, 0))
	t.xoff = min(t.xoff, t.colCur)
	if t.xoff > 0 { // a wider window (a resize) that shows every column: none scrolled past
		key := make([]bool, len(t.show))
		for i, c := range t.show {
			key[i] = slices.Contains(t.spec.key, c)
		}
		if _, n := fitColumns(natural, least, key, w); n == len(t.show) {
			t.xoff = 0
		}
	}
	for {
		kept := t.kept(natural, w)
		vis := append(slices.Clone(kept), make([]int, 0, len(t.show))...)
		for i := t.xoff; i < len(t.show); i++ {
			vis = append(vis, i)
		}
		nat, lst, key := make([]int, len(vis)), make([]int, len(vis)), make([]bool, len(vis))
		for k, i := range vis {
			nat[k], lst[k], key[k] = natural[i], least[i], slices.Contains(t.spec.key, t.show[i])
		}
		widths, n := fitColumns(nat, lst, key, w)
		if t.xoff < t.colCur && !slices.Contains(vis[:n], t.colCur) {
			t.xoff++
			continue
		}
		return colLayout{vis: vis[:n], widths: widths, left: t.xoff - len(kept), right: len(vis) - n}
	}
}

// kept returns the key columns (tableSpec.key) left of the scrolled view
// (before xoff), in order, when they take at most half of w; nil
// otherwise.
func (t *pagedTable) kept(widths []int, w int) []int {
	var kept []int
	for i := 0; i < t.xoff && i < len(t.show); i++ {
		if slices.Contains(t.spec.key, t.show[i]) {
			kept = append(kept, i)
		}
	}
	if keptWidth(widths, kept) > w/2 {
		return nil
	}
	return kept
}

// keptWidth is the width the kept columns take, separators included.
func keptWidth(widths []int, kept []int) int {
	n := 0
	for _, i := range kept {
		n += min(widths[i], maxColWidth) + 1
	}
	return n
}

func isNumeric(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE":
		return true
	}
	return strings.HasPrefix(typ, "DECIMAL")
}

func (t *pagedTable) chooserView(e *env, h int) string {
	var b strings.Builder
	b.WriteString(e.st.section.Render("Columns of "+t.spec.table) + e.st.dim.Render("  (space toggles, enter closes; screen keys leave it)") + "\n")
	top := max(0, t.chCur-(h-3))
	for i := top; i < len(t.cols) && i < top+h-1; i++ {
		c := t.cols[i]
		mark := "[ ]"
		if slices.Contains(t.show, c.Name) {
			mark = "[x]"
		}
		line := strings.TrimRight(fmt.Sprintf("%s %-28s %-9s %s", mark, c.Name, c.Type, t.spec.aka(c.Name)), " ")
		if i == t.chCur {
			line = e.st.selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// The drawing of a table screen (pagedTable): its info line, header and
// rows fitted to the window, and the column chooser.

// view draws the header, the visible rows and a position line.
func (t *pagedTable) view(e *env, w, h int) string {
	st := e.st
	t.pageH = max(h-3, 1)
	if t.chooser {
		return t.chooserView(e, h)
	}
	var b strings.Builder
	// info line: filter, sort, position
	pos := "…"
	if len(t.rows) > 0 {
		pos = fmt.Sprintf("row %s", human(t.offset+int64(t.cur)+1))
	} else if t.pager != nil && !t.busy {
		pos = "no rows"
	}
	if t.total >= 0 && len(t.rows) > 0 {
		pos += " of " + human(t.total)
	}
	sortTxt := "sorted by " + t.sort
	if t.sort == "" {
		sortTxt = "file order"
	} else if t.desc {
		sortTxt += " ↓"
	} else {
		sortTxt += " ↑"
	}
	info := st.dim.Render(fmt.Sprintf("%s · %s", pos, sortTxt))
	switch {
	case t.liveView && t.waiting:
		info = st.dim.Render("live: waiting for the engines' first rows · L: written " + t.spec.table)
	case t.liveView:
		info += st.dim.Render(fmt.Sprintf(" · live: the engines' latest %d rows · L: written table", observe.SnapshotRecent))
	case t.liveable:
		info += st.dim.Render(" · written table · L: live rows")
	}
	if t.editing {
		info = t.input.View()
	} else if t.filter != "" {
		info += "  " + st.brush.Render("filter: "+t.filter)
	}
	b.WriteString(info + "\n")

	// column widths from header and the window's values
	widths := make([]int, len(t.show))
	idx := make([]int, len(t.show))
	for i, c := range t.show {
		widths[i] = len(t.spec.header(c))
		for j, col := range t.cols {
			if col.Name == c {
				idx[i] = j
			}
		}
	}
	end := min(t.top+t.pageH, len(t.rows))
	texts := make([][]string, len(t.show)) // by shown column, the window's rows (columnCells)
	for i, c := range t.show {
		vals := make([]any, 0, end-t.top)
		for r := t.top; r < end; r++ {
			vals = append(vals, t.rows[r].Values[idx[i]])
		}
		texts[i] = columnCells(c, t.typ[c], vals, e.dated)
		for _, s := range texts[i] {
			widths[i] = max(widths[i], len([]rune(s)))
		}
	}
	// horizontal scroll keeps the column cursor visible, and the key
	// columns scrolled past (kept) at the left
	if t.colCur < t.xoff {
		t.xoff = t.colCur
	}
	kept := t.kept(widths, w)
	widths = fitWidths(widths, t.xoff, w-keptWidth(widths, kept))
	for t.xoff < t.colCur {
		kept = t.kept(widths, w)
		used := keptWidth(widths, kept)
		for i := t.xoff; i <= t.colCur; i++ {
			used += widths[i] + 1
		}
		if used <= w {
			break
		}
		t.xoff++
	}
	kept = t.kept(widths, w)
	vis := kept
	for i := t.xoff; i < len(t.show); i++ {
		vis = append(vis, i)
	}
	var hdr []string
	for _, i := range vis {
		s := fmt.Sprintf("%-*s", widths[i], cut(t.spec.header(t.show[i]), widths[i]))
		if isNumeric(t.typ[t.show[i]]) { // over its numbers' last digit
			s = fmt.Sprintf("%*s", widths[i], cut(t.spec.header(t.show[i]), widths[i]))
		}
		switch {
		case i == t.colCur:
			hdr = append(hdr, st.sortCol.Render(s))
		default:
			hdr = append(hdr, st.header.Render(s))
		}
		if t.show[i] == t.sort {
			hdr[len(hdr)-1] = st.sortCol.Render(s)
		}
	}
	b.WriteString(strings.Join(hdr, " ") + "\n")
	for r := t.top; r < end; r++ {
		var cells []string
		for _, i := range vis {
			s := cut(texts[i][r-t.top], widths[i])
			if isNumeric(t.typ[t.show[i]]) {
				s = fmt.Sprintf("%*s", widths[i], s)
			} else {
				s = fmt.Sprintf("%-*s", widths[i], s)
			}
			cells = append(cells, s)
		}
		line := strings.Join(cells, " ")
		if r == t.cur {
			line = st.selected.Render(pad(line, w))
		}
		b.WriteString(line + "\n")
	}
	if len(t.rows) == 0 && t.pager != nil && !t.busy {
		b.WriteString(st.dim.Render("  (no rows" + map[bool]string{true: " in the brushed time range", false: ""}[e.brush.active()] + ")"))
	}
	return b.String()
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
	b.WriteString(e.st.section.Render("Columns of "+t.spec.table) + e.st.dim.Render("  (space toggles, enter closes)") + "\n")
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

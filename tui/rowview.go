package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// rowView is the whole-row screen (m on a table screen or on the SQL
// screen's results): every column of
// the row under the cursor, one a line, its value wrapped to the window
// and never cut, so that an event's message of hundreds of characters
// (probe_run_incomplete's) can be read; ↑/↓ scroll, esc goes back.
type rowView struct {
	screenBase
	names, vals []string // the table's columns and the row's cells, drawn as in the table
	vp          viewport.Model
	w           int
	content     string
}

// newRowView opens the whole-row screen of a table screen's current row
// (nil when there is none), titled with the table and the row's number
// as the info line counts it ("Events row 11"), its values as the table
// draws them in its window.
func newRowView(e *env, t *pagedTable) *rowView {
	if t.cur < 0 || t.cur >= len(t.rows) {
		return nil
	}
	names, types := make([]string, len(t.cols)), make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i], types[i] = c.Name, c.Type
	}
	lo, hi := t.top, min(t.top+max(t.pageH, 1), len(t.rows)) // the rows tableview draws
	if t.cur < lo || t.cur >= hi {
		lo, hi = t.cur, t.cur+1
	}
	window := make([][]any, 0, hi-lo)
	for r := lo; r < hi; r++ {
		window = append(window, t.rows[r].Values)
	}
	return rowViewOf(e, fmt.Sprintf("%s row %s", t.spec.title, human(t.offset+int64(t.cur)+1)), names, types, window, t.cur-lo)
}

// rowViewOf is the whole-row screen titled title of row at of window,
// the rows drawn together with it (a table's window, the SQL screen's
// page): its columns' names and DuckDB types, and its values drawn as
// the table draws them, by columnCells over the window's column (a
// float with the decimals of the column's cells: duration_s 1.071588,
// not the 1.07159 of its six significant digits alone).
func rowViewOf(e *env, title string, names, types []string, window [][]any, at int) *rowView {
	v := &rowView{screenBase: screenBase{sid: e.newID(), title: title}, vp: viewport.New(80, 20), names: names}
	col := make([]any, len(window))
	for i := range names {
		for r, row := range window {
			col[r] = row[i]
		}
		v.vals = append(v.vals, columnCells(names[i], types[i], col, e.dated)[at])
	}
	return v
}

func (v *rowView) typing() bool { return false }

func (v *rowView) load(*env) tea.Cmd { v.loaded = true; return nil }

func (v *rowView) update(e *env, msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyMsg); ok {
		scroll(&v.vp, e.keys, msg)
	}
	return nil
}

// scroll moves vp by the scrolling key msg (line, page, top, bottom) and
// reports whether msg was one: the row view's and the flow page's keys.
func scroll(vp *viewport.Model, k KeyMap, msg tea.KeyMsg) bool {
	switch {
	case key.Matches(msg, k.Down):
		vp.ScrollDown(1)
	case key.Matches(msg, k.Up):
		vp.ScrollUp(1)
	case key.Matches(msg, k.PageDown):
		vp.PageDown()
	case key.Matches(msg, k.PageUp):
		vp.PageUp()
	case key.Matches(msg, k.Top):
		vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		vp.GotoBottom()
	default:
		return false
	}
	return true
}

func (v *rowView) view(e *env, w, h int) string {
	if v.content == "" || v.w != w {
		v.w = w
		v.content = rowText(v.names, v.vals, w)
		v.vp.SetContent(v.content)
	}
	v.vp.Width, v.vp.Height = w, h
	return v.vp.View()
}

// rowText lays out names and values in two columns within w: each value
// wrapped at spaces (a word wider than its room broken) under its own
// start, so nothing is cut.
func rowText(names, vals []string, w int) string {
	nw := 0
	for _, n := range names {
		nw = max(nw, ansi.StringWidth(n))
	}
	nw = min(nw, max(w/3, 1))
	room := max(w-nw-1, 10)
	var b strings.Builder
	for i, n := range names {
		lines := strings.Split(ansi.Wrap(vals[i], room, " "), "\n")
		for j, l := range lines {
			head := ""
			if j == 0 {
				head = cut(n, nw)
			}
			fmt.Fprintf(&b, "%-*s %s\n", nw, head, strings.TrimRight(l, " "))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

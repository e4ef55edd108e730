package tui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/tmonbench/tmonbench/queries"
)

// sqlScreen runs any SQL over the output's views and pages the result;
// the named queries of queries/ are offered in a list.
type sqlScreen struct {
	screenBase
	named   []queries.Named
	pick    int
	editor  textarea.Model
	editing bool
	// edited: the query running is the editor's (not a named one): if
	// DuckDB refuses it the editor opens again on it (the status line
	// under it says why)
	edited  bool
	res     *queries.Result
	top     int // first result row shown
	cur     int // result row under the cursor (m opens it whole)
	sqlText string
	last    *queries.Named // the named query sqlText is, nil for the editor's
	pageN   int
	cols    int // first visible column
	// stale: the output grew since the result was read (followOutput): it
	// is run again when shown, or when the editor closes; keeping the
	// result's row under the cursor (keepRow) on its screen line
	// (keepLine) once the new one comes
	stale    bool
	keeping  bool
	keepRow  []any
	keepLine int
}

// sqlPageRows bounds what one SQL result holds in memory: the query is
// wrapped in a LIMIT.
const sqlPageRows = 5000

func newSQLScreen(e *env) *sqlScreen {
	ta := textarea.New()
	ta.Placeholder = "SELECT * FROM flows ORDER BY bytes DESC"
	ta.ShowLineNumbers = false
	ta.SetHeight(4)
	ta.Cursor.SetMode(cursor.CursorStatic)
	s := &sqlScreen{screenBase: screenBase{sid: e.newID(), title: "SQL"}, named: queries.List(), editor: ta}
	for i, q := range s.named {
		if q.Name == "summary" {
			s.pick = i // the README's first query
		}
	}
	return s
}

func (s *sqlScreen) typing() bool { return s.editing }

// load runs the result's query again when the output grew while another
// screen was shown (stale).
func (s *sqlScreen) load(e *env) tea.Cmd {
	if s.stale && !s.editing {
		return s.refresh(e)
	}
	return nil
}

// run runs q; named is the named query it is, nil for the editor's SQL.
func (s *sqlScreen) run(e *env, q string, named *queries.Named) tea.Cmd {
	s.sqlText, s.last = q, named
	s.edited = named == nil
	s.res, s.top, s.cur = nil, 0, 0
	s.keeping, s.stale = false, false
	e.errMsg = ""
	return s.query(e, q, named)
}

// query runs q as the screen's query (its result in a dataMsg).
func (s *sqlScreen) query(e *env, q string, named *queries.Named) tea.Cmd {
	out := e.out
	return e.query(s.sid, "sql", func(ctx context.Context, db *sql.DB) (any, error) {
		body := strings.TrimRight(strings.TrimSpace(stripComments(q)), ";")
		res, err := queries.RunContext(ctx, db, "SELECT * FROM ("+body+") LIMIT "+fmt.Sprint(sqlPageRows))
		if err != nil {
			// not a SELECT (PRAGMA, DESCRIBE, SHOW): run it as it is
			if res2, err2 := queries.RunContext(ctx, db, q); err2 == nil {
				return res2, nil
			}
			if named != nil && named.NeedsRollup && strings.Contains(err.Error(), "does not exist") {
				// one line, as tmonbench query says it, not DuckDB's catalog error
				return nil, fmt.Errorf("query %s reads the rollups and the addresses table, which %s does not hold yet: run `tmonbench rollup --out %s` first", named.Name, out, out)
			}
		}
		return res, err
	})
}

// stripComments drops -- comment lines (the named queries' headers).
func stripComments(q string) string {
	var keep []string
	for _, l := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func (s *sqlScreen) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		keeping := s.keeping
		s.keeping = false
		if msg.err != nil && keeping {
			// the query ran before: the output changed under it (a view
			// reopened); the result shown stays, the status line says why
			if !errors.Is(msg.err, context.Canceled) {
				e.setErr(msg.err)
			}
			return nil
		}
		if msg.err != nil {
			if !errors.Is(msg.err, context.Canceled) {
				e.setErr(msg.err)
				if s.edited {
					// D23: back in the editor on the query, to fix it
					// (the trial was left on the list, the query out
					// of sight)
					s.editing = true
					return s.editor.Focus()
				}
			}
			return nil
		}
		if r, ok := msg.v.(*queries.Result); ok {
			if keeping && s.res != nil {
				s.cur = findRow(r, s.res.Types, s.keepRow, s.cur)
				s.top = max(s.cur-s.keepLine, 0)
			}
			s.res = r
			e.status = fmt.Sprintf("%d rows", len(r.Rows))
			if len(r.Rows) == 1 {
				e.status = "1 row"
			}
			if len(r.Rows) == sqlPageRows {
				e.status = fmt.Sprintf("first %d rows (add a LIMIT or a WHERE)", sqlPageRows)
			}
		}
	case tea.KeyMsg:
		if s.editing {
			switch msg.String() {
			case "esc":
				s.editing = false
				s.editor.Blur()
				if s.stale {
					return s.refresh(e) // the output grew while the editor was open
				}
				return nil
			case "ctrl+r", "ctrl+j", "alt+enter":
				s.editing = false
				s.editor.Blur()
				return s.run(e, s.editor.Value(), nil)
			}
			var cmd tea.Cmd
			s.editor, cmd = s.editor.Update(msg)
			return cmd
		}
		k := e.keys
		if r, ok := s.startsSQL(k, msg); ok {
			// typed straight in: a new query begins with this character
			// ("select …" lost its s to sort and its e to the editor)
			s.editing = true
			s.editor.Reset()
			s.editor.InsertRune(r)
			return s.editor.Focus()
		}
		switch {
		case key.Matches(msg, k.Filter), msg.String() == "e", msg.String() == "i":
			s.editing = true
			return s.editor.Focus()
		case key.Matches(msg, k.Up):
			if s.res != nil {
				s.moveTo(s.cur - 1)
			} else {
				s.pick = max(s.pick-1, 0)
			}
		case key.Matches(msg, k.Down):
			if s.res != nil {
				s.moveTo(s.cur + 1)
			} else {
				s.pick = min(s.pick+1, len(s.named)-1)
			}
		case key.Matches(msg, k.PageDown):
			if s.res != nil {
				s.moveTo(s.cur + max(s.pageN, 1))
			}
		case key.Matches(msg, k.PageUp):
			if s.res != nil {
				s.moveTo(s.cur - max(s.pageN, 1))
			}
		case key.Matches(msg, k.Top):
			if s.res != nil {
				s.moveTo(0)
			} else {
				s.pick = 0
			}
		case key.Matches(msg, k.Bottom):
			if s.res != nil {
				s.moveTo(len(s.res.Rows) - 1)
			} else {
				s.pick = max(len(s.named)-1, 0)
			}
		case key.Matches(msg, k.Row):
			// the result row under the cursor whole, as on the table screens
			if s.res != nil && s.cur < len(s.res.Rows) {
				lo, hi := s.top, min(s.top+max(s.pageN, 1), len(s.res.Rows)) // the page view draws
				if s.cur < lo || s.cur >= hi {
					lo, hi = s.cur, s.cur+1
				}
				return pushCmd(rowViewOf(e, fmt.Sprintf("SQL row %s", human(int64(s.cur+1))), s.res.Columns, s.res.Types, s.res.Rows[lo:hi], s.cur-lo))
			}
		case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
			s.cols = k.across(msg, s.cols, s.columns())
		case key.Matches(msg, k.Enter):
			if s.res == nil && s.pick < len(s.named) {
				n := s.named[s.pick]
				q := n.Wide // every column: the screen scrolls sideways
				s.editor.SetValue(strings.TrimSpace(q))
				return s.run(e, q, &n)
			}
		case key.Matches(msg, k.Back):
			if s.res != nil {
				s.res = nil
				e.status = ""
			}
		}
	}
	return nil
}

func (s *sqlScreen) view(e *env, w, h int) string {
	st := e.st
	var b strings.Builder
	s.editor.SetWidth(w - 2)
	if s.editing {
		b.WriteString(st.section.Render("SQL") + st.dim.Render("  ctrl+r runs · esc leaves the editor · views: flows, flow_counters, tcp_connections, ftp_transfers, rtt_samples, events, …") + "\n")
		b.WriteString(s.editor.View() + "\n")
		return b.String()
	}
	if s.res == nil {
		b.WriteString(st.section.Render("Named queries") + st.dim.Render("  enter runs · type SQL to write your own (or / or e)") + "\n")
		for i, q := range s.named {
			line := fmt.Sprintf("  %-14s %s", q.Name, q.Description)
			if q.NeedsRollup {
				line = st.dim.Render(line)
			}
			if i == s.pick {
				line = st.selected.Render(pad(line, w))
			}
			b.WriteString(line + "\n")
		}
		if s.sqlText != "" {
			b.WriteString("\n" + st.dim.Render("last: "+cut(strings.Join(strings.Fields(stripComments(s.sqlText)), " "), w-8)))
		}
		return b.String()
	}
	b.WriteString(st.dim.Render(cut("SQL: "+strings.Join(strings.Fields(stripComments(s.sqlText)), " "), w)) + "\n")
	s.pageN = max(h-3, 1)
	page := &queries.Result{Columns: s.res.Columns[s.cols:], Types: s.res.Types[s.cols:]}
	s.moveTo(s.cur) // the cursor on the page after a resize
	for i := s.top; i < len(s.res.Rows) && i < s.top+s.pageN; i++ {
		page.Rows = append(page.Rows, s.res.Rows[i][s.cols:])
	}
	table, lay := sqlTable(e, page, w, s.pageN)
	lay.left = s.cols
	lines := strings.Split(table, "\n")
	if at := 1 + s.cur - s.top; len(s.res.Rows) > 0 && at < len(lines) { // under the header
		lines[at] = st.selected.Render(pad(lines[at], w))
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
	cols := "←/→ columns"
	if hid := lay.hiddenText(); hid != "" { // as the table screens' info line says it
		cols = hid
	}
	hint := fmt.Sprintf("rows %d–%d of %d · %s", s.top+1, min(s.top+s.pageN, len(s.res.Rows)), len(s.res.Rows), cols)
	if e.keys.Row.Enabled() { // a remapped m, or none
		hint += " · " + e.keys.Row.Help().Key + " whole row"
	}
	b.WriteString(st.dim.Render(cut(hint+" · esc: back to the list · / edit", w)))
	return b.String()
}

// startsSQL reports whether msg is a printable character that begins a
// query typed straight in: one this screen does not act on (not its
// moves, enter, esc, / or e and i that open the editor; the keys of
// every screen, q, ?, tab and the digits, never come here). r is the
// character.
func (s *sqlScreen) startsSQL(k KeyMap, msg tea.KeyMsg) (r rune, ok bool) {
	if msg.Type != tea.KeyRunes || len(msg.Runes) != 1 || msg.Alt || !unicode.IsPrint(msg.Runes[0]) || unicode.IsSpace(msg.Runes[0]) {
		return 0, false
	}
	if msg.String() == "e" || msg.String() == "i" {
		return 0, false
	}
	for _, b := range []key.Binding{k.Up, k.Down, k.Left, k.Right, k.Top, k.Bottom, k.PageUp, k.PageDown, k.Filter, k.Enter, k.Back} {
		if key.Matches(msg, b) {
			return 0, false
		}
	}
	if s.res != nil && key.Matches(msg, k.Row) { // m opens the result's row: it began a query "m"
		return 0, false
	}
	return msg.Runes[0], true
}

// moveTo puts the cursor on result row i (kept within the result) and
// scrolls the page to show it.
func (s *sqlScreen) moveTo(i int) {
	if s.res == nil {
		return
	}
	s.cur = max(min(i, len(s.res.Rows)-1), 0)
	n := max(s.pageN, 1)
	if s.cur < s.top {
		s.top = s.cur
	} else if s.cur >= s.top+n {
		s.top = s.cur - n + 1
	}
	s.top = max(min(s.top, len(s.res.Rows)-1), 0)
}

// columns is the number of columns of the result shown, 0 before a query.
func (s *sqlScreen) columns() int {
	if s.res == nil {
		return 0
	}
	return len(s.res.Columns)
}

func (s *sqlScreen) inputHelp() []key.Binding { return sqlEditorHelp }

// sqlTable renders a page of a query's result (its columns from the
// scroll offset on, its rows from the first shown) in w terminal columns
// as the table screens do (pagedTable.layout, fitColumns): numbers and
// times whole, text columns shrunk to their least (addrLeast) and elided
// at field boundaries (elideText), and the columns that still do not fit
// left out whole, never cut at the window's edge (at 80 columns the tcp
// query's sixth column read "duration_s …", its values "…"). lay says how
// many were left out on the right (lay.right); lay.left is the caller's.
func sqlTable(e *env, r *queries.Result, w, maxRows int) (string, colLayout) {
	st := e.st
	if len(r.Rows) == 0 || len(r.Columns) == 0 {
		return resultTable(e, r, w, maxRows), colLayout{}
	}
	const indent = 2 // the rows' left margin, as resultTable's
	n := min(len(r.Rows), maxRows)
	texts := make([][]string, len(r.Columns))
	natural := make([]int, len(r.Columns))
	least := make([]int, len(r.Columns))
	key := make([]bool, len(r.Columns))
	for i, c := range r.Columns {
		vals := make([]any, n)
		for j := range n {
			vals[j] = r.Rows[j][i]
		}
		texts[i] = columnCells(c, r.Types[i], vals, e.dated)
		hw := ansi.StringWidth(c)
		natural[i] = hw
		for _, s := range texts[i] {
			natural[i] = max(natural[i], min(ansi.StringWidth(s), 60)) // resultTable's widest cell
		}
		least[i] = natural[i]
		if !isNumeric(r.Types[i]) && !isTime(r.Types[i]) && !queries.MachineName(c) {
			least[i] = addrLeast(texts[i], hw, natural[i], w-indent)
		}
	}
	widths, shown := fitColumns(natural, least, key, w-indent)
	for i := range shown {
		texts[i] = narrowNames(r.Columns[i], r.Types[i], texts[i], widths[i])
	}
	var b strings.Builder
	var hdr []string
	for i := range shown {
		f := "%-*s"
		if isNumeric(r.Types[i]) { // over its numbers' last digit
			f = "%*s"
		}
		hdr = append(hdr, st.header.Render(fmt.Sprintf(f, widths[i], cut(r.Columns[i], widths[i]))))
	}
	b.WriteString("  " + strings.Join(hdr, " ") + "\n")
	for j := range n {
		var line []string
		for i := range shown {
			if isNumeric(r.Types[i]) {
				line = append(line, fmt.Sprintf("%*s", widths[i], cut(texts[i][j], widths[i])))
			} else {
				line = append(line, fmt.Sprintf("%-*s", widths[i], elideText(r.Columns[i], texts[i][j], widths[i])))
			}
		}
		b.WriteString("  " + strings.Join(line, " ") + "\n")
	}
	if len(r.Rows) > n {
		b.WriteString(st.dim.Render(fmt.Sprintf("  … %d more", len(r.Rows)-n)) + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), colLayout{right: len(r.Columns) - shown}
}

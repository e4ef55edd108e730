package tui

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/engine/filter"
	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/queries"
)

// row is one table row by column name, what drills read.
type row map[string]any

// tableSpec describes one table screen: which table, what it shows first,
// how the brush and pcap filters map to its columns, where enter goes.
type tableSpec struct {
	title          string
	table          string
	cols           []string // visible at first (all others via the column chooser)
	sort           string
	desc           bool
	timeLo, timeHi string                      // columns a brushed time range overlaps
	ep             queries.Endpoints           // columns for pcap-filter expressions
	drill          func(e *env, r row) tea.Cmd // enter
	packets        func(e *env, r row) tea.Cmd // p
	where          []string                    // fixed predicates (a table of one flow)
	args           []any
	// key are the columns that name a row (a connection's endpoints): they
	// stay at the left when the view scrolls right past them, as long as
	// they take at most half the width.
	key     []string
	headers map[string]string // short header names (tableSpec.header); sort and filters use the table's
	// derived are columns computed from the table's ("expr AS name, ..."):
	// listed, sorted and filtered as its own (withDerived).
	derived string
	// long is set where a cell can be longer than any window (an event's
	// message): the footer then shows m, the whole row (rowView).
	long bool
	// once lists each row once (onceSource): a table an output merged
	// from several runs holds twice (oneway_delays)
	once bool
}

// pagedTable is a table screen read one page at a time (queries.Pager):
// it holds a window of at most a few pages around the cursor, fetching the
// next page as the cursor nears an end and dropping the far one.
type pagedTable struct {
	screenBase
	spec  *tableSpec
	src   string
	cols  []queries.Column
	typ   map[string]string
	show  []string // visible columns
	sort  string
	desc  bool
	where []string // filter predicates
	args  []any

	filter    string
	filterErr string // the status line's error the last filter typed gave (esc drops it)
	input     textinput.Model
	editing   bool
	chooser   bool
	chCur     int

	pager   *queries.Pager
	rows    []queries.Row
	cur     int   // cursor index in rows
	top     int   // first visible index in rows
	offset  int64 // absolute position of rows[0]
	total   int64 // -1 unknown
	atStart bool
	atEnd   bool
	busy    bool // a page fetch is in flight
	colCur  int
	xoff    int
	pageH   int
	seq     int // load sequence: results of older loads are dropped

	// live run (LiveStatus.Recent): liveable screens list the engines'
	// latest rows (liveView, L switches to the written table and back),
	// refreshed in place as rows come (keep: the cursor row's text, found
	// again after the refresh; keepAt its index and screen line).
	liveable, liveView bool
	// liveFlows: this is the written table of the live Flows screen
	// (liveFlowsTab), whose L goes back to the engines' flows.
	liveFlows bool
	failed    bool // the table's description failed (the status line says why)
	// undo is the filter a "where" filter replaced, until its first page
	// comes back: DuckDB refusing the condition restores it (filterRefused)
	undo *filterUndo
	// refusedSeq is the seq of a query a refused filter started: its
	// other answers (the count) are dropped, their error said once
	refusedSeq       int
	waiting          bool // shown before the live rows were loaded: load when they are
	keep             string
	stale            bool // the output grew since the rows were read: refreshed when next shown
	keepAt, keepLine int
	dir              string // the folder the rows' keys name (their part files): env.dbDir when read
	redescribe       bool   // the database was reopened on other folders: describe the table again (resource)
	onceTable        string // the table of rows once src names (describeTable): filled again at each refresh
}

func newTableScreen(e *env, spec *tableSpec) *pagedTable {
	in := textinput.New()
	in.Cursor.SetMode(cursor.CursorStatic) // no blink: a still screen between keys
	in.Prompt = "/"
	in.Placeholder = "tcp port 21 and host 10.0.0.5 | where bytes > 1e6 | text"
	t := &pagedTable{screenBase: screenBase{sid: e.newID(), title: spec.title}, spec: spec,
		show: spec.cols, sort: spec.sort, desc: spec.desc, input: in, total: -1, pageH: 20}
	if e.live != nil && slices.Contains(observe.RecentTables[:], spec.table) {
		// a live run: the engines' latest rows first, newest on top
		t.liveable, t.liveView = true, true
		t.sort, t.desc = spec.timeLo, true
	}
	return t
}

func (t *pagedTable) typing() bool { return t.editing || t.chooser }

// closeChooser closes the column chooser, reporting whether it was open.
func (t *pagedTable) closeChooser() bool {
	open := t.chooser
	t.chooser = false
	return open
}

type tableInit struct {
	src  string
	cols []queries.Column
	once string // the table holding the rows once src names (describeTable), "" none
}

type pageResult struct {
	seq  int
	kind string // first, last, after, before, around
	rows []queries.Row
	// around: rows from before the row kept on a refresh (refreshKept),
	// at its index (its successor's when it is gone), offset the
	// position of rows[0], atStart/atEnd whether the rows reach the ends
	at             int
	offset         int64
	atStart, atEnd bool
}

type countResult struct {
	seq int
	n   int64
}

// load describes the table, then reads the first page and the count.
func (t *pagedTable) load(e *env) tea.Cmd {
	if t.stale && t.cols != nil && !t.liveView {
		// the output grew while another screen was shown (followOutput):
		// back on the row the cursor was on
		t.stale = false
		return t.refresh(e)
	}
	t.stale = false
	t.seq++
	t.rows, t.cur, t.top, t.offset, t.total, t.busy, t.failed = nil, 0, 0, 0, -1, false, false
	out, table, live, derived, once := e.dbDir, t.spec.table, t.liveView, t.spec.derived, t.spec.once
	if live && !e.liveReady {
		// the engines' rows are not in this database yet (a reopened
		// one has lost them): liveRowsMsg loads this once they are
		t.waiting = true
		return nil
	}
	t.waiting = false
	if t.cols != nil {
		return t.reload(e)
	}
	return e.query(t.sid, "init", func(ctx context.Context, db *sql.DB) (any, error) {
		src := queries.LiveTable(table)
		var err error
		if !live {
			src, err = queries.TableSource(out, table)
		}
		if err != nil {
			return nil, err
		}
		ti, err := describeTable(ctx, db, src, table, derived, live, once && !live)
		if err != nil {
			return nil, err
		}
		return ti, nil
	})
}

// predicates are the fixed, brush and filter conditions.
func (t *pagedTable) predicates(e *env) ([]string, []any) {
	where := append([]string(nil), t.spec.where...)
	args := append([]any(nil), t.spec.args...)
	if e.brush.active() && t.spec.timeLo != "" {
		where = append(where, fmt.Sprintf("epoch_ns(%s) <= ? AND epoch_ns(%s) >= ?", t.spec.timeLo, t.spec.timeHi))
		args = append(args, e.brush.hi, e.brush.lo)
	}
	where = append(where, t.where...)
	args = append(args, t.args...)
	return where, args
}

// reload rebuilds the pager (sort, filter, brush) and reads from the top.
func (t *pagedTable) reload(e *env) tea.Cmd {
	if t.redescribe && !t.liveView {
		return t.describeKept(e, nil, 0) // the folders changed (resource): reloaded once described
	}
	t.seq++
	seq := t.seq
	t.rows, t.cur, t.top, t.offset, t.total, t.atStart, t.atEnd = nil, 0, 0, 0, -1, true, false
	t.failed = false
	t.buildPager(e)
	p := *t.pager
	n := t.fetchN()
	t.busy = true
	first := e.query(t.sid, "page", func(ctx context.Context, db *sql.DB) (any, error) {
		rows, err := p.First(ctx, db, n)
		return pageResult{seq: seq, kind: "first", rows: rows}, err
	})
	return tea.Batch(first, t.count(e))
}

// count asks for the number of rows of the current pager.
func (t *pagedTable) count(e *env) tea.Cmd {
	p, seq := *t.pager, t.seq
	return e.query(t.sid, "count", func(ctx context.Context, db *sql.DB) (any, error) {
		n, err := p.Count(ctx, db)
		return countResult{seq: seq, n: n}, err
	})
}

// buildPager makes the pager of the table's source, sort, filter and
// brush; dir is the folder its rows' keys name (env.dbDir).
func (t *pagedTable) buildPager(e *env) {
	where, args := t.predicates(e)
	show := make([]string, len(t.cols))
	types := make([]string, len(t.cols))
	for i, c := range t.cols {
		show[i], types[i] = c.Name, c.Type
	}
	keys := queries.RowKeys
	if t.liveView {
		keys = []string{"rowid"} // a DuckDB table's own row number
	}
	t.pager = &queries.Pager{From: t.src, Show: show, Types: types, Where: where, Args: args,
		Sort: t.sort, SortTyp: t.typ[t.sort], Desc: t.desc, Keys: keys, TwoPhase: true}
	t.dir = e.dbDir
}

func (t *pagedTable) fetchN() int {
	if t.liveView {
		return observe.SnapshotRecent // every live row in one page
	}
	return max(t.pageH, 10) * 2
}

// fetch reads the page after the window's end (forward) or before its
// start.
func (t *pagedTable) fetch(e *env, forward bool) tea.Cmd {
	if t.busy || len(t.rows) == 0 || t.pager == nil {
		return nil
	}
	if (forward && t.atEnd) || (!forward && t.atStart) {
		return nil
	}
	t.busy = true
	p, seq, n := *t.pager, t.seq, t.fetchN()
	if forward {
		k := t.rows[len(t.rows)-1].Key
		return e.query(t.sid, "page", func(ctx context.Context, db *sql.DB) (any, error) {
			rows, err := p.After(ctx, db, k, n)
			return pageResult{seq: seq, kind: "after", rows: rows}, err
		})
	}
	k := t.rows[0].Key
	return e.query(t.sid, "page", func(ctx context.Context, db *sql.DB) (any, error) {
		rows, err := p.Before(ctx, db, k, n)
		return pageResult{seq: seq, kind: "before", rows: rows}, err
	})
}

func (t *pagedTable) jump(e *env, last bool) tea.Cmd {
	if t.pager == nil {
		return nil
	}
	if !last {
		return t.reload(e)
	}
	t.seq++
	seq := t.seq
	p, n := *t.pager, t.fetchN()
	t.busy = true
	return e.query(t.sid, "page", func(ctx context.Context, db *sql.DB) (any, error) {
		rows, err := p.Last(ctx, db, n)
		return pageResult{seq: seq, kind: "last", rows: rows}, err
	})
}

func (t *pagedTable) update(e *env, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case dataMsg:
		return t.result(e, msg)
	case cancelledMsg:
		t.busy = false
		return nil
	case tea.KeyMsg:
		if t.editing {
			return t.editKey(e, msg)
		}
		if t.chooser {
			return t.chooserKey(msg)
		}
		return t.navKey(e, msg)
	}
	return nil
}

func (t *pagedTable) result(e *env, msg dataMsg) tea.Cmd {
	seq := resultSeq(msg.v)
	if seq != 0 && seq == t.refusedSeq {
		return nil
	}
	if msg.err != nil && t.undo != nil && seq == t.undo.seq && !errors.Is(msg.err, context.Canceled) {
		return t.filterRefused(e, msg.err)
	}
	if msg.err == nil && t.undo != nil && seq == t.undo.seq && msg.tag == "page" {
		t.undo = nil // the condition ran
	}
	if msg.err != nil {
		if msg.tag == "page" {
			t.busy = false
		}
		if !errors.Is(msg.err, context.Canceled) && (msg.tag == "init" && t.cols == nil || msg.tag == "page" && seq == t.seq && len(t.rows) == 0) {
			t.failed = true // not "no rows": the status line says why
		}
		if !errors.Is(msg.err, context.Canceled) {
			e.setErr(msg.err)
		}
		return nil
	}
	switch v := msg.v.(type) {
	case keptInit:
		return t.keptDescribed(e, v)
	case tableInit:
		drop := t.takeSource(e, v)
		t.typ = map[string]string{}
		for _, c := range v.cols {
			t.typ[c.Name] = c.Type
		}
		var show []string
		for _, c := range t.spec.cols {
			if _, ok := t.typ[c]; ok {
				show = append(show, c)
			}
		}
		t.show = show
		return tea.Batch(drop, t.reload(e))
	case countResult:
		if v.seq == t.seq || t.total < 0 {
			t.total = v.n
		}
	case pageResult:
		if v.seq != t.seq {
			return nil
		}
		t.busy = false
		t.addPage(v)
		return t.prefetch(e)
	}
	return nil
}

// addPage merges a fetched page into the window and trims the far end.
func (t *pagedTable) addPage(v pageResult) {
	n := t.fetchN()
	limit := 3 * n
	switch v.kind {
	case "first":
		t.rows, t.cur, t.top, t.offset = v.rows, 0, 0, 0
		t.atStart, t.atEnd = true, len(v.rows) < n
		if t.keep != "" && t.keepAt > 0 {
			// a live refresh: back on the row (or at its place) on its
			// screen line; a cursor on the first row stays there, on the
			// newest row when sorted newest first
			t.cur = min(t.keepAt, max(len(t.rows)-1, 0))
			for i, r := range t.rows {
				if fmt.Sprint(r.Values) == t.keep {
					t.cur = i
					break
				}
			}
			t.top = max(t.cur-t.keepLine, 0)
			if len(t.rows) <= t.pageH {
				t.top = 0 // every row fits: none hidden above
			}
		}
		t.keep = ""
	case "around":
		t.placeAround(v)
	case "last":
		t.rows = v.rows
		t.cur = len(v.rows) - 1
		t.top = max(len(v.rows)-t.pageH, 0)
		t.atStart, t.atEnd = len(v.rows) < n, true
		t.offset = max(t.total-int64(len(v.rows)), 0)
	case "after":
		t.rows = append(t.rows, v.rows...)
		t.atEnd = len(v.rows) < n
		if drop := len(t.rows) - limit; drop > 0 && t.top-drop >= 0 {
			t.rows = t.rows[drop:]
			t.cur -= drop
			t.top -= drop
			t.offset += int64(drop)
			t.atStart = false
		}
	case "before":
		t.rows = append(append([]queries.Row(nil), v.rows...), t.rows...)
		t.cur += len(v.rows)
		t.top += len(v.rows)
		t.offset -= int64(len(v.rows))
		t.atStart = len(v.rows) < n
		if t.atStart {
			t.offset = 0
		}
		if len(t.rows) > limit && t.top+t.pageH < limit {
			t.rows = t.rows[:limit]
			t.atEnd = false
		}
	}
}

// prefetch asks for the next page when the cursor is within a page of
// either end of the window.
func (t *pagedTable) prefetch(e *env) tea.Cmd {
	if len(t.rows) == 0 {
		return nil
	}
	if len(t.rows)-1-t.cur < t.pageH && !t.atEnd {
		return t.fetch(e, true)
	}
	if t.cur < t.pageH && !t.atStart {
		return t.fetch(e, false)
	}
	return nil
}

func (t *pagedTable) move(e *env, d int) tea.Cmd {
	if len(t.rows) == 0 {
		return nil
	}
	t.cur = min(max(t.cur+d, 0), len(t.rows)-1)
	if t.cur < t.top {
		t.top = t.cur
	}
	if t.cur >= t.top+t.pageH {
		t.top = t.cur - t.pageH + 1
	}
	return t.prefetch(e)
}

func (t *pagedTable) current() row {
	if t.cur < 0 || t.cur >= len(t.rows) {
		return nil
	}
	r := row{}
	for i, c := range t.cols {
		r[c.Name] = t.rows[t.cur].Values[i]
	}
	return r
}

func (t *pagedTable) navKey(e *env, msg tea.KeyMsg) tea.Cmd {
	k := e.keys
	switch {
	case key.Matches(msg, k.Down):
		return t.move(e, 1)
	case key.Matches(msg, k.Up):
		return t.move(e, -1)
	case key.Matches(msg, k.PageDown):
		return t.move(e, t.pageH)
	case key.Matches(msg, k.PageUp):
		return t.move(e, -t.pageH)
	case key.Matches(msg, k.Top):
		return t.jump(e, false)
	case key.Matches(msg, k.Bottom):
		return t.jump(e, true)
	case key.Matches(msg, k.Left):
		t.colCur = max(t.colCur-1, 0)
	case key.Matches(msg, k.Right):
		t.colCur = min(t.colCur+1, max(len(t.show)-1, 0))
	case key.Matches(msg, k.Sort):
		if t.colCur >= len(t.show) {
			return nil
		}
		c := t.show[t.colCur]
		if !(queries.Column{Name: c, Type: t.typ[c]}).Sortable() {
			e.setErr(fmt.Errorf("cannot sort by %s (%s)", c, t.typ[c]))
			return nil
		}
		if c == t.sort {
			t.desc = !t.desc
		} else {
			t.sort, t.desc = c, t.typ[c] != "VARCHAR"
		}
		return t.reload(e)
	case t.liveable && key.Matches(msg, k.LiveFlows):
		t.liveView, t.cols = !t.liveView, nil
		t.sort, t.desc = t.spec.sort, t.spec.desc
		if t.liveView {
			t.sort, t.desc = t.spec.timeLo, true
		}
		return t.load(e)
	case key.Matches(msg, k.Filter):
		t.editing = true
		t.input.SetValue(t.filter)
		t.input.CursorEnd()
		return t.input.Focus()
	case key.Matches(msg, k.Columns):
		t.chooser, t.chCur = true, 0
	case key.Matches(msg, k.Row):
		if v := newRowView(e, t); v != nil {
			return pushCmd(v)
		}
	case key.Matches(msg, k.Back):
		t.dropFilterErr(e)
		if t.filter != "" {
			t.filter, t.where, t.args = "", nil, nil
			return t.reload(e)
		}
	case key.Matches(msg, k.Enter):
		if r := t.current(); r != nil && t.spec.drill != nil {
			return t.spec.drill(e, r)
		}
	case key.Matches(msg, k.Packets):
		if r := t.current(); r != nil && t.spec.packets != nil {
			return t.spec.packets(e, r)
		}
	}
	return nil
}

func (t *pagedTable) editKey(e *env, msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		t.editing = false
		t.input.Blur()
		return t.applyFilter(e, t.input.Value())
	case tea.KeyEsc:
		t.editing = false
		t.input.Blur()
		t.dropFilterErr(e)
		return nil
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(msg)
	return cmd
}

// dropFilterErr clears the status line's error when it is still the one
// the last filter typed gave: esc, leaving the filter prompt or clearing
// the filter, leaves that filter behind (its error stayed until the next
// action). Other errors stay.
func (t *pagedTable) dropFilterErr(e *env) {
	if t.filterErr != "" && e.errMsg == t.filterErr {
		e.errMsg = ""
	}
	t.filterErr = ""
}

// applyFilter turns the typed text into predicates: "where SQL", a
// pcap-filter expression, or a text search over the visible text columns.
// A pcap-filter expression is what engine/filter parses (the parser of
// --filter, with its errors); text that does not parse but starts like
// one (see looksLikePcap) is an error in the status line, with the offset
// where it goes wrong, as is a filter that tests what the rows do not
// have (packet lengths, bytes, flags): the rows and filter shown stay as
// they were. Anything else is a text search.
func (t *pagedTable) applyFilter(e *env, text string) tea.Cmd {
	text = strings.TrimSpace(text)
	prevFilter, prevWhere, prevArgs := t.filter, t.where, t.args
	t.filter, t.where, t.args = text, nil, nil
	e.errMsg, t.filterErr = "", ""
	if text == "" {
		return t.reload(e)
	}
	switch {
	case strings.HasPrefix(strings.ToLower(text), "where "):
		if err := queries.Condition(text[len("where "):]); err != nil {
			e.setErr(fmt.Errorf("filter %q not applied: %v", text, err))
			t.filter, t.where, t.args, t.filterErr = prevFilter, prevWhere, prevArgs, e.errMsg
			return nil
		}
		t.where = []string{text[len("where "):]}
		cmd := t.reload(e)
		t.undo = &filterUndo{seq: t.seq, text: text, filter: prevFilter, where: prevWhere, args: prevArgs}
		return cmd
	default:
		w, err := queries.PcapSQL(text, t.spec.ep)
		switch {
		case err == nil:
			t.where = []string{w}
		case errors.Is(err, filter.ErrSyntax) && !looksLikePcap(text):
			var cols []string
			for _, c := range t.cols {
				if c.Type == "VARCHAR" {
					cols = append(cols, c.Name)
				}
			}
			t.where = []string{queries.TextSQL(text, cols)}
		default:
			e.setErr(filterError(text, err))
			t.filter, t.where, t.args, t.filterErr = prevFilter, prevWhere, prevArgs, e.errMsg
			return nil
		}
	}
	return t.reload(e)
}

// looksLikePcap reports whether text that does not parse as a pcap-filter
// expression was meant as one: it starts with a word of the grammar
// (filter.IsKeyword: tcp, host, len, less, vlan, tcp-syn, ether, arp ...),
// "not", "(", "!" or a backslash, holds an operator (&&, ||, a comparison,
// brackets), or is an address or network followed by more words. A plain
// word or phrase ("ftp", "10.0.0.5", "video games") is a text search.
func looksLikePcap(text string) bool {
	if text == "" {
		return false
	}
	if strings.ContainsAny(text[:1], "(!\\") || strings.ContainsAny(text, "[]<>=") ||
		strings.Contains(text, "&&") || strings.Contains(text, "||") {
		return true
	}
	end := strings.IndexFunc(text, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r))
	})
	first := text
	if end >= 0 {
		first = text[:end]
	}
	if filter.IsKeyword(first) || first == "not" {
		return true
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return false
	}
	if _, err := netip.ParseAddr(f[0]); err == nil {
		return true
	}
	_, err := netip.ParsePrefix(f[0])
	return err == nil
}

// filterError is the status line of a pcap-filter expression that does
// not parse (engine/filter's error, as --filter prints it) or that the
// rows cannot answer.
func filterError(text string, err error) error {
	if errors.Is(err, queries.ErrNotApplicable) {
		why := strings.TrimPrefix(err.Error(), queries.ErrNotApplicable.Error()+": ")
		return fmt.Errorf("filter %q not applied: %s (where <SQL> filters on the columns)", text, why)
	}
	if errors.Is(err, filter.ErrSyntax) {
		return fmt.Errorf("filter %q: %v (a plain word searches the text; where <SQL> for SQL)", text, err)
	}
	return err
}

func (t *pagedTable) chooserKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.String() {
	case "up", "k":
		t.chCur = max(t.chCur-1, 0)
	case "down", "j":
		t.chCur = min(t.chCur+1, len(t.cols)-1)
	case " ", "x":
		name := t.cols[t.chCur].Name
		var show []string
		found := false
		for _, c := range t.cols { // keep the table's column order
			on := slices.Contains(t.show, c.Name)
			if c.Name == name {
				on, found = !on, true
			}
			if on {
				show = append(show, c.Name)
			}
		}
		if found && len(show) > 0 {
			t.show = show
			t.colCur = min(t.colCur, len(show)-1)
		}
	case "enter", "esc", "c", "q":
		t.chooser = false
	}
	return nil
}

// filterUndo is a "where" filter sent to DuckDB (text, the query's seq)
// and the filter it replaced.
type filterUndo struct {
	seq    int
	text   string
	filter string
	where  []string
	args   []any
}

// resultSeq is the seq of the query a page or count answers; 0 for others.
func resultSeq(v any) int {
	switch v := v.(type) {
	case pageResult:
		return v.seq
	case countResult:
		return v.seq
	}
	return 0
}

// filterRefused handles DuckDB refusing a "where" filter (D17: "where
// packets >" showed "no rows" and Parser Error: syntax error at or near
// ")", a parenthesis the user never typed): the status line says the
// error against the typed text (whereError), the previous filter and its
// rows come back, as for a filter refused before it ran.
func (t *pagedTable) filterRefused(e *env, err error) tea.Cmd {
	u := t.undo
	t.undo, t.refusedSeq = nil, u.seq
	t.filter, t.where, t.args = u.filter, u.where, u.args
	cmd := t.reload(e)
	e.setErr(whereError(u.text, err))
	t.filterErr = e.errMsg
	return cmd
}

// whereError is the status line of a "where" filter DuckDB refused: its
// message (first line, "Parser Error: " and the like dropped) said of
// the text as typed. The pager wraps the condition in parentheses, so a
// syntax error at the closing one it added, or at the end, means the
// condition stopped short: "incomplete condition".
func whereError(text string, err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	for _, p := range []string{"tui: ", "queries: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if i := strings.Index(msg, " Error: "); i >= 0 && !strings.Contains(msg[:i], ":") {
		msg = msg[i+len(" Error: "):] // "Parser Error: ", "Binder Error: "
	}
	cond := strings.TrimSpace(text[len("where "):])
	if strings.Contains(msg, "syntax error at end of input") ||
		strings.Contains(msg, `syntax error at or near ")"`) && !strings.Contains(cond, ")") {
		msg = "incomplete condition"
	}
	return fmt.Errorf("filter %q not applied: %s", text, msg)
}

func (t *pagedTable) inputHelp() []key.Binding {
	if t.chooser {
		return chooserHelp
	}
	return filterInputHelp
}

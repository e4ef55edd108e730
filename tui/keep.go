package tui

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// A table screen refreshed while its rows grow (a collector's appends,
// a replay still writing, followOutput) keeps the row under the cursor
// and its screen line. The refresh read the first page again and looked
// for the row there by its text: a cursor past the first page went back
// to the same index, on another row, and a row whose text changed was
// lost. Written rows are found again by their key (the sort value, the
// part file and the row's number in it: queries.RowKeys), which an
// append leaves as it was: the window is read around the key
// (refreshKept) and the row's position counted again.

// refresh reads the rows again, keeping the cursor on its row (or at its
// place when the row is gone) and the row on its screen line: written
// rows by their key (refreshKept), the engines' live rows (reloaded
// whole at each snapshot, their rowids new) by their text.
func (t *pagedTable) refresh(e *env) tea.Cmd {
	if t.onceTable != "" {
		t.redescribe = true // its rows once read again from the output (describeTable)
	}
	if !t.liveView && t.pager != nil && t.cur >= 0 && t.cur < len(t.rows) {
		key, line := rebase(t.rows[t.cur].Key, t.dir, e.dbDir), t.cur-t.top
		if t.redescribe {
			return t.describeKept(e, key, line)
		}
		return t.refreshKept(e, key, line)
	}

	if t.cur >= 0 && t.cur < len(t.rows) {
		t.keep = fmt.Sprint(t.rows[t.cur].Values)
	}
	t.keepAt, t.keepLine = t.cur, t.cur-t.top
	return t.reload(e)
}

// refreshKept reads the window around the row whose key is key (the
// rows before it, then it and the rows after), its position from the
// top (Pager.CountBefore) and the count; the rows shown stay until the
// new ones come. line is the row's screen line, kept.
func (t *pagedTable) refreshKept(e *env, key []any, line int) tea.Cmd {
	t.seq++
	seq := t.seq
	t.failed = false
	t.buildPager(e)
	p, n := *t.pager, t.fetchN()
	t.keepLine = line
	t.busy = true
	around := e.query(t.sid, "page", func(ctx context.Context, db *sql.DB) (any, error) {
		before, err := p.Before(ctx, db, key, n)
		if err != nil {
			return pageResult{seq: seq}, err
		}
		var from []queries.Row
		if len(before) == 0 {
			from, err = p.First(ctx, db, n)
		} else {
			from, err = p.After(ctx, db, before[len(before)-1].Key, n)
		}
		if err != nil {
			return pageResult{seq: seq}, err
		}
		pos, err := p.CountBefore(ctx, db, key)
		return pageResult{seq: seq, kind: "around", rows: append(before, from...), at: len(before),
			offset: pos - int64(len(before)), atStart: len(before) < n, atEnd: len(from) < n}, err
	})
	return tea.Batch(around, t.count(e))
}

// placeAround shows the window refreshKept read: the cursor on the kept
// row (or the row now at its place), on the screen line it was on.
func (t *pagedTable) placeAround(v pageResult) {
	t.rows, t.offset, t.atStart, t.atEnd = v.rows, max(v.offset, 0), v.atStart, v.atEnd
	t.cur = min(v.at, max(len(t.rows)-1, 0))
	t.top = max(t.cur-t.keepLine, 0)
	if t.offset == 0 && len(t.rows) <= t.pageH {
		t.top = 0 // every row fits: none hidden above
	}
	t.keep = ""
}

// resource notes that the table's folder is to be read as the reopened
// database reads it (env.dbDir: a replay's staging folder moved into
// place, or a table whose parts came at another partition depth): its
// next refresh describes it again (describeKept), keeping the columns
// shown, sort, filter and place.
func (t *pagedTable) resource() { t.redescribe = true }

// keptInit is a table described again for a refresh: its source and
// columns, and the row to find again (refreshKept).
type keptInit struct {
	tableInit
	key  []any
	line int
}

// describeKept describes the table's folder again (its columns may
// differ: a table of mixed partition depths has no date column), then
// reads the window around key (keptDescribed).
func (t *pagedTable) describeKept(e *env, key []any, line int) tea.Cmd {
	t.redescribe = false
	dir, table, derived, once := e.dbDir, t.spec.table, t.spec.derived, t.spec.once
	return e.query(t.sid, "init", func(ctx context.Context, db *sql.DB) (any, error) {
		src, err := queries.TableSource(dir, table)
		if err != nil {
			return nil, err
		}
		ti, err := describeTable(ctx, db, src, table, derived, false, once)
		if err != nil {
			return nil, err
		}
		return keptInit{tableInit: ti, key: key, line: line}, nil
	})
}

// keptDescribed takes the table's new description: the columns shown
// and the sort stay those the table still has.
func (t *pagedTable) keptDescribed(e *env, v keptInit) tea.Cmd {
	drop := t.takeSource(e, v.tableInit)
	t.typ = map[string]string{}
	for _, c := range v.cols {
		t.typ[c.Name] = c.Type
	}
	t.show = slices.DeleteFunc(t.show, func(c string) bool { _, ok := t.typ[c]; return !ok })
	t.colCur = min(t.colCur, max(len(t.show)-1, 0))
	if _, ok := t.typ[t.sort]; !ok && t.sort != "" {
		t.sort, t.desc = t.spec.sort, t.spec.desc
	}
	if v.key == nil {
		return tea.Batch(drop, t.reload(e)) // a reload asked (reload), from the top
	}
	return tea.Batch(drop, t.refreshKept(e, v.key, v.line))
}

// rebase is key with its part file named under dir in place of from (a
// replay's staging folder moved into the output: the same files, another
// path); key itself when the folder did not change.
func rebase(key []any, from, dir string) []any {
	if from == dir || from == "" {
		return key
	}
	old, now := filepath.ToSlash(from)+"/", filepath.ToSlash(dir)+"/"
	out := append([]any(nil), key...)
	for i, k := range out {
		if s, ok := k.(string); ok && strings.HasPrefix(s, old) {
			out[i] = now + s[len(old):]
		}
	}
	return out
}

// refresh runs the result's query again (the output grew), the result
// shown until the new one comes; the cursor then goes back to its row
// (findRow) on its screen line.
func (s *sqlScreen) refresh(e *env) tea.Cmd {
	s.stale = false
	if s.res == nil || s.sqlText == "" {
		return nil
	}
	s.keepRow, s.keepLine, s.keeping = nil, s.cur-s.top, true
	if s.cur < len(s.res.Rows) {
		s.keepRow = s.res.Rows[s.cur]
	}
	return s.query(e, s.sqlText, s.last)
}

// findRow is the index in r of the row was, at index at in the previous
// result of the same query, whose column types are types: the row with
// the same values; else, as an aggregate's counts grow, the row with the
// same values in its columns that are not numbers (a probe, a flow's
// name, an interval's start), the one nearest at when several; else at,
// within r.
func findRow(r *queries.Result, types []string, was []any, at int) int {
	if len(r.Rows) == 0 {
		return 0
	}
	fallback := min(max(at, 0), len(r.Rows)-1)
	if was == nil || len(types) != len(r.Types) {
		return fallback
	}
	same := func(row []any, labelsOnly bool) bool {
		if len(row) != len(was) {
			return false
		}
		for i := range row {
			if labelsOnly && isNumeric(types[i]) {
				continue
			}
			if fmt.Sprint(row[i]) != fmt.Sprint(was[i]) {
				return false
			}
		}
		return true
	}
	for _, labelsOnly := range []bool{false, true} {
		best := -1
		for i, row := range r.Rows {
			if same(row, labelsOnly) && (best < 0 || abs(i-at) < abs(best-at)) {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return fallback
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

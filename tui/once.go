package tui

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/tmonbench/tmonbench/queries"
)

// A table screen that lists each row once (tableSpec.once: the One-way
// screen) over an output that holds copies of its rows (mayRepeat) reads
// its rows once from a table of the in-memory database, filled by
// onceSource's aggregation each time the screen is described: opened,
// refreshed as the output grew (refresh), its folders changed (resource).
// Its pages, sorts, filters and counts read that table. They read
// onceSource itself, a GROUP BY over every column at each query: over
// the lab's oneway_delays copied 200 times (4,008,141 rows, 19,941
// once) 6.9 s to the first page with its count, 3.8 s a sort or a filter;
// now 3.6 s, then 10 ms (BenchmarkOnewayOnce/copies, 2 shared cores).
// Over as many rows none twice (distinct, the plain source paged), the
// first page took 7.0 s, mayRepeat counting onceSource; now 1.4 s.

// onceSchema is the schema of the tables holding rows once, out of the
// output's views and tables (main: information_schema's listing of them,
// the views' columns).
const onceSchema = "tui_once"

// onceSeq numbers the tables holding rows once: each description fills a
// new one, the one read before dropped when the new one is taken
// (takeSource), so that no query still reading the old one sees it
// replaced.
var onceSeq atomic.Int64

// describeTable is a table screen's source and columns: src with the
// spec's derived columns (withDerived), described, less the columns the
// derived ones are computed from; each row once when once and src may
// repeat one (mayRepeat): then the source is a table holding onceSource's
// rows (materialise), named in tableInit.once too.
func describeTable(ctx context.Context, db *sql.DB, src, table, derived string, live, once bool) (tableInit, error) {
	src, keys := withDerived(src, derived, live)
	cols, err := queries.Describe(ctx, db, src)
	if err != nil {
		return tableInit{}, fmt.Errorf("table %s: %w", table, err)
	}
	var mat string
	if once {
		dup, err := mayRepeat(ctx, db, src, cols)
		if err == nil && dup {
			mat, err = materialise(ctx, db, src, cols)
		}
		if err != nil {
			return tableInit{}, fmt.Errorf("table %s: %w", table, err)
		}
		if dup {
			src, keys = mat, queries.RowKeys
		}
	}
	cols = slices.DeleteFunc(cols, func(c queries.Column) bool { return slices.Contains(keys, c.Name) })
	return tableInit{src: src, cols: cols, once: mat}, nil
}

// materialise fills a new table of onceSchema with the rows of src (cols
// its columns) once (onceSource) and returns its name. The database is
// in memory: the table goes with it (Model.Close, a reopen), no file.
func materialise(ctx context.Context, db *sql.DB, src string, cols []queries.Column) (string, error) {
	name := fmt.Sprintf("%s.rows_%d", onceSchema, onceSeq.Add(1))
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+onceSchema); err != nil {
		return "", err
	}
	_, err := db.ExecContext(ctx, "CREATE TABLE "+name+" AS SELECT * FROM "+onceSource(src, cols))
	return name, err
}

// takeSource takes a table's description: its source and columns, and the
// table of rows once it reads (tableInit.once); the one it read before is
// dropped (the database may have been reopened since: IF EXISTS).
func (t *pagedTable) takeSource(e *env, ti tableInit) tea.Cmd {
	t.src, t.cols = ti.src, ti.cols
	old := t.onceTable
	t.onceTable = ti.once
	if old == "" || old == ti.once {
		return nil
	}
	return e.query(t.sid, "drop", func(_ context.Context, db *sql.DB) (any, error) {
		// not cancelled with the screen's queries (a key switching
		// screens): the table would stay until the database closes
		_, err := db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+old)
		return nil, err
	})
}

// mayRepeat tells whether src (cols its columns) lists a row more than
// once or has NULL hop indices, so that onceSource must read it: asked
// as a screen is described (opened, refreshed, or its folders changed),
// so that an output without either, every output tmonbench writes now,
// pages its plain source. The NULL hop indices first, at most one scan
// of two columns; then the rows against their distinct hashes (without
// NULL hop indices onceSource's rows are src's distinct ones; rows alike
// hash alike, so that rows none twice whose hashes collide are only read
// through onceSource, the same rows), one scan aggregating one column:
// it counted onceSource, which reads src twice (its pairs, then the rows)
// and groups by every column.
func mayRepeat(ctx context.Context, db *sql.DB, src string, cols []queries.Column) (bool, error) {
	var dup bool
	if slices.ContainsFunc(cols, func(c queries.Column) bool { return c.Name == "from_hop_index" }) &&
		slices.ContainsFunc(cols, func(c queries.Column) bool { return c.Name == "to_hop_index" }) {
		q := "SELECT EXISTS (SELECT 1 FROM " + src + " WHERE from_hop_index IS NULL OR to_hop_index IS NULL)"
		if err := db.QueryRowContext(ctx, q).Scan(&dup); err != nil || dup {
			return dup, err
		}
	}
	q := "SELECT count(*) <> count(DISTINCT hash(" + strings.Join(quoted(cols), ", ") + ")) FROM " + src
	err := db.QueryRowContext(ctx, q).Scan(&dup)
	return dup, err
}

// quoted are the names of cols as SQL identifiers.
func quoted(cols []queries.Column) []string {
	names := make([]string, 0, len(cols))
	for _, c := range cols {
		names = append(names, `"`+strings.ReplaceAll(c.Name, `"`, `""`)+`"`)
	}
	return names
}

// onceSource is the FROM item of a table source src (cols its columns)
// listing each row once, as the one-way queries and the flow detail read
// the one-way tables (queries.OnewayRowsMacro, oneway_rows): an output
// merged from several runs or collectors of the same observations holds
// a measured packet's row in each source's part, the same or with NULL
// hop indices (a source written before them, whose rows take their
// pair's: the largest of the rows of the same class, from_hop and
// to_hop). The row kept is the first by part file and row number, whose
// keys (queries.RowKeys, here plain columns) page and find it again.
// Both steps are hash aggregations (GROUP BY), not windows: a window
// partitioned by every column sorted the whole table at each page and
// count, 11 s to the first page of a 972,400-row oneway_delays against
// 0.45 s unduplicated (TestOnewayScreenOnce keeps the rows).
func onceSource(src string, cols []queries.Column) string {
	names := quoted(cols)
	has := map[string]bool{}
	for _, c := range cols {
		has[c.Name] = true
	}
	with := "WITH t AS (SELECT *, filename, file_row_number FROM " + src + ")"
	rows := "t"
	if has["from_hop_index"] && has["to_hop_index"] && has["class"] && has["from_hop"] && has["to_hop"] {
		// src once, in a plain FROM: in a join, DuckDB binds its hive_types' DATE as a column
		with += ", pair AS (SELECT class, from_hop, to_hop, max(from_hop_index) AS fi, max(to_hop_index) AS ti FROM t GROUP BY ALL)"
		rows = "(SELECT t.* REPLACE (coalesce(t.from_hop_index, pair.fi) AS from_hop_index, coalesce(t.to_hop_index, pair.ti) AS to_hop_index) " +
			"FROM t LEFT JOIN pair ON t.class IS NOT DISTINCT FROM pair.class AND t.from_hop IS NOT DISTINCT FROM pair.from_hop AND t.to_hop IS NOT DISTINCT FROM pair.to_hop)"
	}
	list := strings.Join(names, ", ")
	return "(" + with + " SELECT " + list + ", once.f AS filename, once.r AS file_row_number FROM (SELECT " + list +
		", min({'f': filename, 'r': file_row_number}) AS once FROM " + rows + " GROUP BY " + list + "))"
}

package queries

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// Stream runs query on db (from Open) and hands its rows to row one at a
// time, after head has the columns (res.Columns and res.Types; res.Rows
// stays empty): the rows are never all held in Go memory (DuckDB still
// builds its result before the first row). row's slice is reused for the
// next row: keep its values, not the slice. Errors are Run's, or the
// first error of head or row, which stops the query.
func Stream(ctx context.Context, db *sql.DB, query string, head func(res *Result) error, row func(vals []any) error) error {
	if err := single(ctx, db, query); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("queries: %w", systemHint(ctx, db, err))
	}
	defer rows.Close()
	res, err := header(rows)
	if err != nil {
		return fmt.Errorf("queries: %w", err)
	}
	if err := head(res); err != nil {
		return err
	}
	vals := make([]any, len(res.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("queries: %w", err)
		}
		if err := row(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("queries: %w", err)
	}
	return nil
}

// header returns a Result with the columns of rows and no row.
func header(rows *sql.Rows) (*Result, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Types: make([]string, len(cts))}
	for i, ct := range cts {
		res.Types[i] = ct.DatabaseTypeName()
	}
	return res, nil
}

// FormatQuery runs query on db and writes its result to w in the named
// format, as FormatOptions writes a Result, without holding every row:
// CSV and JSON are written as the rows come; the table format keeps the
// o.MaxRows rows it prints and counts the others (o.MaxRows 0 keeps
// every row: the widths need them). Errors: ErrFormat (before the query
// runs), Stream's, or w's.
func FormatQuery(ctx context.Context, w io.Writer, db *sql.DB, query, format string, o Options) error {
	p := printer{o.Location}
	var res *Result
	var head func(*Result) error
	var row func([]any) error
	var end func() error
	switch format {
	case "table":
		total := 0
		head = func(r *Result) error { res = r; return nil }
		row = func(vals []any) error {
			total++
			if o.MaxRows == 0 || len(res.Rows) < o.MaxRows {
				res.Rows = append(res.Rows, append([]any(nil), vals...))
			}
			return nil
		}
		end = func() error { return formatTableOf(w, res, o, total) }
	case "csv":
		cw := csv.NewWriter(w)
		var rec []string
		head = func(r *Result) error {
			res, rec = r, make([]string, len(r.Columns))
			return cw.Write(r.Columns)
		}
		row = func(vals []any) error {
			for i, v := range vals {
				rec[i] = p.text(v, res.Types[i])
			}
			return cw.Write(rec)
		}
		end = func() error { cw.Flush(); return cw.Error() }
	case "json":
		bw := bufio.NewWriter(w)
		j := jsonRows{p: p, w: bw}
		head = func(r *Result) error { res = r; bw.WriteString("["); return nil }
		row = func(vals []any) error { return j.row(res, vals) }
		end = func() error {
			if j.n > 0 {
				bw.WriteString("\n")
			}
			bw.WriteString("]\n")
			return bw.Flush()
		}
	default:
		return fmt.Errorf("%w %q (want %s)", ErrFormat, format, strings.Join(Formats, ", "))
	}
	if err := Stream(ctx, db, query, head, row); err != nil {
		return err
	}
	return end()
}

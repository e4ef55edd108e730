package queries

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Column is one column of a table or query: its name and DuckDB type name
// ("UBIGINT", "TIMESTAMP_NS", "VARCHAR", "DOUBLE[]", ...).
type Column struct {
	Name string
	Type string
}

// Sortable reports whether a column of this type can order a Pager (lists,
// structs and maps cannot).
func (c Column) Sortable() bool {
	return !strings.HasSuffix(c.Type, "[]") && !strings.HasPrefix(c.Type, "STRUCT") && !strings.HasPrefix(c.Type, "MAP")
}

// Text formats one value as every format prints it (times in TimeLayout,
// NULL as ""), for screens that draw their own tables.
func Text(v any, typ string) string { return text(v, typ) }

// RowKeys are the columns that make a row of a TableSource unique: its
// part file and its row number in that file.
var RowKeys = []string{"filename", "file_row_number"}

// Describe returns the columns of a FROM item (a view name, a table
// function or a parenthesised query), in order.
func Describe(ctx context.Context, db *sql.DB, from string) ([]Column, error) {
	rows, err := db.QueryContext(ctx, "DESCRIBE SELECT * FROM "+from)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	var cols []Column
	for rows.Next() {
		vals, err := scanRow(rows, len(names))
		if err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		n, _ := vals[0].(string)
		t, _ := vals[1].(string)
		cols = append(cols, Column{Name: n, Type: t})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return cols, nil
}

// Pager reads a table one page at a time with keyset queries (each page
// continues from the sort key of the last row shown, never with OFFSET),
// so that opening and scrolling a million rows costs one top-N query per
// page and only the page is in memory.
//
// The order is Sort (NULLs last) then Keys, all ascending or all
// descending; Keys must make it total (RowKeys for a TableSource).
type Pager struct {
	From    string   // FROM item: a view, read_parquet(...) (TableSource) or (subquery)
	Show    []string // columns returned, by name
	Types   []string // DuckDB type of each Show column, for Text
	Where   []string // predicates, AND-ed
	Args    []any    // arguments of the ? in Where, in order
	Sort    string   // column to order by ("" orders by Keys only)
	SortTyp string   // DuckDB type of Sort (a TIMESTAMP orders by epoch_ns)
	Desc    bool     // descending order
	Keys    []string // tie-breakers making the order total
	// TwoPhase reads a page as the top-N of the sort value and keys, then
	// the shown columns of those rows by key.
	TwoPhase bool
}

// Row is one row of a page: the values of Pager.Show, and the key that
// continues the order after (or before) it.
type Row struct {
	Values []any
	Key    []any // sort value then Keys values
}

// sortExpr is the SQL expression ordering the rows: timestamps as
// epoch_ns so that the key keeps its nanoseconds when bound as an argument.
func (p *Pager) sortExpr() string {
	if p.Sort == "" {
		return ""
	}
	id := quoteIdent(p.Sort)
	if strings.HasPrefix(p.SortTyp, "TIMESTAMP") {
		return "epoch_ns(" + id + ")"
	}
	return id
}

// order returns the ORDER BY list and whether rows go in the Pager's
// direction (forward) or the reverse.
func (p *Pager) order(forward bool) string {
	desc := p.Desc != !forward
	dir := " ASC"
	nulls := " NULLS FIRST"
	if desc {
		dir = " DESC"
	}
	if forward {
		nulls = " NULLS LAST"
	}
	var parts []string
	if s := p.sortExpr(); s != "" {
		parts = append(parts, s+dir+nulls)
	}
	for _, k := range p.Keys {
		parts = append(parts, quoteIdent(k)+dir)
	}
	return strings.Join(parts, ", ")
}

// keyset returns the predicate selecting rows after key (forward) or
// before it, with its arguments.
func (p *Pager) keyset(key []any, forward bool) (string, []any) {
	greater := p.Desc != forward // the comparison that moves forward is > when ascending
	op := "<"
	if greater {
		op = ">"
	}
	var args []any
	keysPart := func(vals []any) string {
		// (k1 op v1 OR (k1 = v1 AND (k2 op v2 ...)))
		var b strings.Builder
		for i := range p.Keys {
			k := quoteIdent(p.Keys[i])
			if i < len(p.Keys)-1 {
				fmt.Fprintf(&b, "(%s %s ? OR (%s = ? AND ", k, op, k)
				args = append(args, vals[i], vals[i])
			} else {
				fmt.Fprintf(&b, "%s %s ?", k, op)
				args = append(args, vals[i])
			}
		}
		b.WriteString(strings.Repeat("))", len(p.Keys)-1))
		return b.String()
	}
	s := p.sortExpr()
	if s == "" {
		return keysPart(key), args
	}
	sv := key[0]
	if sv == nil {
		if forward {
			return "(" + s + " IS NULL AND " + keysPart(key[1:]) + ")", args
		}
		return "(" + s + " IS NOT NULL OR (" + s + " IS NULL AND " + keysPart(key[1:]) + "))", args
	}
	args = append(args, sv, sv)
	q := fmt.Sprintf("(%s %s ? OR (%s = ? AND %s)", s, op, s, keysPart(key[1:]))
	if forward {
		q += " OR " + s + " IS NULL"
	}
	return q + ")", args
}

// query builds the SELECT of one page.
func (p *Pager) query(key []any, forward bool, n int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range p.Show {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	if len(p.Show) == 0 {
		b.WriteString("NULL AS _none")
	}
	if s := p.sortExpr(); s != "" {
		b.WriteString(", " + s + " AS _sort")
	}
	for i, k := range p.Keys {
		fmt.Fprintf(&b, ", %s AS _key%d", quoteIdent(k), i)
	}
	b.WriteString(" FROM " + p.From)
	where := append([]string(nil), p.Where...)
	args := append([]any(nil), p.Args...)
	if key != nil {
		w, a := p.keyset(key, forward)
		where = append(where, w)
		args = append(args, a...)
	}
	if len(where) > 0 {
		b.WriteString(" WHERE (" + strings.Join(where, ") AND (") + ")")
	}
	fmt.Fprintf(&b, " ORDER BY %s LIMIT %d", p.order(forward), n)
	return b.String(), args
}

// First returns the first n rows in order.
func (p *Pager) First(ctx context.Context, db *sql.DB, n int) ([]Row, error) {
	return p.fetch(ctx, db, nil, true, n)
}

// After returns up to n rows following the row whose Key is key.
func (p *Pager) After(ctx context.Context, db *sql.DB, key []any, n int) ([]Row, error) {
	return p.fetch(ctx, db, key, true, n)
}

// Before returns up to n rows preceding the row whose Key is key, in order.
func (p *Pager) Before(ctx context.Context, db *sql.DB, key []any, n int) ([]Row, error) {
	return p.fetch(ctx, db, key, false, n)
}

// Last returns the last n rows, in order.
func (p *Pager) Last(ctx context.Context, db *sql.DB, n int) ([]Row, error) {
	return p.fetch(ctx, db, nil, false, n)
}

// Count returns the number of rows the Where predicates select.
func (p *Pager) Count(ctx context.Context, db *sql.DB) (int64, error) {
	q := "SELECT count(*) FROM " + p.From
	if len(p.Where) > 0 {
		q += " WHERE (" + strings.Join(p.Where, ") AND (") + ")"
	}
	var n int64
	if err := db.QueryRowContext(ctx, q, p.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("queries: %w", err)
	}
	return n, nil
}

// CountBefore returns the number of rows the Where predicates select that
// come before the row whose Key is key in the order: the row's position
// from 0, which stays right when rows are added before it (a collector's
// appends) where a remembered index does not.
func (p *Pager) CountBefore(ctx context.Context, db *sql.DB, key []any) (int64, error) {
	where := append([]string(nil), p.Where...)
	args := append([]any(nil), p.Args...)
	w, a := p.keyset(key, false)
	where = append(where, w)
	args = append(args, a...)
	q := "SELECT count(*) FROM " + p.From + " WHERE (" + strings.Join(where, ") AND (") + ")"
	var n int64
	if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("queries: %w", err)
	}
	return n, nil
}

// fetch reads a page in two queries: the top-N of the sort value and keys
// only (cheap: two or three columns), then the shown columns of just those
// rows, selected by their keys. One query fetching whole rows makes DuckDB
// carry every column of every row through the top-N.
func (p *Pager) fetch(ctx context.Context, db *sql.DB, key []any, forward bool, n int) ([]Row, error) {
	if !p.TwoPhase {
		q, args := p.query(key, forward, n)
		out, err := p.scan(ctx, db, q, args, p.Show)
		if err == nil && !forward {
			for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
				out[i], out[j] = out[j], out[i]
			}
		}
		return out, err
	}
	show := p.Show
	p.Show = nil
	q, args := p.query(key, forward, n)
	p.Show = show
	keys, err := p.scan(ctx, db, q, args, nil)
	if err != nil || len(keys) == 0 || len(show) == 0 {
		return keys, err
	}
	// phase 2: the rows of those keys (keyPredicate)
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range show {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	if s := p.sortExpr(); s != "" {
		b.WriteString(", " + s + " AS _sort")
	}
	for i, k := range p.Keys {
		fmt.Fprintf(&b, ", %s AS _key%d", quoteIdent(k), i)
	}
	b.WriteString(" FROM " + p.From + " WHERE ")
	off := len(keys[0].Key) - len(p.Keys)
	args2 := keyPredicate(&b, p.Keys, keys, off)
	full, err := p.scan(ctx, db, b.String(), args2, show)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]Row, len(full))
	for _, r := range full {
		byKey[fmt.Sprint(r.Key[off:]...)] = r
	}
	out := make([]Row, 0, len(keys))
	for _, k := range keys {
		if r, ok := byKey[fmt.Sprint(k.Key[off:]...)]; ok {
			out = append(out, r)
		}
	}
	if !forward {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// keyPredicate writes the WHERE body selecting the rows whose Keys values
// (from position off of each Row.Key) are those of keys, and returns its
// arguments. Two key columns (RowKeys: part file, row number) select
// exactly: per part file, its row numbers IN a list. Otherwise each key
// column is IN its values, a superset of the rows (fetch keeps the exact
// matches).
func keyPredicate(b *strings.Builder, cols []string, keys []Row, off int) []any {
	var args []any
	if len(cols) == 2 {
		var firsts []any
		rest := map[any][]any{}
		for _, r := range keys {
			k0, k1 := r.Key[off], r.Key[off+1]
			if _, ok := rest[k0]; !ok {
				firsts = append(firsts, k0)
			}
			rest[k0] = append(rest[k0], k1)
		}
		for i, k0 := range firsts {
			if i > 0 {
				b.WriteString(" OR ")
			}
			ks := rest[k0]
			fmt.Fprintf(b, "(%s = ? AND %s IN (%s))", quoteIdent(cols[0]), quoteIdent(cols[1]), strings.TrimSuffix(strings.Repeat("?, ", len(ks)), ", "))
			args = append(append(args, k0), ks...)
		}
		return args
	}
	for i, k := range cols {
		if i > 0 {
			b.WriteString(" AND ")
		}
		seen := map[any]bool{}
		var vals []string
		for _, r := range keys {
			v := r.Key[off+i]
			if seen[v] {
				continue
			}
			seen[v] = true
			vals = append(vals, "?")
			args = append(args, v)
		}
		fmt.Fprintf(b, "%s IN (%s)", quoteIdent(k), strings.Join(vals, ", "))
	}
	return args
}

// scan runs one page query whose columns are show, then the sort value
// (when Sort is set), then Keys.
func (p *Pager) scan(ctx context.Context, db *sql.DB, q string, args []any, show []string) ([]Row, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer rows.Close()
	nShow := len(show)
	if nShow == 0 {
		nShow = 1 // NULL AS _none
	}
	nKey := len(p.Keys)
	if p.Sort != "" {
		nKey++
	}
	var out []Row
	for rows.Next() {
		vals := make([]any, nShow+nKey)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		out = append(out, Row{Values: vals[:len(show)], Key: vals[nShow:]})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return out, nil
}

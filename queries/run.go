package queries

import (
	"context"
	"database/sql"
	"fmt"
)

// Result is the whole answer of one query, in memory.
type Result struct {
	Columns []string // column names, in query order
	Types   []string // DuckDB type names per column: "UBIGINT", "TIMESTAMP_NS", "VARCHAR", ...
	Rows    [][]any  // one slice per row, len(Columns) values each; nil is SQL NULL
}

// Run executes query on db (from Open) and reads every row. Values are what
// duckdb-go returns: int8..int64, uint8..uint64, float32/64, string, bool,
// []byte, time.Time (UTC), *big.Int (HUGEINT), duckdb.Decimal,
// duckdb.Interval, []any, map[string]any, duckdb.Map, or nil.
// The error is DuckDB's (syntax, missing view, ...), prefixed "queries: ".
func Run(db *sql.DB, query string) (*Result, error) {
	return RunContext(context.Background(), db, query)
}

// RunContext is Run with a context that can cancel the query.
func RunContext(ctx context.Context, db *sql.DB, query string) (*Result, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	res := &Result{Columns: cols, Types: make([]string, len(cts))}
	for i, ct := range cts {
		res.Types[i] = ct.DatabaseTypeName()
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("queries: %w", err)
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return res, nil
}

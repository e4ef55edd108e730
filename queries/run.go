package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// ErrSeveralStatements: the query text holds more than one SQL statement
// (only the last one's rows would come back): give one at a time.
var ErrSeveralStatements = errors.New("queries: several SQL statements in one query")

// ErrEmptyQuery: the query text holds no statement (blank, ";" or only
// comments).
var ErrEmptyQuery = errors.New("queries: empty query: no SQL statement")

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
// The error is DuckDB's (syntax, missing view, ...), prefixed "queries: ",
// or ErrSeveralStatements (nothing was run).
func Run(db *sql.DB, query string) (*Result, error) {
	return RunContext(context.Background(), db, query)
}

// RunContext is Run with a context that can cancel the query.
func RunContext(ctx context.Context, db *sql.DB, query string) (*Result, error) {
	if err := single(ctx, db, query); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", systemHint(ctx, db, err))
	}
	res, err := ReadRows(rows)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	return res, nil
}

// hintError is a DuckDB error whose message names the tables and views
// of the output instead of DuckDB's guess at a system table.
type hintError struct {
	msg string
	err error
}

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Unwrap() error { return e.err }

// systemHint replaces DuckDB's 'Did you mean "pg_sequences"?' (its
// nearest catalog name for a table that does not exist, a system table
// no query of an output means) by the output's tables and views; other
// errors are returned as they are.
func systemHint(ctx context.Context, db *sql.DB, err error) error {
	msg := err.Error()
	i := strings.Index(msg, `Did you mean "`)
	if i < 0 {
		return err
	}
	name, _, _ := strings.Cut(msg[i+len(`Did you mean "`):], `"`)
	if !isSystemName(name) {
		return err
	}
	_, rest, _ := strings.Cut(msg[i:], "\n")
	rows, qerr := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name")
	if qerr != nil {
		return err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return err
	}
	return &hintError{msg: msg[:i] + "Tables and views here: " + strings.Join(names, ", ") + "\n" + rest, err: err}
}

// isSystemName reports whether name is one of DuckDB's system tables or
// views (pg_catalog's, information_schema's, duckdb_*, sqlite_*).
func isSystemName(name string) bool {
	for _, p := range []string{"pg_", "duckdb_", "sqlite_", "information_schema", "pragma_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ReadRows reads every row of rows into a Result (values as Run describes
// them) and closes rows; the error is the driver's, unwrapped.
func ReadRows(rows *sql.Rows) (*Result, error) {
	defer rows.Close()
	res, err := header(rows)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		vals, err := scanRow(rows, len(res.Columns))
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// Check returns ErrSeveralStatements or ErrEmptyQuery when query does not
// hold exactly one statement, and runs nothing: a caller with several
// queries checks them all before running the first. Syntax and binding
// errors are left to Run.
func Check(ctx context.Context, db *sql.DB, query string) error { return single(ctx, db, query) }

// single returns ErrSeveralStatements when query holds more than one
// statement (DuckDB would run them all and return the last one's rows),
// ErrEmptyQuery when it holds none. It asks DuckDB's own parser (a
// prepared statement holds exactly one statement) and runs nothing.
func single(ctx context.Context, db *sql.DB, query string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("queries: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return nil
		}
		st, err := c.Prepare(query)
		if err == nil {
			return st.Close()
		}
		if err.Error() == "empty query" {
			return ErrEmptyQuery
		}
		if strings.Contains(err.Error(), "multi-statement") {
			return fmt.Errorf("%w: give one per --sql (it may be repeated)", ErrSeveralStatements)
		}
		return nil // a syntax or binding error: the query itself reports it
	})
}

// scanRow scans the current row of rows, n columns, into values of the
// Go types duckdb-go returns.
func scanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}

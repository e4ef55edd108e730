// Package testdb opens DuckDB over a tmonbench output for the tests of the
// packages that read outputs (queries/..., tui, cmd). It imports queries,
// hence DuckDB and cgo: no engine package's test may import it (the
// engines build without cgo; engine/deps_test.go).
package testdb

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/queries"
)

// Open opens the output folder out with queries.Open; the database is
// closed when the test ends.
func Open(tb testing.TB, out string) *sql.DB {
	tb.Helper()
	db, err := queries.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Query runs q (queries.Run) over the output folder out, opened for it
// alone, and returns its rows one a line, each row's values separated by
// spaces (fmt.Sprintln).
func Query(tb testing.TB, out, q string) string {
	tb.Helper()
	db, err := queries.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	res, err := queries.Run(db, q)
	if err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	var b strings.Builder
	for _, r := range res.Rows {
		fmt.Fprintln(&b, r...)
	}
	return b.String()
}

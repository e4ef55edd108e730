// Package testdb opens DuckDB over a tmonbench output for the tests of the
// packages that read outputs (queries/..., tui, cmd). It imports queries,
// hence DuckDB and cgo: no engine package's test may import it (the
// engines build without cgo; engine/deps_test.go).
package testdb

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// DropColumns rewrites every Parquet file of table's folder in the output
// out without the columns cols, as a tmonbench written before they were
// added left them (schema changes add columns), with DuckDB. It fails the
// test when a file holds none of them.
func DropColumns(tb testing.TB, out, table string, cols ...string) {
	tb.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = filepath.WalkDir(filepath.Join(out, table), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		src := "read_parquet('" + strings.ReplaceAll(path, "'", "''") + "', hive_partitioning = false)"
		var kept int
		if err := db.QueryRow("SELECT count(*) FROM (DESCRIBE SELECT * FROM " + src + ") WHERE column_name IN ('" + strings.Join(cols, "', '") + "')").Scan(&kept); err != nil {
			return err
		}
		if kept != len(cols) {
			return fmt.Errorf("%s holds %d of the columns %v", path, kept, cols)
		}
		tmp := path + ".old"
		if _, err := db.Exec("COPY (SELECT * EXCLUDE (" + strings.Join(cols, ", ") + ") FROM " + src + ") TO '" + strings.ReplaceAll(tmp, "'", "''") + "' (FORMAT parquet)"); err != nil {
			return err
		}
		n++
		return os.Rename(tmp, path)
	})
	if err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		tb.Fatalf("no Parquet file in %s", filepath.Join(out, table))
	}
}

// CopyParts copies every Parquet file of table's folder in the output
// from into the same folder of the output to, each named "old-" and its
// name: the parts of an older run beside the newer one's, as `tmonbench
// merge` of the two left them before it placed rows by hop. It fails the
// test on an error.
func CopyParts(tb testing.TB, from, to, table string) {
	tb.Helper()
	err := filepath.WalkDir(filepath.Join(from, table), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, filepath.Dir(rel), "old-"+filepath.Base(rel)), b, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

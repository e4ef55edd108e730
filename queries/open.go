package queries

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver
)

// ManifestName is the file engine/store writes at the top of every run
// folder (store.ManifestName; repeated here because queries/ imports no
// engine package but observe).
const ManifestName = "run.json"

// ErrNoOutput: the folder given to Open holds neither run.json nor any
// table folder with Parquet files.
var ErrNoOutput = errors.New("queries: no tmonbench output")

// tableName is what a folder name must look like to become a view.
var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open returns an in-memory DuckDB database with one view per table folder
// of outDir (each sub-folder holding at least one *.parquet file), named
// like the folder:
//
//	CREATE VIEW flows AS SELECT * FROM read_parquet('<outDir>/flows/*.parquet', union_by_name = true)
//
// Paths are absolute and quoted (a ' doubles). If the path holds a glob
// character (* ? [ {), the view lists the part files present at Open time
// instead of a glob. The caller closes the DB.
//
// Errors: ErrNoOutput wrapped as "no tmonbench output in DIR (run
// `tmonbench replay` first)" when outDir is missing, not a folder, or holds
// neither run.json nor a table folder; or the DuckDB error creating a view.
func Open(outDir string) (*sql.DB, error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	noOutput := fmt.Errorf("%w in %s (run `tmonbench replay` first)", ErrNoOutput, outDir)
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return nil, noOutput
	}
	tables, err := tableDirs(abs)
	if err != nil {
		return nil, fmt.Errorf("queries: read %s: %w", outDir, err)
	}
	if len(tables) == 0 {
		if _, err := os.Stat(filepath.Join(abs, ManifestName)); err != nil {
			return nil, noOutput
		}
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("queries: open duckdb: %w", err)
	}
	for _, t := range tables {
		src, err := parquetSource(abs, t)
		if err != nil {
			db.Close()
			return nil, err
		}
		stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet(%s, union_by_name = true)", quoteIdent(t), src)
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("queries: create view %s: %w", t, err)
		}
	}
	return db, nil
}

// tableDirs lists the sub-folders of dir that look like tables and hold at
// least one *.parquet file, sorted.
func tableDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, e := range ents {
		if !e.IsDir() || !tableName.MatchString(e.Name()) {
			continue
		}
		parts, err := parquetFiles(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if len(parts) > 0 {
			tables = append(tables, e.Name())
		}
	}
	sort.Strings(tables)
	return tables, nil
}

// parquetFiles lists the visible *.parquet files of one table folder
// (engine/store's hidden .part-*.parquet.tmp files are not among them).
func parquetFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".parquet") && !strings.HasPrefix(n, ".") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	sort.Strings(files)
	return files, nil
}

// parquetSource is the first argument of read_parquet for one table: a
// quoted glob, or a list of quoted files when the path has glob characters.
func parquetSource(outDir, table string) (string, error) {
	dir := filepath.Join(outDir, table)
	if !strings.ContainsAny(dir, "*?[]{}") {
		return quoteString(filepath.ToSlash(filepath.Join(dir, "*.parquet"))), nil
	}
	files, err := parquetFiles(dir)
	if err != nil {
		return "", fmt.Errorf("queries: read %s: %w", dir, err)
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = quoteString(filepath.ToSlash(f))
	}
	return "[" + strings.Join(quoted, ", ") + "]", nil
}

// quoteString makes s an SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// quoteIdent makes s an SQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

package dataset

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/fsync"
)

// WriteTable writes the rows of query as the table name of outDir in the
// Hive layout: <outDir>/<name>/date=YYYY-MM-DD/<key>=VALUE/part-N.parquet
// (zstd; the partition columns are also kept in the files), the query
// giving a column per key of keys. An empty result writes one schema-only
// part in the default partition, so that the view exists. The table
// appears whole: DuckDB writes the hidden folder .<name>.tmp, which then
// takes the place of the previous table (moved to .<name>.old and
// removed). It returns the rows written.
func WriteTable(ctx context.Context, conn *sql.Conn, outDir, name string, keys []string, query string) (int64, error) {
	final := filepath.Join(outDir, name)
	tmp := filepath.Join(outDir, "."+name+".tmp")
	old := filepath.Join(outDir, "."+name+".old")
	if err := os.RemoveAll(tmp); err != nil {
		return 0, fmt.Errorf("dataset: %w", err)
	}
	var rows int64
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = ident(k)
	}
	opts := fmt.Sprintf("FORMAT parquet, COMPRESSION zstd, PARTITION_BY (%s), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part-{i}'", strings.Join(quoted, ", "))
	if err := conn.QueryRowContext(ctx, fmt.Sprintf("COPY (%s) TO %s (%s)", query, literal(filepath.ToSlash(tmp)), opts)).Scan(&rows); err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("dataset: write %s: %w", name, err)
	}
	if rows == 0 {
		vals := make([]string, len(keys))
		pk := make([]observe.PartitionKey, len(keys))
		for i, k := range keys {
			pk[i] = observe.PartitionKey{Name: k}
		}
		dir := filepath.Join(tmp, filepath.FromSlash(observe.PartitionDir(pk, vals)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("dataset: %w", err)
		}
		empty := fmt.Sprintf("COPY (SELECT * FROM (%s) LIMIT 0) TO %s (FORMAT parquet, COMPRESSION zstd)", query, literal(filepath.ToSlash(filepath.Join(dir, "part-0.parquet"))))
		if _, err := conn.ExecContext(ctx, empty); err != nil {
			os.RemoveAll(tmp)
			return 0, fmt.Errorf("dataset: write %s: %w", name, err)
		}
	}
	if err := fsync.Tree(tmp); err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("dataset: write %s: %w", name, err)
	}
	os.RemoveAll(old)
	if _, err := os.Stat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			os.RemoveAll(tmp)
			return 0, fmt.Errorf("dataset: %w", err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return 0, fmt.Errorf("dataset: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return 0, fmt.Errorf("dataset: %w", err)
	}
	return rows, fsync.Dir(outDir)
}

// ident makes s an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// literal makes s an SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

package rollup

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"

	"github.com/tmonbench/tmonbench/queries/dataset"
)

// writeTable writes a rollup table in the Hive layout of the raw tables
// (date, then key: probe or class), replacing the previous one whole
// (dataset.WriteTable).
func writeTable(ctx context.Context, conn *sql.Conn, outDir, name, key, query string) (Written, error) {
	rows, err := dataset.WriteTable(ctx, conn, outDir, name, []string{"date", key}, query)
	if err != nil {
		return Written{}, fmt.Errorf("rollup: %w", err)
	}
	return Written{Name: name, Rows: rows, Path: filepath.Join(outDir, name)}, nil
}

package queries

import (
	"database/sql"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// DuckDBVersion returns the version of the DuckDB library linked into the
// program (pragma_version(): library_version and source_id, e.g.
// "v1.4.1 b390a7c376"), asking an in-memory database.
func DuckDBVersion() (string, error) {
	conn, err := duckdb.NewConnector("", nil)
	if err != nil {
		return "", fmt.Errorf("queries: open duckdb: %w", err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var lib, src string
	if err := db.QueryRow("SELECT library_version, source_id FROM pragma_version()").Scan(&lib, &src); err != nil {
		return "", fmt.Errorf("queries: duckdb version: %w", err)
	}
	return lib + " " + src, nil
}

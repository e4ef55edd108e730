// Package queries runs SQL over a tmonbench output folder with DuckDB
// (github.com/duckdb/duckdb-go/v2, cgo) and formats the results.
//
// Input: the folder engine/store writes (--out, default ./tmon-out; a collector process's ./tmon-collector): run.json
// and one folder of Parquet part files per table. Open makes an in-memory
// DuckDB with one view per table folder, named like the table (flows,
// flow_counters, events, see engine/observe):
//
//	CREATE VIEW flows AS SELECT * FROM read_parquet('<out>/flows/*.parquet', union_by_name = true)
//
// The glob is read again by every query, so views see part files written
// after Open. Timestamps are TIMESTAMP_NS with their nanoseconds intact
// (style.md "Observations -> Parquet -> SQL").
//
// Named queries are the *.sql files of this folder, embedded in the binary;
// each starts with a line "-- NAME: one-line description" and names views,
// never paths. A query whose columns do not fit 120 columns keeps them all
// in wide/NAME.sql (Named.Wide) and selects FROM wide the first ones an
// engineer reads (Named.SQL). List and Get return them; Run executes any
// query into a Result, and FormatTable, FormatCSV and FormatJSON print it
// (times in UTC RFC 3339 with nine fraction digits; three for a
// TIMESTAMP_MS column, none for TIMESTAMP_S).
//
// Where it sits: imported by cmd/tmonbench (`tmonbench query`) and tui/; it
// imports engine/observe only, and no engine package imports it, so the
// engines stay cgo-free.
package queries

// Package dataset manages a tmonbench output folder as a dataset that other
// engines read without conversion (design 1.14.8): the Hive layout
// (TABLE/date=YYYY-MM-DD/probe=NAME/part-N.parquet, keys per table in
// engine/observe), the _manifest.json written last and atomically (files,
// row counts, time ranges, schema version, tmonbench version, config
// hash), and Merge, which unions several outputs (runs, or the collectors
// of duplicated central sites, design 1.2) into one, without duplicates.
//
// Where it sits: imported by cmd/tmonbench (`tmonbench merge`, and every
// command that writes an output rewrites the manifest) and queries/rollup;
// it imports queries and engine/observe. It writes with DuckDB's COPY ...
// PARTITION_BY; engine/store writes the same layout from Go.
package dataset

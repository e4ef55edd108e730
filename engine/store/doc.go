// Package store writes the collector's rows as Parquet files and manages the
// output folder (--out, default ./tmon-out) they land in.
//
// Inputs: slices of row structs from engine/observe (any struct with parquet
// tags; the package is generic over the row type). Outputs, under one run
// folder:
//
//	<out>/run.json                      Manifest: tool, version, command line, inputs, config hash, times, rows per table
//	<out>/<table>/part-00000.parquet    zstd-compressed Parquet, one folder per table (flows, flow_counters, events, ...)
//
// Atomic files: every file is written as .<name>.tmp in its final folder,
// fsynced, then renamed over its final name, and the folder is fsynced. A
// reader (DuckDB globbing *.parquet) never sees a half-written file; a crash
// leaves at most a hidden .tmp file.
//
// Atomic runs: BeginRun stages a whole run in a sibling folder
// <out>.tmp-XXXX on the same filesystem; Run.Commit writes run.json and swaps
// the staged folder in place of <out> (an atomic exchange on Linux, otherwise
// rename old aside, rename new in), then removes the previous run. Two runs
// are never mixed: <out> holds exactly one run, old or new. A folder that is
// not empty and has no run.json is not ours and is never replaced
// (ErrNotRunDir).
//
// Where it sits: above engine/observe (leaf types), below engine/collector
// and cmd. It imports neither DuckDB nor anything that needs cgo; queries/
// reads what it writes (style.md "Observations -> Parquet -> SQL").
// Engine code does not read the clock: Manifest times are set by the caller.
package store

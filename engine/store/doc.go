// Package store writes the collector's rows as Parquet files and manages the
// output folder (--out, default ./tmon-out; a collector process's ./tmon-collector) they land in.
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
// Runs: BeginRun stages a replay's run in a hidden folder inside the
// output folder, <out>/.tmon-run-<pid>-XXXX, whose run.json says "state":
// "running" with the writer's PID; the run writes there as it goes (every
// table exists from the start as a schema-only part, Commit updates the
// staged run.json), so queries read a running run's rows (queries.State).
// Run.Finish moves the previous run aside, the staged tables in and
// run.json last, then removes the previous run: <out> holds one run, old or
// new (a reader in the few renames between may see neither). A folder that
// is not empty and has no run.json is not ours and is never replaced
// (ErrNotRunDir); staging folders of killed runs (their PID gone) are
// removed by the next run. A collector's Appender writes into <out>
// directly, its run.json "running" until Close.
//
// Where it sits: above engine/observe (leaf types), below engine/collector
// and cmd. It imports neither DuckDB nor anything that needs cgo; queries/
// reads what it writes (style.md "Observations -> Parquet -> SQL").
// Engine code does not read the clock: Manifest times are set by the caller.
package store

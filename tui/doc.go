// Package tui is the terminal UI of `tmonbench tui`: it opens a replay's or
// collector's output folder (Parquet tables, queried with DuckDB through
// queries/) and takes an engineer from the overview of a capture to one
// flow, its charts, its TCP connections, FTP transfers, round trips and
// one-way delays, and to the packets behind them, read back from the
// capture file.
//
// Built with bubbletea, bubbles (key, help, textinput, viewport) and
// lipgloss; charts are drawn on ntcharts canvases. One small model per
// screen (overview, a paged table per table, flow detail, packets, SQL)
// under a root Model that owns the tab bar, the status line, the footer
// help, the time brush and the queries in flight. There is no
// package-level state: colours come from the Renderer given to New.
//
// Every query runs as a tea.Cmd with its own context, so the UI never
// waits for DuckDB and esc cancels what is in flight. Tables are read one
// page at a time with keyset queries (queries.Pager): a million flows open
// as fast as a hundred.
//
// Where it sits: above queries/ and engine/observe (table names), and
// replay/ for reading packets back; it imports no engine internals
// (engine/deps_test.go).
package tui

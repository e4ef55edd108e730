// Package report writes one self-contained HTML file from a tmonbench
// output (design 1.12, 1.14.7, 6): the report views of queries/*.sql
// (manager, operator, operator-rtt, conversations, ftp-daily,
// oneway-hourly) as tables, and interactive charts drawn with Apache
// ECharts (vendored from the npm registry in vendor/echarts with its
// licences, embedded with go:embed): traffic and one-way delay time series
// with zoom, RTT and one-way latency histograms, top-N conversation bars.
// The file loads nothing from the network.
//
// Input: the views of queries.Open over an output that `tmonbench rollup`
// has prepared (the *_1m, *_1h, *_1d rollups and the addresses table).
// Filters (time range, activity, location) are DuckDB variables the named
// queries and the charts read with the macros of
// queries.ReportFilterMacros (report_range, report_activity,
// report_location, report_oneway_flow).
//
// Every figure comes from one SQL query over the rollups or raw tables;
// the data sit in the page as JSON (<script id="report-data">) so tests
// and users can read back exactly what the charts draw.
//
// Where it sits: imported by cmd/tmonbench (`tmonbench report`); it
// imports queries and engine/observe.
package report

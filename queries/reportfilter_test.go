package queries

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestReportFilterMacros: the report's filters as the named queries and
// the report's charts apply them (ReportFilterMacros). report_range keeps
// [from, to): from itself in, to itself out (the report's --to is "ends
// before"); report_activity and report_location keep a row whose either
// address has the value asked for, an address without an addresses row
// (NULL) matching nothing; with no variable set, every row passes. An
// output without the addresses table (no rollup) still opens, without
// report_oneway_flow.
func TestReportFilterMacros(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(expr string, want bool) {
		t.Helper()
		var got bool
		if err := conn.QueryRowContext(ctx, "SELECT coalesce("+expr+", false)").Scan(&got); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if got != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}
	// No filter set: everything passes.
	check("report_range(TIMESTAMP '2011-03-18 19:00:00')", true)
	check("report_activity(NULL, NULL)", true)
	check("report_location('A', 'B')", true)

	for _, s := range []string{
		"SET VARIABLE \"from\" = '2011-03-18T19:00:00'", "SET VARIABLE \"to\" = '2011-03-18T20:00:00'",
		"SET VARIABLE \"activity\" = 'PROD'", "SET VARIABLE \"location\" = 'PAR'",
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	check("report_range(TIMESTAMP '2011-03-18 18:59:59.999999')", false)
	check("report_range(TIMESTAMP '2011-03-18 19:00:00')", true)
	check("report_range(TIMESTAMP '2011-03-18 19:59:59.999999')", true)
	check("report_range(TIMESTAMP '2011-03-18 20:00:00')", false)
	check("report_activity('PROD', NULL)", true)
	check("report_activity(NULL, 'PROD')", true)
	check("report_activity('DEV', NULL)", false)
	check("report_activity(NULL, NULL)", false)
	check("report_location('LON', 'PAR')", true)
	check("report_location('LON', 'NYC')", false)

	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_functions() WHERE function_name = 'report_oneway_flow'").Scan(&n); err != nil || n != 0 {
		t.Errorf("report_oneway_flow over an output without addresses: %d definitions, %v; want none", n, err)
	}
}

// TestMacroTables: Open leaves out a macro whose statement reads a table
// the output lacks, found by reading the statement (macroTables), not by
// comparing it with one statement's text: report_oneway_flow reads flows
// and addresses (ReportOnewayFlowMacro: FROM flows, two JOINs of
// addresses), the other macros no table (range(...) is a table function);
// and a statement that reads a table the output lacks is left out too,
// where Open only knew report_oneway_flow's text and would have failed to
// open the output on it ("create macro ...: Catalog Error").
func TestMacroTables(t *testing.T) {
	reads := "CREATE OR REPLACE MACRO busy_flow(id) AS EXISTS (SELECT 1 FROM nosuch_table WHERE flow_id = id)"
	for stmt, want := range map[string][]string{
		ReportOnewayFlowMacro: {"flows", "addresses"},
		ReportFilterMacros:    nil, IP6HexMacro: nil, HostPortMacro: nil, ProtocolNameMacro(): nil, PercentMacro: nil,
		"CREATE MACRO m(x) AS (SELECT count(*) FROM read_parquet('x') JOIN Tcp_Connections USING (flow_id))": {"tcp_connections"},
	} {
		if got := macroTables(stmt); !slices.Equal(got, want) {
			t.Errorf("macroTables(%.60q...) = %q, want %q", stmt, got, want)
		}
	}
	db := openTest(t)
	if _, err := db.Exec(reads); err == nil || !strings.Contains(err.Error(), "nosuch_table") {
		t.Fatalf("creating a macro over a missing table: %v, want DuckDB's error (it binds the subquery at creation)", err)
	}
	ok := "CREATE OR REPLACE MACRO twice(x) AS x * 2"
	if err := createMacros(db, []string{"flows"}, []string{reads, ok}); err != nil {
		t.Fatalf("a macro reading a table the output lacks: %v (want it left out)", err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM duckdb_functions() WHERE function_name IN ('busy_flow', 'twice')").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d of busy_flow and twice defined, %v: want twice only", n, err)
	}
	if err := createMacros(db, []string{"flows", "nosuch_table"}, []string{reads}); err == nil || !strings.Contains(err.Error(), "create macro busy_flow: ") {
		t.Errorf("a macro whose table is said to be there but is not: %v, want its creation's error naming it", err)
	}
}

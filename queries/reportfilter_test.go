package queries

import (
	"context"
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

package queries

import (
	"strings"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/internal/testenv"
	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// BenchmarkOpen: queries.Open over the lab's output (lab/oneway-udp at
// its four hops with --rollup, as TestOnewayHopsInPathOrder replays it:
// 30 views over Hive-partitioned parts, rollups and addresses included),
// and after each Open, apart, one DESCRIBE per view: what Open spent on
// finding the columns a view lacks before it read them from the catalog
// (addMissingColumns). Wall and CPU time (the process's: DuckDB's
// threads included, and less swayed by other processes on a loaded
// machine) per Open, and per DESCRIBE pass.
func BenchmarkOpen(b *testing.B) {
	out := testsamples.ReplayOnewayLab(b, labPath, "--rollup")
	tables, err := Tables(out)
	if err != nil {
		b.Fatal(err)
	}
	var openWall, openCPU, descWall, descCPU int64
	for b.Loop() {
		w, c := time.Now(), testenv.ProcessCPU(b)
		db, err := Open(out)
		if err != nil {
			b.Fatal(err)
		}
		openWall += int64(time.Since(w))
		openCPU += testenv.ProcessCPU(b) - c
		w, c = time.Now(), testenv.ProcessCPU(b)
		for _, t := range tables {
			if _, err := Run(db, "SELECT column_name FROM (DESCRIBE "+quoteIdent(t)+")"); err != nil {
				b.Fatal(err)
			}
		}
		descWall += int64(time.Since(w))
		descCPU += testenv.ProcessCPU(b) - c
		db.Close()
	}
	n := float64(b.N) * 1e6
	b.ReportMetric(float64(openWall)/n, "open-ms/op")
	b.ReportMetric(float64(openCPU)/n, "open-cpu-ms/op")
	b.ReportMetric(float64(descWall)/n, "describe-ms/op")
	b.ReportMetric(float64(descCPU)/n, "describe-cpu-ms/op")
	b.ReportMetric(float64(len(tables)), "views")
}

// TestViewsNotRedefined: over an output written with the current schema,
// Open's views are the plain `SELECT * FROM read_parquet(...)` (their
// columns read from the catalog: addMissingColumns), and each has one
// column per column of the table's schema (observe.Tables), the Hive key
// date besides; the oneway views' from_hop_index is the files' values, not
// an added NULL. A catalog read that missed a view would add the view's
// every column again as NULL.
func TestViewsNotRedefined(t *testing.T) {
	db := openTest(t)
	res := run(t, db, "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY view_name")
	if len(res.Rows) == 0 {
		t.Fatal("no view")
	}
	for _, r := range res.Rows {
		name, def := r[0].(string), r[1].(string)
		if strings.Contains(def, "NULL::") {
			t.Errorf("view %s redefined with added columns: %s", name, def)
		}
		desc := run(t, db, "SELECT column_name FROM (DESCRIBE "+quoteIdent(name)+") WHERE column_name <> 'date'")
		if want := len(schemaColumns(name)); len(desc.Rows) != want {
			t.Errorf("view %s: %d columns, want the schema's %d", name, len(desc.Rows), want)
		}
	}
	// testLoss: telemetry's A>B at to_hop_index 1 in every row
	if got := run(t, db, "SELECT DISTINCT to_hop_index FROM oneway_loss").Rows; len(got) != 1 || num(t, got[0][0]) != 1 {
		t.Errorf("oneway_loss to_hop_index %v, want [[1]] (testLoss)", got)
	}
}

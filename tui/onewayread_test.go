package tui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testdb"
)

// TestOnewayOnceReadOnce: the One-way screen of an output holding every
// row three times (lab/oneway-udp replayed, its oneway_delays parts
// copied twice: copiedOneway) computes its rows once a description,
// into a table it pages, sorts, filters and counts: after the first page
// no query reads the parts (DuckDB's QueryLog: no read_parquet) for two
// sorts and a filter, where each of them aggregated the parts again
// (onceSource at every page and count). A part appended with new rows
// (a copy of one part, its flow_id a million more: rows no other part
// holds)
// is seen at the next output check: the rows are computed again, once
// (one CREATE TABLE), the table read before dropped, and the screen
// counts the output's distinct rows, as DuckDB's own SELECT DISTINCT
// counts them.
func TestOnewayOnceReadOnce(t *testing.T) {
	out := copiedOneway(t, 2)
	distinct := func() string {
		return strings.TrimSpace(testdb.Query(t, out, "SELECT count(*) FROM (SELECT DISTINCT * FROM oneway_delays)"))
	}
	m, pt := onewayModel(t, out)
	if all := strings.TrimSpace(testdb.Query(t, out, "SELECT count(*) FROM oneway_delays")); itoa(pt.total) != distinct() || all == distinct() {
		t.Fatalf("One-way screen: %d rows, want the output's %s distinct (of %s)", pt.total, distinct(), all)
	}
	if pt.onceTable == "" || pt.src != pt.onceTable {
		t.Fatalf("One-way screen pages %s, want a table of its rows once", pt.src)
	}
	db := m.e.db
	if _, err := db.Exec("CALL enable_logging('QueryLog')"); err != nil {
		t.Fatal(err)
	}
	logged := func(s string) int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM duckdb_logs WHERE type = 'QueryLog' AND contains(message, ?)", s).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	drive(t, m, keyMsg("s"), keyMsg("s"), keyMsg("/"))
	for _, r := range "where from_hop_index = 0" {
		drive(t, m, keyMsg(string(r)))
	}
	drive(t, m, keyMsg("enter"))
	if n, pages := logged("read_parquet"), logged(pt.onceTable); n != 0 || pages == 0 || pt.total <= 0 {
		t.Errorf("two sorts and a filter: %d queries read the parts, %d the rows once; %d rows, want none, some, some", n, pages, pt.total)
	}
	drive(t, m, keyMsg("esc"))

	dir := filepath.Join(out, observe.TableOnewayDelays)
	part, err := filepath.Glob(filepath.Join(dir, "*", "*", "part-*.parquet"))
	if err != nil || len(part) == 0 {
		t.Fatalf("no oneway_delays part under %s: %v", dir, err)
	}
	was, before := distinct(), pt.onceTable
	testdb.Query(t, out, "COPY (SELECT * REPLACE ((flow_id + 1000000)::UBIGINT AS flow_id) FROM read_parquet('"+part[0]+
		"')) TO '"+filepath.Join(filepath.Dir(part[0]), "new-part.parquet")+"' (FORMAT parquet)")
	if distinct() == was {
		t.Fatalf("the appended part adds no distinct row (%s)", was)
	}
	creates := logged("CREATE TABLE")
	drive(t, m, outputCheckMsg{})
	if itoa(pt.total) != distinct() {
		t.Errorf("after the append: %d rows, want the output's %s distinct (were %s)", pt.total, distinct(), was)
	}
	if n := logged("CREATE TABLE") - creates; n != 1 || pt.onceTable == before {
		t.Errorf("after the append: the rows once computed %d times into %s (was %s), want once into a new table", n, pt.onceTable, before)
	}
	var tables int
	if err := db.QueryRow("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ?", onceSchema).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("%d tables of rows once (%v), want the one read", tables, err)
	}
}

package queries

import (
	"context"
	"fmt"
	"testing"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/engine/store"
)

// TestOpenMixedLayout: an output whose flows are partly flat parts (a
// run before schema version 2, store.Write) and partly Hive partitions
// (date=…/probe=…: a later collector appending to the same output,
// store.WriteTable). The view read one glob, that of the partitions
// (partitionKeys follows the key=value folders): the 3 flat rows were
// missing from the 5, and DuckDB refuses one read with Hive partitioning
// over both ("Hive partition mismatch"). Now each depth has its glob: the
// view, the table source the TUI pages and the pager's row keys see the
// 5 rows written.
func TestOpenMixedLayout(t *testing.T) {
	out := t.TempDir()
	flow := func(id int, probe string) observe.Flow {
		return observe.Flow{FlowID: uint64(id), Probe: probe, Interface: "if0", Class: "all", Name: fmt.Sprintf("f%d", id),
			FirstSeen: 1700000000000000000 + int64(id), LastSeen: 1700000000000000000 + int64(id), Bytes: uint64(100 * id)}
	}
	if _, err := store.Write(out, observe.TableFlows, 0, []observe.Flow{flow(1, "old"), flow(2, "old"), flow(3, "old")}); err != nil {
		t.Fatal(err)
	}
	b := &observe.Batch{Flows: []observe.Flow{flow(4, "new"), flow(5, "new")}}
	if _, _, err := store.WriteTable(out, observe.TableNamed(observe.TableFlows), func(string) int { return 0 }, b); err != nil {
		t.Fatal(err)
	}
	db, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, ids int64
	if err := db.QueryRow("SELECT count(*), sum(flow_id) FROM flows").Scan(&n, &ids); err != nil || n != 5 || ids != 15 {
		t.Fatalf("view: %d rows, flow_id sum %d (%v); want 5, 15", n, ids, err)
	}
	src, err := TableSource(out, observe.TableFlows)
	if err != nil {
		t.Fatal(err)
	}
	p := &Pager{From: src, Show: []string{"flow_id"}, Sort: "bytes", SortTyp: "UBIGINT", Desc: true, Keys: RowKeys, TwoPhase: true}
	rows, err := p.First(context.Background(), db, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range rows {
		got = append(got, r.Values[0])
	}
	if fmt.Sprint(got) != "[5 4 3 2 1]" {
		t.Fatalf("table source by bytes descending: flow_id %v, want [5 4 3 2 1]", got)
	}
}

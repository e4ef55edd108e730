package queries

import (
	"context"
	"reflect"
	"testing"
)

// TestEmptyNotes: EmptyReasons.Notes names only the tables a query reads
// that have a reason and no row, flows first, a rollup by its own name
// with its source table's reason, and one line per reason (oneway_loss
// and oneway_latency share theirs); the test output has rows in flows and
// oneway_loss, none in size_histograms or oneway_loss_1h (views made
// empty here); oneway_latency_1h has no view: left out.
func TestEmptyNotes(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, v := range []string{"size_histograms", "oneway_loss_1h"} { // empty tables the test output lacks
		if _, err := db.Exec("CREATE OR REPLACE VIEW " + v + " AS SELECT 1 AS x WHERE false"); err != nil {
			t.Fatal(err)
		}
	}
	off := "no class runs the oneway analysis"
	r := EmptyReasons{"flows": "no packet", "size_histograms": "no class runs the sizes analysis", "oneway_loss": off, "oneway_latency": off}
	if got := r.Notes(ctx, db, "SELECT * FROM size_histograms JOIN flows USING (flow_id)"); !reflect.DeepEqual(got, []string{"size_histograms is empty: no class runs the sizes analysis"}) {
		t.Errorf("flows with rows, size_histograms without: %q", got)
	}
	want := []string{"oneway_loss_1h is empty: " + off + " (oneway_loss_1h is rolled up from oneway_loss)"}
	if got := r.Notes(ctx, db, "SELECT * FROM oneway_loss_1h, oneway_latency_1h, size_histograms_x"); !reflect.DeepEqual(got, want) {
		t.Errorf("rollups: %q, want %q", got, want)
	}
	if got := r.For("oneway_latency_1h"); got != off+" (oneway_latency_1h is rolled up from oneway_latency)" {
		t.Errorf("For(oneway_latency_1h) = %q", got)
	}
	// Named only in comments and string literals: not read (a note
	// fired for every table a query's text named anywhere); a quoted
	// identifier is read.
	for _, q := range []string{
		"SELECT * FROM flows -- size_histograms is empty here\n",
		"SELECT * FROM flows /* size_histograms /* nested */ size_histograms */",
		"SELECT * FROM flows WHERE 'size_histograms' <> 'it''s size_histograms'",
		"SELECT $$size_histograms$$, $t$ size_histograms $t$ FROM flows",
	} {
		if got := r.Notes(ctx, db, q); got != nil {
			t.Errorf("%q: %q, want no note (size_histograms only in a comment or literal)", q, got)
		}
	}
	for _, q := range []string{`SELECT * FROM "size_histograms" -- a quoted table`, "SELECT '--' AS x FROM size_histograms", "SELECT 'a' /* b */ FROM size_histograms"} {
		if got := r.Notes(ctx, db, q); !reflect.DeepEqual(got, []string{"size_histograms is empty: no class runs the sizes analysis"}) {
			t.Errorf("%q: %q, want the size_histograms note", q, got)
		}
	}
	if got := (EmptyReasons)(nil).Notes(ctx, db, "SELECT * FROM size_histograms"); got != nil {
		t.Errorf("no reasons: %q", got)
	}
}

package tui

import (
	"context"
	"database/sql"
	"errors"
	"testing"
)

// TestEscLeavesLoadingScreen: enter on a flow pushes its detail, whose
// load is still in flight (its Cmd not run, as on a large output) when
// esc comes. One esc goes back to the Flows table: it took two, the
// first cancelling the load and leaving the detail on "loading flow …"
// for good. The Flows table's own queries are not cancelled, and the
// detail's cancelled load, arriving after, changes nothing.
func TestEscLeavesLoadingScreen(t *testing.T) {
	m, press, expect := screenModel(t, replayed(t, ftpLab))
	press("2")
	expect("flows", "row 1 of")
	_, cmd := m.Update(keyMsg("enter"))
	msgs := runCmd(cmd) // the pushMsg
	if len(msgs) != 1 {
		t.Fatalf("enter gave %d messages, want the push", len(msgs))
	}
	_, load := m.Update(msgs[0]) // the detail's load, not run yet
	if len(m.stack) != 1 || len(m.e.inflight) != 1 || load == nil {
		t.Fatalf("after enter: %d screens pushed, %d queries in flight", len(m.stack), len(m.e.inflight))
	}
	expect("loading", "loading flow")
	// a query of the Flows table in flight meanwhile (its count, say)
	tbl := m.tabs[1].base().sid
	keep := m.e.query(tbl, "count", func(context.Context, *sql.DB) (any, error) { return nil, nil })
	press("esc")
	if len(m.stack) != 0 {
		t.Fatalf("one esc left %d screens pushed, want none:\n%s", len(m.stack), plain(m))
	}
	if len(m.e.inflight) != 1 {
		t.Fatalf("%d queries in flight after esc, want the Flows table's one", len(m.e.inflight))
	}
	for _, msg := range runCmd(load) {
		if d, ok := msg.(dataMsg); !ok || !errors.Is(d.err, context.Canceled) {
			t.Fatalf("the detail's load returned %T %v, want context.Canceled", msg, msg)
		}
		drive(t, m, msg)
	}
	drive(t, m, runCmd(keep)...)
	expect("back on the flows", "row 1 of", "sorted by bytes")
	if len(m.e.inflight) != 0 {
		t.Fatalf("%d queries in flight at the end", len(m.e.inflight))
	}
}

package observe

import "testing"

// TestRecentKeepsLatest: Recent keeps the last SnapshotRecent rows of each
// of RecentTables, oldest first, whatever the batch sizes (one row at a
// time, batches larger than the bound, trims in between), never more than
// twice the bound, ignores the other tables, and counts every row added;
// Rows gives the same copy until rows come.
func TestRecentKeepsLatest(t *testing.T) {
	var r Recent
	next := uint64(0)
	add := func(n int) {
		var b Batch
		for range n {
			next++
			b.TCPConnections = append(b.TCPConnections, TCPConnection{ConnID: next})
			b.FlowCounters = append(b.FlowCounters, FlowCounter{FlowID: next})
		}
		r.Add(&b)
		if got := len(r.rows.TCPConnections); got > 2*SnapshotRecent {
			t.Fatalf("after %d rows Recent holds %d, more than twice the bound", next, got)
		}
	}
	check := func() {
		t.Helper()
		b, seq := r.Rows()
		if seq != next {
			t.Fatalf("RecentRows %d, added %d", seq, next)
		}
		want := min(int(next), SnapshotRecent)
		if len(b.TCPConnections) != want || len(b.FlowCounters) != 0 {
			t.Fatalf("%d connections and %d counters kept, want the last %d connections and no counters", len(b.TCPConnections), len(b.FlowCounters), want)
		}
		for i, c := range b.TCPConnections {
			if c.ConnID != next-uint64(want)+1+uint64(i) {
				t.Fatalf("row %d is connection %d, want %d (the latest, oldest first)", i, c.ConnID, next-uint64(want)+1+uint64(i))
			}
		}
		if again, _ := r.Rows(); again != b {
			t.Fatal("Rows copied again without new rows")
		}
	}
	check()
	for range 300 {
		add(1)
	}
	check()
	add(1000)
	check()
	for _, n := range []int{3, 255, 256, 257, 1, 511, 2} {
		add(n)
		check()
	}
}

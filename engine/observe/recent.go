package observe

import "sync"

// RecentTables are the tables whose latest rows a Snapshot carries
// (Snapshot.Recent): the ones a live view lists row by row (the live TUI's
// TCP, FTP, RTT, One-way and Events screens, issue 12.3). The other tables
// are per flow or per interval: Snapshot.Flows covers them.
var RecentTables = [...]string{TableEvents, TableTCPConnections, TableRTTSamples, TableFTPTransfers, TableOnewayDelays}

// SnapshotRecent is the most rows of each of RecentTables a Snapshot holds
// (the latest ones).
const SnapshotRecent = 256

// Recent keeps the latest SnapshotRecent rows of each of RecentTables out
// of the batches a run hands it (Add, from the collector's goroutine), for
// the snapshots (Rows, from any goroutine; issue 12.3). Memory: at most
// 2×SnapshotRecent rows per table, plus the last copy Rows gave. The zero
// value is ready.
type Recent struct {
	mu      sync.Mutex
	rows    Batch  // the latest rows, up to 2×SnapshotRecent per table
	seq     uint64 // rows added, total
	last    *Batch // Rows' copy at seq lastSeq (shared, never modified)
	lastSeq uint64
}

// recentTables are RecentTables' Table entries.
var recentTables = func() (ts [len(RecentTables)]*Table) {
	for i, n := range RecentTables {
		ts[i] = TableNamed(n)
	}
	return ts
}()

// Add copies the latest rows of b's RecentTables.
func (r *Recent) Add(b *Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range recentTables {
		if n := t.Len(b); n > 0 {
			t.ops.keepTail(&r.rows, b, 0, SnapshotRecent)
			r.seq += uint64(n)
		}
	}
}

// Rows returns the latest rows (at most SnapshotRecent per table of
// RecentTables, oldest first; the other tables empty) and the number of
// rows added so far, which changes whenever new rows came. The batch is
// shared between callers until rows come: do not modify it.
func (r *Recent) Rows() (*Batch, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil || r.lastSeq != r.seq {
		out := &Batch{}
		for _, t := range recentTables {
			t.ops.keepTail(out, &r.rows, 0, SnapshotRecent)
		}
		r.last, r.lastSeq = out, r.seq
	}
	return r.last, r.seq
}

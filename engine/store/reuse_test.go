package store

import (
	"bytes"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestResetSameBytes: a writer reset after a part (observe.TableWriter's
// Reset, as Run.Write reuses them) writes, for every table, the same
// bytes as a new writer, whatever the part before it held: more rows and
// larger dictionaries, fewer, none, or several row groups.
func TestResetSameBytes(t *testing.T) {
	sizes := []int{3000, 10, 0, 2500, 700}
	batches := make([]observe.Batch, len(sizes))
	for i, n := range sizes {
		fillRows(&batches[i], n)
	}
	write := func(tab *observe.Table, w observe.TableWriter, out *bytes.Buffer, b *observe.Batch) []byte {
		if _, err := w.Write(b); err != nil {
			t.Fatalf("%s: %v", tab.Name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", tab.Name, err)
		}
		return out.Bytes()
	}
	for _, tab := range observe.Tables {
		opts := append(slices.Clone(optionsFor(tab.Row, true)), parquet.MaxRowsPerRowGroup(1000)) // several row groups a part
		var reused bytes.Buffer
		w := tab.NewWriter(&reused, opts...)
		for i := range batches {
			reused.Reset()
			if i > 0 {
				w.Reset(&reused)
			}
			got := write(tab, w, &reused, &batches[i])
			var fresh bytes.Buffer
			want := write(tab, tab.NewWriter(&fresh, opts...), &fresh, &batches[i])
			if !bytes.Equal(got, want) {
				t.Errorf("%s, part %d (%d rows): %d bytes from the reset writer, %d from a new one", tab.Name, i, sizes[i], len(got), len(want))
			}
		}
	}
}

// TestRunReusesWriters: in steady state (rows drained, written and
// published over and over) Run.Write opens each next part with the writer
// of the part a Commit closed, so the Writes after a Commit allocate far
// less than making their new writers alone did before (issue 14: ~500
// allocations for a tcp_connections writer, one per table and partition
// at every publishing Commit). Closing a part still allocates inside
// parquet-go (column indexes, statistics, footer: docs/speed.md).
func TestRunReusesWriters(t *testing.T) {
	var b observe.Batch
	fillRows(&b, 50)
	r := beginTestRun(t)
	r.PublishEvery = time.Nanosecond // every Commit publishes: closes the open parts
	var open map[*openPart]bool
	var ms runtime.MemStats
	var writeAllocs uint64
	cycle := func() {
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		if err := r.Write(&b); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		writeAllocs += ms.Mallocs - before
		now := map[*openPart]bool{}
		for _, op := range r.open {
			now[op] = true
		}
		if open != nil && !mapsEqual(open, now) {
			t.Fatalf("the parts opened after a Commit are not those it closed: %d open, %d before", len(now), len(open))
		}
		open = now
		if err := r.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	cycle()
	cycle()
	const cycles = 5
	writeAllocs = 0
	for range cycles {
		cycle()
	}
	perWrite := float64(writeAllocs) / cycles
	var writers float64
	for _, tab := range observe.Tables {
		writers += float64(len(tab.Split(&b))) * testing.AllocsPerRun(3, func() { tab.NewWriter(io.Discard, optionsFor(tab.Row, true)...) })
	}
	t.Logf("a Write opening %d parts after a Commit: %.0f allocations; making their writers: %.0f", len(open), perWrite, writers)
	if perWrite*4 >= writers {
		t.Errorf("a Write opening %d parts after a Commit allocates %.0f times, making their writers %.0f: want the writers reused (under a quarter)", len(open), perWrite, writers)
	}
}

// TestAppenderReusesWriters: a collector's or live run's Appender writes
// each drain's parts with the writers of the drain before (reset), so a
// Write allocates far less than making its writers did before (one per
// table and partition at every drain, issue 14), and the parts are those
// new writers write (TestResetSameBytes).
func TestAppenderReusesWriters(t *testing.T) {
	var b observe.Batch
	fillRows(&b, 1)
	a, err := OpenAppend(filepath.Join(t.TempDir(), "out"), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	write := func() {
		if err := a.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	write()
	allocs := testing.AllocsPerRun(3, write)
	dir, part := t.TempDir(), 0
	fresh := testing.AllocsPerRun(3, func() { // the same parts, each with a new writer (WriteTable)
		for _, tab := range observe.Tables {
			if _, _, err := WriteTable(dir, tab, func(string) int { part++; return part }, &b); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Logf("a Write of %d parts: %.0f allocations with the writers reused, %.0f with new ones", len(observe.Tables), allocs, fresh)
	if allocs*2 >= fresh {
		t.Errorf("an Appender's Write of %d parts allocates %.0f times, %.0f with new writers: want the writers reused (under half)", len(observe.Tables), allocs, fresh)
	}
}

func mapsEqual(a, b map[*openPart]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestRunWriteIntoOpenParts: a Write whose rows go into the parts already
// open (a drain between two publishing Commits) allocates nothing of its
// own: the split of each table by partition is kept (observe.Splitter)
// and the open part is found by a struct key, where Table.Split's parts
// and the "table/folder" key were 5 allocations per table, 65 a drain of
// the 13 tables (issue 14: the steady-state heap profile of the 5M
// corpus). The rows are few and the same each time, so parquet-go fills
// the pages it has (no page or row group is cut, no new dictionary value).
func TestRunWriteIntoOpenParts(t *testing.T) {
	var b observe.Batch
	fillRows(&b, 1)
	r := beginTestRun(t)
	write := func() {
		if err := r.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		write() // opens the parts, makes the writers' first buffers
	}
	if n := testing.AllocsPerRun(100, write); n != 0 && !testenv.Race { // -race: testenv.Race
		t.Errorf("a Write of %d tables into open parts allocates %v times, want 0", len(observe.Tables), n)
	}
	if len(r.open) != len(observe.Tables) {
		t.Errorf("%d parts open, want one per table (%d)", len(r.open), len(observe.Tables))
	}
	// A drain with rows in some tables only: the others already have
	// their schema-only part (appending their nil errors grew a slice at
	// every drain).
	var some observe.Batch
	some.Flows, some.Events = b.Flows, b.Events
	if n := testing.AllocsPerRun(100, func() {
		if err := r.Write(&some); err != nil {
			t.Fatal(err)
		}
	}); n != 0 && !testenv.Race {
		t.Errorf("a Write of 2 tables of %d into open parts allocates %v times, want 0", len(observe.Tables), n)
	}
}

// TestAppenderDrainAllocs: a collector's or live run's drain written by an
// Appender after a drain of the same shape (each table's rows in two
// partitions: two probes or sources) allocates no more than writing its
// parts alone (writeParts of the parts Table.Split gives, less Split's
// own allocations): parquet-go encoding and closing each part with a
// reset writer, and the part file (paths, os.File, rename, the folder's
// fsync). The Appender's own work adds nothing: the tables split with a
// kept observe.Splitter (Table.Split's map, parts, batches and rows), the
// part numbers found by a struct key (a "table/folder" string a part),
// the 256 KiB file buffer kept (one a part), the empty tables' folders
// known (a stat each at every drain) (issue 14). What is left is
// parquet-go's, per part and column, and the file's (docs/speed.md): the
// drain is pinned at drainAllocs, so that an allocation added to the
// parts' floor (writeParts) shows too.
func TestAppenderDrainAllocs(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts are asserted without -race (testenv.Race)")
	}
	var b observe.Batch
	fillRows(&b, 2)
	a, err := OpenAppend(filepath.Join(t.TempDir(), "out"), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	write := func() {
		if err := a.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	write()
	got := testing.AllocsPerRun(5, write)

	parts, n := 0, 0
	for _, tab := range observe.Tables {
		parts += len(tab.Split(&b))
	}
	if parts <= len(observe.Tables) {
		t.Fatalf("%d parts for %d tables: want rows of several partitions", parts, len(observe.Tables))
	}
	dir, pool := t.TempDir(), &writerPool{}
	files := func() { // the same parts written by the same writers and buffers, numbered apart
		for _, tab := range observe.Tables {
			if _, _, err := writeParts(dir, tab, func(string) int { n++; return n }, tab.Split(&b), pool); err != nil {
				t.Fatal(err)
			}
		}
	}
	files()
	split := testing.AllocsPerRun(5, func() {
		for _, tab := range observe.Tables {
			tab.Split(&b)
		}
	})
	floor := testing.AllocsPerRun(5, files) - split
	t.Logf("a drain of %d parts: %.0f allocations; its floor %.0f (parquet-go's encoding and the files)", parts, got, floor)
	if got > floor {
		t.Errorf("an Appender's drain of %d parts allocates %.0f times, its parts' floor %.0f: want nothing of its own", parts, got, floor)
	}
	if got > drainAllocs {
		t.Errorf("an Appender's drain of %d parts allocates %.0f times, want at most %d", parts, got, drainAllocs)
	}
}

// drainAllocs bounds TestAppenderDrainAllocs's drain of 26 parts: with
// parquet-go v0.32.1 and Go 1.26 (2026-12-07) it allocated 5,858-5,859
// times before each part's path and temporary name were made in one
// allocation each (partPath, tmpName: TestPartPaths), 5,806-5,807 since
// (the odd one a sync.Pool of parquet-go's emptied by a collection).
// Nearly all of it is parquet-go's, ~205 a part (docs/speed.md).
const drainAllocs = 5810

// TestRunWriteSeveralPartitions: a replay's drain whose tables' rows fall
// in several partitions (two probes, a day's end), written into the parts
// already open, allocates nothing of its own either: the Splitter keeps
// each table's partitions (Table.Split made them again: 91 allocations a
// drain of these 13 tables, 0 now; issue 14).
func TestRunWriteSeveralPartitions(t *testing.T) {
	if testenv.Race {
		t.Skip("allocation counts are asserted without -race (testenv.Race)")
	}
	var b observe.Batch
	fillRows(&b, 2)
	r, err := BeginRun(filepath.Join(t.TempDir(), "out"), testManifest())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	write := func() {
		if err := r.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		write()
	}
	parts := 0
	for _, tab := range observe.Tables {
		parts += len(tab.Split(&b))
	}
	if len(r.open) != parts || parts <= len(observe.Tables) {
		t.Fatalf("%d parts open, %d partitions in %d tables: want several partitions a table, each open", len(r.open), parts, len(observe.Tables))
	}
	if n := testing.AllocsPerRun(100, write); n != 0 {
		t.Errorf("a Write of %d tables in %d partitions into open parts allocates %v times, want 0", len(observe.Tables), parts, n)
	}
}

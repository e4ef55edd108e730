package store

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/tmonbench/tmonbench/engine/observe"
	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestStreamedRowGroups: a part Run.Write streams is cut into row groups
// of rowGroupRows rows, 2^18: each row group costs parquet-go ~100-130
// allocations when it is written (column indexes, statistics, the
// metadata copied for the footer), so the 64 k rows of before made the
// row groups ~1,300 of the ~4,900 allocations in the steady window of
// the 5M corpus's bench, ~290 at 2^18 (issue 14). Writing 2^18
// flow_counters rows in drains of 4,096 (as the collector hands them
// over) gives one row group, and the drains after the first allocate
// 1,047 times where four row groups of 64 k rows took 1,445.
func TestStreamedRowGroups(t *testing.T) {
	const rows, drain = 1 << 18, 4096
	if rowGroupRows < rows {
		t.Fatalf("rowGroupRows %d, want at least %d", rowGroupRows, rows)
	}
	var all observe.Batch
	all.FlowCounters = make([]observe.FlowCounter, rows)
	for i := range all.FlowCounters {
		all.FlowCounters[i] = observe.FlowCounter{Probe: "p", FlowID: uint64(i / 8), IntervalStart: 1764426960000000000 + int64(i/4096)*1e9, IntervalS: 1,
			Metric: "bytes", Unit: "B", N: uint64(i % 7), Sum: float64(i % 1000), SumSq: float64(i % 100), Min: 1, Max: float64(i % 1500)}
	}
	r := beginTestRun(t)
	var ms runtime.MemStats
	var allocs uint64
	for i := 0; i < rows; i += drain {
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		b := observe.Batch{FlowCounters: all.FlowCounters[i : i+drain]}
		if err := r.Write(&b); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		if i > 0 { // the first opens the part
			allocs += ms.Mallocs - before
		}
	}
	t.Logf("%d rows streamed: %d allocations after the first drain", rows, allocs)
	if allocs >= 1300 && !testenv.Race { // -race: testenv.Race
		t.Errorf("%d rows streamed allocate %d times after the first drain, want under 1,300 (one row group: 1,047; four: 1,445)", rows, allocs)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(r.Out(), observe.TableFlowCounters, "*", "*", "part-*.parquet"))
	if len(files) != 1 {
		t.Fatalf("parts %v, want one", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	if n, got := len(pf.RowGroups()), pf.NumRows(); n != 1 || got != rows {
		t.Errorf("%d rows in %d row groups, want %d in 1", got, n, rows)
	}
}

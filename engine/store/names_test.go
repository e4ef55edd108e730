package store

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testenv"
)

// TestPartPaths: a part's path and its temporary name are the names the
// files have always had (PartName's "part-%05d.parquet", joined as
// filepath.Join does, and ".<name>.tmp" beside it), made in one
// allocation each: every part opened after a publish made them with
// fmt.Sprintf and filepath.Join, 6 allocations a part (issue 14).
func TestPartPaths(t *testing.T) {
	dirs := []string{"", ".", "/", "flows", "/tmp/out/.tmon-run-1-x/flow_counters", "out/rtt_samples/probe=p1/date=2026-12-07", "a/../b", "a/b/"}
	for _, dir := range dirs {
		for _, part := range []int{0, 5, 42, 999, 1000, 12345, MaxPart, MaxPart + 1, 1 << 40, -1, -42} {
			want := filepath.Join(dir, fmt.Sprintf("part-%05d.parquet", part))
			if got := partPath(dir, part); got != want {
				t.Errorf("partPath(%q, %d) = %q, want %q", dir, part, got, want)
			}
			if dir == "" && PartName(part) != want {
				t.Errorf("PartName(%d) = %q, want %q", part, PartName(part), want)
			}
			if want == "" {
				continue
			}
			wantTmp := filepath.Join(filepath.Dir(want), "."+filepath.Base(want)+".tmp")
			if got := tmpName(want); got != wantTmp {
				t.Errorf("tmpName(%q) = %q, want %q", want, got, wantTmp)
			}
		}
	}
	if testenv.Race {
		return // allocation counts are asserted without -race
	}
	dir := "/tmp/out/.tmon-run-1-x/flow_counters/probe=p1/date=2026-12-07"
	var path, tmp string
	if n := testing.AllocsPerRun(100, func() { path = partPath(dir, 1234) }); n != 1 {
		t.Errorf("partPath allocates %v times, want 1 (the path)", n)
	}
	if n := testing.AllocsPerRun(100, func() { tmp = tmpName(path) }); n != 1 {
		t.Errorf("tmpName allocates %v times, want 1 (the name)", n)
	}
	_ = tmp
}

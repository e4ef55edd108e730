package store

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tmonbench/tmonbench/engine/observe"
)

// TestCommitAtByCapture: with PublishByCapture, rows become visible by
// capture time, never by wall time: at the first Commit with rows, then
// once the capture time passed the last publish by PublishEvery (5 s)
// or a quarter of the capture time since the first publish, whichever is
// longer. Commits every second of capture time, 1 s to 40 s: published at
// 1 s (first), 6 (1+5), 11 (6+max(5, 1.25)), 16 (11+5), 21 (16+max(5,
// 3.75)), 26 (21+5), 33 (26+max(5, 6.25) = 32.25: the first commit at or
// after it), then 41 (33+8), past the run. Without it, the same commits, run faster than 5 s of
// wall time, publish only the first.
func TestCommitAtByCapture(t *testing.T) {
	for _, c := range []struct {
		byCapture bool
		want      []int
	}{{true, []int{1, 6, 11, 16, 21, 26, 33}}, {false, []int{1}}} {
		r, err := BeginRun(filepath.Join(t.TempDir(), "out"), testManifest())
		if err != nil {
			t.Fatal(err)
		}
		r.PublishByCapture = c.byCapture
		if err := r.Write(&observe.Batch{}); err != nil { // the schema-only start
			t.Fatal(err)
		}
		if err := r.CommitAt(0); err != nil {
			t.Fatal(err)
		}
		var got []int
		rows := int64(0)
		for s := 1; s <= 40; s++ {
			if err := r.Write(&observe.Batch{Flows: testFlows[:1]}); err != nil {
				t.Fatal(err)
			}
			rows++
			if err := r.CommitAt(time.Unix(1700000000+int64(s), 0).UnixNano()); err != nil {
				t.Fatal(err)
			}
			m, err := ReadManifest(r.Dir())
			if err != nil {
				t.Fatal(err)
			}
			if m.Tables["flows"].Rows == rows && (len(got) == 0 || got[len(got)-1] != s) {
				got = append(got, s)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("by capture %v: published at %v s of capture time, want %v", c.byCapture, got, c.want)
		}
		r.Abort()
	}
}

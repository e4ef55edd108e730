package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestHeapProfileWritten (the fifth trial's D9): bench --memprofile into a
// folder that does not exist exited 0 with no file and no word (watchHeap
// dropped os.Create's error); it is now the run's error, naming the path.
// A run shorter than the 50 ms tick still writes its profile, a gzipped
// pprof (magic 1f 8b, as runtime/pprof writes it).
func TestHeapProfileWritten(t *testing.T) {
	capture := testsamples.Path(t, "pcap", "mixed", "zeek_wikipedia.pcap")
	bad := filepath.Join(t.TempDir(), "no-such-folder", "heap.prof")
	_, err := runOn(t, capture, Options{HeapProfilePath: bad})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("heap profile into a missing folder: err %v, want one naming %s", err, bad)
	}
	good := filepath.Join(t.TempDir(), "heap.prof")
	if _, err := runOn(t, capture, Options{HeapProfilePath: good}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(good); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("heap profile: %d bytes, err %v: want a gzipped pprof", len(b), err)
	}
}

// TestProfilePathsFirst (the sixth trial's D4): bench --cpuprofile or
// --memprofile into a folder that does not exist failed only when the
// profile was written, after every run (minutes on a large capture); the
// paths are now created before the first run: the error names the path
// (os.Create's ENOENT) and no run starts (no progress line).
func TestProfilePathsFirst(t *testing.T) {
	capture := testsamples.Path(t, "pcap", "mixed", "zeek_wikipedia.pcap")
	for _, flag := range []string{"cpuprofile", "memprofile"} {
		bad := filepath.Join(t.TempDir(), "no-such-folder", "x.prof")
		opt := Options{Stages: true}
		if flag == "cpuprofile" {
			opt.ProfilePath = bad
		} else {
			opt.HeapProfilePath = bad
		}
		var runs []string
		opt.Progress = func(what string) { runs = append(runs, what) }
		_, err := runOn(t, capture, opt)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "no such file or directory") {
			t.Errorf("--%s into a missing folder: err %v, want ENOENT naming %s", flag, err, bad)
		}
		if len(runs) != 0 {
			t.Errorf("--%s into a missing folder: runs %q before the error, want none", flag, runs)
		}
	}
}

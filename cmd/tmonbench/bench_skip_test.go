package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestBenchFolderSkipsNotCaptures: bench given a folder stopped at its
// first file that is not a capture (exit 1, "magic 0x23207768: not a pcap
// or pcapng file"), where replay skips it, says so and exits 3
// (TestReplayFolderSkipsNotCaptures). bench now goes through the same
// skipNotCaptures: the same warning, exit 3, and the figures of the
// others: the rows of each table are replay's of the same folder (its
// events less the one capture_skipped, which bench, writing into a
// temporary folder, has no table for).
func TestBenchFolderSkipsNotCaptures(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mixed")
	os.MkdirAll(dir, 0o755)
	b, err := os.ReadFile(testsamples.Path(t, "lab", "ftp", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "A.pcap"), b, 0o644)
	notes := filepath.Join(dir, "NOTES.md")
	os.WriteFile(notes, []byte("# where the captures come from\n"), 0o644)
	code, stdout, stderr := tmon(t, "replay", "--out", filepath.Join(t.TempDir(), "o"), dir)
	if code != exitSkipped {
		t.Fatalf("replay: exit %d, want 3: %s", code, stderr)
	}
	replayed := rowsWritten(t, stdout)
	replayed["events"]-- // its capture_skipped
	code, stdout, stderr = tmon(t, "bench", "-q", "--json", "--stages=false", "--tmp", t.TempDir(), dir)
	want := "tmonbench bench: warning: " + notes + ": magic 0x23207768: not a pcap or pcapng file: skipped, not a capture (a file of " + dir + ")\n" +
		"tmonbench bench: 1 file of a folder or glob skipped, not a capture (the warnings above): the figures are of the others\n"
	if code != exitSkipped || stderr != want {
		t.Fatalf("bench: exit %d, stderr:\n%s\nwant exit 3 and:\n%s", code, stderr, want)
	}
	var rep struct {
		Tables map[string]struct{ Rows int64 } `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bench --json: %v", err)
	}
	benched := map[string]int64{}
	for name, s := range rep.Tables {
		benched[name] = s.Rows
	}
	if fmt.Sprint(benched) != fmt.Sprint(replayed) || benched["flows"] == 0 {
		t.Errorf("rows per table:\nbench  %v\nreplay %v", benched, replayed)
	}
}

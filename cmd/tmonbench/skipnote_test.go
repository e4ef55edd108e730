package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestSkippedOneFile: one file of a folder skipped reads "1 file ...
// skipped, not a capture" (a trial's folder of a capture and a cut
// .pcap.gz printed "1 file of a folder or glob skipped, not capture");
// two or more keep "not captures" (TestReplayFolderSkipsNotCaptures).
// The summary's first line counts the capture files read, then the other
// files skipped by name: a trial's folder of 2 captures and a notes.txt
// read "2 files (1 skipped, ...)", as if 1 of the 2 were skipped.
func TestSkippedOneFile(t *testing.T) {
	for _, c := range []struct {
		n, read    int
		line, note string
	}{
		{1, 2, "1 file of a folder or glob skipped, not a capture (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"2 capture files (1 other file skipped, not a capture: notes.txt; event capture_skipped)"},
		{2, 1, "2 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"1 capture file (2 other files skipped, not captures: notes.txt, notes-1.txt; events capture_skipped)"},
		{5, 3, "5 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"3 capture files (5 other files skipped, not captures: notes.txt, notes-1.txt, notes-2.txt, 2 more; events capture_skipped)"},
	} {
		skipped := make([]store.Skipped, c.n)
		for i := range skipped {
			skipped[i].Path = filepath.Join("rot", "notes.txt")
			if i > 0 {
				skipped[i].Path = filepath.Join("rot", fmt.Sprintf("notes-%d.txt", i))
			}
		}
		if got := skippedErr(skipped, ", events capture_skipped, run.json's skipped", "the run holds the others").Error(); got != c.line {
			t.Errorf("%d skipped: %q\nwant         %q", c.n, got, c.line)
		}
		if got := filesRead(c.read, skipped); got != c.note {
			t.Errorf("%d skipped: summary %q, want %q", c.n, got, c.note)
		}
	}
	for n, want := range map[int]string{1: "1 file", 2: "2 files"} { // none skipped: as before (README)
		if got := filesRead(n, nil); got != want {
			t.Errorf("%d files, none skipped: %q, want %q", n, got, want)
		}
	}
}

package main

import (
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestSkippedOneFile: one file of a folder skipped reads "1 file ...
// skipped, not a capture" (a trial's folder of a capture and a cut
// .pcap.gz printed "1 file of a folder or glob skipped, not capture");
// two or more keep "not captures" (TestReplayFolderSkipsNotCaptures).
func TestSkippedOneFile(t *testing.T) {
	for _, c := range []struct {
		n          int
		line, note string
	}{
		{1, "1 file of a folder or glob skipped, not a capture (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			" (1 skipped, not a capture: events capture_skipped)"},
		{2, "2 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			" (2 skipped, not captures: events capture_skipped)"},
	} {
		if got := skippedErr(make([]store.Skipped, c.n), ", events capture_skipped, run.json's skipped", "the run holds the others").Error(); got != c.line {
			t.Errorf("%d skipped: %q\nwant         %q", c.n, got, c.line)
		}
		if got := skippedNote(c.n); got != c.note {
			t.Errorf("%d skipped: summary note %q, want %q", c.n, got, c.note)
		}
	}
}

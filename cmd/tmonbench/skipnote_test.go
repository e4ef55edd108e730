package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tmonbench/tmonbench/engine/store"
)

// TestSkippedOneFile: one file of a folder skipped reads "1 file ...
// skipped, not a capture" (a trial's folder of a capture and a cut
// .pcap.gz printed "1 file of a folder or glob skipped, not capture");
// two or more keep "not captures" (TestReplayFolderSkipsNotCaptures).
// The summary's first line counts the capture files read, then the other
// files skipped by name: a trial's folder of 2 captures and a notes.txt
// read "2 files (1 skipped, ...)", as if 1 of the 2 were skipped. The
// files are named by the path the folder or glob gave them, as the
// warnings and run.json's skipped name them (TestSkippedSameBaseName).
func TestSkippedOneFile(t *testing.T) {
	for _, c := range []struct {
		n, read    int
		line, note string
	}{
		{1, 2, "1 file of a folder or glob skipped, not a capture (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"2 capture files (1 other file skipped, not a capture: rot/notes.txt; event capture_skipped)"},
		{2, 1, "2 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"1 capture file (2 other files skipped, not captures: rot/notes.txt, rot/notes-1.txt; events capture_skipped)"},
		{5, 3, "5 files of a folder or glob skipped, not captures (the warnings above, events capture_skipped, run.json's skipped): the run holds the others",
			"3 capture files (5 other files skipped, not captures: rot/notes.txt, rot/notes-1.txt, rot/notes-2.txt, 2 more; events capture_skipped)"},
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

// TestSkippedSameBaseName: two folders of rotated captures, A and B
// (one probe each), each holding its own NOTES.md beside a capture (the
// lab's ftp A.pcap). The summary's first line named the two files skipped
// "NOTES.md, NOTES.md": which folder's was which? It names them by the
// path the folders gave, as the warnings above it and run.json's skipped
// do.
func TestSkippedSameBaseName(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	capture, err := os.ReadFile(filepath.Join(samples(t), "lab", "ftp", "A.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, probe := range []string{"A", "B"} {
		dir := filepath.Join(tmp, probe)
		notes = append(notes, filepath.Join(dir, "NOTES.md"))
		if err := errors.Join(os.MkdirAll(dir, 0o755), os.WriteFile(filepath.Join(dir, "part-0.pcap"), capture, 0o644),
			os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("# where the captures come from\n"), 0o644)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := tmon(t, "replay", "--progress", "never", "--out", filepath.Join(tmp, "out"), filepath.Join(tmp, "A"), filepath.Join(tmp, "B"))
	want := "tmonbench replay: 2 capture files (2 other files skipped, not captures: " + notes[0] + ", " + notes[1] + "; events capture_skipped), 2 probes: A, B\n"
	if first, _, _ := strings.Cut(stdout, "\n"); code != exitSkipped || first+"\n" != want {
		t.Errorf("exit %d, summary %q, want exit 3 and %q (stderr %s)", code, first, want, stderr)
	}
	for _, n := range notes {
		if !strings.Contains(stderr, "warning: "+n+": ") {
			t.Errorf("stderr does not warn of %s:\n%s", n, stderr)
		}
	}
}

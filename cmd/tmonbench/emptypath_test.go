package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/tmonbench/tmonbench/internal/testsamples"
)

// TestEmptyPathFlags: --out, --config and -o/--output given empty (a
// script's `--config "$CFG"` with CFG unset) are refused with exit 2 and
// one line naming the flag, for every subcommand that has them, before
// anything runs. A new-user trial of 8e3b6a0 saw `replay --config ”`
// run the embedded configuration without a word (exit 0),
// `query --out ”` answer "no tmonbench output in  (run `tmonbench
// replay` first)" and `report -o ”` "open : no such file or directory".
func TestEmptyPathFlags(t *testing.T) {
	found := 0
	for _, c := range commands() {
		flagsOf(c).VisitAll(func(f *pflag.Flag) {
			what, ok := pathFlags[f.Name]
			if !ok {
				return
			}
			found++
			out := filepath.Join(t.TempDir(), "o")
			args := []string{c.name, "--" + f.Name, ""}
			if f.Name != "out" && flagsOf(c).Lookup("out") != nil {
				args = append(args, "--out", out)
			}
			code, stdout, stderr := tmon(t, args...)
			want := "tmonbench " + c.name + ": --" + f.Name + " is empty (an unset shell variable?): give a " + what + ", or leave the flag out for its default\n"
			if code != 2 || stderr != want || stdout != "" {
				t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, stdout, stderr, want)
			}
		})
	}
	// --out: collector enrich live merge query replay report rollup tui;
	// --config: bench collector config enrich live merge probe replay
	// rollup tui; --output: report
	if found != 20 {
		t.Errorf("%d path flags, want 20", found)
	}
	// The trial's commands, whole: each refused before it reads or writes.
	f := testsamples.Path(t, "lab", "ftp", "A.pcap")
	out := filepath.Join(t.TempDir(), "o")
	for _, args := range [][]string{
		{"replay", "-q", "--config", "", "--out", out, f},
		{"query", "--out", "", "summary"},
		{"report", "--out", out, "-o", ""},
	} {
		code, _, stderr := tmon(t, args...)
		if code != 2 || !strings.Contains(stderr, " is empty (an unset shell variable?)") {
			t.Errorf("%q: exit %d, stderr %q; want exit 2, the flag named", args, code, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("replay --config '' wrote %s", out)
	}
}

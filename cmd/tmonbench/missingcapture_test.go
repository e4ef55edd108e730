package main

import (
	"path/filepath"
	"testing"
)

// TestMissingCaptureFirst: a capture path that is not there is said
// first and alone, by probe --pcap as by replay (a plain argument or a
// --probe spec), though the config (samples/dist.yaml: its classes leave
// out the default's tcp, rtt and ftp analyses) and --interval 7 (not a
// divisor of a minute) each have a warning to print: the contract of
// README ("a missing file ... stop[s] the command with one line on stderr
// naming the path and exit status 1") and of `tmonbench --help` ("1 an
// error, said in one line on stderr"). Before: probe and replay printed
// the config's warnings first, then the missing file as their last line.
func TestMissingCaptureFirst(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	nope := filepath.Join(dir, "nope.pcap")
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"probe", "--config", "../../samples/dist.yaml", "--name", "A", "--interval", "7", "--pcap", nope},
		{"replay", "--config", "../../samples/dist.yaml", "--interval", "7", "--out", out, nope},
		{"replay", "--config", "../../samples/dist.yaml", "--interval", "7", "--out", out, "--probe", "A=" + nope},
	} {
		code, _, stderr := tmon(t, args...)
		if want := "tmonbench " + args[0] + ": " + nope + ": no such file or directory\n"; code != 1 || stderr != want {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant exit 1 and:\n%s", args, code, stderr, want)
		}
	}
}
